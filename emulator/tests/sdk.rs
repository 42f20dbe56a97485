//! End-to-end checks of the local Bedrock through the real `aws-sdk-bedrockruntime` client over
//! HTTP: the SDK signs with SigV4, percent-encodes model ids, parses event streams and classifies
//! errors exactly as it does against AWS, so anything the emulator gets wrong on the wire shows
//! up here as a failed call or a wrongly typed error.

use std::time::Duration;

use aws_config::SdkConfig;
use aws_sdk_bedrockruntime::Client;
use aws_sdk_bedrockruntime::config::Token;
use aws_sdk_bedrockruntime::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_bedrockruntime::operation::invoke_model::{InvokeModelError, InvokeModelOutput};
use aws_sdk_bedrockruntime::primitives::Blob;
use aws_sdk_bedrockruntime::types::ResponseStream;
use aws_sdk_bedrockruntime::types::error::ResponseStreamError;
use aws_smithy_types::retry::RetryConfig;
use bedrock_emulator::{
    Behaviour, CONTROL_PATH, DEFAULT_REGION, EmulatorConfig, InjectedError, RunningEmulator,
    StreamFault, StreamFaultAction, TEST_ACCESS_KEY_ID, TEST_SECRET_ACCESS_KEY,
};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use support::clients::{Outcome, keys, own_keys, sdk_config, unsigned_config};
use support::emulator::{json_body, start};
use support::headers::ResponseHeaders;

mod support {
    pub mod clients;
    pub mod emulator;
    pub mod headers;
}

const HAIKU: &str = "anthropic.claude-3-haiku-20240307-v1:0";
const HAIKU_ARN: &str =
    "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0";
const HAIKU_PROFILE_ARN: &str = "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-haiku-20240307-v1:0";

/// A runtime client config from `shared` settings, retrying quickly.
fn client_config(shared: &SdkConfig) -> aws_sdk_bedrockruntime::config::Builder {
    aws_sdk_bedrockruntime::config::Builder::from(shared)
        .retry_config(RetryConfig::standard().with_initial_backoff(Duration::from_millis(10)))
}

/// A client signing with `credentials`, and the headers of the last response it received.
fn client_with(
    emulator: &RunningEmulator,
    credentials: aws_credential_types::Credentials,
) -> (Client, ResponseHeaders) {
    let headers = ResponseHeaders::default();
    let config = client_config(&sdk_config(emulator, credentials))
        .interceptor(headers.clone())
        .build();
    (Client::from_conf(config), headers)
}

fn client(emulator: &RunningEmulator) -> (Client, ResponseHeaders) {
    client_with(emulator, own_keys(emulator))
}

fn messages_body(prompt: &str, max_tokens: u32, stop_sequences: &[&str]) -> Blob {
    let mut body = json!({
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": max_tokens,
        "messages": [{"role": "user", "content": [{"type": "text", "text": prompt}]}],
    });
    if !stop_sequences.is_empty() {
        body["stop_sequences"] = json!(stop_sequences);
    }
    json_body(&body)
}

/// The smallest valid Messages body.
fn hi() -> Blob {
    messages_body("hi", 5, &[])
}

async fn invoke(client: &Client, model_id: &str, body: Blob) -> InvokeModelOutput {
    client
        .invoke_model()
        .model_id(model_id)
        .content_type("application/json")
        .accept("application/json")
        .body(body)
        .send()
        .await
        .accepted("InvokeModel")
}

/// The JSON reply of `InvokeModel`.
async fn invoke_json(client: &Client, model_id: &str, body: Blob) -> Value {
    json_of(invoke(client, model_id, body).await.body().as_ref())
}

/// The error of an `InvokeModel` that must be refused (`why` says why it must).
async fn invoke_refused(
    client: &Client,
    model_id: &str,
    body: Blob,
    why: &str,
) -> InvokeModelError {
    client
        .invoke_model()
        .model_id(model_id)
        .body(body)
        .send()
        .await
        .refused(why)
}

fn json_of(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).expect("the body is JSON")
}

