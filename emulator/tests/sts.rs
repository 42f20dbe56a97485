//! End-to-end checks of the emulator's STS `AssumeRole` through the real `aws-sdk-sts` client
//! (query protocol, SigV4 for service `sts`), and of the temporary credentials it issues: the
//! Bedrock runtime and control plane accept them only with their own session token, role
//! chaining works, `aws-config`'s `AssumeRoleProvider` can be pointed at the emulator, and
//! failures come back as STS's typed XML errors.

use std::net::SocketAddr;
use std::time::{Duration, SystemTime};

use aws_sdk_bedrockruntime::primitives::Blob;
use aws_sdk_sts::error::ProvideErrorMetadata;
use bedrock_emulator::{ACCOUNT_ID, Emulator, EmulatorConfig, RunningEmulator};
use serde_json::{Value, json};

const HAIKU: &str = "anthropic.claude-3-haiku-20240307-v1:0";
const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/team/bedrock-invoker";

async fn start() -> RunningEmulator {
    let loopback: SocketAddr = ([127, 0, 0, 1], 0).into();
    Emulator::start(EmulatorConfig::default(), loopback)
        .await
        .expect("the emulator starts on an ephemeral port")
}

/// Credentials of any of the SDKs (they all re-export the same type).
type Credentials = aws_sdk_sts::config::Credentials;

fn long_term(emulator: &RunningEmulator) -> Credentials {
    Credentials::new(
        emulator.access_key_id(),
        emulator.secret_access_key(),
        None,
        None,
        "sts-tests",
    )
}

fn sts(emulator: &RunningEmulator, credentials: Credentials) -> aws_sdk_sts::Client {
    let config = aws_sdk_sts::Config::builder()
        .behavior_version(aws_sdk_sts::config::BehaviorVersion::latest())
        .region(aws_sdk_sts::config::Region::new(
            emulator.region().to_owned(),
        ))
        .endpoint_url(emulator.endpoint())
        .credentials_provider(credentials)
        .build();
    aws_sdk_sts::Client::from_conf(config)
}

fn runtime(emulator: &RunningEmulator, credentials: Credentials) -> aws_sdk_bedrockruntime::Client {
    let config = aws_sdk_bedrockruntime::Config::builder()
        .behavior_version(aws_sdk_bedrockruntime::config::BehaviorVersion::latest())
        .region(aws_sdk_bedrockruntime::config::Region::new(
            emulator.region().to_owned(),
        ))
        .endpoint_url(emulator.endpoint())
        .credentials_provider(credentials)
        .build();
    aws_sdk_bedrockruntime::Client::from_conf(config)
}

fn haiku_body() -> Blob {
    Blob::new(
        serde_json::to_vec(&json!({
            "anthropic_version": "bedrock-2023-05-31",
            "max_tokens": 5,
            "messages": [{"role": "user", "content": "hello"}],
        }))
        .expect("JSON"),
    )
}

/// Assumes [`ROLE_ARN`] with `credentials` and returns the temporary credentials.
async fn assume_role(
    emulator: &RunningEmulator,
    credentials: Credentials,
    session_name: &str,
) -> aws_sdk_sts::types::Credentials {
    sts(emulator, credentials)
        .assume_role()
        .role_arn(ROLE_ARN)
        .role_session_name(session_name)
        .duration_seconds(900)
        .send()
        .await
        .unwrap_or_else(|error| panic!("AssumeRole: {:?}", error.into_service_error()))
        .credentials()
        .expect("AssumeRole returns credentials")
        .clone()
}

fn temporary(issued: &aws_sdk_sts::types::Credentials, session_token: Option<&str>) -> Credentials {
    Credentials::new(
        issued.access_key_id(),
        issued.secret_access_key(),
        session_token.map(str::to_owned),
        None,
        "sts-tests",
    )
}

#[tokio::test]
async fn assume_role_answers_with_real_shaped_temporary_credentials() {
    let emulator = start().await;
    let output = sts(&emulator, long_term(&emulator))
        .assume_role()
        .role_arn(ROLE_ARN)
        .role_session_name("notebook-session")
        .duration_seconds(900)
        .send()
        .await
        .expect("AssumeRole succeeds");
    let user = output.assumed_role_user().expect("an assumed role user");
    assert_eq!(
        user.arn(),
        format!("arn:aws:sts::{ACCOUNT_ID}:assumed-role/bedrock-invoker/notebook-session")
    );
    assert!(user.assumed_role_id().starts_with("AROA"));
    assert!(user.assumed_role_id().ends_with(":notebook-session"));

    let credentials = output.credentials().expect("credentials");
    assert!(credentials.access_key_id().starts_with("ASIA"));
    assert_eq!(credentials.access_key_id().len(), 20);
    assert_eq!(credentials.secret_access_key().len(), 40);
    assert!(!credentials.session_token().is_empty());
    let expires_in = SystemTime::try_from(*credentials.expiration())
        .expect("a representable time")
        .duration_since(SystemTime::now())
        .expect("in the future");
    assert!(
        expires_in > Duration::from_secs(890) && expires_in <= Duration::from_secs(900),
        "{expires_in:?}"
    );
}

