//! Amazon Nova's contract-0.2 features through the real SDK: tool calls (invoked and streamed),
//! tool results, images and cache points. Every recorded Nova tool-call request
//! (otel-python-contrib's cassettes and decoded streams, with and without content) is accepted
//! as recorded, and the answers have the recorded answers' shapes, block by block and stream
//! event by stream event.

use std::collections::{BTreeMap, BTreeSet};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use crate::harness::{
    harness, key_paths, key_paths_without, number_at, recorded_bodies, recorded_requests,
    recorded_stream,
};

const NOVA_LITE: &str = "amazon.nova-lite-v1:0";
const TOOL_CALL_CASSETTES: &[&str] = &[
    "otel-python-contrib/test_invoke_model_with_content_tool_call[amazon.nova].yaml",
    "otel-python-contrib/test_invoke_model_no_content_tool_call[amazon.nova].yaml",
];
/// Each streamed cassette and the decoded streams of its two interactions.
const STREAMED_TOOL_CALLS: &[(&str, &str)] = &[
    (
        "otel-python-contrib/test_invoke_model_with_response_stream_with_content_tool_call[amazon.nova].yaml",
        "otel-python-contrib__test_invoke_model_with_response_stream_with_content_tool_call_amazon.nova",
    ),
    (
        "otel-python-contrib/test_invoke_model_with_response_stream_no_content_tool_call[amazon.nova].yaml",
        "otel-python-contrib__test_invoke_model_with_response_stream_no_content_tool_call_amazon.nova",
    ),
];
const TOOL: &str = "get_current_weather";

/// The key paths of each kind of content block (named by its one key), by kind.
fn block_shapes(content: &Value) -> BTreeMap<String, BTreeSet<String>> {
    let mut shapes: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for block in content.as_array().into_iter().flatten() {
        let kind = block
            .as_object()
            .and_then(|object| object.keys().next())
            .cloned()
            .unwrap_or_default();
        shapes.entry(kind).or_default().extend(key_paths(block));
    }
    shapes
}

fn assert_blocks_as_recorded(ours: &Value, recorded: &Value) {
    let recorded = block_shapes(recorded);
    for (kind, paths) in block_shapes(ours) {
        assert_eq!(Some(&paths), recorded.get(&kind), "{kind} block shape");
    }
}

/// `body` with a `toolChoice` forcing the recorded tool.
fn forcing(body: &Value) -> Value {
    let mut forced = body.clone();
    forced["toolConfig"]["toolChoice"] = json!({"tool": {"name": TOOL}});
    forced
}

/// A Nova stream chunk's event: its key, with what its `start` or `delta` carries.
fn event_kind(chunk: &Value) -> String {
    let Some((event, inner)) = chunk
        .as_object()
        .and_then(|object| object.iter().find(|(key, _)| !key.starts_with("amazon-")))
    else {
        return String::new();
    };
    let carried = ["start", "delta"]
        .iter()
        .find_map(|key| inner.get(*key))
        .and_then(Value::as_object)
        .and_then(|object| object.keys().next());
    match carried {
        Some(carried) => format!("{event}:{carried}"),
        None => event.clone(),
    }
}

fn event_shapes(chunks: &[Value]) -> BTreeMap<String, BTreeSet<String>> {
    let mut shapes: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for chunk in chunks {
        shapes
            .entry(event_kind(chunk))
            .or_default()
            .extend(key_paths(chunk));
    }
    shapes
}