fn text_of(message: &Value) -> &str {
    message["content"][0]["text"]
        .as_str()
        .expect("a text block")
}

fn word_count(text: &str) -> u64 {
    text.split_whitespace().count() as u64
}

/// Chunks and the error (if any) a stream delivered, each chunk decoded as model JSON.
struct StreamOutcome {
    chunks: Vec<Value>,
    error: Option<SdkError<ResponseStreamError, aws_smithy_types::event_stream::RawMessage>>,
}

async fn stream(client: &Client, model_id: &str, body: Blob) -> StreamOutcome {
    let mut output = client
        .invoke_model_with_response_stream()
        .model_id(model_id)
        .content_type("application/json")
        .accept("application/json")
        .body(body)
        .send()
        .await
        .accepted("InvokeModelWithResponseStream");
    assert_eq!(output.content_type(), "application/json");
    let mut chunks = Vec::new();
    let error = loop {
        match output.body.recv().await {
            Ok(Some(ResponseStream::Chunk(part))) => {
                let bytes = part.bytes().expect("a chunk carries bytes");
                chunks.push(json_of(bytes.as_ref()));
            }
            Ok(Some(other)) => panic!("unexpected stream member {other:?}"),
            Ok(None) => break None,
            Err(error) => break Some(error),
        }
    };
    StreamOutcome { chunks, error }
}

/// The `type` of every Messages stream event.
fn event_types(chunks: &[Value]) -> Vec<&str> {
    chunks
        .iter()
        .filter_map(|chunk| chunk["type"].as_str())
        .collect()
}

fn streamed_text(chunks: &[Value]) -> String {
    chunks
        .iter()
        .filter(|chunk| chunk["type"] == "content_block_delta")
        .filter_map(|chunk| chunk["delta"]["text"].as_str())
        .collect()
}

#[tokio::test]
async fn invoke_returns_a_claude_message_with_token_headers() {
    let emulator = start(EmulatorConfig::default()).await;
    let (client, headers) = client(&emulator);
    let prompt = "summarize the plot of the lord of the rings in a dozen words";
    let output = invoke(&client, HAIKU, messages_body(prompt, 500, &[])).await;

    assert_eq!(output.content_type(), "application/json");
    let message = json_of(output.body().as_ref());
    assert_eq!(message["type"], "message");
    assert_eq!(message["role"], "assistant");
    assert_eq!(message["model"], "claude-3-haiku-20240307");
    assert_eq!(message["stop_reason"], "end_turn");
    assert_eq!(message["stop_sequence"], Value::Null);
    let text = text_of(&message);
    assert!(
        text.starts_with(prompt),
        "the reply restates the prompt: {text}"
    );
    let output_tokens = message["usage"]["output_tokens"].as_u64().expect("a count");
    assert_eq!(output_tokens, word_count(text));
    assert!((30..=120).contains(&output_tokens));
    assert_eq!(message["usage"]["input_tokens"], word_count(prompt));

    assert_eq!(
        headers.get("x-amzn-bedrock-input-token-count"),
        Some(word_count(prompt).to_string())
    );
    assert_eq!(
        headers.get("x-amzn-bedrock-output-token-count"),
        Some(output_tokens.to_string())
    );
    assert!(headers.get("x-amzn-bedrock-invocation-latency").is_some());
    let request_id = headers.get("x-amzn-requestid").expect("a request id");
    assert!(uuid::Uuid::parse_str(&request_id).is_ok(), "{request_id}");

    let again = invoke_json(&client, HAIKU, messages_body(prompt, 500, &[])).await;
    assert_eq!(text_of(&again), text, "same request, same text");
}