#[tokio::test]
async fn bedrock_accepts_temporary_credentials_only_with_their_own_token() {
    let emulator = start().await;
    let issued = assume_role(&emulator, long_term(&emulator), "invoke").await;

    let output = runtime(&emulator, temporary(&issued, Some(issued.session_token())))
        .invoke_model()
        .model_id(HAIKU)
        .body(haiku_body())
        .send()
        .await
        .expect("temporary credentials invoke a model");
    let reply: Value = serde_json::from_slice(output.body().as_ref()).expect("JSON");
    assert_eq!(reply["type"], "message");

    let bedrock_config = aws_sdk_bedrock::Config::builder()
        .behavior_version(aws_sdk_bedrock::config::BehaviorVersion::latest())
        .region(aws_sdk_bedrock::config::Region::new(
            emulator.region().to_owned(),
        ))
        .endpoint_url(emulator.endpoint())
        .credentials_provider(temporary(&issued, Some(issued.session_token())))
        .build();
    aws_sdk_bedrock::Client::from_conf(bedrock_config)
        .list_foundation_models()
        .send()
        .await
        .expect("temporary credentials list the models");

    let other = assume_role(&emulator, long_term(&emulator), "other").await;
    for session_token in [
        None,
        Some("not-the-issued-token"),
        Some(other.session_token()),
    ] {
        let error = runtime(&emulator, temporary(&issued, session_token))
            .invoke_model()
            .model_id(HAIKU)
            .body(haiku_body())
            .send()
            .await
            .expect_err("the issued token is required")
            .into_service_error();
        assert_eq!(
            error.code(),
            Some("UnrecognizedClientException"),
            "{session_token:?}"
        );
        assert_eq!(
            error.message(),
            Some("The security token included in the request is invalid.")
        );
    }
    let error = runtime(
        &emulator,
        Credentials::new(
            emulator.access_key_id(),
            emulator.secret_access_key(),
            Some(issued.session_token().to_owned()),
            None,
            "sts-tests",
        ),
    )
    .invoke_model()
    .model_id(HAIKU)
    .body(haiku_body())
    .send()
    .await
    .expect_err("long-term keys take no session token")
    .into_service_error();
    assert_eq!(error.code(), Some("UnrecognizedClientException"));
}

#[tokio::test]
async fn temporary_credentials_can_assume_a_role_again() {
    let emulator = start().await;
    let first = assume_role(&emulator, long_term(&emulator), "first").await;
    let chained = assume_role(
        &emulator,
        temporary(&first, Some(first.session_token())),
        "chained",
    )
    .await;
    assert_ne!(chained.access_key_id(), first.access_key_id());
    runtime(
        &emulator,
        temporary(&chained, Some(chained.session_token())),
    )
    .invoke_model()
    .model_id(HAIKU)
    .body(haiku_body())
    .send()
    .await
    .expect("chained credentials invoke a model");
}

#[tokio::test]
async fn aws_configs_assume_role_provider_works_against_the_emulator() {
    let emulator = start().await;
    let sdk_config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(emulator.region().to_owned()))
        .endpoint_url(emulator.endpoint())
        .credentials_provider(long_term(&emulator))
        .load()
        .await;
    let provider = aws_config::sts::AssumeRoleProvider::builder(ROLE_ARN)
        .session_name("provider-session")
        .configure(&sdk_config)
        .build()
        .await;
    let config = aws_sdk_bedrockruntime::config::Builder::from(&sdk_config)
        .credentials_provider(provider)
        .build();
    let output = aws_sdk_bedrockruntime::Client::from_conf(config)
        .invoke_model()
        .model_id(HAIKU)
        .body(haiku_body())
        .send()
        .await
        .expect("the provider's credentials invoke a model");
    assert!(!output.body().as_ref().is_empty());
}

#[tokio::test]
async fn sts_failures_are_typed_xml_errors() {
    let emulator = start().await;
    let wrong_secret = Credentials::new(
        emulator.access_key_id(),
        "not-the-secret",
        None,
        None,
        "sts-tests",
    );
    let error = sts(&emulator, wrong_secret)
        .assume_role()
        .role_arn(ROLE_ARN)
        .role_session_name("x1")
        .send()
        .await
        .expect_err("a wrong secret")
        .into_service_error();
    assert_eq!(error.code(), Some("SignatureDoesNotMatch"));

    let unknown_key = Credentials::new("AKIDSOMEONEELSE", "secret", None, None, "sts-tests");
    let error = sts(&emulator, unknown_key)
        .assume_role()
        .role_arn(ROLE_ARN)
        .role_session_name("x1")
        .send()
        .await
        .expect_err("an unknown key")
        .into_service_error();
    assert_eq!(error.code(), Some("InvalidClientTokenId"));
    assert_eq!(
        error.message(),
        Some("The security token included in the request is invalid.")
    );

    let client = sts(&emulator, long_term(&emulator));
    let error = client
        .assume_role()
        .role_arn(ROLE_ARN)
        .role_session_name("x")
        .send()
        .await
        .expect_err("a one-character session name")
        .into_service_error();
    assert_eq!(error.code(), Some("ValidationError"));
    assert_eq!(
        error.message(),
        Some(
            "1 validation error detected: Value 'x' at 'roleSessionName' failed to satisfy \
             constraint: Member must have length greater than or equal to 2"
        )
    );
    let error = client
        .assume_role()
        .role_arn(ROLE_ARN)
        .role_session_name("twelve-hours")
        .duration_seconds(43_201)
        .send()
        .await
        .expect_err("more than twelve hours")
        .into_service_error();
    assert_eq!(error.code(), Some("ValidationError"));
    let error = client
        .assume_role()
        .role_session_name("no-role")
        .send()
        .await
        .expect_err("no role ARN")
        .into_service_error();
    assert_eq!(
        error.message(),
        Some(
            "1 validation error detected: Value null at 'roleArn' failed to satisfy constraint: \
             Member must not be null"
        )
    );
}
