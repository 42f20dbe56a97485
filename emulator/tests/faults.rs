//! The faults that spoil the bytes of an answer, checked through the real
//! `aws-sdk-bedrockruntime` client over HTTP: a stream cut in the middle of a frame, a frame with
//! a wrong prelude or message CRC, one valid frame of a chosen (huge) size, a stream without end,
//! and an `InvokeModel` answer far larger than any real one. Each must reach the SDK as exactly
//! that, after the chunks that came before it intact, so that the host's tests built on them
//! test what they claim to.

use aws_sdk_bedrockruntime::Client;
use aws_sdk_bedrockruntime::error::SdkError;
use aws_sdk_bedrockruntime::primitives::Blob;
use aws_sdk_bedrockruntime::types::ResponseStream;
use aws_sdk_bedrockruntime::types::error::ResponseStreamError;
use aws_smithy_types::event_stream::RawMessage;
use aws_smithy_types::retry::RetryConfig;
use bedrock_emulator::{
    Behaviour, EmulatorConfig, HugeReply, RunningEmulator, StreamFault, StreamFaultAction,
};
use serde_json::{Value, json};

use support::clients::{Outcome, own_keys, sdk_config};
use support::emulator::{json_body, start};
use support::headers::ResponseHeaders;

mod support {
    pub mod clients;
    pub mod emulator;
    pub mod headers;
}

const HAIKU: &str = "anthropic.claude-3-haiku-20240307-v1:0";

/// A client that does not retry, and the headers of the last response it received.
fn client(emulator: &RunningEmulator) -> (Client, ResponseHeaders) {
    let headers = ResponseHeaders::default();
    let config =
        aws_sdk_bedrockruntime::config::Builder::from(&sdk_config(emulator, own_keys(emulator)))
            .retry_config(RetryConfig::disabled())
            .interceptor(headers.clone())
            .build();
    (Client::from_conf(config), headers)
}

fn story() -> Blob {
    json_body(&json!({
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 200,
        "messages": [{"role": "user", "content": "tell me a story about rivers"}],
    }))
}

/// An emulator whose next stream breaks after `after_chunks` chunks with `action`.
async fn emulator_with(after_chunks: u32, action: StreamFaultAction) -> RunningEmulator {
    start(EmulatorConfig {
        behaviour: Behaviour {
            stream_fault: Some(StreamFault {
                count: 1,
                after_chunks,
                action,
            }),
            ..Behaviour::default()
        },
        ..EmulatorConfig::default()
    })
    .await
}

type StreamError = SdkError<ResponseStreamError, RawMessage>;

/// The model JSON of up to `limit` chunks, and how the stream ended (`None`: normally; not
/// reached when `limit` chunks came first).
async fn read_stream(client: &Client, limit: usize) -> (Vec<Vec<u8>>, Option<StreamError>) {
    let mut output = client
        .invoke_model_with_response_stream()
        .model_id(HAIKU)
        .body(story())
        .send()
        .await
        .accepted("InvokeModelWithResponseStream");
    let mut chunks = Vec::new();
    while chunks.len() < limit {
        match output.body.recv().await {
            Ok(Some(ResponseStream::Chunk(part))) => {
                chunks.push(
                    part.bytes()
                        .map(|b| b.as_ref().to_vec())
                        .unwrap_or_default(),
                );
            }
            Ok(Some(other)) => panic!("unexpected stream member {other:?}"),
            Ok(None) => return (chunks, None),
            Err(error) => return (chunks, Some(error)),
        }
    }
    (chunks, None)
}

/// The whole text of an error and its sources.
fn described(error: &StreamError) -> String {
    let mut text = format!("{error}");
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}

/// The chunks of a healthy stream, to compare the faulty ones with.
async fn healthy_chunks() -> Vec<Vec<u8>> {
    let emulator = start(EmulatorConfig::default()).await;
    let (client, _) = client(&emulator);
    let (chunks, error) = read_stream(&client, usize::MAX).await;
    assert!(error.is_none(), "a healthy stream ends normally");
    assert!(chunks.len() > 4);
    chunks
}

fn model_json(chunk: &[u8]) -> Value {
    serde_json::from_slice(chunk).expect("model JSON")
}

#[tokio::test]
async fn a_frame_cut_in_half_ends_the_stream_with_an_error_after_the_earlier_chunks() {
    let emulator = emulator_with(2, StreamFaultAction::TruncatedFrame).await;
    let (client, _) = client(&emulator);
    let (chunks, error) = read_stream(&client, usize::MAX).await;
    assert_eq!(chunks.len(), 2);
    let error = error.expect("a half frame is not a clean end");
    assert!(
        !matches!(error, SdkError::ServiceError(_)),
        "a cut frame is not a service error: {error:?}"
    );
    assert!(
        described(&error).contains("end of stream"),
        "{}",
        described(&error)
    );
}

