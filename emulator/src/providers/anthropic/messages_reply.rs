//! How a Claude Messages reply is written, in the recorded shapes (dd-trace
//! `anthropic_message_invoke*.yaml`, the OTel Claude tool-call cassettes and decoded streams,
//! openllmetry's prompt-cache cassette) and Anthropic's documented streaming events.
//! Non-streamed: `{"id","type":"message","role","model","content":[...],"stop_reason",
//! "stop_sequence","usage":{"input_tokens",["cache_creation_input_tokens",
//! "cache_read_input_tokens",]"output_tokens"}}`, content blocks `thinking` (with `signature`),
//! `text` and `tool_use` (`id`, `name`, `input`). Streamed: `message_start`, then for each block
//! `content_block_start`, its deltas (`thinking_delta` then one `signature_delta`, `text_delta`
//! per word, or `input_json_delta` fragments starting with an empty one) and
//! `content_block_stop`, then `message_delta` (stop reason, output tokens) and `message_stop`
//! (which carries the invocation metrics). Invariant: the streamed blocks, put together, are the
//! non-streamed content, and the cache counts appear exactly when the request had cache points.

use serde::Serialize;
use serde_json::Value;

use crate::generator::{Finish, Generation};
use crate::providers::prompt_cache::CacheUsage;
use crate::providers::{InvocationMetrics, Reply, TokenUsage, count_words};

/// Output tokens `message_start` reports before any text is generated.
const INITIAL_OUTPUT_TOKENS: u32 = 1;
/// Characters per `input_json_delta` fragment.
const JSON_FRAGMENT_WIDTH: usize = 12;

/// The model's thinking, shown before its answer.
pub(super) struct Thinking {
    pub generation: Generation,
    pub signature: String,
}

/// What the model answers after any thinking.
pub(super) enum Answer {
    Text(Generation),
    ToolUse {
        id: String,
        name: String,
        input: Value,
    },
}

/// A generated reply, ready to render.
pub(super) struct MessagesReply {
    pub id: String,
    pub model: &'static str,
    /// Input tokens neither read from nor written to the cache.
    pub input_tokens: u32,
    pub cache: Option<CacheUsage>,
    pub thinking: Option<Thinking>,
    pub answer: Answer,
}

#[derive(Serialize)]
struct MessageBody<'a> {
    id: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    role: &'static str,
    model: &'a str,
    content: Vec<Block<'a>>,
    stop_reason: Option<&'static str>,
    stop_sequence: Option<&'a str>,
    usage: Usage,
}

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Block<'a> {
    Thinking {
        thinking: &'a str,
        signature: &'a str,
    },
    Text {
        text: &'a str,
    },
    ToolUse {
        id: &'a str,
        name: &'a str,
        input: &'a Value,
    },
}

