//! Anthropic Claude's contract-0.2 features through the real SDK: tool calls, extended thinking,
//! attachments and prompt caching. Every recorded tool-call and prompt-cache request
//! (otel-python-contrib's Claude tool-call cassettes and streams, langchaingo's Anthropic tool
//! calling trace, openllmetry's prompt-cache cassette) is accepted as recorded, and the answers
//! have the recorded answers' shapes, block by block and stream event by stream event.

use std::collections::{BTreeMap, BTreeSet};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use crate::harness::{
    harness, httprr_request_bodies, key_paths, key_paths_without, number_at, recorded_bodies,
    recorded_requests, recorded_stream,
};

const HAIKU: &str = "anthropic.claude-3-haiku-20240307-v1:0";
const TOOL_CALL_CASSETTES: &[&str] = &[
    "otel-python-contrib/test_invoke_model_with_content_tool_call[anthropic.claude].yaml",
    "otel-python-contrib/test_invoke_model_no_content_tool_call[anthropic.claude].yaml",
];
/// Each streamed cassette and the decoded streams of its two interactions.
const STREAMED_TOOL_CALLS: &[(&str, &str)] = &[
    (
        "otel-python-contrib/test_invoke_model_with_response_stream_with_content_tool_call[anthropic.claude].yaml",
        "otel-python-contrib__test_invoke_model_with_response_stream_with_content_tool_call_anthropic.claude",
    ),
    (
        "otel-python-contrib/test_invoke_model_with_response_stream_no_content_tool_call[anthropic.claude].yaml",
        "otel-python-contrib__test_invoke_model_with_response_stream_no_content_tool_call_anthropic.claude",
    ),
];
const PROMPT_CACHE: &str = "openllmetry/traces__cassettes__test_anthropic__test_prompt_cache.yaml";

/// The key paths of each kind of content block in `content`, by block type.
fn block_shapes(content: &Value) -> BTreeMap<String, BTreeSet<String>> {
    let mut shapes: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for block in content.as_array().into_iter().flatten() {
        let kind = block["type"].as_str().unwrap_or_default().to_owned();
        shapes.entry(kind).or_default().extend(key_paths(block));
    }
    shapes
}

/// Asserts every block kind of `ours` has the key paths of the same kind in `recorded`.
fn assert_blocks_as_recorded(ours: &Value, recorded: &Value) {
    let recorded = block_shapes(recorded);
    for (kind, paths) in block_shapes(ours) {
        assert_eq!(
            Some(&paths),
            recorded.get(&kind),
            "{kind} block shape differs from the recording"
        );
    }
}

/// `body` with `tool_choice` forcing the tool `name`.
fn forcing(body: &Value, name: &str) -> Value {
    let mut forced = body.clone();
    forced["tool_choice"] = json!({"type": "tool", "name": name});
    forced
}

