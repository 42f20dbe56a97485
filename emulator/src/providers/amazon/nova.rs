//! Amazon Nova understanding models on Bedrock (`messages-v1`): from a checked request
//! (`nova_request.rs`) to the reply, in the shapes of the OTel, openllmetry and langchaingo
//! recordings: `{"output":{"message":{"content":[...],"role":"assistant"}},"stopReason",
//! "usage":{"inputTokens","outputTokens","totalTokens","cacheReadInputTokenCount",
//! "cacheWriteInputTokenCount"}}`, content blocks `reasoningContent` (`reasoningText.text`),
//! `text` and `toolUse` (`toolUseId`, `name`, `input`); streamed, `messageStart`, then for every
//! piece a `contentBlockDelta` followed by a `contentBlockStop` with the same, ever increasing
//! `contentBlockIndex` (as Nova really does), a tool call as `contentBlockStart` (`toolUse` id and
//! name), one `contentBlockDelta` carrying the whole input as a JSON string and
//! `contentBlockStop`, then `messageStop`, and a `metadata` chunk carrying usage and the
//! invocation metrics.
//!
//! Deterministic behaviour: with tools, a tool named in the last user turn (or forced by
//! `toolChoice`) is called under the rule of [`crate::providers::tools`], with a UUID-shaped
//! `toolUseId` derived from the prompt and stop reason `tool_use`; with `reasoningConfig`
//! enabled (Nova 2) a `reasoningContent` block comes first; `cachePoint`s read and write the
//! emulator's prompt cache and the cache counts are non-zero only then (both keys are always
//! present, as recorded).

use serde::Serialize;
use serde_json::{Map, Value};

use super::nova_request::NovaRequest;
use crate::api_error::ApiError;
use crate::generator::{Finish, Generation, GenerationRequest, generate};
use crate::providers::prompt_cache::{CacheUsage, PromptCache};
use crate::providers::tools::{chosen_call, uuid_like_id};
use crate::providers::{InvocationMetrics, Reply, TokenUsage, count_words};

/// What the seed of the reasoning generation starts with, so reasoning differs from the answer.
const REASONING_SEED: &str = "reasoning about: ";
/// Most words of reasoning.
const REASONING_WORDS: u32 = 60;

/// Validates a Nova body for `model_id` and generates the reply.
pub(super) fn invoke(
    model_id: &str,
    object: &Map<String, Value>,
    cache: &PromptCache,
) -> Result<Box<dyn Reply>, ApiError> {
    let request = NovaRequest::parse(model_id, object)?;
    let reasoning = request.reasoning.then(|| {
        generate(&GenerationRequest {
            seed_text: &format!("{REASONING_SEED}{}", request.seed_text),
            echo_text: "",
            max_tokens: REASONING_WORDS,
            stop_sequences: &[],
        })
    });
    let reasoned = reasoning
        .as_ref()
        .map_or(0, |generation| generation.output_tokens);
    let answer = match chosen_call(
        &request.tools,
        &request.tool_choice,
        &request.last_user_words,
    ) {
        Some(call) => Answer::ToolUse {
            id: uuid_like_id(&format!("{}\n{}", request.seed_text, call.name)),
            name: call.name,
            input: call.input,
        },
        None => Answer::Text(generate(&GenerationRequest {
            seed_text: &request.seed_text,
            echo_text: &request.echo_text,
            max_tokens: request.max_tokens.saturating_sub(reasoned).max(1),
            stop_sequences: &request.stop_sequences,
        })),
    };
    let total_input = request.prefix.total_tokens();
    let cache_usage = if request.has_cache_points {
        cache.settle(&request.prefix.into_points())
    } else {
        None
    };
    Ok(Box::new(NovaReply {
        input_tokens: cache_usage.map_or(total_input, |usage| usage.uncached(total_input)),
        cache: cache_usage,
        reasoning,
        answer,
    }))
}

/// What the model answers after any reasoning.
enum Answer {
    Text(Generation),
    ToolUse {
        id: String,
        name: String,
        input: Value,
    },
}

struct NovaReply {
    /// Input tokens neither read from nor written to the cache.
    input_tokens: u32,
    cache: Option<CacheUsage>,
    reasoning: Option<Generation>,
    answer: Answer,
}

#[derive(Serialize)]
struct NovaResponse<'a> {
    output: Output<'a>,
    #[serde(rename = "stopReason")]
    stop_reason: &'static str,
    usage: Usage,
}

#[derive(Serialize)]
struct Output<'a> {
    message: Message<'a>,
}

#[derive(Serialize)]
struct Message<'a> {
    content: Vec<Block<'a>>,
    role: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