/// The `delta` of a `content_block_delta` event; its `type` is the variant's name + `_delta`.
#[derive(Serialize)]
#[serde(tag = "type")]
enum Delta<'a> {
    #[serde(rename = "thinking_delta")]
    Thinking { thinking: &'a str },
    #[serde(rename = "signature_delta")]
    Signature { signature: &'a str },
    #[serde(rename = "text_delta")]
    Text { text: &'a str },
    #[serde(rename = "input_json_delta")]
    InputJson { partial_json: &'a str },
}

#[derive(Serialize)]
struct Usage {
    input_tokens: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    cache_creation_input_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cache_read_input_tokens: Option<u32>,
    output_tokens: u32,
}

#[derive(Serialize)]
struct StopDelta<'a> {
    stop_reason: &'static str,
    stop_sequence: Option<&'a str>,
}

#[derive(Serialize)]
struct OutputUsage {
    output_tokens: u32,
}

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum StreamEvent<'a> {
    MessageStart {
        message: MessageBody<'a>,
    },
    ContentBlockStart {
        index: usize,
        content_block: Block<'a>,
    },
    ContentBlockDelta {
        index: usize,
        delta: Delta<'a>,
    },
    ContentBlockStop {
        index: usize,
    },
    MessageDelta {
        delta: StopDelta<'a>,
        usage: OutputUsage,
    },
    MessageStop {
        #[serde(rename = "amazon-bedrock-invocationMetrics")]
        invocation_metrics: &'a InvocationMetrics,
    },
}

/// An empty object, the `input` a streamed `tool_use` block starts with.
static EMPTY_INPUT: std::sync::LazyLock<Value> =
    std::sync::LazyLock::new(|| Value::Object(serde_json::Map::new()));

impl MessagesReply {
    fn stop(&self) -> (&'static str, Option<&str>) {
        match &self.answer {
            Answer::ToolUse { .. } => ("tool_use", None),
            Answer::Text(generation) => match &generation.finish {
                Finish::Natural => ("end_turn", None),
                Finish::MaxTokens => ("max_tokens", None),
                Finish::StopSequence(sequence) => ("stop_sequence", Some(sequence.as_str())),
            },
        }
    }

    fn output_tokens(&self) -> u32 {
        let thinking = self
            .thinking
            .as_ref()
            .map_or(0, |thinking| thinking.generation.output_tokens);
        let answer = match &self.answer {
            Answer::Text(generation) => generation.output_tokens,
            Answer::ToolUse { input, .. } => count_words(&input.to_string()).max(1),
        };
        thinking.saturating_add(answer)
    }

    fn usage_body(&self, output_tokens: u32) -> Usage {
        Usage {
            input_tokens: self.input_tokens,
            cache_creation_input_tokens: self.cache.map(|cache| cache.write),
            cache_read_input_tokens: self.cache.map(|cache| cache.read),
            output_tokens,
        }
    }

    fn message<'a>(&'a self, content: Vec<Block<'a>>) -> MessageBody<'a> {
        let (stop_reason, stop_sequence) = self.stop();
        MessageBody {
            id: &self.id,
            kind: "message",
            role: "assistant",
            model: self.model,
            content,
            stop_reason: Some(stop_reason),
            stop_sequence,
            usage: self.usage_body(self.output_tokens()),
        }
    }
}

impl Reply for MessagesReply {
    fn usage(&self) -> Option<TokenUsage> {
        Some(TokenUsage {
            input_tokens: self.input_tokens,
            output_tokens: self.output_tokens(),
            cache: self.cache,
        })
    }

    fn response_body(&self) -> Result<Vec<u8>, serde_json::Error> {
        let thinking_text = self
            .thinking
            .as_ref()
            .map(|thinking| thinking.generation.text());
        let answer_text = match &self.answer {
            Answer::Text(generation) => Some(generation.text()),
            Answer::ToolUse { .. } => None,
        };
        let mut content = Vec::new();
        if let (Some(thinking), Some(text)) = (&self.thinking, &thinking_text) {
            content.push(Block::Thinking {
                thinking: text,
                signature: &thinking.signature,
            });
        }
        content.push(match (&self.answer, &answer_text) {
            (Answer::ToolUse { id, name, input }, _) => Block::ToolUse { id, name, input },
            (Answer::Text(_), text) => Block::Text {
                text: text.as_deref().unwrap_or_default(),
            },
        });
        serde_json::to_vec(&self.message(content))
    }

    fn stream_chunks(
        &self,
        metrics: &InvocationMetrics,
    ) -> Result<Vec<Vec<u8>>, serde_json::Error> {
        let (stop_reason, stop_sequence) = self.stop();
        let mut events = vec![StreamEvent::MessageStart {
            message: MessageBody {
                id: &self.id,
                kind: "message",
                role: "assistant",
                model: self.model,
                content: Vec::new(),
                stop_reason: None,
                stop_sequence: None,
                usage: self.usage_body(INITIAL_OUTPUT_TOKENS),
            },
        }];
        let mut index = 0;
        if let Some(thinking) = &self.thinking {
            events.push(StreamEvent::ContentBlockStart {
                index,
                content_block: Block::Thinking {
                    thinking: "",
                    signature: "",
                },
            });
            events.extend(thinking.generation.pieces.iter().map(|piece| {
                StreamEvent::ContentBlockDelta {
                    index,
                    delta: Delta::Thinking { thinking: piece },
                }
            }));
            events.push(StreamEvent::ContentBlockDelta {
                index,
                delta: Delta::Signature {
                    signature: &thinking.signature,
                },
            });
            events.push(StreamEvent::ContentBlockStop { index });
            index += 1;
        }
        let input_json = match &self.answer {
            Answer::ToolUse { input, .. } => input.to_string(),
            Answer::Text(_) => String::new(),
        };
        let fragments = crate::providers::tools::json_fragments(&input_json, JSON_FRAGMENT_WIDTH);
        match &self.answer {
            Answer::Text(generation) => {
                events.push(StreamEvent::ContentBlockStart {
                    index,
                    content_block: Block::Text { text: "" },
                });
                events.extend(generation.pieces.iter().map(|piece| {
                    StreamEvent::ContentBlockDelta {
                        index,
                        delta: Delta::Text { text: piece },
                    }
                }));
            }
            Answer::ToolUse { id, name, .. } => {
                events.push(StreamEvent::ContentBlockStart {
                    index,
                    content_block: Block::ToolUse {
                        id,
                        name,
                        input: &EMPTY_INPUT,
                    },
                });
                events.extend(
                    fragments
                        .iter()
                        .map(|fragment| StreamEvent::ContentBlockDelta {
                            index,
                            delta: Delta::InputJson {
                                partial_json: fragment,
                            },
                        }),
                );
            }
        }
        events.extend([
            StreamEvent::ContentBlockStop { index },
            StreamEvent::MessageDelta {
                delta: StopDelta {
                    stop_reason,
                    stop_sequence,
                },
                usage: OutputUsage {
                    output_tokens: self.output_tokens(),
                },
            },
            StreamEvent::MessageStop {
                invocation_metrics: metrics,
            },
        ]);
        events.iter().map(serde_json::to_vec).collect()
    }
}