/// The event name of a Claude stream chunk: its `type`, with the block or delta type it carries.
fn event_kind(chunk: &Value) -> String {
    let inner = chunk["content_block"]["type"]
        .as_str()
        .or_else(|| chunk["delta"]["type"].as_str());
    match (chunk["type"].as_str().unwrap_or_default(), inner) {
        (kind, Some(inner)) => format!("{kind}:{inner}"),
        (kind, None) => kind.to_owned(),
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
async fn recorded_tool_call_requests_are_answered_in_the_recorded_shapes() {
    let harness = harness().await;
    for cassette in TOOL_CALL_CASSETTES {
        let requests = recorded_requests(cassette);
        let recorded = recorded_bodies(cassette);
        assert_eq!(requests.len(), 2, "{cassette}");
        assert_eq!(recorded.len(), 2, "{cassette}");
        for ((model_id, request), recorded) in requests.iter().zip(&recorded) {
            let reply = harness.invoke(model_id, request).await;
            assert_eq!(
                key_paths_without(&reply, &["content"]),
                key_paths_without(recorded, &["content"]),
                "{cassette}"
            );
            assert_blocks_as_recorded(&reply["content"], &recorded["content"]);
            // The recorded prompts do not name the tool, so the model answers in text.
            assert_eq!(reply["stop_reason"], "end_turn", "{cassette}");

            let forced = harness
                .invoke(model_id, &forcing(request, "get_current_weather"))
                .await;
            assert_eq!(forced["stop_reason"], "tool_use");
            assert_eq!(forced["content"][0]["name"], "get_current_weather");
            assert_eq!(
                forced["content"][0]["input"],
                json!({"location": "example"})
            );
        }
        // The first recorded answer calls the tool: the forced call has its block shape.
        let forced = harness
            .invoke(
                &requests[0].0,
                &forcing(&requests[0].1, "get_current_weather"),
            )
            .await;
        assert_blocks_as_recorded(&forced["content"], &recorded[0]["content"]);
        assert!(block_shapes(&recorded[0]["content"]).contains_key("tool_use"));
    }
}

#[tokio::test]
async fn recorded_streamed_tool_call_requests_stream_the_recorded_events() {
    let harness = harness().await;
    for (cassette, decoded) in STREAMED_TOOL_CALLS {
        let requests = recorded_requests(cassette);
        assert_eq!(requests.len(), 2, "{cassette}");
        let first_recorded = recorded_stream(&format!("{decoded}__0"));
        let recorded_shapes = event_shapes(&first_recorded);
        let (model_id, request) = &requests[0];
        let chunks = harness
            .stream(model_id, &forcing(request, "get_current_weather"))
            .await;
        for (kind, paths) in event_shapes(&chunks) {
            assert_eq!(
                Some(&paths),
                recorded_shapes.get(&kind),
                "{cassette}: {kind} differs from the recording"
            );
        }
        let input: String = chunks
            .iter()
            .filter_map(|chunk| chunk["delta"]["partial_json"].as_str())
            .collect();
        assert_eq!(input, r#"{"location":"example"}"#);
        assert!(
            chunks
                .iter()
                .any(|chunk| chunk["delta"]["stop_reason"] == "tool_use")
        );

        // The answer to the tool results streams text, in the recorded event shapes.
        let (model_id, request) = &requests[1];
        let chunks = harness.stream(model_id, request).await;
        let recorded_shapes = event_shapes(&recorded_stream(&format!("{decoded}__1")));
        for (kind, paths) in event_shapes(&chunks) {
            assert_eq!(
                Some(&paths),
                recorded_shapes.get(&kind),
                "{cassette}: {kind}"
            );
        }
    }
}

#[tokio::test]
async fn langchaingo_tool_calling_requests_are_accepted_and_called_by_name() {
    let harness = harness().await;
    let bodies = httprr_request_bodies("langchaingo/TestBedrockAnthropicToolCalling.httprr");
    assert_eq!(bodies.len(), 2);
    for body in &bodies {
        let reply = harness.invoke(HAIKU, body).await;
        assert_eq!(reply["type"], "message");
    }
    let mut naming = bodies[1].clone();
    naming["messages"][0]["content"][0]["text"] = json!("Please use calculate for 123 * 456.");
    let reply = harness.invoke(HAIKU, &naming).await;
    assert_eq!(reply["stop_reason"], "tool_use");
    assert_eq!(reply["content"][0]["name"], "calculate");
}

#[tokio::test]
async fn the_recorded_prompt_cache_request_writes_then_reads() {
    let harness = harness().await;
    let requests = recorded_requests(PROMPT_CACHE);
    let recorded = recorded_bodies(PROMPT_CACHE);
    assert_eq!(requests.len(), 2);
    let mut written = 0;
    for (turn, ((model_id, request), recorded)) in requests.iter().zip(&recorded).enumerate() {
        let reply = harness.invoke(model_id, request).await;
        assert_eq!(key_paths(&reply), key_paths(recorded));
        let write = number_at(&reply, "/usage/cache_creation_input_tokens");
        let read = number_at(&reply, "/usage/cache_read_input_tokens");
        assert_eq!(
            harness.header_count("x-amzn-bedrock-cache-write-input-token-count"),
            Some(write)
        );
        assert_eq!(
            harness.header_count("x-amzn-bedrock-cache-read-input-token-count"),
            Some(read)
        );
        if turn == 0 {
            assert!(write > 0);
            assert_eq!(read, 0);
            written = write;
        } else {
            assert_eq!((write, read), (0, written));
        }
    }
}

#[tokio::test]
async fn thinking_and_an_image_go_through_the_sdk_invoked_and_streamed() {
    let harness = harness().await;
    let png = STANDARD.encode(b"\x89PNG\r\n\x1a\nthe rest of a picture");
    let body = json!({
        "anthropic_version": "bedrock-2023-05-31", "max_tokens": 4000,
        "thinking": {"type": "enabled", "budget_tokens": 2000},
        "messages": [{"role": "user", "content": [
            {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": png}},
            {"type": "text", "text": "What is in this picture?"}]}]
    });
    let reply = harness.invoke(HAIKU, &body).await;
    assert_eq!(reply["content"][0]["type"], "thinking");
    assert_eq!(reply["content"][1]["type"], "text");
    assert!(reply["usage"].get("cache_read_input_tokens").is_none());

    let chunks = harness.stream(HAIKU, &body).await;
    let kinds: Vec<String> = chunks.iter().map(event_kind).collect();
    assert_eq!(kinds[1], "content_block_start:thinking");
    assert!(kinds.contains(&"content_block_delta:thinking_delta".to_owned()));
    let signature = chunks
        .iter()
        .find_map(|chunk| chunk["delta"]["signature"].as_str());
    assert_eq!(signature, reply["content"][0]["signature"].as_str());

    let error = harness
        .invoke_error(HAIKU, &{
            let mut wrong = body.clone();
            wrong["messages"][0]["content"][0]["source"]["media_type"] = json!("image/gif");
            wrong
        })
        .await;
    assert_eq!(error.code, "ValidationException");
    assert!(
        error
            .message
            .contains("Image does not match the provided media type image/gif")
    );
}
