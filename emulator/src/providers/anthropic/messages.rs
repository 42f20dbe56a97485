//! The Anthropic Messages API on Bedrock: from a checked request (`messages_request.rs`) to a
//! reply (`messages_reply.rs`), deterministically. What the model does:
//! - with `thinking` enabled (or `adaptive`), it first thinks: a `thinking` block generated from
//!   the prompt within the budget, signed with a `signature` derived from its text; without it,
//!   no thinking block ever appears;
//! - when tools are given it calls one under the rule of [`crate::providers::tools`] (a tool
//!   named in the last user turn's text, or the one the tool choice forces), answering with one
//!   `tool_use` block (`toolu_bdrk_` id derived from the prompt) and stop reason `tool_use`;
//!   otherwise it answers with text that restates the last user turn;
//! - when blocks carry `cache_control`, the prompt up to each of them is looked up in the
//!   emulator's prompt cache ([`crate::providers::prompt_cache`]): usage then reports
//!   `cache_creation_input_tokens` and `cache_read_input_tokens` (and `input_tokens` counts only
//!   the rest); without cache points usage has neither key.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::messages_reply::{Answer, MessagesReply, Thinking};
use super::messages_request::MessagesRequest;
use crate::api_error::ApiError;
use crate::generator::{GenerationRequest, generate};
use crate::providers::Reply;
use crate::providers::prompt_cache::PromptCache;
use crate::providers::tools::{call_id, chosen_call};

/// What a tool call's id starts with, as recorded (`toolu_bdrk_01Y5MJKoHE4VJ5ZrhcVfM1gP`).
const TOOL_USE_ID_PREFIX: &str = "toolu_bdrk_";
/// Characters after the prefix of a tool call id.
const TOOL_USE_ID_LENGTH: usize = 24;
/// What the seed of the thinking generation starts with, so thinking differs from the answer.
const THINKING_SEED: &str = "thinking about: ";

/// Validates a Messages API body and generates the reply for the model named `reported_name`.
pub(super) fn invoke(
    reported_name: &'static str,
    object: &Map<String, Value>,
    cache: &PromptCache,
) -> Result<Box<dyn Reply>, ApiError> {
    let request = MessagesRequest::parse(reported_name, object)?;
    let thinking = request.thinking_budget.map(|budget| {
        let generation = generate(&GenerationRequest {
            seed_text: &format!("{THINKING_SEED}{}", request.seed_text),
            echo_text: "",
            max_tokens: budget,
            stop_sequences: &[],
        });
        let digest = Sha256::digest(format!("{reported_name}\n{}", generation.text()));
        Thinking {
            signature: STANDARD.encode(digest),
            generation,
        }
    });
    let thought = thinking
        .as_ref()
        .map_or(0, |thinking| thinking.generation.output_tokens);
    let answer = match chosen_call(
        &request.tools,
        &request.tool_choice,
        &request.last_user_words,
    ) {
        Some(call) => Answer::ToolUse {
            id: call_id(
                TOOL_USE_ID_PREFIX,
                TOOL_USE_ID_LENGTH,
                &format!("{}\n{}", request.seed_text, call.name),
            ),
            name: call.name,
            input: call.input,
        },
        None => Answer::Text(generate(&GenerationRequest {
            seed_text: &request.seed_text,
            echo_text: &request.echo_text,
            max_tokens: request.max_tokens.saturating_sub(thought).max(1),
            stop_sequences: &request.stop_sequences,
        })),
    };
    let total_input = request.prefix.total_tokens();
    let cache_usage = if request.has_cache_points {
        cache.settle(&request.prefix.into_points())
    } else {
        None
    };
    Ok(Box::new(MessagesReply {
        id: message_id(),
        model: reported_name,
        input_tokens: cache_usage.map_or(total_input, |usage| usage.uncached(total_input)),
        cache: cache_usage,
        thinking,
        answer,
    }))
}

