//! Amazon Nova and Titan Text. Nova shapes are compared with the OTel Nova cassettes and decoded
//! streams; Titan with dd-trace `amazon_invoke.yaml`, the OTel single-chunk stream and the
//! openllmetry multi-chunk stream (whose guardrail annotations are left out of the comparison).

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::harness::{
    BLOG_PROMPT, harness, key_paths, key_paths_without, malformed, number_at, recorded_bodies,
    recorded_stream, text_at, words,
};

const NOVA_LITE: &str = "amazon.nova-lite-v1:0";
const TITAN_EXPRESS: &str = "amazon.titan-text-express-v1";
/// Keys only guardrail-annotated recordings carry.
const GUARDRAIL_KEYS: &[&str] = &["amazon-bedrock-guardrailAction", "amazon-bedrock-trace"];

/// The notebook's Nova body, with `inference` merged into its `inferenceConfig`.
fn nova_body(inference: Value) -> Value {
    let mut config = json!({"max_new_tokens": 250, "top_p": 0.9, "top_k": 20, "temperature": 0.7});
    if let (Some(config), Value::Object(extra)) = (config.as_object_mut(), inference) {
        config.extend(extra);
    }
    json!({
        "schemaVersion": "messages-v1",
        "messages": [{"role": "user", "content": [{"text": BLOG_PROMPT}]}],
        "inferenceConfig": config,
    })
}

fn titan_body(config: Value) -> Value {
    json!({"inputText": BLOG_PROMPT, "textGenerationConfig": config})
}

/// The first top-level key of a Nova stream chunk, which names its event.
fn event_name(chunk: &Value) -> &str {
    chunk
        .as_object()
        .and_then(|object| object.keys().find(|key| !key.starts_with("amazon-bedrock")))
        .map_or("", String::as_str)
}

#[tokio::test]
async fn nova_answers_the_notebook_body_in_the_recorded_shape() {
    let harness = harness().await;
    let reply = harness.invoke(NOVA_LITE, &nova_body(json!({}))).await;

    let text = text_at(&reply, "/output/message/content/0/text");
    assert!(text.starts_with("Command: Write me a blog"), "{text}");
    assert_eq!(reply["output"]["message"]["role"], "assistant");
    assert_eq!(reply["stopReason"], "end_turn");
    let output_tokens = number_at(&reply, "/usage/outputTokens");
    assert_eq!(output_tokens, words(text));
    assert_eq!(number_at(&reply, "/usage/inputTokens"), words(BLOG_PROMPT));
    assert_eq!(
        number_at(&reply, "/usage/totalTokens"),
        words(BLOG_PROMPT) + output_tokens
    );
    assert_eq!(
        harness.header_count("x-amzn-bedrock-output-token-count"),
        Some(output_tokens)
    );
    assert_eq!(
        harness.header_count("x-amzn-bedrock-input-token-count"),
        Some(words(BLOG_PROMPT))
    );

    let recorded = recorded_bodies(
        "otel-python-contrib/test_invoke_model_no_content_different_events[amazon.nova].yaml",
    );
    assert_eq!(recorded.len(), 1);
    assert_eq!(key_paths(&reply), key_paths(&recorded[0]));
}

