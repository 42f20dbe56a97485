//! Meta Llama. Shapes are compared with the OTel Llama 3.1 cassette and the dd-trace Llama 2
//! decoded stream. Llama has no stop-sequence parameter, so its stop reasons are `stop` for a
//! reply that ends by itself and `length` for one cut at `max_gen_len`.

use serde_json::{Value, json};

use crate::harness::{
    LLAMA_INSTRUCTION, LLAMA_PROMPT, harness, key_paths, malformed, number_at, recorded_bodies,
    recorded_stream, text_at, words,
};

const LLAMA3_8B: &str = "meta.llama3-8b-instruct-v1:0";

fn notebook_body(max_gen_len: u32) -> Value {
    json!({"prompt": LLAMA_PROMPT, "temperature": 0.5, "top_p": 0.9, "max_gen_len": max_gen_len})
}

#[tokio::test]
async fn llama_answers_the_notebook_body_in_the_recorded_shape() {
    let harness = harness().await;
    let reply = harness.invoke(LLAMA3_8B, &notebook_body(512)).await;
    let generation = text_at(&reply, "/generation");
    assert!(generation.starts_with(LLAMA_INSTRUCTION), "{generation}");
    assert!(!generation.contains("[INST]"), "{generation}");
    assert_eq!(reply["stop_reason"], "stop");
    assert_eq!(
        number_at(&reply, "/generation_token_count"),
        words(generation)
    );
    assert_eq!(
        number_at(&reply, "/prompt_token_count"),
        words(LLAMA_PROMPT)
    );
    assert_eq!(
        harness.header_count("x-amzn-bedrock-output-token-count"),
        Some(words(generation))
    );

    let recorded =
        recorded_bodies("otel-python-contrib/test_invoke_model_with_content[meta.llama].yaml");
    assert_eq!(key_paths(&reply), key_paths(&recorded[0]));
}

#[tokio::test]
async fn llama_honours_max_gen_len_in_both_operations() {
    let harness = harness().await;
    let cut = harness.invoke(LLAMA3_8B, &notebook_body(7)).await;
    assert_eq!(cut["stop_reason"], "length");
    assert_eq!(words(text_at(&cut, "/generation")), 7);
    assert_eq!(number_at(&cut, "/generation_token_count"), 7);

    let chunks = harness.stream(LLAMA3_8B, &notebook_body(7)).await;
    assert_eq!(chunks.len(), 7);
    let streamed: String = chunks
        .iter()
        .filter_map(|chunk| chunk["generation"].as_str())
        .collect();
    assert_eq!(streamed, text_at(&cut, "/generation"));
    assert_eq!(chunks[6]["stop_reason"], "length");
    assert!(
        chunks[..6]
            .iter()
            .all(|chunk| chunk["stop_reason"].is_null())
    );
}

#[tokio::test]
async fn llama_streams_the_notebook_body_with_the_recorded_keys() {
    let harness = harness().await;
    let chunks = harness.stream(LLAMA3_8B, &notebook_body(512)).await;
    let last = &chunks[chunks.len() - 1];
    assert_eq!(last["stop_reason"], "stop");
    assert_eq!(
        number_at(last, "/generation_token_count"),
        chunks.len() as u64,
        "a running count"
    );
    assert_eq!(
        number_at(&chunks[0], "/prompt_token_count"),
        words(LLAMA_PROMPT)
    );
    assert_eq!(
        number_at(last, "/amazon-bedrock-invocationMetrics/outputTokenCount"),
        chunks.len() as u64
    );

    let recorded = recorded_stream("dd-trace-py__meta_invoke_stream__0");
    assert_eq!(key_paths(&chunks[0]), key_paths(&recorded[0]));
    assert_eq!(key_paths(&chunks[1]), key_paths(&recorded[1]));
    assert_eq!(key_paths(last), key_paths(&recorded[recorded.len() - 1]));
    assert!(chunks[1]["prompt_token_count"].is_null());
}

#[tokio::test]
async fn a_malformed_llama_body_is_a_validation_exception() {
    let harness = harness().await;
    let error = harness
        .invoke_error(
            // Llama 3.1 is served only through an inference profile.
            "us.meta.llama3-1-70b-instruct-v1:0",
            &json!({"inputText": LLAMA_PROMPT, "max_gen_len": 0, "top_p": "high"}),
        )
        .await;
    assert_eq!(error.code, "ValidationException");
    assert_eq!(
        error.message,
        malformed(
            "#: extraneous key [inputText] is not permitted#: required key [prompt] not found\
             #/top_p: expected type: Number, found: String#/max_gen_len: 0 is not greater or \
             equal to 1"
        )
    );
}
