//! Amazon Nova understanding models on Bedrock (`messages-v1`): request validation and reply
//! shapes. The request follows AWS's Nova "complete request schema" (`messages` of `user` /
//! `assistant` turns whose `content` is an array of blocks, optional `system` text blocks,
//! `inferenceConfig` with `max_new_tokens` or `maxTokens`, `temperature` and `top_p`/`topP` in
//! 0..=1, `top_k`/`topK`, `stopSequences`), accepting both spellings the recordings use. Replies
//! follow the OTel, openllmetry and langchaingo recordings: `{"output":{"message":{"content":
//! [{"text"}],"role":"assistant"}},"stopReason","usage":{...}}`; streamed, `messageStart`, then
//! for every piece a `contentBlockDelta` followed by a `contentBlockStop` with the same, ever
//! increasing `contentBlockIndex` (as Nova really does), `messageStop`, and a `metadata` chunk
//! carrying usage and the invocation metrics.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::api_error::ApiError;
use crate::generator::{Finish, Generation, GenerationRequest, generate};
use crate::providers::schema::{self, Violations};
use crate::providers::{InvocationMetrics, Reply, TokenUsage, count_words};

const KEYS: &[&str] = &[
    "schemaVersion",
    "system",
    "messages",
    "inferenceConfig",
    "toolConfig",
];
const SCHEMA_VERSIONS: &[&str] = &["messages-v1"];
const ROLES: &[&str] = &["user", "assistant"];
const CONTENT_BLOCK_KEYS: &[&str] = &[
    "text",
    "image",
    "video",
    "document",
    "toolUse",
    "toolResult",
    "reasoningContent",
    "cachePoint",
];
const CONFIG: &str = "#/inferenceConfig";
const CONFIG_KEYS: &[&str] = &[
    "max_new_tokens",
    "maxTokens",
    "temperature",
    "top_p",
    "topP",
    "top_k",
    "topK",
    "stopSequences",
    "reasoningConfig",
];
/// Output tokens when the request sets no limit.
const DEFAULT_MAX_TOKENS: u32 = 5000;
/// Nova's own check that the conversation opens with the user (Converse wording).
const FIRST_TURN_NOT_USER: &str = "A conversation must start with a user message. Try again with \
                                   a conversation that starts with a user message.";

/// Validates a Nova body and generates the reply.
pub(super) fn invoke(object: &Map<String, Value>) -> Result<Box<dyn Reply>, ApiError> {
    let request = NovaRequest::parse(object)?;
    let generation = generate(&GenerationRequest {
        seed_text: &request.seed_text(),
        echo_text: request.last_user_text(),
        max_tokens: request.max_tokens,
        stop_sequences: &request.stop_sequences,
    });
    Ok(Box::new(NovaReply {
        input_tokens: request.input_tokens(),
        generation,
    }))
}

struct NovaRequest {
    system: String,
    turns: Vec<(String, String)>,
    max_tokens: u32,
    stop_sequences: Vec<String>,
}