#[tokio::test]
async fn stream_delivers_the_recorded_event_sequence_and_metrics() {
    let emulator = start(EmulatorConfig::default()).await;
    let (client, _) = client(&emulator);
    let prompt = "what is 212 degrees Fahrenheit converted to Celsius?";
    let outcome = stream(&client, HAIKU, messages_body(prompt, 500, &[])).await;
    assert!(outcome.error.is_none());

    let chunks = outcome.chunks;
    let types = event_types(&chunks);
    assert_eq!(types.first(), Some(&"message_start"));
    assert_eq!(types.get(1), Some(&"content_block_start"));
    assert_eq!(
        &types[types.len() - 3..],
        ["content_block_stop", "message_delta", "message_stop"]
    );
    let text = streamed_text(&chunks);
    assert!(text.starts_with(prompt));
    let deltas = types
        .iter()
        .filter(|kind| **kind == "content_block_delta")
        .count() as u64;
    assert_eq!(deltas, word_count(&text), "one delta per word");

    let message_delta = &chunks[chunks.len() - 2];
    assert_eq!(message_delta["delta"]["stop_reason"], "end_turn");
    assert_eq!(message_delta["usage"]["output_tokens"], word_count(&text));
    let metrics = &chunks[chunks.len() - 1]["amazon-bedrock-invocationMetrics"];
    assert_eq!(metrics["inputTokenCount"], word_count(prompt));
    assert_eq!(metrics["outputTokenCount"], word_count(&text));
    assert!(metrics["invocationLatency"].is_u64());
    assert!(metrics["firstByteLatency"].is_u64());

    let invoked = invoke_json(&client, HAIKU, messages_body(prompt, 500, &[])).await;
    assert_eq!(text_of(&invoked), text, "streamed and invoked text agree");
}

#[tokio::test]
async fn ids_with_colons_profiles_and_arns_all_reach_the_model() {
    let emulator = start(EmulatorConfig::default()).await;
    let (client, _) = client(&emulator);
    for model_id in [
        HAIKU,
        "us.anthropic.claude-3-haiku-20240307-v1:0",
        "global.anthropic.claude-3-haiku-20240307-v1:0",
        HAIKU_ARN,
        HAIKU_PROFILE_ARN,
    ] {
        let reply = invoke_json(&client, model_id, messages_body("hello there", 5, &[])).await;
        assert_eq!(reply["model"], "claude-3-haiku-20240307", "{model_id}");
        let outcome = stream(&client, model_id, messages_body("hello there", 5, &[])).await;
        assert!(outcome.error.is_none(), "{model_id}");
        assert!(
            streamed_text(&outcome.chunks).starts_with("hello there"),
            "{model_id}"
        );
    }
}

#[tokio::test]
async fn an_unknown_model_is_a_typed_validation_exception() {
    let emulator = start(EmulatorConfig::default()).await;
    let (client, _) = client(&emulator);
    for model_id in ["does-not-exist", "us.does-not-exist-model-v1:0"] {
        let error = invoke_refused(&client, model_id, hi(), "unknown model").await;
        assert!(error.is_validation_exception(), "{error:?}");
        assert_eq!(
            error.message(),
            Some("The provided model identifier is invalid.")
        );
    }
    let error = client
        .invoke_model_with_response_stream()
        .model_id("does-not-exist")
        .body(hi())
        .send()
        .await
        .refused("unknown model");
    assert!(error.is_validation_exception(), "{error:?}");
}

#[tokio::test]
async fn a_missing_max_tokens_is_a_malformed_input_validation_exception() {
    let emulator = start(EmulatorConfig::default()).await;
    let (client, _) = client(&emulator);
    let body = json!({
        "anthropic_version": "bedrock-2023-05-31",
        "messages": [{"role": "user", "content": "hi"}],
    });
    let error = invoke_refused(&client, HAIKU, json_body(&body), "invalid body").await;
    assert!(error.is_validation_exception(), "{error:?}");
    assert_eq!(
        error.message(),
        Some(
            "Malformed input request: #: required key [max_tokens] not found, please reformat \
             your input and try again."
        )
    );
}

#[tokio::test]
async fn a_wrong_secret_is_an_invalid_signature() {
    let emulator = start(EmulatorConfig::default()).await;
    let (client, _) = client_with(&emulator, keys(emulator.access_key_id(), "not-the-secret"));
    let error = client
        .invoke_model()
        .model_id(HAIKU)
        .body(hi())
        .send()
        .await
        .expect_err("bad signature");
    let status = error
        .raw_response()
        .map(|response| response.status().as_u16());
    assert_eq!(status, Some(403));
    let error = error.into_service_error();
    assert!(
        error.meta().code() == Some("InvalidSignatureException"),
        "{error:?}"
    );
    assert_eq!(
        error.message(),
        Some(
            "The request signature we calculated does not match the signature you provided. \
             Check your AWS Secret Access Key and signing method. Consult the service \
             documentation for details."
        )
    );
}