#[tokio::test]
async fn a_wrong_prelude_or_message_crc_is_refused_by_the_sdk() {
    for (action, what) in [
        (StreamFaultAction::BadPreludeCrc, "prelude checksum"),
        (StreamFaultAction::BadMessageCrc, "message checksum"),
    ] {
        let emulator = emulator_with(3, action).await;
        let (client, _) = client(&emulator);
        let (chunks, error) = read_stream(&client, usize::MAX).await;
        assert_eq!(chunks.len(), 3, "{what}");
        let error = error.expect("a spoiled frame is refused");
        assert!(described(&error).contains(what), "{}", described(&error));
    }
}

#[tokio::test]
async fn a_huge_chunk_is_one_valid_frame_of_the_asked_size() {
    let payload_bytes = 3 * 1024 * 1024;
    let emulator = emulator_with(1, StreamFaultAction::HugeChunk { payload_bytes }).await;
    let (client, _) = client(&emulator);
    let (chunks, error) = read_stream(&client, usize::MAX).await;
    assert!(error.is_none(), "the huge frame is valid: {error:?}");
    assert_eq!(chunks.len(), 2);
    assert_eq!(model_json(&chunks[0])["type"], "message_start");
    assert!(chunks[1].is_empty(), "the huge chunk carries no model JSON");
}

#[tokio::test]
async fn an_endless_stream_repeats_its_last_chunk_past_any_real_length() {
    let healthy = healthy_chunks().await;
    let emulator = emulator_with(3, StreamFaultAction::Endless).await;
    let (client, _) = client(&emulator);
    let limit = healthy.len() * 20;
    let (chunks, error) = read_stream(&client, limit).await;
    assert!(error.is_none(), "{error:?}");
    assert_eq!(chunks.len(), limit, "the stream did not end");
    let types = |chunks: &[Vec<u8>]| -> Vec<Value> {
        chunks
            .iter()
            .map(|chunk| model_json(chunk)["type"].clone())
            .collect()
    };
    assert_eq!(types(&chunks[..3]), types(&healthy[..3]));
    assert_eq!(model_json(&chunks[2])["type"], "content_block_delta");
    assert!(chunks[3..].iter().all(|chunk| *chunk == chunks[2]));
}

#[tokio::test]
async fn a_huge_reply_has_exactly_the_asked_size_with_or_without_its_length() {
    let bytes = 5 * 1024 * 1024 + 3;
    for declare_length in [false, true] {
        let emulator = start(EmulatorConfig {
            behaviour: Behaviour {
                huge_reply: Some(HugeReply {
                    count: 1,
                    bytes,
                    declare_length,
                }),
                ..Behaviour::default()
            },
            ..EmulatorConfig::default()
        })
        .await;
        let (client, headers) = client(&emulator);
        let output = client
            .invoke_model()
            .model_id(HAIKU)
            .body(story())
            .send()
            .await
            .accepted("InvokeModel");
        let body = output.body().as_ref();
        assert_eq!(body.len() as u64, bytes);
        let padding = model_json(body)["p"].as_str().map(str::len);
        assert_eq!(padding, Some(bytes as usize - 8));
        assert_eq!(
            headers.get("content-length"),
            declare_length.then(|| bytes.to_string())
        );
        assert_eq!(emulator.behaviour(), Behaviour::default(), "used up");
    }
}

#[tokio::test]
async fn a_huge_reply_waits_for_the_request_checks() {
    let emulator = start(EmulatorConfig {
        behaviour: Behaviour {
            huge_reply: Some(HugeReply {
                count: 1,
                bytes: 100,
                declare_length: false,
            }),
            ..Behaviour::default()
        },
        ..EmulatorConfig::default()
    })
    .await;
    let (client, _) = client(&emulator);
    let refused = client
        .invoke_model()
        .model_id("no.such-model-v1:0")
        .body(story())
        .send()
        .await
        .refused("an unknown model is still refused");
    assert!(refused.is_validation_exception(), "{refused:?}");
    assert!(
        emulator.behaviour().huge_reply.is_some(),
        "a refused request does not use up the huge reply"
    );
    let output = client
        .invoke_model()
        .model_id(HAIKU)
        .body(story())
        .send()
        .await
        .accepted("InvokeModel");
    assert_eq!(output.body().as_ref().len(), 100);
}