impl NovaRequest {
    fn parse(object: &Map<String, Value>) -> Result<Self, ApiError> {
        let mut violations = Violations::default();
        schema::reject_unknown_keys(object, "#", KEYS, &mut violations);
        schema::optional_enum(
            object,
            "#",
            "schemaVersion",
            SCHEMA_VERSIONS,
            &mut violations,
        );
        let system = match object.get("system") {
            None => String::new(),
            Some(Value::Array(blocks)) => blocks_text(blocks, "#/system", &mut violations),
            Some(other) => {
                violations.wrong_type("#/system", "JSONArray", other);
                String::new()
            }
        };
        let messages = schema::required_array(object, "#", "messages", 1, &mut violations);
        let turns: Vec<(String, String)> = messages
            .into_iter()
            .flatten()
            .enumerate()
            .filter_map(|(index, message)| parse_turn(index, message, &mut violations))
            .collect();
        let mut max_tokens = DEFAULT_MAX_TOKENS;
        let mut stop_sequences = Vec::new();
        if let Some(config) =
            schema::optional_object(object, "#", "inferenceConfig", &mut violations)
        {
            schema::reject_unknown_keys(config, CONFIG, CONFIG_KEYS, &mut violations);
            for key in ["max_new_tokens", "maxTokens"] {
                if let Some(count) =
                    schema::optional_count(config, CONFIG, key, 1..=u32::MAX, &mut violations)
                {
                    max_tokens = count;
                }
            }
            for key in ["temperature", "top_p", "topP"] {
                schema::optional_number(config, CONFIG, key, 0.0..=1.0, &mut violations);
            }
            for key in ["top_k", "topK"] {
                schema::optional_integer(config, CONFIG, key, 0..=i64::MAX, &mut violations);
            }
            stop_sequences = schema::optional_string_list(
                config,
                CONFIG,
                "stopSequences",
                usize::MAX,
                &mut violations,
            );
        }
        violations.into_result()?;
        check_contents(messages.unwrap_or_default())?;
        if turns.first().is_some_and(|(role, _)| role != "user") {
            return Err(ApiError::validation(FIRST_TURN_NOT_USER));
        }
        Ok(Self {
            system,
            turns,
            max_tokens,
            stop_sequences,
        })
    }

    fn seed_text(&self) -> String {
        let mut seed = self.system.clone();
        for (role, text) in &self.turns {
            seed.push('\n');
            seed.push_str(role);
            seed.push_str(": ");
            seed.push_str(text);
        }
        seed
    }

    fn last_user_text(&self) -> &str {
        self.turns
            .iter()
            .rev()
            .find(|(role, _)| role == "user")
            .map_or("", |(_, text)| text.as_str())
    }

    fn input_tokens(&self) -> u32 {
        self.turns
            .iter()
            .map(|(_, text)| count_words(text))
            .fold(count_words(&self.system), u32::saturating_add)
    }
}

/// A message's role and the text of its text blocks.
fn parse_turn(
    index: usize,
    message: &Value,
    violations: &mut Violations,
) -> Option<(String, String)> {
    let path = format!("#/messages/{index}");
    let message = schema::as_object(message, &path, violations)?;
    if !message.contains_key("role") {
        violations.required_key(&path, "role");
    }
    let role = schema::optional_enum(message, &path, "role", ROLES, violations);
    let text = match message.get("content") {
        None => {
            violations.required_key(&path, "content");
            None
        }
        Some(Value::Array(blocks)) => {
            Some(blocks_text(blocks, &format!("{path}/content"), violations))
        }
        Some(other) => {
            violations.wrong_type(&format!("{path}/content"), "JSONArray", other);
            None
        }
    };
    Some((role?.to_owned(), text?))
}

/// The text of the text blocks in `blocks`, joined by newlines; reports malformed blocks.
fn blocks_text(blocks: &[Value], path: &str, violations: &mut Violations) -> String {
    let mut texts = Vec::new();
    for (index, block) in blocks.iter().enumerate() {
        let block_path = format!("{path}/{index}");
        let Some(block) = schema::as_object(block, &block_path, violations) else {
            continue;
        };
        schema::reject_unknown_keys(block, &block_path, CONTENT_BLOCK_KEYS, violations);
        if let Some(text) = schema::optional_string(block, &block_path, "text", violations) {
            texts.push(text);
        }
    }
    texts.join("\n")
}

/// Nova's check after the schema: no message may have an empty `content` (the wording recorded
/// by vercel-ai for Nova 2).
fn check_contents(messages: &[Value]) -> Result<(), ApiError> {
    let empty = messages.iter().position(|message| {
        message
            .get("content")
            .and_then(Value::as_array)
            .is_some_and(Vec::is_empty)
    });
    match empty {
        Some(index) => Err(ApiError::validation(format!(
            "The content field in the Message object at messages.{index} is empty. Add a \
             ContentBlock object to the content field and try again."
        ))),
        None => Ok(()),
    }
}

struct NovaReply {
    input_tokens: u32,
    generation: Generation,
}

#[derive(Serialize)]
struct NovaResponse {
    output: Output,
    #[serde(rename = "stopReason")]
    stop_reason: &'static str,
    usage: Usage,
}

