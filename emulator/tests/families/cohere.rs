//! Cohere Command and Command R. Command shapes are compared with the OTel Command Light
//! cassette, the New Relic whole-reply stream and the dd-trace single- and multi-output streams;
//! Command R with the OTel Command R cassette. Finish reasons: `COMPLETE` and `MAX_TOKENS` for
//! Command, plus `STOP_SEQUENCE` for Command R.

use serde_json::{Value, json};

use crate::harness::{
    BLOG_PROMPT, harness, key_paths, malformed, number_at, recorded_bodies, recorded_stream,
    text_at, words,
};

const COMMAND: &str = "cohere.command-text-v14";
const COMMAND_R: &str = "cohere.command-r-v1:0";

fn notebook_body(extra: Value) -> Value {
    let mut body = json!({"prompt": BLOG_PROMPT, "max_tokens": 200});
    if let (Some(body), Value::Object(extra)) = (body.as_object_mut(), extra) {
        body.extend(extra);
    }
    body
}

#[tokio::test]
async fn command_answers_the_notebook_body_in_the_recorded_shape() {
    let harness = harness().await;
    let reply = harness.invoke(COMMAND, &notebook_body(json!({}))).await;
    let text = text_at(&reply, "/generations/0/text");
    assert!(text.starts_with("Command: Write me a blog"), "{text}");
    assert_eq!(reply["generations"][0]["finish_reason"], "COMPLETE");
    assert_eq!(reply["prompt"], BLOG_PROMPT);
    assert_eq!(
        harness.header_count("x-amzn-bedrock-output-token-count"),
        Some(words(text))
    );
    let recorded =
        recorded_bodies("otel-python-contrib/test_invoke_model_with_content[cohere.command].yaml");
    assert_eq!(key_paths(&reply), key_paths(&recorded[0]));
}

#[tokio::test]
async fn command_honours_max_tokens_and_stop_sequences() {
    let harness = harness().await;
    let cut = harness
        .invoke(COMMAND, &notebook_body(json!({"max_tokens": 5})))
        .await;
    assert_eq!(cut["generations"][0]["finish_reason"], "MAX_TOKENS");
    assert_eq!(words(text_at(&cut, "/generations/0/text")), 5);

    let default = harness
        .invoke(COMMAND, &json!({"prompt": BLOG_PROMPT}))
        .await;
    assert_eq!(default["generations"][0]["finish_reason"], "MAX_TOKENS");
    assert_eq!(
        words(text_at(&default, "/generations/0/text")),
        20,
        "documented default"
    );

    let stopped = harness
        .invoke(COMMAND, &notebook_body(json!({"stop_sequences": ["blog"]})))
        .await;
    assert_eq!(stopped["generations"][0]["finish_reason"], "COMPLETE");
    assert_eq!(
        text_at(&stopped, "/generations/0/text"),
        "Command: Write me a "
    );
}

#[tokio::test]
async fn command_streams_whole_replies_or_pieces_as_recorded() {
    let harness = harness().await;
    let whole = harness.stream(COMMAND, &notebook_body(json!({}))).await;
    assert_eq!(whole.len(), 1, "without stream: true the reply comes whole");
    let recorded_whole = recorded_stream(
        "newrelic__cohere.command-text-v14_What_is_212_degrees_Fahrenheit_converted_to_C",
    );
    assert_eq!(key_paths(&whole[0]), key_paths(&recorded_whole[0]));

    let pieces = harness
        .stream(
            COMMAND,
            &notebook_body(json!({"stream": true, "max_tokens": 10})),
        )
        .await;
    assert_eq!(pieces.len(), 11);
    let recorded_single = recorded_stream("dd-trace-py__cohere_invoke_stream_single_output__0");
    assert_eq!(key_paths(&pieces[0]), key_paths(&recorded_single[0]));
    assert_eq!(key_paths(&pieces[10]), key_paths(&recorded_single[10]));
    assert_eq!(pieces[10]["finish_reason"], "MAX_TOKENS");
    assert_eq!(
        number_at(
            &pieces[10],
            "/amazon-bedrock-invocationMetrics/outputTokenCount"
        ),
        10
    );

    let several = harness
        .stream(
            "cohere.command-light-text-v14",
            &notebook_body(json!({"stream": true, "max_tokens": 10, "num_generations": 2})),
        )
        .await;
    let recorded_multi = recorded_stream("dd-trace-py__cohere_invoke_stream_multi_output__0");
    assert_eq!(several.len(), recorded_multi.len());
    for (chunk, twin) in several.iter().zip(&recorded_multi) {
        assert_eq!(key_paths(chunk), key_paths(twin), "{chunk}");
        assert_eq!(chunk.get("index"), twin.get("index"), "generations in turn");
    }
    assert_eq!(
        number_at(
            &several[20],
            "/amazon-bedrock-invocationMetrics/inputTokenCount"
        ),
        2 * words(BLOG_PROMPT),
        "input counted per generation, as recorded"
    );
}

#[tokio::test]
async fn command_r_answers_and_streams() {
    let harness = harness().await;
    let body = json!({"message": BLOG_PROMPT, "max_tokens": 10, "stop_sequences": ["|"]});
    let reply = harness.invoke(COMMAND_R, &body).await;
    assert_eq!(reply["finish_reason"], "MAX_TOKENS");
    assert_eq!(words(text_at(&reply, "/text")), 10);
    let recorded = recorded_bodies(
        "otel-python-contrib/test_invoke_model_with_content[cohere.command-r].yaml",
    );
    assert_eq!(key_paths(&reply), key_paths(&recorded[0]));
    assert_eq!(reply["chat_history"][1]["message"], reply["text"]);

    let stopped = harness
        .invoke(
            COMMAND_R,
            &json!({"message": BLOG_PROMPT, "stop_sequences": ["strong"]}),
        )
        .await;
    assert_eq!(stopped["finish_reason"], "STOP_SEQUENCE");
    assert!(text_at(&stopped, "/text").ends_with("about making "));

    let chunks = harness.stream(COMMAND_R, &body).await;
    let events: Vec<&str> = chunks
        .iter()
        .filter_map(|chunk| chunk["event_type"].as_str())
        .collect();
    assert_eq!(events.len(), 12);
    assert_eq!(events[0], "stream-start");
    assert!(
        events[1..11]
            .iter()
            .all(|event| *event == "text-generation")
    );
    assert_eq!(events[11], "stream-end");
    assert_eq!(chunks[11]["response"]["text"], reply["text"]);
    assert_eq!(chunks[11]["finish_reason"], "MAX_TOKENS");
}

#[tokio::test]
async fn a_malformed_cohere_body_is_a_validation_exception() {
    let harness = harness().await;
    let error = harness
        .invoke_error(COMMAND, &json!({"text": BLOG_PROMPT, "max_tokens": 5000}))
        .await;
    assert_eq!(error.code, "ValidationException");
    assert_eq!(
        error.message,
        malformed(
            "#: extraneous key [text] is not permitted#: required key [prompt] not found\
             #/max_tokens: 5000 is not less or equal to 4096"
        )
    );
    let error = harness
        .stream_error(COMMAND_R, &json!({"message": 7}))
        .await;
    assert_eq!(error.code, "ValidationException");
    assert_eq!(
        error.message,
        malformed("#/message: expected type: String, found: Integer")
    );
}
