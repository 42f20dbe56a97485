//! AI21 Labs Jamba. Nothing was recorded for Jamba (see the fixtures' README), so the expected
//! shapes below are the ones in AWS's Jamba parameter page ("Model invocation response body
//! field"): an OpenAI-like `choices` / `usage` body, and OpenAI-style `delta` stream chunks.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::harness::{BLOG_PROMPT, harness, key_paths, malformed, number_at, text_at, words};

const JAMBA: &str = "ai21.jamba-instruct-v1:0";

fn notebook_body(extra: Value) -> Value {
    let mut body =
        json!({"messages": [{"role": "user", "content": BLOG_PROMPT}], "max_tokens": 200});
    if let (Some(body), Value::Object(extra)) = (body.as_object_mut(), extra) {
        body.extend(extra);
    }
    body
}

fn paths(list: &[&str]) -> BTreeSet<String> {
    list.iter().map(|path| (*path).to_owned()).collect()
}

#[tokio::test]
async fn jamba_answers_the_notebook_body_in_the_documented_shape() {
    let harness = harness().await;
    let reply = harness.invoke(JAMBA, &notebook_body(json!({}))).await;
    let content = text_at(&reply, "/choices/0/message/content");
    assert!(content.starts_with("Command: Write me a blog"), "{content}");
    assert_eq!(reply["choices"][0]["finish_reason"], "stop");
    assert_eq!(
        number_at(&reply, "/usage/completion_tokens"),
        words(content)
    );
    assert_eq!(
        number_at(&reply, "/usage/prompt_tokens"),
        words(BLOG_PROMPT) + 1
    );
    assert_eq!(
        number_at(&reply, "/usage/total_tokens"),
        number_at(&reply, "/usage/prompt_tokens") + words(content)
    );
    assert_eq!(
        harness.header_count("x-amzn-bedrock-output-token-count"),
        Some(words(content))
    );
    assert_eq!(
        key_paths(&reply),
        paths(&[
            "id",
            "choices",
            "choices[].index",
            "choices[].message",
            "choices[].message.role",
            "choices[].message.content",
            "choices[].finish_reason",
            "usage",
            "usage.prompt_tokens",
            "usage.completion_tokens",
            "usage.total_tokens",
        ])
    );
    assert!(text_at(&reply, "/id").starts_with("chatcmpl-"));
}

#[tokio::test]
async fn jamba_honours_max_tokens_and_stop_sequences() {
    let harness = harness().await;
    let cut = harness
        .invoke(JAMBA, &notebook_body(json!({"max_tokens": 5})))
        .await;
    assert_eq!(cut["choices"][0]["finish_reason"], "length");
    assert_eq!(words(text_at(&cut, "/choices/0/message/content")), 5);

    let stopped = harness
        .invoke(JAMBA, &notebook_body(json!({"stop": ["decisions"]})))
        .await;
    assert_eq!(stopped["choices"][0]["finish_reason"], "stop");
    assert!(
        text_at(&stopped, "/choices/0/message/content").ends_with("business "),
        "{stopped}"
    );
}

#[tokio::test]
async fn jamba_streams_openai_style_deltas() {
    let harness = harness().await;
    let body = notebook_body(json!({"max_tokens": 6}));
    let chunks = harness.stream("ai21.jamba-1-5-large-v1:0", &body).await;
    assert_eq!(chunks.len(), 8, "role, six pieces, finish");
    assert_eq!(
        chunks[0]["choices"][0]["delta"],
        json!({"role": "assistant"})
    );
    let streamed: String = chunks
        .iter()
        .filter_map(|chunk| {
            chunk
                .pointer("/choices/0/delta/content")
                .and_then(Value::as_str)
        })
        .collect();
    let invoked = harness.invoke("ai21.jamba-1-5-large-v1:0", &body).await;
    assert_eq!(streamed, text_at(&invoked, "/choices/0/message/content"));
    let last = &chunks[7];
    assert_eq!(last["choices"][0]["finish_reason"], "length");
    assert_eq!(last["choices"][0]["delta"], json!({}));
    assert_eq!(number_at(last, "/usage/completion_tokens"), 6);
    assert_eq!(
        number_at(last, "/amazon-bedrock-invocationMetrics/outputTokenCount"),
        6
    );
    assert!(
        chunks[1..7]
            .iter()
            .all(|chunk| chunk["choices"][0]["finish_reason"].is_null())
    );
    assert!(chunks.iter().all(|chunk| chunk["id"] == chunks[0]["id"]));
}

#[tokio::test]
async fn a_malformed_jamba_body_is_a_validation_exception() {
    let harness = harness().await;
    let error = harness
        .invoke_error(JAMBA, &json!({"prompt": BLOG_PROMPT, "max_tokens": 200}))
        .await;
    assert_eq!(error.code, "ValidationException");
    assert_eq!(
        error.message,
        malformed(
            "#: extraneous key [prompt] is not permitted#: required key [messages] not found"
        )
    );
}