#[derive(Serialize)]
struct Output {
    message: Message,
}

#[derive(Serialize)]
struct Message {
    content: [Text; 1],
    role: &'static str,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Usage {
    input_tokens: u32,
    output_tokens: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    total_tokens: Option<u32>,
    cache_read_input_token_count: u32,
    cache_write_input_token_count: u32,
}

#[derive(Serialize)]
struct TextDelta<'a> {
    text: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
enum NovaEvent<'a> {
    MessageStart {
        role: &'static str,
    },
    #[serde(rename_all = "camelCase")]
    ContentBlockDelta {
        delta: TextDelta<'a>,
        content_block_index: usize,
    },
    #[serde(rename_all = "camelCase")]
    ContentBlockStop {
        content_block_index: usize,
    },
    #[serde(rename_all = "camelCase")]
    MessageStop {
        stop_reason: &'static str,
    },
}

/// The last chunk of a stream.
#[derive(Serialize)]
struct MetadataChunk<'a> {
    metadata: Metadata,
    #[serde(rename = "amazon-bedrock-invocationMetrics")]
    invocation_metrics: NovaMetrics<'a>,
}

#[derive(Serialize)]
struct Metadata {
    usage: Usage,
    metrics: Empty,
    trace: Empty,
}

#[derive(Serialize)]
struct Empty {}

/// Nova's invocation metrics add the prompt-cache counts.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct NovaMetrics<'a> {
    #[serde(flatten)]
    base: &'a InvocationMetrics,
    cache_read_input_token_count: u32,
    cache_write_input_token_count: u32,
}

impl NovaReply {
    fn stop_reason(&self) -> &'static str {
        match self.generation.finish {
            Finish::Natural => "end_turn",
            Finish::MaxTokens => "max_tokens",
            Finish::StopSequence(_) => "stop_sequence",
        }
    }

    fn usage_with_total(&self, with_total: bool) -> Usage {
        Usage {
            input_tokens: self.input_tokens,
            output_tokens: self.generation.output_tokens,
            total_tokens: with_total.then(|| {
                self.input_tokens
                    .saturating_add(self.generation.output_tokens)
            }),
            cache_read_input_token_count: 0,
            cache_write_input_token_count: 0,
        }
    }
}

impl Reply for NovaReply {
    fn usage(&self) -> Option<TokenUsage> {
        Some(TokenUsage::of(self.input_tokens, &self.generation))
    }

    fn response_body(&self) -> Result<Vec<u8>, serde_json::Error> {
        serde_json::to_vec(&NovaResponse {
            output: Output {
                message: Message {
                    content: [Text {
                        text: self.generation.text(),
                    }],
                    role: "assistant",
                },
            },
            stop_reason: self.stop_reason(),
            usage: self.usage_with_total(true),
        })
    }

