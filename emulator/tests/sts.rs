//! End-to-end checks of the emulator's STS `AssumeRole` through the real `aws-sdk-sts` client
//! (query protocol, SigV4 for service `sts`), and of the temporary credentials it issues: the
//! Bedrock runtime and control plane accept them only with their own session token, role
//! chaining works, `aws-config`'s `AssumeRoleProvider` can be pointed at the emulator, and
//! failures (including a role of another account) come back as STS's typed XML errors.

use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sdk_bedrockruntime::config::http::HttpResponse;
use aws_sdk_bedrockruntime::error::SdkError;
use aws_sdk_bedrockruntime::operation::invoke_model::{InvokeModelError, InvokeModelOutput};
use aws_sdk_sts::error::ProvideErrorMetadata;
use bedrock_emulator::{ACCOUNT_ID, EmulatorConfig, RunningEmulator};
use serde_json::{Value, json};

use support::clients::{Outcome, keys, own_keys, sdk_config};
use support::emulator::{json_body, start};

mod support {
    pub mod clients;
    pub mod emulator;
}

const HAIKU: &str = "anthropic.claude-3-haiku-20240307-v1:0";
const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/team/bedrock-invoker";

fn sts(emulator: &RunningEmulator, credentials: Credentials) -> aws_sdk_sts::Client {
    aws_sdk_sts::Client::new(&sdk_config(emulator, credentials))
}

fn runtime(emulator: &RunningEmulator, credentials: Credentials) -> aws_sdk_bedrockruntime::Client {
    aws_sdk_bedrockruntime::Client::new(&sdk_config(emulator, credentials))
}

/// `InvokeModel` of Claude 3 Haiku with a small Messages body.
async fn invoke_haiku(
    runtime: &aws_sdk_bedrockruntime::Client,
) -> Result<InvokeModelOutput, SdkError<InvokeModelError, HttpResponse>> {
    runtime
        .invoke_model()
        .model_id(HAIKU)
        .body(json_body(&json!({
            "anthropic_version": "bedrock-2023-05-31",
            "max_tokens": 5,
            "messages": [{"role": "user", "content": "hello"}],
        })))
        .send()
        .await
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
        .accepted("AssumeRole")
        .credentials()
        .expect("AssumeRole returns credentials")
        .clone()
}

/// The temporary key pair of `issued`, with `session_token`.
fn temporary(issued: &aws_sdk_sts::types::Credentials, session_token: Option<&str>) -> Credentials {
    Credentials::new(
        issued.access_key_id(),
        issued.secret_access_key(),
        session_token.map(str::to_owned),
        None,
        "sts-tests",
    )
}

/// The temporary credentials `issued`, with their own session token.
fn issued_keys(issued: &aws_sdk_sts::types::Credentials) -> Credentials {
    temporary(issued, Some(issued.session_token()))
}

#[tokio::test]
async fn assume_role_answers_with_real_shaped_temporary_credentials() {
    let emulator = start(EmulatorConfig::default()).await;
    let output = sts(&emulator, own_keys(&emulator))
        .assume_role()
        .role_arn(ROLE_ARN)
        .role_session_name("notebook-session")
        .duration_seconds(900)
        .send()
        .await
        .accepted("AssumeRole");
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
    let emulator = start(EmulatorConfig::default()).await;
    let issued = assume_role(&emulator, own_keys(&emulator), "invoke").await;

    let output = invoke_haiku(&runtime(&emulator, issued_keys(&issued)))
        .await
        .accepted("temporary credentials invoke a model");
    let reply: Value = serde_json::from_slice(output.body().as_ref()).expect("JSON");
    assert_eq!(reply["type"], "message");

    aws_sdk_bedrock::Client::new(&sdk_config(&emulator, issued_keys(&issued)))
        .list_foundation_models()
        .send()
        .await
        .accepted("temporary credentials list the models");

    let other = assume_role(&emulator, own_keys(&emulator), "other").await;
    for session_token in [
        None,
        Some("not-the-issued-token"),
        Some(other.session_token()),
    ] {
        let error = invoke_haiku(&runtime(&emulator, temporary(&issued, session_token)))
            .await
            .refused("the issued token is required");
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
    let long_term_with_token = Credentials::new(
        emulator.access_key_id(),
        emulator.secret_access_key(),
        Some(issued.session_token().to_owned()),
        None,
        "sts-tests",
    );
    let error = invoke_haiku(&runtime(&emulator, long_term_with_token))
        .await
        .refused("long-term keys take no session token");
    assert_eq!(error.code(), Some("UnrecognizedClientException"));
}

#[tokio::test]
async fn temporary_credentials_can_assume_a_role_again() {
    let emulator = start(EmulatorConfig::default()).await;
    let first = assume_role(&emulator, own_keys(&emulator), "first").await;
    let chained = assume_role(&emulator, issued_keys(&first), "chained").await;
    assert_ne!(chained.access_key_id(), first.access_key_id());
    invoke_haiku(&runtime(&emulator, issued_keys(&chained)))
        .await
        .accepted("chained credentials invoke a model");
}

#[tokio::test]
async fn aws_configs_assume_role_provider_works_against_the_emulator() {
    let emulator = start(EmulatorConfig::default()).await;
    let sdk_config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(emulator.region().to_owned()))
        .endpoint_url(emulator.endpoint())
        .credentials_provider(own_keys(&emulator))
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
    let output = invoke_haiku(&aws_sdk_bedrockruntime::Client::from_conf(config))
        .await
        .accepted("the provider's credentials invoke a model");
    assert!(!output.body().as_ref().is_empty());
}

#[tokio::test]
async fn sts_failures_are_typed_xml_errors() {
    let emulator = start(EmulatorConfig::default()).await;
    let wrong_secret = keys(emulator.access_key_id(), "not-the-secret");
    let error = sts(&emulator, wrong_secret)
        .assume_role()
        .role_arn(ROLE_ARN)
        .role_session_name("x1")
        .send()
        .await
        .refused("a wrong secret");
    assert_eq!(error.code(), Some("SignatureDoesNotMatch"));

    let unknown_key = keys("AKIDSOMEONEELSE", "secret");
    let error = sts(&emulator, unknown_key)
        .assume_role()
        .role_arn(ROLE_ARN)
        .role_session_name("x1")
        .send()
        .await
        .refused("an unknown key");
    assert_eq!(error.code(), Some("InvalidClientTokenId"));
    assert_eq!(
        error.message(),
        Some("The security token included in the request is invalid.")
    );

    let client = sts(&emulator, own_keys(&emulator));
    let error = client
        .assume_role()
        .role_arn(ROLE_ARN)
        .role_session_name("x")
        .send()
        .await
        .refused("a one-character session name");
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
        .refused("more than twelve hours");
    assert_eq!(error.code(), Some("ValidationError"));
    let other_account = "arn:aws:iam::999999999999:role/not-trusting-you";
    let error = client
        .assume_role()
        .role_arn(other_account)
        .role_session_name("cross-account")
        .send()
        .await
        .refused("a role of another account");
    assert_eq!(error.code(), Some("AccessDenied"));
    assert!(
        error
            .message()
            .is_some_and(|message| message.contains(other_account)),
        "{error:?}"
    );
    let error = client
        .assume_role()
        .role_session_name("no-role")
        .send()
        .await
        .refused("no role ARN");
    assert_eq!(
        error.message(),
        Some(
            "1 validation error detected: Value null at 'roleArn' failed to satisfy constraint: \
             Member must not be null"
        )
    );
}