/// A fresh message id in Bedrock's `msg_bdrk_` + 24 alphanumerics form.
fn message_id() -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let random = uuid::Uuid::new_v4().as_u128();
    let suffix: String = (0..24)
        .map(|position| {
            let index = (random >> (position * 5)) as usize % ALPHABET.len();
            char::from(ALPHABET[index])
        })
        .collect();
    format!("msg_bdrk_{suffix}")
}

#[cfg(test)]
mod tests {
    use super::super::messages_request::EMPTY_TEXT_BLOCK;
    use super::*;
    use crate::providers::testing::{chunks_json, metrics, object, response_json};
    use serde_json::json;

    fn reply(value: Value) -> Result<Box<dyn Reply>, ApiError> {
        invoke("claude-test", &object(value), &PromptCache::default())
    }

    /// Where each key first appears in the raw JSON (serde_json's `Value` sorts keys).
    fn key_positions(raw: &str, keys: &[&str]) -> Vec<usize> {
        keys.iter()
            .filter_map(|key| raw.find(&format!("\"{key}\":")))
            .collect()
    }

    #[test]
    fn missing_max_tokens_gets_bedrocks_message() {
        let error = reply(json!({
            "anthropic_version": "bedrock-2023-05-31",
            "messages": [{"role": "user", "content": "hi"}]
        }))
        .err()
        .expect("invalid");
        assert_eq!(
            error.message(),
            "Malformed input request: #: required key [max_tokens] not found, please reformat \
             your input and try again."
        );
    }

    #[test]
    fn every_violation_is_reported() {
        let error = reply(json!({"messages": [], "stream": true}))
            .err()
            .expect("invalid");
        assert_eq!(
            error.message(),
            "Malformed input request: #: required key [anthropic_version] not found#: required \
             key [max_tokens] not found#/messages: expected minimum item count: 1, found: 0#: \
             extraneous key [stream] is not permitted, please reformat your input and try again."
        );
    }

    #[test]
    fn a_bad_turn_is_reported_with_its_path() {
        let error = reply(json!({
            "anthropic_version": "bedrock-2023-05-31", "max_tokens": 10,
            "messages": [{"role": "system", "content": "hi"}, {"role": "user"}]
        }))
        .err()
        .expect("invalid");
        assert_eq!(
            error.message(),
            "Malformed input request: #/messages/0/role: system is not a valid enum value\
             #/messages/1: required key [content] not found, please reformat your input and try \
             again."
        );
    }

    #[test]
    fn an_empty_text_block_is_refused_like_anthropic_does() {
        let error = reply(json!({
            "anthropic_version": "bedrock-2023-05-31", "max_tokens": 10,
            "messages": [{"role": "user", "content": [{"type": "text", "text": ""}]}]
        }))
        .err()
        .expect("invalid");
        assert_eq!(error.message(), EMPTY_TEXT_BLOCK);
    }

    #[test]
    fn the_response_body_has_the_recorded_shape() {
        let reply = reply(json!({
            "anthropic_version": "bedrock-2023-05-31", "max_tokens": 50,
            "system": "You know all about AI.",
            "messages": [{"role": "user", "content": [{"type": "text", "text": "Explain AI briefly."}]}]
        }))
        .expect("valid");
        let raw = reply.response_body().expect("renders");
        let body: Value = serde_json::from_slice(&raw).expect("JSON");
        let recorded_order = [
            "id",
            "type",
            "role",
            "model",
            "content",
            "stop_reason",
            "stop_sequence",
            "usage",
        ];
        let positions = key_positions(&String::from_utf8_lossy(&raw), &recorded_order);
        assert_eq!(positions.len(), recorded_order.len());
        assert!(
            positions.is_sorted(),
            "keys out of the recorded order: {positions:?}"
        );
        assert_eq!(
            body.as_object().map(|object| object.len()),
            Some(recorded_order.len())
        );
        assert!(
            body["id"]
                .as_str()
                .is_some_and(|id| id.starts_with("msg_bdrk_") && id.len() == 33)
        );
        assert_eq!(body["type"], "message");
        assert_eq!(body["role"], "assistant");
        assert_eq!(body["content"][0]["type"], "text");
        assert!(
            body["content"][0]["text"]
                .as_str()
                .is_some_and(|text| text.starts_with("Explain AI briefly."))
        );
        assert_eq!(body["usage"]["input_tokens"], 8);
        assert_eq!(
            body["usage"]["output_tokens"],
            reply
                .usage()
                .map(|usage| usage.output_tokens)
                .unwrap_or_default()
        );
    }