#[tokio::test]
async fn recorded_nova_tool_call_requests_are_answered_in_the_recorded_shapes() {
    let harness = harness().await;
    for cassette in TOOL_CALL_CASSETTES {
        let requests = recorded_requests(cassette);
        let recorded = recorded_bodies(cassette);
        assert_eq!((requests.len(), recorded.len()), (2, 2), "{cassette}");
        for ((model_id, request), recorded) in requests.iter().zip(&recorded) {
            let reply = harness.invoke(model_id, request).await;
            assert_eq!(
                key_paths_without(&reply, &["output"]),
                key_paths_without(recorded, &["output"]),
                "{cassette}"
            );
            let content = &reply["output"]["message"]["content"];
            assert_blocks_as_recorded(content, &recorded["output"]["message"]["content"]);

            let forced = harness.invoke(model_id, &forcing(request)).await;
            assert_eq!(forced["stopReason"], "tool_use");
            let call = &forced["output"]["message"]["content"][0]["toolUse"];
            assert_eq!(call["name"], TOOL);
            assert_eq!(call["input"], json!({"location": "example"}));
        }
        let forced = harness
            .invoke(&requests[0].0, &forcing(&requests[0].1))
            .await;
        let recorded_content = &recorded[0]["output"]["message"]["content"];
        assert!(block_shapes(recorded_content).contains_key("toolUse"));
        assert_blocks_as_recorded(&forced["output"]["message"]["content"], recorded_content);
    }
}

#[tokio::test]
async fn recorded_nova_streamed_tool_calls_stream_the_recorded_events() {
    let harness = harness().await;
    for (cassette, decoded) in STREAMED_TOOL_CALLS {
        let requests = recorded_requests(cassette);
        assert_eq!(requests.len(), 2, "{cassette}");
        for (turn, (model_id, request)) in requests.iter().enumerate() {
            let recorded = event_shapes(&recorded_stream(&format!("{decoded}__{turn}")));
            let body = if turn == 0 {
                forcing(request)
            } else {
                request.clone()
            };
            let chunks = harness.stream(model_id, &body).await;
            for (kind, paths) in event_shapes(&chunks) {
                assert_eq!(Some(&paths), recorded.get(&kind), "{cassette}: {kind}");
            }
            if turn == 0 {
                let input = chunks.iter().find_map(|chunk| {
                    chunk["contentBlockDelta"]["delta"]["toolUse"]["input"].as_str()
                });
                assert_eq!(input, Some(r#"{"location":"example"}"#));
                assert!(
                    chunks
                        .iter()
                        .any(|chunk| chunk["messageStop"]["stopReason"] == "tool_use")
                );
            }
        }
    }
}

#[tokio::test]
async fn an_image_and_a_cache_point_go_through_the_sdk() {
    let harness = harness().await;
    let png = STANDARD.encode(b"\x89PNG\r\n\x1a\nthe rest of a picture");
    let body = json!({
        "schemaVersion": "messages-v1",
        "system": [{"text": "You describe pictures in one short line."},
                   {"cachePoint": {"type": "default"}}],
        "messages": [{"role": "user", "content": [
            {"image": {"format": "png", "source": {"bytes": png}}},
            {"text": "What is this?"}]}],
        "inferenceConfig": {"maxTokens": 50}
    });
    let first = harness.invoke(NOVA_LITE, &body).await;
    let written = number_at(&first, "/usage/cacheWriteInputTokenCount");
    assert!(written > 0);
    assert_eq!(
        harness.header_count("x-amzn-bedrock-cache-write-input-token-count"),
        Some(written)
    );
    let chunks = harness.stream(NOVA_LITE, &body).await;
    let metadata = chunks.last().expect("a metadata chunk");
    assert_eq!(
        number_at(metadata, "/metadata/usage/cacheReadInputTokenCount"),
        written
    );
    assert_eq!(
        number_at(
            metadata,
            "/amazon-bedrock-invocationMetrics/cacheReadInputTokenCount"
        ),
        written
    );

    let mut wrong = body.clone();
    wrong["messages"][0]["content"][0]["image"]["format"] = json!("gif");
    let error = harness.invoke_error(NOVA_LITE, &wrong).await;
    assert_eq!(error.code, "ValidationException");
    assert!(
        error.message.contains("is not a valid gif file"),
        "{}",
        error.message
    );
}