#[tokio::test]
async fn an_unknown_access_key_is_an_unrecognized_client() {
    let emulator = start(EmulatorConfig::default()).await;
    let (client, _) = client_with(&emulator, keys("AKIDSOMEONEELSE", "x"));
    let error = invoke_refused(&client, HAIKU, hi(), "unknown key").await;
    assert_eq!(error.meta().code(), Some("UnrecognizedClientException"));
}

#[tokio::test]
async fn a_bedrock_api_key_is_accepted_as_a_bearer_token() {
    let emulator = start(EmulatorConfig {
        bearer_token: Some("bedrock-api-key-for-tests".to_owned()),
        ..EmulatorConfig::default()
    })
    .await;
    let bearer_client = |token: &str| {
        Client::from_conf(
            client_config(&unsigned_config(&emulator))
                .bearer_token(Token::new(token, None))
                .build(),
        )
    };
    let reply = invoke_json(&bearer_client("bedrock-api-key-for-tests"), HAIKU, hi()).await;
    assert_eq!(reply["type"], "message");
    let error = invoke_refused(&bearer_client("some-other-key"), HAIKU, hi(), "wrong token").await;
    assert_eq!(error.meta().code(), Some("UnrecognizedClientException"));
}

#[tokio::test]
async fn max_tokens_and_stop_sequences_are_honoured() {
    let emulator = start(EmulatorConfig::default()).await;
    let (client, headers) = client(&emulator);
    let prompt = "please describe the lighthouse at dawn in great detail";

    let limited = invoke_json(&client, HAIKU, messages_body(prompt, 4, &[])).await;
    assert_eq!(limited["stop_reason"], "max_tokens");
    assert_eq!(text_of(&limited), "please describe the lighthouse");
    assert_eq!(limited["usage"]["output_tokens"], 4);
    assert_eq!(
        headers.get("x-amzn-bedrock-output-token-count").as_deref(),
        Some("4")
    );

    let stopped = invoke_json(
        &client,
        HAIKU,
        messages_body(prompt, 500, &["never", "lighthouse"]),
    )
    .await;
    assert_eq!(stopped["stop_reason"], "stop_sequence");
    assert_eq!(stopped["stop_sequence"], "lighthouse");
    assert_eq!(text_of(&stopped), "please describe the ");
    assert_eq!(stopped["usage"]["output_tokens"], 3);

    let streamed = stream(&client, HAIKU, messages_body(prompt, 500, &["lighthouse"])).await;
    assert_eq!(streamed_text(&streamed.chunks), "please describe the ");
    let message_delta = &streamed.chunks[streamed.chunks.len() - 2];
    assert_eq!(
        message_delta["delta"],
        json!({"stop_reason": "stop_sequence", "stop_sequence": "lighthouse"})
    );
}

#[tokio::test]
async fn legacy_text_completions_work_for_claude_2() {
    let emulator = start(EmulatorConfig::default()).await;
    let (client, _) = client(&emulator);
    let body = json_body(&json!({
        "prompt": "\n\nHuman: What makes you better than other assistants?\n\nAssistant:",
        "max_tokens_to_sample": 300,
        "stop_sequences": ["\n\nHuman:"],
    }));
    let completion = invoke_json(&client, "anthropic.claude-v2", body.clone()).await;
    assert!(
        completion["completion"]
            .as_str()
            .is_some_and(|text| text.starts_with(" What makes you better")),
        "{completion}"
    );
    assert_eq!(completion["stop_reason"], "stop_sequence");
    assert_eq!(completion["stop"], "\n\nHuman:");

    let streamed = stream(&client, "anthropic.claude-v2", body).await;
    let last = streamed.chunks.last().expect("chunks");
    assert_eq!(last["completion"], "");
    assert!(last["amazon-bedrock-invocationMetrics"]["outputTokenCount"].is_u64());
    let text: String = streamed
        .chunks
        .iter()
        .filter_map(|chunk| chunk["completion"].as_str())
        .collect();
    assert_eq!(Some(text.as_str()), completion["completion"].as_str());
}