#[tokio::test]
async fn nova_streams_the_notebook_body_in_the_recorded_event_shapes() {
    let harness = harness().await;
    let body = nova_body(json!({}));
    let chunks = harness.stream(NOVA_LITE, &body).await;
    let invoked = harness.invoke(NOVA_LITE, &body).await;

    let names: Vec<&str> = chunks.iter().map(event_name).collect();
    assert_eq!(names.first(), Some(&"messageStart"));
    assert_eq!(names[names.len() - 2..], ["messageStop", "metadata"]);
    for (position, pair) in names[1..names.len() - 2].chunks(2).enumerate() {
        assert_eq!(pair, ["contentBlockDelta", "contentBlockStop"]);
        let index = position as u64;
        assert_eq!(
            number_at(
                &chunks[1 + 2 * position],
                "/contentBlockDelta/contentBlockIndex"
            ),
            index
        );
        assert_eq!(
            number_at(
                &chunks[2 + 2 * position],
                "/contentBlockStop/contentBlockIndex"
            ),
            index
        );
    }
    let streamed: String = chunks
        .iter()
        .filter_map(|chunk| chunk.pointer("/contentBlockDelta/delta/text"))
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(
        streamed,
        text_at(&invoked, "/output/message/content/0/text")
    );
    let last = &chunks[chunks.len() - 1];
    assert_eq!(
        chunks[chunks.len() - 2]["messageStop"]["stopReason"],
        "end_turn"
    );
    assert_eq!(
        last["amazon-bedrock-invocationMetrics"]["outputTokenCount"],
        invoked["usage"]["outputTokens"]
    );
    assert_eq!(
        last["metadata"]["usage"]["inputTokens"],
        invoked["usage"]["inputTokens"]
    );

    let recorded = recorded_stream(
        "otel-python-contrib__test_invoke_model_with_response_stream_no_content_amazon.nova__0",
    );
    for chunk in &chunks {
        let twin = recorded
            .iter()
            .find(|candidate| event_name(candidate) == event_name(chunk))
            .unwrap_or_else(|| panic!("no recorded {} chunk", event_name(chunk)));
        assert_eq!(key_paths(chunk), key_paths(twin), "{chunk}");
    }
}

#[tokio::test]
async fn nova_honours_max_new_tokens_and_stop_sequences() {
    let harness = harness().await;
    let cut = harness
        .invoke(NOVA_LITE, &nova_body(json!({"max_new_tokens": 5})))
        .await;
    assert_eq!(cut["stopReason"], "max_tokens");
    assert_eq!(words(text_at(&cut, "/output/message/content/0/text")), 5);
    assert_eq!(number_at(&cut, "/usage/outputTokens"), 5);

    // The cross-region profile id the openllmetry recording uses reaches the same model.
    let stopped = harness
        .invoke(
            "us.amazon.nova-lite-v1:0",
            &nova_body(json!({"stopSequences": ["blog"]})),
        )
        .await;
    assert_eq!(stopped["stopReason"], "stop_sequence");
    assert_eq!(
        text_at(&stopped, "/output/message/content/0/text"),
        "Command: Write me a "
    );

    let chunks = harness
        .stream(NOVA_LITE, &nova_body(json!({"max_new_tokens": 3})))
        .await;
    let deltas = chunks
        .iter()
        .filter(|chunk| chunk.get("contentBlockDelta").is_some())
        .count();
    assert_eq!(deltas, 3);
    assert!(
        chunks
            .iter()
            .any(|chunk| chunk["messageStop"]["stopReason"] == "max_tokens")
    );
}

#[tokio::test]
async fn a_malformed_nova_body_is_a_validation_exception() {
    let harness = harness().await;
    let error = harness
        .invoke_error(
            NOVA_LITE,
            &json!({"schemaVersion": "messages-v1", "prompt": BLOG_PROMPT, "inferenceConfig": {"max_new_tokens": "many"}}),
        )
        .await;
    assert_eq!(error.code, "ValidationException");
    assert_eq!(
        error.message,
        malformed(
            "#: extraneous key [prompt] is not permitted#: required key [messages] not found\
             #/inferenceConfig/max_new_tokens: expected type: Integer, found: String"
        )
    );
    let stream_error = harness
        .stream_error(NOVA_LITE, &json!({"messages": []}))
        .await;
    assert_eq!(stream_error.code, "ValidationException");
    assert_eq!(
        stream_error.message,
        malformed("#/messages: expected minimum item count: 1, found: 0")
    );
}