    #[test]
    fn the_stream_has_the_recorded_event_sequence() {
        let reply = reply(json!({
            "anthropic_version": "bedrock-2023-05-31", "max_tokens": 4,
            "messages": [{"role": "user", "content": "one two three four five six"}]
        }))
        .expect("valid");
        let chunks = chunks_json(reply.as_ref(), &metrics(6, 4, 20, 10));
        let types: Vec<&str> = chunks
            .iter()
            .filter_map(|chunk| chunk["type"].as_str())
            .collect();
        assert_eq!(
            types,
            [
                "message_start",
                "content_block_start",
                "content_block_delta",
                "content_block_delta",
                "content_block_delta",
                "content_block_delta",
                "content_block_stop",
                "message_delta",
                "message_stop"
            ]
        );
        assert_eq!(
            chunks[1],
            json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}})
        );
        assert_eq!(
            chunks[3],
            json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": " two"}})
        );
        assert_eq!(
            chunks[7],
            json!({"type": "message_delta", "delta": {"stop_reason": "max_tokens", "stop_sequence": null}, "usage": {"output_tokens": 4}})
        );
        assert_eq!(
            chunks[8],
            json!({"type": "message_stop", "amazon-bedrock-invocationMetrics": {"inputTokenCount": 6, "outputTokenCount": 4, "invocationLatency": 20, "firstByteLatency": 10}})
        );
        assert_eq!(chunks[0]["message"]["content"], json!([]));
        assert_eq!(chunks[0]["message"]["stop_reason"], Value::Null);
    }

    fn weather_tool() -> Value {
        json!({
            "name": "get_weather",
            "description": "The weather in a city.",
            "input_schema": {"type": "object",
                "properties": {"city": {"type": "string"}}, "required": ["city"]}
        })
    }

    fn with_tools(text: &str, extra: Value) -> Value {
        let mut body = json!({
            "anthropic_version": "bedrock-2023-05-31", "max_tokens": 2000,
            "tools": [weather_tool()],
            "messages": [{"role": "user", "content": [{"type": "text", "text": text}]}]
        });
        if let (Some(body), Value::Object(extra)) = (body.as_object_mut(), extra) {
            body.extend(extra);
        }
        body
    }

    fn refusal(body: Value) -> String {
        reply(body).err().expect("refused").message().to_owned()
    }

    #[test]
    fn a_tool_named_in_the_prompt_is_called() {
        let reply = reply(with_tools("Use get_weather for Paris.", json!({}))).expect("valid");
        let body = response_json(reply.as_ref());
        assert_eq!(body["stop_reason"], "tool_use");
        assert_eq!(body["content"].as_array().map(Vec::len), Some(1));
        let call = &body["content"][0];
        assert_eq!(call["type"], "tool_use");
        assert_eq!(call["name"], "get_weather");
        assert_eq!(call["input"], json!({"city": "example"}));
        assert!(
            call["id"]
                .as_str()
                .is_some_and(|id| id.starts_with("toolu_bdrk_") && id.len() == 35)
        );

        let unnamed = response_json(
            super::invoke(
                "claude-test",
                &object(with_tools("What is the weather?", json!({}))),
                &PromptCache::default(),
            )
            .expect("valid")
            .as_ref(),
        );
        assert_eq!(unnamed["content"][0]["type"], "text");
        assert_eq!(unnamed["stop_reason"], "end_turn");
        let forced = response_json(
            reply_of(with_tools("Hi.", json!({"tool_choice": {"type": "any"}}))).as_ref(),
        );
        assert_eq!(forced["content"][0]["name"], "get_weather");
        let none = response_json(
            reply_of(with_tools(
                "get_weather",
                json!({"tool_choice": {"type": "none"}}),
            ))
            .as_ref(),
        );
        assert_eq!(none["content"][0]["type"], "text");
    }

    fn reply_of(body: Value) -> Box<dyn Reply> {
        reply(body).expect("valid")
    }

    #[test]
    fn a_streamed_tool_call_sends_its_input_in_json_fragments() {
        let reply = reply_of(with_tools("Call get_weather now.", json!({})));
        let chunks = chunks_json(reply.as_ref(), &metrics(6, 4, 20, 10));
        assert_eq!(chunks[1]["content_block"]["type"], "tool_use");
        assert_eq!(chunks[1]["content_block"]["name"], "get_weather");
        assert_eq!(chunks[1]["content_block"]["input"], json!({}));
        let fragments: Vec<&str> = chunks
            .iter()
            .filter(|chunk| chunk["delta"]["type"] == "input_json_delta")
            .filter_map(|chunk| chunk["delta"]["partial_json"].as_str())
            .collect();
        assert_eq!(fragments.first(), Some(&""));
        assert!(fragments.len() > 2);
        assert_eq!(fragments.concat(), r#"{"city":"example"}"#);
        let stop = &chunks[chunks.len() - 2];
        assert_eq!(stop["delta"]["stop_reason"], "tool_use");
    }

    #[test]
    fn tool_definitions_and_choices_are_checked() {
        let bad_name = with_tools(
            "hi",
            json!({"tools": [{"name": "get weather", "input_schema": {}}]}),
        );
        assert_eq!(
            refusal(bad_name),
            "tools.0.custom.name: String should match pattern '^[a-zA-Z0-9_-]{1,64}$'"
        );
        let no_schema = with_tools("hi", json!({"tools": [{"name": "x"}]}));
        assert_eq!(
            refusal(no_schema),
            "tools.0.custom.input_schema: Field required"
        );
        let unknown = with_tools(
            "hi",
            json!({"tool_choice": {"type": "tool", "name": "nope"}}),
        );
        assert_eq!(refusal(unknown), "Tool 'nope' not found in provided tools");
        let bad_type = with_tools("hi", json!({"tool_choice": {"type": "sometimes"}}));
        assert!(
            refusal(bad_type).contains("#/tool_choice/type: sometimes is not a valid enum value")
        );
    }

    #[test]
    fn a_tool_result_must_answer_a_tool_use_of_the_previous_turn() {
        let turns = |result_id: &str| {
            json!({
                "anthropic_version": "bedrock-2023-05-31", "max_tokens": 100,
                "tools": [weather_tool()],
                "messages": [
                    {"role": "user", "content": "Use get_weather."},
                    {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_1",
                        "name": "get_weather", "input": {"city": "Paris"}}]},
                    {"role": "user", "content": [{"type": "tool_result", "tool_use_id": result_id,
                        "content": [{"type": "text", "text": "Sunny and warm"}]}]}
                ]
            })
        };
        let answered = response_json(reply_of(turns("toolu_1")).as_ref());
        assert_eq!(answered["content"][0]["type"], "text");
        assert!(
            answered["content"][0]["text"]
                .as_str()
                .is_some_and(|text| text.starts_with("Sunny and warm"))
        );
        assert_eq!(
            refusal(turns("toolu_2")),
            "messages.2.content.0: unexpected `tool_use_id` found in `tool_result` blocks: \
             toolu_2. Each `tool_result` block must have a corresponding `tool_use` block in the \
             previous message."
        );
    }

    #[test]
    fn thinking_comes_first_with_a_signature_and_only_when_enabled() {
        let body = json!({
            "anthropic_version": "bedrock-2023-05-31", "max_tokens": 3000,
            "thinking": {"type": "enabled", "budget_tokens": 1024},
            "messages": [{"role": "user", "content": "Think hard."}]
        });
        let reply = reply_of(body.clone());
        let answer = response_json(reply.as_ref());
        assert_eq!(answer["content"][0]["type"], "thinking");
        assert!(
            answer["content"][0]["thinking"]
                .as_str()
                .is_some_and(|text| !text.is_empty())
        );
        assert!(
            answer["content"][0]["signature"]
                .as_str()
                .is_some_and(|sig| !sig.is_empty())
        );
        assert_eq!(answer["content"][1]["type"], "text");
        let chunks = chunks_json(reply.as_ref(), &metrics(6, 4, 20, 10));
        assert_eq!(
            chunks[1]["content_block"],
            json!({"type": "thinking", "thinking": "", "signature": ""})
        );
        assert_eq!(chunks[2]["delta"]["type"], "thinking_delta");
        assert!(
            chunks
                .iter()
                .any(|chunk| chunk["delta"]["type"] == "signature_delta"
                    && chunk["delta"]["signature"] == answer["content"][0]["signature"])
        );

        let plain = json!({
            "anthropic_version": "bedrock-2023-05-31", "max_tokens": 3000,
            "messages": [{"role": "user", "content": "Think hard."}]
        });
        let plain = response_json(reply_of(plain).as_ref());
        assert!(
            plain["content"]
                .as_array()
                .is_some_and(|blocks| blocks.iter().all(|block| block["type"] == "text"))
        );

        let mut small = body.clone();
        small["thinking"]["budget_tokens"] = json!(1000);
        assert_eq!(
            refusal(small),
            "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024"
        );
        let mut over = body;
        over["max_tokens"] = json!(1024);
        assert!(
            refusal(over).starts_with("`max_tokens` must be greater than `thinking.budget_tokens`")
        );
    }

    #[test]
    fn thinking_and_redacted_thinking_are_accepted_in_history() {
        let body = json!({
            "anthropic_version": "bedrock-2023-05-31", "max_tokens": 100,
            "messages": [
                {"role": "user", "content": "Hi."},
                {"role": "assistant", "content": [
                    {"type": "thinking", "thinking": "Hmm.", "signature": "c2lnbmVk"},
                    {"type": "redacted_thinking", "data": "b3BhcXVl"},
                    {"type": "text", "text": "Hello."}]},
                {"role": "user", "content": "Again."}
            ]
        });
        assert!(reply(body).is_ok());
        let unsigned = json!({
            "anthropic_version": "bedrock-2023-05-31", "max_tokens": 100,
            "messages": [{"role": "user", "content": "Hi."},
                {"role": "assistant", "content": [{"type": "thinking", "thinking": "Hmm."}]}]
        });
        assert_eq!(
            refusal(unsigned),
            "messages.1.content.0.thinking.signature: Field required"
        );
    }

    fn cached_body(question: &str) -> Value {
        json!({
            "anthropic_version": "bedrock-2023-05-31", "max_tokens": 50,
            "system": [{"type": "text", "text": "A long and stable system prompt of eight words.",
                "cache_control": {"type": "ephemeral"}}],
            "messages": [{"role": "user", "content": [{"type": "text", "text": question}]}]
        })
    }

    #[test]
    fn a_cache_point_writes_once_then_reads() {
        let cache = PromptCache::default();
        let first = super::invoke(
            "claude-test",
            &object(cached_body("One two three?")),
            &cache,
        )
        .expect("valid");
        let first = response_json(first.as_ref());
        assert_eq!(first["usage"]["cache_creation_input_tokens"], 9);
        assert_eq!(first["usage"]["cache_read_input_tokens"], 0);
        assert_eq!(first["usage"]["input_tokens"], 3);
        let second = super::invoke("claude-test", &object(cached_body("Four five?")), &cache)
            .expect("valid");
        let usage = second.usage().expect("counted");
        let second = response_json(second.as_ref());
        assert_eq!(second["usage"]["cache_creation_input_tokens"], 0);
        assert_eq!(second["usage"]["cache_read_input_tokens"], 9);
        assert_eq!(second["usage"]["input_tokens"], 2);
        assert_eq!(
            usage.cache.map(|cache| (cache.read, cache.write)),
            Some((9, 0))
        );
        let raw = String::from_utf8(
            super::invoke("claude-test", &object(cached_body("Six?")), &cache)
                .expect("valid")
                .response_body()
                .expect("renders"),
        )
        .expect("UTF-8");
        assert!(
            key_positions(
                &raw,
                &[
                    "input_tokens",
                    "cache_creation_input_tokens",
                    "cache_read_input_tokens",
                    "output_tokens"
                ]
            )
            .is_sorted(),
            "recorded usage key order: {raw}"
        );
    }

    #[test]
    fn no_cache_counts_without_cache_points_and_at_most_four_points() {
        let plain = response_json(
            reply_of(json!({
                "anthropic_version": "bedrock-2023-05-31", "max_tokens": 50,
                "messages": [{"role": "user", "content": "Hi."}]
            }))
            .as_ref(),
        );
        assert!(plain["usage"].get("cache_read_input_tokens").is_none());
        assert!(plain["usage"].get("cache_creation_input_tokens").is_none());
        let block = json!({"type": "text", "text": "x", "cache_control": {"type": "ephemeral"}});
        let five = json!({
            "anthropic_version": "bedrock-2023-05-31", "max_tokens": 50,
            "messages": [{"role": "user", "content": [block, block, block, block, block]}]
        });
        assert_eq!(
            refusal(five),
            "A maximum of 4 blocks with cache_control may be provided. Found 5."
        );
    }

    fn attachment(kind: &str, media_type: &str, bytes: &[u8]) -> Value {
        json!({
            "anthropic_version": "bedrock-2023-05-31", "max_tokens": 50,
            "messages": [{"role": "user", "content": [
                {"type": kind, "source": {"type": "base64", "media_type": media_type,
                    "data": STANDARD.encode(bytes)}},
                {"type": "text", "text": "Describe it."}]}]
        })
    }

    #[test]
    fn images_and_pdfs_are_checked_against_their_bytes() {
        let png = b"\x89PNG\r\n\x1a\nrest of a picture";
        assert!(reply(attachment("image", "image/png", png)).is_ok());
        assert!(reply(attachment("document", "application/pdf", b"%PDF-1.7 body")).is_ok());
        assert_eq!(
            refusal(attachment("image", "image/jpeg", png)),
            "messages.0.content.0.image.source.base64.data: Image does not match the provided \
             media type image/jpeg"
        );
        assert!(
            refusal(attachment("image", "image/tiff", png)).starts_with(
                "messages.0.content.0.image.source.base64.media_type: Input should be"
            )
        );
        assert_eq!(
            refusal(attachment("document", "application/pdf", b"not a pdf")),
            "messages.0.content.0.document.source.base64.data: The PDF specified was not valid."
        );
        let mut huge = png.to_vec();
        huge.resize(super::super::messages_request::MAX_IMAGE_BYTES + 1, 0);
        assert!(
            refusal(attachment("image", "image/png", &huge))
                .contains("image exceeds 3.75 MB maximum")
        );
        let text_document = json!({
            "anthropic_version": "bedrock-2023-05-31", "max_tokens": 50,
            "messages": [{"role": "user", "content": [
                {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "Some notes."}},
                {"type": "text", "text": "Summarise."}]}]
        });
        assert!(reply(text_document).is_ok());
    }
}