    fn stream_chunks(
        &self,
        metrics: &InvocationMetrics,
    ) -> Result<Vec<Vec<u8>>, serde_json::Error> {
        let mut events = vec![NovaEvent::MessageStart { role: "assistant" }];
        for (index, piece) in self.generation.pieces.iter().enumerate() {
            events.push(NovaEvent::ContentBlockDelta {
                delta: TextDelta { text: piece },
                content_block_index: index,
            });
            events.push(NovaEvent::ContentBlockStop {
                content_block_index: index,
            });
        }
        events.push(NovaEvent::MessageStop {
            stop_reason: self.stop_reason(),
        });
        let mut chunks = events
            .iter()
            .map(serde_json::to_vec)
            .collect::<Result<Vec<_>, _>>()?;
        chunks.push(serde_json::to_vec(&MetadataChunk {
            metadata: Metadata {
                usage: self.usage_with_total(false),
                metrics: Empty {},
                trace: Empty {},
            },
            invocation_metrics: NovaMetrics {
                base: metrics,
                cache_read_input_token_count: 0,
                cache_write_input_token_count: 0,
            },
        })?);
        Ok(chunks)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::testing::{chunks_json, metrics, object, response_json};
    use serde_json::json;

    fn reply(value: Value) -> Result<Box<dyn Reply>, ApiError> {
        invoke(&object(value))
    }

    fn user(text: &str) -> Value {
        json!({"role": "user", "content": [{"text": text}]})
    }

    #[test]
    fn every_violation_is_reported_with_its_path() {
        let error = reply(json!({
            "messages": [{"role": "system", "content": "hi"}, {"content": [{"txt": "x"}]}],
            "inferenceConfig": {"max_new_tokens": 0, "temperature": 2},
            "max_tokens": 5
        }))
        .err()
        .expect("invalid");
        assert_eq!(
            error.message(),
            "Malformed input request: #: extraneous key [max_tokens] is not permitted\
             #/messages/0/role: system is not a valid enum value#/messages/0/content: expected \
             type: JSONArray, found: String#/messages/1: required key [role] not found\
             #/messages/1/content/0: extraneous key [txt] is not permitted\
             #/inferenceConfig/max_new_tokens: 0 is not greater or equal to 1\
             #/inferenceConfig/temperature: 2 is not less or equal to 1, please reformat your \
             input and try again."
        );
    }

    #[test]
    fn content_and_turn_order_are_checked_after_the_schema() {
        let empty = reply(json!({"messages": [user("hi"), {"role": "assistant", "content": []}]}))
            .err()
            .expect("empty content");
        assert_eq!(
            empty.message(),
            "The content field in the Message object at messages.1 is empty. Add a ContentBlock \
             object to the content field and try again."
        );
        let order = reply(json!({"messages": [{"role": "assistant", "content": [{"text": "x"}]}]}))
            .err()
            .expect("assistant first");
        assert_eq!(order.message(), FIRST_TURN_NOT_USER);
    }

    #[test]
    fn both_max_token_spellings_and_stop_reasons() {
        for key in ["max_new_tokens", "maxTokens"] {
            let reply = reply(
                json!({"messages": [user("one two three four")], "inferenceConfig": {key: 2}}),
            )
            .expect("valid");
            let body = response_json(reply.as_ref());
            assert_eq!(body["stopReason"], "max_tokens");
            assert_eq!(body["output"]["message"]["content"][0]["text"], "one two");
            assert_eq!(body["usage"]["totalTokens"], 6);
        }
        let stopped = reply(json!({
            "messages": [user("one two three four")],
            "inferenceConfig": {"stopSequences": ["three"]}
        }))
        .expect("valid");
        let body = response_json(stopped.as_ref());
        assert_eq!(body["stopReason"], "stop_sequence");
    }

    #[test]
    fn the_stream_closes_a_block_after_every_delta() {
        let reply =
            reply(json!({"messages": [user("a b c")], "inferenceConfig": {"maxTokens": 2}}))
                .expect("valid");
        let chunks = chunks_json(reply.as_ref(), &metrics(3, 2, 9, 4));
        assert_eq!(
            chunks,
            [
                json!({"messageStart": {"role": "assistant"}}),
                json!({"contentBlockDelta": {"delta": {"text": "a"}, "contentBlockIndex": 0}}),
                json!({"contentBlockStop": {"contentBlockIndex": 0}}),
                json!({"contentBlockDelta": {"delta": {"text": " b"}, "contentBlockIndex": 1}}),
                json!({"contentBlockStop": {"contentBlockIndex": 1}}),
                json!({"messageStop": {"stopReason": "max_tokens"}}),
                json!({
                    "metadata": {
                        "usage": {"inputTokens": 3, "outputTokens": 2,
                                  "cacheReadInputTokenCount": 0, "cacheWriteInputTokenCount": 0},
                        "metrics": {}, "trace": {}
                    },
                    "amazon-bedrock-invocationMetrics": {
                        "inputTokenCount": 3, "outputTokenCount": 2, "invocationLatency": 9,
                        "firstByteLatency": 4, "cacheReadInputTokenCount": 0,
                        "cacheWriteInputTokenCount": 0
                    }
                }),
            ]
        );
    }
}