/// A behaviour that breaks the next stream after `after_chunks` chunks with `action`.
fn one_stream_fault(after_chunks: u32, action: StreamFaultAction) -> Behaviour {
    Behaviour {
        stream_fault: Some(StreamFault {
            count: 1,
            after_chunks,
            action,
        }),
        ..Behaviour::default()
    }
}

#[tokio::test]
async fn an_injected_exception_frame_arrives_as_a_typed_stream_error_after_earlier_chunks() {
    let emulator = start(EmulatorConfig::default()).await;
    emulator
        .set_behaviour(one_stream_fault(
            3,
            StreamFaultAction::Exception {
                exception_type: "modelStreamErrorException".into(),
                message: "The system encountered an unexpected error during processing. \
                          Try your request again."
                    .into(),
            },
        ))
        .expect("a valid behaviour");
    let (client, _) = client(&emulator);

    let broken = stream(&client, HAIKU, messages_body("tell me a story", 200, &[])).await;
    assert_eq!(
        event_types(&broken.chunks),
        [
            "message_start",
            "content_block_start",
            "content_block_delta"
        ]
    );
    let error = broken.error.expect("the stream fails").into_service_error();
    match &error {
        ResponseStreamError::ModelStreamErrorException(exception) => assert_eq!(
            exception.message(),
            Some(
                "The system encountered an unexpected error during processing. Try your request again."
            )
        ),
        other => panic!("expected a ModelStreamErrorException, got {other:?}"),
    }

    let healthy = stream(&client, HAIKU, messages_body("tell me a story", 200, &[])).await;
    assert!(
        healthy.error.is_none(),
        "the fault applied to one stream only"
    );
}

#[tokio::test]
async fn an_injected_disconnect_cuts_the_stream() {
    let emulator = start(EmulatorConfig {
        behaviour: one_stream_fault(2, StreamFaultAction::Disconnect),
        ..EmulatorConfig::default()
    })
    .await;
    let (client, _) = client(&emulator);
    let outcome = stream(&client, HAIKU, messages_body("tell me a story", 200, &[])).await;
    assert_eq!(outcome.chunks.len(), 2);
    let error = outcome.error.expect("the stream is cut");
    assert!(
        !matches!(error, SdkError::ServiceError(_)),
        "a cut connection is not a service error: {error:?}"
    );
}

#[tokio::test]
async fn injected_errors_reach_the_sdk_and_are_retried_like_real_throttling() {
    let emulator = start(EmulatorConfig::default()).await;
    let throttling = |count| Behaviour {
        fail_requests: Some(InjectedError {
            count,
            status: 429,
            error_type: "ThrottlingException".into(),
            message: "Too many requests, please wait before trying again.".into(),
        }),
        ..Behaviour::default()
    };
    let (client, _) = client(&emulator);

    emulator.set_behaviour(throttling(1)).expect("valid");
    let reply = invoke_json(&client, HAIKU, hi()).await;
    assert_eq!(reply["type"], "message", "the retry succeeded");
    assert_eq!(
        emulator.behaviour(),
        Behaviour::default(),
        "the one failure was used up"
    );

    emulator.set_behaviour(throttling(10)).expect("valid");
    let error = invoke_refused(&client, HAIKU, hi(), "every attempt throttled").await;
    assert!(error.is_throttling_exception(), "{error:?}");
    assert_eq!(
        error.message(),
        Some("Too many requests, please wait before trying again.")
    );
}