enum Block<'a> {
    ReasoningContent {
        #[serde(rename = "reasoningText")]
        reasoning_text: ReasoningText<'a>,
    },
    ToolUse(ToolUse<'a>),
    /// A text block is `{"text": ...}`, with no wrapping key.
    #[serde(untagged)]
    Text {
        text: &'a str,
    },
}

#[derive(Serialize)]
struct ReasoningText<'a> {
    text: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ToolUse<'a> {
    name: &'a str,
    tool_use_id: &'a str,
    input: &'a Value,
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

/// The `delta` of a `contentBlockDelta`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
enum Delta<'a> {
    ReasoningContent {
        text: &'a str,
    },
    ToolUse {
        input: &'a str,
    },
    /// A text delta is `{"text": ...}`, with no wrapping key.
    #[serde(untagged)]
    Text {
        text: &'a str,
    },
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ToolStart<'a> {
    tool_use_id: &'a str,
    name: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
enum Start<'a> {
    ToolUse(ToolStart<'a>),
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
enum NovaEvent<'a> {
    MessageStart {
        role: &'static str,
    },
    #[serde(rename_all = "camelCase")]
    ContentBlockStart {
        start: Start<'a>,
        content_block_index: usize,
    },
    #[serde(rename_all = "camelCase")]
    ContentBlockDelta {
        delta: Delta<'a>,
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
        match &self.answer {
            Answer::ToolUse { .. } => "tool_use",
            Answer::Text(generation) => match generation.finish {
                Finish::Natural => "end_turn",
                Finish::MaxTokens => "max_tokens",
                Finish::StopSequence(_) => "stop_sequence",
            },
        }
    }

    fn output_tokens(&self) -> u32 {
        let reasoning = self
            .reasoning
            .as_ref()
            .map_or(0, |generation| generation.output_tokens);
        let answer = match &self.answer {
            Answer::Text(generation) => generation.output_tokens,
            Answer::ToolUse { input, .. } => count_words(&input.to_string()).max(1),
        };
        reasoning.saturating_add(answer)
    }

    fn usage_with_total(&self, with_total: bool) -> Usage {
        let cache = self.cache.unwrap_or_default();
        Usage {
            input_tokens: self.input_tokens,
            output_tokens: self.output_tokens(),
            total_tokens: with_total.then(|| {
                self.input_tokens
                    .saturating_add(cache.read)
                    .saturating_add(cache.write)
                    .saturating_add(self.output_tokens())
            }),
            cache_read_input_token_count: cache.read,
            cache_write_input_token_count: cache.write,
        }
    }
}

impl Reply for NovaReply {
    fn usage(&self) -> Option<TokenUsage> {
        Some(TokenUsage {
            input_tokens: self.input_tokens,
            output_tokens: self.output_tokens(),
            cache: self.cache,
        })
    }