#[tokio::test]
async fn titan_answers_with_the_recorded_shape_and_completion_reasons() {
    let harness = harness().await;
    let natural = harness
        .invoke(TITAN_EXPRESS, &titan_body(json!({"temperature": 0.5})))
        .await;
    assert_eq!(natural["results"][0]["completionReason"], "FINISH");
    let text = text_at(&natural, "/results/0/outputText");
    assert!(text.starts_with("Command: Write me a blog"), "{text}");
    assert_eq!(number_at(&natural, "/results/0/tokenCount"), words(text));
    assert_eq!(
        number_at(&natural, "/inputTextTokenCount"),
        words(BLOG_PROMPT)
    );
    assert_eq!(
        harness.header_count("x-amzn-bedrock-output-token-count"),
        Some(words(text))
    );
    let recorded = recorded_bodies("dd-trace-py/amazon_invoke.yaml");
    assert_eq!(key_paths(&natural), key_paths(&recorded[0]));

    let cut = harness
        .invoke(TITAN_EXPRESS, &titan_body(json!({"maxTokenCount": 8})))
        .await;
    assert_eq!(cut["results"][0]["completionReason"], "LENGTH");
    assert_eq!(number_at(&cut, "/results/0/tokenCount"), 8);

    let stopped = harness
        .invoke(
            TITAN_EXPRESS,
            &titan_body(json!({"stopSequences": ["leader"]})),
        )
        .await;
    assert_eq!(
        stopped["results"][0]["completionReason"],
        "STOP_CRITERIA_MET"
    );
    let text = text_at(&stopped, "/results/0/outputText");
    assert!(!text.contains("leader"), "{text}");
    assert!(text.ends_with("decisions as a "), "{text}");
}

#[tokio::test]
async fn titan_streams_chunks_with_the_recorded_keys() {
    let harness = harness().await;
    let short = harness
        .stream(TITAN_EXPRESS, &titan_body(json!({"maxTokenCount": 10})))
        .await;
    assert_eq!(short.len(), 1, "a short reply is one chunk");
    assert_eq!(short[0]["completionReason"], "LENGTH");
    assert_eq!(short[0]["totalOutputTextTokenCount"], 10);
    let recorded_short = recorded_stream(
        "otel-python-contrib__test_invoke_model_with_response_stream_no_content_amazon.titan__0",
    );
    assert_eq!(key_paths(&short[0]), key_paths(&recorded_short[0]));

    let body = titan_body(json!({"maxTokenCount": 40}));
    let long = harness.stream(TITAN_EXPRESS, &body).await;
    assert!(long.len() > 2, "{} chunks", long.len());
    let recorded_long =
        recorded_stream("openllmetry__traces__cassettes__test_titan__test_titan_invoke_stream__0");
    let shape = |chunk: &Value| key_paths_without(chunk, GUARDRAIL_KEYS);
    assert_eq!(key_paths(&long[0]), shape(&recorded_long[0]));
    assert_eq!(key_paths(&long[1]), shape(&recorded_long[1]));
    let mut last_recorded: BTreeSet<String> = shape(&recorded_long[2]);
    // The recording's last chunk lacks the metrics only because a guardrail intervened.
    last_recorded.extend(
        key_paths(&recorded_short[0])
            .into_iter()
            .filter(|path| path.starts_with("amazon-bedrock-invocationMetrics")),
    );
    assert_eq!(key_paths(&long[long.len() - 1]), last_recorded);

    let invoked = harness.invoke(TITAN_EXPRESS, &body).await;
    let streamed: String = long
        .iter()
        .filter_map(|chunk| chunk["outputText"].as_str())
        .collect();
    assert_eq!(streamed, text_at(&invoked, "/results/0/outputText"));
    assert_eq!(long[long.len() - 1]["completionReason"], "LENGTH");
}

#[tokio::test]
async fn a_malformed_titan_body_is_a_validation_exception() {
    let harness = harness().await;
    let error = harness
        .invoke_error(
            "amazon.titan-text-lite-v1",
            &json!({"inputText": 42, "textGenerationConfig": {"maxTokenCount": 5000, "topP": 1.5}}),
        )
        .await;
    assert_eq!(error.code, "ValidationException");
    assert_eq!(
        error.message,
        malformed(
            "#/inputText: expected type: String, found: Integer#/textGenerationConfig/topP: 1.5 \
             is not less or equal to 1#/textGenerationConfig/maxTokenCount: 5000 is not less or \
             equal to 4096"
        )
    );
}