/// Sends one HTTP/1.1 request with a raw socket and returns the status line and body.
async fn raw_http(
    emulator: &RunningEmulator,
    method: &str,
    path: &str,
    body: &str,
) -> (String, String) {
    let mut socket = tokio::net::TcpStream::connect(emulator.local_addr())
        .await
        .expect("connects");
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        emulator.local_addr(),
        body.len()
    );
    socket.write_all(request.as_bytes()).await.expect("sends");
    let mut response = String::new();
    socket.read_to_string(&mut response).await.expect("reads");
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    let status_line = head.lines().next().unwrap_or_default().to_owned();
    (status_line, body.to_owned())
}

#[tokio::test]
async fn the_control_endpoint_sets_behaviour_without_authentication() {
    let emulator = start(EmulatorConfig::default()).await;
    let (status, body) = raw_http(
        &emulator,
        "POST",
        CONTROL_PATH,
        r#"{"fail_requests": {"status": 503, "error_type": "ServiceUnavailableException",
            "message": "Bedrock is unable to process your request."}, "first_byte_delay_ms": 1}"#,
    )
    .await;
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert_eq!(json_of(body.as_bytes())["fail_requests"]["count"], 1);
    assert_eq!(emulator.behaviour().first_byte_delay_ms, 1);

    let (status, body) = raw_http(
        &emulator,
        "POST",
        CONTROL_PATH,
        r#"{"fail_requests": {"status": 200}}"#,
    )
    .await;
    assert_eq!(status, "HTTP/1.1 400 Bad Request");
    assert!(json_of(body.as_bytes())["message"].is_string());

    let (status, _) = raw_http(&emulator, "POST", "/model/x/invoke", "{}").await;
    assert_eq!(
        status, "HTTP/1.1 403 Forbidden",
        "Bedrock routes still need authentication"
    );
}

#[tokio::test]
async fn the_documented_defaults_and_shutdown_hold() {
    let emulator = start(EmulatorConfig::default()).await;
    assert_eq!(emulator.access_key_id(), TEST_ACCESS_KEY_ID);
    assert_eq!(emulator.secret_access_key(), TEST_SECRET_ACCESS_KEY);
    assert_eq!(emulator.region(), DEFAULT_REGION);
    assert!(emulator.endpoint().starts_with("http://127.0.0.1:"));
    assert_eq!(emulator.bearer_token(), None);
    let names: Vec<&str> = emulator
        .client_environment()
        .iter()
        .map(|(name, _)| *name)
        .collect();
    assert_eq!(
        names,
        [
            "AWS_ENDPOINT_URL_BEDROCK_RUNTIME",
            "AWS_ENDPOINT_URL_BEDROCK",
            "AWS_ENDPOINT_URL_STS",
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_REGION"
        ]
    );
    let address = emulator.local_addr();
    emulator.shutdown().await;
    assert!(
        tokio::net::TcpStream::connect(address).await.is_err(),
        "nothing listens after shutdown"
    );
}

#[tokio::test]
async fn delays_apply_and_frames_arrive_as_they_are_generated() {
    let emulator = start(EmulatorConfig {
        behaviour: Behaviour {
            first_byte_delay_ms: 150,
            chunk_delay_ms: 40,
            ..Behaviour::default()
        },
        ..EmulatorConfig::default()
    })
    .await;
    let (client, _) = client(&emulator);
    let started = std::time::Instant::now();
    let mut output = client
        .invoke_model_with_response_stream()
        .model_id(HAIKU)
        .body(messages_body("one two three four five six", 6, &[]))
        .send()
        .await
        .expect("stream starts");
    assert!(
        started.elapsed() >= Duration::from_millis(150),
        "time to first byte"
    );

    let mut arrivals = Vec::new();
    while let Some(event) = output.body.recv().await.expect("no stream error") {
        assert!(matches!(event, ResponseStream::Chunk(_)));
        arrivals.push(std::time::Instant::now());
    }
    // message_start, content_block_start, six deltas, content_block_stop, message_delta, message_stop
    assert_eq!(arrivals.len(), 11);
    let spread = arrivals[arrivals.len() - 1] - arrivals[0];
    assert!(
        spread >= Duration::from_millis(40 * 9),
        "frames were delivered one by one, not buffered: {spread:?}"
    );
}