    fn response_body(&self) -> Result<Vec<u8>, serde_json::Error> {
        let reasoning = self.reasoning.as_ref().map(Generation::text);
        let text = match &self.answer {
            Answer::Text(generation) => generation.text(),
            Answer::ToolUse { .. } => String::new(),
        };
        let mut content = Vec::new();
        if let Some(reasoning) = &reasoning {
            content.push(Block::ReasoningContent {
                reasoning_text: ReasoningText { text: reasoning },
            });
        }
        content.push(match &self.answer {
            Answer::Text(_) => Block::Text { text: &text },
            Answer::ToolUse { id, name, input } => Block::ToolUse(ToolUse {
                name,
                tool_use_id: id,
                input,
            }),
        });
        serde_json::to_vec(&NovaResponse {
            output: Output {
                message: Message {
                    content,
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
        let mut index = 0;
        if let Some(reasoning) = &self.reasoning {
            events.extend(
                reasoning
                    .pieces
                    .iter()
                    .map(|piece| NovaEvent::ContentBlockDelta {
                        delta: Delta::ReasoningContent { text: piece },
                        content_block_index: index,
                    }),
            );
            events.push(NovaEvent::ContentBlockStop {
                content_block_index: index,
            });
            index += 1;
        }
        let input_json = match &self.answer {
            Answer::ToolUse { input, .. } => input.to_string(),
            Answer::Text(_) => String::new(),
        };
        match &self.answer {
            Answer::Text(generation) => {
                for piece in &generation.pieces {
                    events.push(NovaEvent::ContentBlockDelta {
                        delta: Delta::Text { text: piece },
                        content_block_index: index,
                    });
                    events.push(NovaEvent::ContentBlockStop {
                        content_block_index: index,
                    });
                    index += 1;
                }
            }
            Answer::ToolUse { id, name, .. } => {
                events.extend([
                    NovaEvent::ContentBlockStart {
                        start: Start::ToolUse(ToolStart {
                            tool_use_id: id,
                            name,
                        }),
                        content_block_index: index,
                    },
                    NovaEvent::ContentBlockDelta {
                        delta: Delta::ToolUse { input: &input_json },
                        content_block_index: index,
                    },
                    NovaEvent::ContentBlockStop {
                        content_block_index: index,
                    },
                ]);
            }
        }
        events.push(NovaEvent::MessageStop {
            stop_reason: self.stop_reason(),
        });
        let mut chunks = events
            .iter()
            .map(serde_json::to_vec)
            .collect::<Result<Vec<_>, _>>()?;
        let cache = self.cache.unwrap_or_default();
        chunks.push(serde_json::to_vec(&MetadataChunk {
            metadata: Metadata {
                usage: self.usage_with_total(false),
                metrics: Empty {},
                trace: Empty {},
            },
            invocation_metrics: NovaMetrics {
                base: metrics,
                cache_read_input_token_count: cache.read,
                cache_write_input_token_count: cache.write,
            },
        })?);
        Ok(chunks)
    }
}

#[cfg(test)]
mod tests {
    use super::super::nova_request::FIRST_TURN_NOT_USER;
    use super::*;
    use crate::providers::testing::{chunks_json, metrics, object, response_json};
    use serde_json::json;

    fn reply(value: Value) -> Result<Box<dyn Reply>, ApiError> {
        invoke(
            "amazon.nova-lite-v1:0",
            &object(value),
            &PromptCache::default(),
        )
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

    fn with_tools(text: &str, tool_choice: Option<Value>) -> Value {
        let mut tool_config = json!({"tools": [{"toolSpec": {
            "name": "get_weather", "description": "The weather.",
            "inputSchema": {"json": {"type": "object",
                "properties": {"city": {"type": "string"}}, "required": ["city"]}}}}]});
        if let Some(choice) = tool_choice {
            tool_config["toolChoice"] = choice;
        }
        json!({"messages": [user(text)], "toolConfig": tool_config})
    }

    fn refusal(body: Value) -> String {
        reply(body).err().expect("refused").message().to_owned()
    }

    #[test]
    fn a_named_or_forced_tool_is_called_and_streamed_as_one_input_delta() {
        let named = reply(with_tools("Use get_weather please.", None)).expect("valid");
        let body = response_json(named.as_ref());
        assert_eq!(body["stopReason"], "tool_use");
        let call = &body["output"]["message"]["content"][0]["toolUse"];
        assert_eq!(call["name"], "get_weather");
        assert_eq!(call["input"], json!({"city": "example"}));
        assert_eq!(call["toolUseId"].as_str().map(str::len), Some(36));
        let chunks = chunks_json(named.as_ref(), &metrics(3, 2, 9, 4));
        assert_eq!(
            chunks[1],
            json!({"contentBlockStart": {"start": {"toolUse": {"toolUseId": call["toolUseId"],
                "name": "get_weather"}}, "contentBlockIndex": 0}})
        );
        assert_eq!(
            chunks[2],
            json!({"contentBlockDelta": {"delta": {"toolUse": {"input": "{\"city\":\"example\"}"}},
                "contentBlockIndex": 0}})
        );
        assert_eq!(
            chunks[4],
            json!({"messageStop": {"stopReason": "tool_use"}})
        );

        let forced = reply(with_tools("Hello.", Some(json!({"any": {}})))).expect("valid");
        assert_eq!(response_json(forced.as_ref())["stopReason"], "tool_use");
        let plain = reply(with_tools("Hello.", Some(json!({"auto": {}})))).expect("valid");
        assert_eq!(response_json(plain.as_ref())["stopReason"], "end_turn");
        assert!(
            refusal(with_tools("Hi.", Some(json!({"tool": {"name": "nope"}})))).contains("nope")
        );
    }

    #[test]
    fn tool_definitions_are_checked_against_the_schema() {
        let error = refusal(json!({"messages": [user("hi")],
            "toolConfig": {"tools": [{"toolSpec": {"name": "x"}}], "toolChoice": {"maybe": {}}}}));
        assert_eq!(
            error,
            "Malformed input request: #/toolConfig/tools/0/toolSpec: required key [inputSchema] \
             not found#/toolConfig/toolChoice: extraneous key [maybe] is not permitted, please \
             reformat your input and try again."
        );
        let bad_name = refusal(json!({"messages": [user("hi")],
            "toolConfig": {"tools": [{"toolSpec": {"name": "a b", "inputSchema": {"json": {}}}}]}}));
        assert!(
            bad_name.contains("toolConfig.tools.1.member.toolSpec.name"),
            "{bad_name}"
        );
    }

    #[test]
    fn tool_results_must_answer_the_previous_turns_tool_uses() {
        let conversation = |result_id: &str| {
            json!({"messages": [
                user("Use get_weather."),
                {"role": "assistant", "content": [{"toolUse": {"toolUseId": "t-1",
                    "name": "get_weather", "input": {"city": "Paris"}}}]},
                {"role": "user", "content": [{"toolResult": {"toolUseId": result_id,
                    "content": [{"json": {"weather": "sunny"}}]}}]}
            ]})
        };
        let answered = response_json(reply(conversation("t-1")).expect("valid").as_ref());
        let text = answered["output"]["message"]["content"][0]["text"].as_str();
        assert!(
            text.is_some_and(|text| text.contains("sunny")),
            "{answered}"
        );
        assert!(refusal(conversation("t-2")).contains("t-2"));
    }

    fn with_attachment(block: Value) -> Value {
        json!({"messages": [{"role": "user", "content": [block, {"text": "What is this?"}]}]})
    }

    #[test]
    fn images_and_documents_are_checked_against_their_bytes() {
        use base64::Engine;
        let encode = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
        let png = encode(b"\x89PNG\r\n\x1a\npicture");
        let image = |format: &str, bytes: &str| {
            with_attachment(json!({"image": {"format": format, "source": {"bytes": bytes}}}))
        };
        assert!(reply(image("png", &png)).is_ok());
        assert!(refusal(image("jpeg", &png)).contains("is not a valid jpeg file"));
        assert!(refusal(image("png", "***")).contains("not valid base64"));
        assert!(
            refusal(image("bmp", &png))
                .contains("#/messages/0/content/0/image/format: bmp is not a valid enum value")
        );
        let document = |name: Option<&str>| {
            let mut document = json!({"format": "pdf", "source": {"bytes": encode(b"%PDF-1.4 x")}});
            if let Some(name) = name {
                document["name"] = json!(name);
            }
            with_attachment(json!({"document": document}))
        };
        assert!(reply(document(Some("report"))).is_ok());
        assert!(
            refusal(document(None))
                .contains("#/messages/0/content/0/document: required key [name] not found")
        );
    }

    #[test]
    fn cache_points_write_then_read_and_only_then_count() {
        let cache = PromptCache::default();
        let body = json!({
            "system": [{"text": "Five words of system prompt."}, {"cachePoint": {"type": "default"}}],
            "messages": [user("Hello there.")]
        });
        let first = invoke("amazon.nova-lite-v1:0", &object(body.clone()), &cache).expect("valid");
        let first = response_json(first.as_ref());
        assert_eq!(first["usage"]["cacheWriteInputTokenCount"], 5);
        assert_eq!(first["usage"]["cacheReadInputTokenCount"], 0);
        assert_eq!(first["usage"]["inputTokens"], 2);
        let second = invoke("amazon.nova-lite-v1:0", &object(body), &cache).expect("valid");
        assert_eq!(
            second
                .usage()
                .and_then(|usage| usage.cache)
                .map(|cache| cache.read),
            Some(5)
        );
        let second = response_json(second.as_ref());
        assert_eq!(second["usage"]["cacheReadInputTokenCount"], 5);
        assert_eq!(second["usage"]["cacheWriteInputTokenCount"], 0);
        let plain = reply(json!({"messages": [user("Hello there.")]})).expect("valid");
        assert_eq!(plain.usage().and_then(|usage| usage.cache), None);
        assert!(
            refusal(
                json!({"messages": [{"role": "user", "content": [{"text": "x"},
            {"cachePoint": {"type": "forever"}}]}]})
            )
            .contains("forever is not a valid enum value")
        );
    }

    #[test]
    fn reasoning_is_nova_2s_and_comes_first() {
        let body = json!({"messages": [user("Think.")],
            "reasoningConfig": {"type": "enabled", "maxReasoningEffort": "low"}});
        let reply = invoke(
            "amazon.nova-2-lite-v1:0",
            &object(body.clone()),
            &PromptCache::default(),
        )
        .expect("valid");
        let answer = response_json(reply.as_ref());
        let content = &answer["output"]["message"]["content"];
        assert!(content[0]["reasoningContent"]["reasoningText"]["text"].is_string());
        assert!(content[1]["text"].is_string());
        let chunks = chunks_json(reply.as_ref(), &metrics(3, 2, 9, 4));
        assert!(chunks[1]["contentBlockDelta"]["delta"]["reasoningContent"]["text"].is_string());
        let error = invoke(
            "amazon.nova-lite-v1:0",
            &object(body),
            &PromptCache::default(),
        )
        .err()
        .expect("Nova 1 does not reason");
        assert!(error.message().contains("reasoningConfig"));
        let plain = response_json(
            invoke(
                "amazon.nova-2-lite-v1:0",
                &object(json!({"messages": [user("Think.")]})),
                &PromptCache::default(),
            )
            .expect("valid")
            .as_ref(),
        );
        assert!(plain["output"]["message"]["content"][0]["text"].is_string());
    }
}
