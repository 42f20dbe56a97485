//! Mistral AI. Text-completion shapes are compared with the OTel Mistral 7B cassette and the New
//! Relic Mistral 7B decoded stream; stop reasons are `stop` (natural end or stop sequence) and
//! `length`.

use serde_json::{Value, json};

use crate::harness::{
    LLAMA_INSTRUCTION, LLAMA_PROMPT, harness, key_paths, malformed, recorded_bodies,
    recorded_stream, text_at, words,
};

const MIXTRAL: &str = "mistral.mixtral-8x7b-instruct-v0:1";

fn notebook_body(extra: Value) -> Value {
    let mut body =
        json!({"prompt": LLAMA_PROMPT, "max_tokens": 500, "top_p": 0.9, "temperature": 0.2});
    if let (Some(body), Value::Object(extra)) = (body.as_object_mut(), extra) {
        body.extend(extra);
    }
    body
}

#[tokio::test]
async fn mixtral_answers_the_notebook_body_in_the_recorded_shape() {
    let harness = harness().await;
    let reply = harness.invoke(MIXTRAL, &notebook_body(json!({}))).await;
    let text = text_at(&reply, "/outputs/0/text");
    assert!(text.starts_with(LLAMA_INSTRUCTION), "{text}");
    assert_eq!(reply["outputs"][0]["stop_reason"], "stop");
    assert_eq!(reply["outputs"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        harness.header_count("x-amzn-bedrock-output-token-count"),
        Some(words(text))
    );
    assert_eq!(
        harness.header_count("x-amzn-bedrock-input-token-count"),
        Some(words(LLAMA_PROMPT))
    );
    let recorded =
        recorded_bodies("otel-python-contrib/test_invoke_model_with_content[mistral.mistral].yaml");
    assert_eq!(key_paths(&reply), key_paths(&recorded[0]));
}

#[tokio::test]
async fn mixtral_streams_the_notebook_body_with_the_recorded_keys() {
    let harness = harness().await;
    let body = notebook_body(json!({}));
    let chunks = harness.stream(MIXTRAL, &body).await;
    let invoked = harness.invoke(MIXTRAL, &body).await;
    let streamed: String = chunks
        .iter()
        .filter_map(|chunk| chunk.pointer("/outputs/0/text").and_then(Value::as_str))
        .collect();
    assert_eq!(streamed, text_at(&invoked, "/outputs/0/text"));
    let last = &chunks[chunks.len() - 1];
    assert_eq!(last["outputs"][0]["stop_reason"], "stop");
    assert_eq!(
        last["amazon-bedrock-invocationMetrics"]["outputTokenCount"],
        json!(words(&streamed))
    );

    let recorded = recorded_stream(
        "newrelic__mistral.mistral-7b-instruct-v0_3A2_s_INST_What_is_212_degrees_Fahr",
    );
    assert_eq!(key_paths(&chunks[0]), key_paths(&recorded[0]));
    assert_eq!(key_paths(last), key_paths(&recorded[recorded.len() - 1]));
    assert!(chunks[0]["outputs"][0]["stop_reason"].is_null());
}

#[tokio::test]
async fn mistral_honours_max_tokens_and_stop_sequences() {
    let harness = harness().await;
    let cut = harness
        .invoke(MIXTRAL, &notebook_body(json!({"max_tokens": 6})))
        .await;
    assert_eq!(cut["outputs"][0]["stop_reason"], "length");
    assert_eq!(words(text_at(&cut, "/outputs/0/text")), 6);
    assert_eq!(
        harness.header_count("x-amzn-bedrock-output-token-count"),
        Some(6)
    );

    let stopped = harness
        .invoke(
            MIXTRAL,
            &notebook_body(json!({"stop": ["strong", "zebra"]})),
        )
        .await;
    assert_eq!(stopped["outputs"][0]["stop_reason"], "stop");
    assert_eq!(
        text_at(&stopped, "/outputs/0/text"),
        "Write me a blog about making "
    );

    let chunks = harness
        .stream(
            "mistral.mistral-7b-instruct-v0:2",
            &notebook_body(json!({"max_tokens": 4})),
        )
        .await;
    assert_eq!(chunks.len(), 4);
    assert_eq!(chunks[3]["outputs"][0]["stop_reason"], "length");
}

#[tokio::test]
async fn mistral_large_2407_speaks_chat_completion() {
    let harness = harness().await;
    let body = json!({
        "messages": [{"role": "user", "content": LLAMA_INSTRUCTION}],
        "max_tokens": 3
    });
    let reply = harness
        .invoke("mistral.mistral-large-2407-v1:0", &body)
        .await;
    assert_eq!(reply["choices"][0]["message"]["role"], "assistant");
    assert_eq!(text_at(&reply, "/choices/0/message/content"), "Write me a");
    assert_eq!(reply["choices"][0]["stop_reason"], "length");
    let chunks = harness
        .stream("mistral.mistral-large-2407-v1:0", &body)
        .await;
    assert_eq!(chunks.len(), 3);
    assert_eq!(chunks[2]["choices"][0]["stop_reason"], "length");
    assert!(chunks[2].get("amazon-bedrock-invocationMetrics").is_some());
}

#[tokio::test]
async fn a_malformed_mistral_body_is_a_validation_exception() {
    let harness = harness().await;
    let error = harness
        .invoke_error(MIXTRAL, &json!({"max_tokens": "500", "stop": [1]}))
        .await;
    assert_eq!(error.code, "ValidationException");
    assert_eq!(
        error.message,
        malformed(
            "#: required key [prompt] not found#/max_tokens: expected type: Integer, found: \
             String#/stop/0: expected type: String, found: Integer"
        )
    );
}
