//! Bearer-token (Bedrock API key) authentication as the real SDKs do it from the environment:
//! with `AWS_BEARER_TOKEN_BEDROCK` set, `aws-sdk-bedrockruntime` and `aws-sdk-bedrock` built from
//! `aws_config` send `Authorization: Bearer <token>` instead of signing. The environment is only
//! read at client construction, and changing this process's environment is unsound while other
//! threads run, so each check runs this test binary again as a child process whose environment
//! is exactly [`RunningEmulator::client_environment`] without any AWS key pair: success then
//! proves the token was sent and accepted.

use std::process::{Command, Output};

use aws_sdk_bedrockruntime::error::ProvideErrorMetadata;
use bedrock_emulator::{EmulatorConfig, RunningEmulator};
use serde_json::json;

use support::emulator::{json_body, start};

mod support {
    pub mod emulator;
}

/// Tells the child test what to expect: `accepted`, or the error code it must get.
const EXPECT: &str = "BEDROCK_EMULATOR_BEARER_TEST_EXPECT";
const API_KEY: &str = "bedrock-api-key-from-the-environment";
const CHILD: &str = "child_calls_bedrock_with_the_environment_it_was_given";

/// The child half: a no-op unless the parent test started it.
#[tokio::test]
async fn child_calls_bedrock_with_the_environment_it_was_given() {
    let Ok(expected) = std::env::var(EXPECT) else {
        return;
    };
    let sdk_config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let body = json!({
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 5,
        "messages": [{"role": "user", "content": "hello"}],
    });
    let invoked = aws_sdk_bedrockruntime::Client::new(&sdk_config)
        .invoke_model()
        .model_id("anthropic.claude-3-haiku-20240307-v1:0")
        .body(json_body(&body))
        .send()
        .await;
    let listed = aws_sdk_bedrock::Client::new(&sdk_config)
        .list_foundation_models()
        .send()
        .await;
    if expected == "accepted" {
        let output = invoked.unwrap_or_else(|error| panic!("{:?}", error.into_service_error()));
        assert!(!output.body().as_ref().is_empty());
        let models = listed.unwrap_or_else(|error| panic!("{:?}", error.into_service_error()));
        assert!(!models.model_summaries().is_empty());
    } else {
        let error = invoked.expect_err("refused").into_service_error();
        assert_eq!(error.code(), Some(expected.as_str()));
        let error = listed.expect_err("refused").into_service_error();
        assert_eq!(
            aws_sdk_bedrock::error::ProvideErrorMetadata::code(&error),
            Some(expected.as_str())
        );
    }
}

/// An emulator that accepts `bearer_token` as a Bedrock API key.
async fn start_with_token(bearer_token: &str) -> RunningEmulator {
    start(EmulatorConfig {
        bearer_token: Some(bearer_token.to_owned()),
        ..EmulatorConfig::default()
    })
    .await
}

/// Runs the child test with `environment` and no other AWS settings, waiting off the runtime
/// so the emulator keeps serving.
async fn run_child(environment: Vec<(&'static str, String)>, expect: &str) -> Output {
    let executable = std::env::current_exe().expect("the test binary knows its path");
    let mut command = Command::new(executable);
    command.args(["--exact", CHILD, "--nocapture", "--test-threads=1"]);
    for (name, _) in std::env::vars() {
        if name.starts_with("AWS_") {
            command.env_remove(name);
        }
    }
    command
        .env(
            "AWS_CONFIG_FILE",
            "/nonexistent/bedrock-emulator-test-config",
        )
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/bedrock-emulator-test-credentials",
        )
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env(EXPECT, expect)
        .envs(environment);
    tokio::task::spawn_blocking(move || command.output())
        .await
        .expect("the waiting thread finishes")
        .expect("the child test runs")
}

/// The emulator's client environment without the key pair, so only the token can authenticate.
fn token_only_environment(emulator: &RunningEmulator, token: &str) -> Vec<(&'static str, String)> {
    let mut environment: Vec<(&'static str, String)> = emulator
        .client_environment()
        .into_iter()
        .filter(|(name, _)| {
            !matches!(
                *name,
                "AWS_ACCESS_KEY_ID" | "AWS_SECRET_ACCESS_KEY" | "AWS_BEARER_TOKEN_BEDROCK"
            )
        })
        .collect();
    environment.push(("AWS_BEARER_TOKEN_BEDROCK", token.to_owned()));
    environment
}

fn assert_child_passed(output: &Output) {
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains("1 passed"),
        "child test failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[tokio::test]
async fn the_sdks_send_aws_bearer_token_bedrock_and_it_is_accepted() {
    let emulator = start_with_token(API_KEY).await;
    let environment = emulator.client_environment();
    assert!(environment.contains(&("AWS_BEARER_TOKEN_BEDROCK", API_KEY.to_owned())));
    let output = run_child(token_only_environment(&emulator, API_KEY), "accepted").await;
    assert_child_passed(&output);
}

#[tokio::test]
async fn another_token_from_the_environment_is_refused() {
    let emulator = start_with_token(API_KEY).await;
    let output = run_child(
        token_only_environment(&emulator, "someone-elses-api-key"),
        "UnrecognizedClientException",
    )
    .await;
    assert_child_passed(&output);
}
