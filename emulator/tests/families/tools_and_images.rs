//! Contract 0.2's features for the families beyond Claude and Nova, through the real SDK: tool
//! calls from Mistral Large, Jamba and Command R (invoked and streamed, then answered with tool
//! results), and images for the Llama vision models. Nothing of this was recorded, so the shapes
//! are the ones AWS's parameter pages (and, for Jamba, AI21's chat reference) document.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use crate::harness::{harness, number_at};

const MISTRAL_LARGE: &str = "mistral.mistral-large-2402-v1:0";
const JAMBA: &str = "ai21.jamba-1-5-mini-v1:0";
const COMMAND_R: &str = "cohere.command-r-v1:0";
const LLAMA_VISION: &str = "meta.llama3-2-11b-instruct-v1:0";
const LLAMA_TEXT: &str = "meta.llama3-8b-instruct-v1:0";

/// An OpenAI-like function tool, as Mistral and Jamba take it.
fn function_tool() -> Value {
    json!({"type": "function", "function": {
        "name": "get_weather", "description": "The weather in a city.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                       "required": ["city"]}}})
}

fn chat_with_tools(text: &str) -> Value {
    json!({"messages": [{"role": "user", "content": text}], "tools": [function_tool()],
           "max_tokens": 200})
}

/// `body`'s messages followed by the assistant's `call` and a tool result answering it.
fn answered(body: &Value, call: &Value) -> Value {
    let mut next = body.clone();
    if let Some(messages) = next["messages"].as_array_mut() {
        messages.push(json!({"role": "assistant", "content": "", "tool_calls": [call]}));
        messages.push(json!({"role": "tool", "tool_call_id": call["id"], "content": "Sunny, 21C"}));
    }
    next
}

#[tokio::test]
async fn mistral_large_calls_a_named_tool_invoked_and_streamed() {
    let harness = harness().await;
    let body = chat_with_tools("Use get_weather for Paris.");
    let reply = harness.invoke(MISTRAL_LARGE, &body).await;
    let choice = &reply["choices"][0];
    assert_eq!(choice["stop_reason"], "tool_calls");
    let call = &choice["message"]["tool_calls"][0];
    assert_eq!(call["function"]["name"], "get_weather");
    let arguments: Value =
        serde_json::from_str(call["function"]["arguments"].as_str().unwrap_or_default())
            .expect("arguments are a JSON string");
    assert_eq!(arguments, json!({"city": "example"}));
    assert_eq!(call["id"].as_str().map(str::len), Some(22));

    let chunks = harness.stream(MISTRAL_LARGE, &body).await;
    assert_eq!(chunks.len(), 1);
    assert_eq!(chunks[0]["choices"][0]["message"]["tool_calls"][0], *call);
    assert_eq!(chunks[0]["choices"][0]["stop_reason"], "tool_calls");
    assert!(chunks[0].get("amazon-bedrock-invocationMetrics").is_some());

    let next = harness.invoke(MISTRAL_LARGE, &answered(&body, call)).await;
    assert_eq!(next["choices"][0]["stop_reason"], "stop");
    let text = next["choices"][0]["message"]["content"]
        .as_str()
        .unwrap_or_default();
    assert!(text.starts_with("Sunny, 21C"), "{text}");
    let none = harness
        .invoke(MISTRAL_LARGE, &{
            let mut none = body.clone();
            none["tool_choice"] = json!("none");
            none
        })
        .await;
    assert_eq!(none["choices"][0]["stop_reason"], "stop");

    let mut unanswered = answered(&body, call);
    unanswered["messages"][2]["tool_call_id"] = json!("someone-else");
    let error = harness.invoke_error(MISTRAL_LARGE, &unanswered).await;
    assert_eq!(error.code, "ValidationException");
    assert!(error.message.contains("someone-else"), "{}", error.message);
}

#[tokio::test]
async fn jamba_calls_a_named_tool_invoked_and_streamed() {
    let harness = harness().await;
    let body = chat_with_tools("Please call get_weather.");
    let reply = harness.invoke(JAMBA, &body).await;
    let choice = &reply["choices"][0];
    assert_eq!(choice["finish_reason"], "tool_calls");
    assert_eq!(choice["message"]["content"], Value::Null);
    let call = &choice["message"]["tool_calls"][0];
    assert_eq!(call["type"], "function");
    assert_eq!(call["function"]["name"], "get_weather");
    assert_eq!(call["function"]["arguments"], r#"{"city":"example"}"#);
    assert!(number_at(&reply, "/usage/completion_tokens") >= 1);

    let chunks = harness.stream(JAMBA, &body).await;
    let streamed = chunks
        .iter()
        .find_map(|chunk| chunk["choices"][0]["delta"].get("tool_calls"))
        .expect("a tool call delta");
    assert_eq!(streamed[0]["index"], 0);
    assert_eq!(streamed[0]["id"], call["id"]);
    assert_eq!(streamed[0]["function"], call["function"]);
    let last = chunks.last().expect("chunks");
    assert_eq!(last["choices"][0]["finish_reason"], "tool_calls");

    let mut continued = answered(&body, call);
    continued["messages"][1]["content"] = Value::Null;
    let next = harness.invoke(JAMBA, &continued).await;
    assert_eq!(next["choices"][0]["finish_reason"], "stop");
}

#[tokio::test]
async fn command_r_calls_a_named_tool_invoked_and_streamed() {
    let harness = harness().await;
    let tools = json!([{"name": "get_weather", "description": "The weather in a city.",
        "parameter_definitions": {
            "city": {"description": "The city", "type": "str", "required": true},
            "days": {"description": "How many days", "type": "int", "required": false}}}]);
    let body = json!({"message": "Use get_weather for Paris.", "tools": tools});
    let reply = harness.invoke(COMMAND_R, &body).await;
    assert_eq!(reply["finish_reason"], "COMPLETE");
    assert_eq!(reply["text"], "");
    assert_eq!(
        reply["tool_calls"],
        json!([{"name": "get_weather", "parameters": {"city": "example"}}])
    );

    let chunks = harness.stream(COMMAND_R, &body).await;
    let events: Vec<&str> = chunks
        .iter()
        .filter_map(|chunk| chunk["event_type"].as_str())
        .collect();
    assert_eq!(
        events,
        ["stream-start", "tool-calls-generation", "stream-end"]
    );
    assert_eq!(chunks[1]["tool_calls"], reply["tool_calls"]);

    let results = json!({"message": "", "tools": tools, "tool_results": [{
        "call": {"name": "get_weather", "parameters": {"city": "Paris"}},
        "outputs": [{"weather": "sunny"}]}]});
    let next = harness.invoke(COMMAND_R, &results).await;
    assert!(next.get("tool_calls").is_none());
    assert!(
        next["text"]
            .as_str()
            .is_some_and(|text| text.contains("sunny"))
    );

    let mut unknown = results.clone();
    unknown["tool_results"][0]["call"]["name"] = json!("get_time");
    let error = harness.invoke_error(COMMAND_R, &unknown).await;
    assert_eq!(error.code, "ValidationException");
}

#[tokio::test]
async fn llama_vision_models_take_images_and_text_models_do_not() {
    let harness = harness().await;
    let png = STANDARD.encode(b"\x89PNG\r\n\x1a\nthe rest of a picture");
    let body = json!({
        "prompt": "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n<|image|>What is this?<|eot_id|><|start_header_id|>assistant<|end_header_id|>",
        "images": [png], "max_gen_len": 100
    });
    let reply = harness.invoke(LLAMA_VISION, &body).await;
    assert!(
        reply["generation"]
            .as_str()
            .is_some_and(|text| text.starts_with("What is this?"))
    );
    let chunks = harness.stream(LLAMA_VISION, &body).await;
    assert!(!chunks.is_empty());

    let error = harness.invoke_error(LLAMA_TEXT, &body).await;
    assert!(
        error.message.contains("extraneous key [images]"),
        "{}",
        error.message
    );
    let mut not_an_image = body.clone();
    not_an_image["images"] = json!([STANDARD.encode(b"plain text")]);
    let error = harness.invoke_error(LLAMA_VISION, &not_an_image).await;
    assert!(error.message.contains("images[0]"), "{}", error.message);
}
