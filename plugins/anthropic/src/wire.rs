//! The shapes of what Claude sends back on Bedrock, as far as the adapter
//! reads them: the Messages API response and stream events, and the text
//! completions response and stream chunk. Both the response parser and the
//! stream decoder read through these types.
//!
//! Invariants: fields the adapter does not use are ignored, and so are
//! unknown content-block, delta and event types (forward compatibility); a
//! field the adapter uses that has the wrong type is a deserialisation error,
//! which the callers report as `malformed-response`. Which shape a body is
//! is decided by [`is_completion`], never by model id.

use bedrock_adapter_kit::types::Usage;
use bedrock_adapter_kit::wire::usage;
use serde::Deserialize;
use serde_json::Value;

/// Whether a JSON object is a text completions body or chunk: it has a
/// `completion` field, which no Messages API body or event has.
pub fn is_completion(value: &Value) -> bool {
    value.get("completion").is_some()
}

/// A Messages API response body.
#[derive(Deserialize)]
pub struct Message {
    /// The answer's blocks, in order.
    pub content: Vec<ContentBlock>,
    /// `end_turn`, `max_tokens`, ...; `null` when not given.
    pub stop_reason: Option<String>,
    /// The token counts, when the body has them.
    pub usage: Option<TokenCounts>,
}

/// One block of a message's content.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ContentBlock {
    /// Answer text.
    Text {
        /// The text itself.
        text: String,
    },
    /// A call to one of the request's tools (in a stream's
    /// `content_block_start`, its input is `{}` and comes in deltas).
    ToolUse {
        /// The call's id (`toolu_...`).
        id: String,
        /// The tool's name.
        name: String,
        /// The call's arguments.
        #[serde(default)]
        input: Value,
    },
    /// Extended thinking.
    Thinking {
        /// The reasoning text (empty at a stream's `content_block_start`).
        #[serde(default)]
        thinking: String,
        /// Its signature, sent back unchanged in history.
        signature: Option<String>,
    },
    /// Thinking the safety systems encrypted.
    RedactedThinking {
        /// The opaque data, sent back unchanged in history.
        data: String,
    },
    /// Anything newer.
    #[serde(other)]
    Other,
}

/// A Messages API `usage` object. Cache reads and writes are counted apart
/// (`cache_read_input_tokens`, `cache_creation_input_tokens`):
/// `input_tokens` is the number Bedrock reports as the input token count
/// (header and invocation metrics alike), the tokens read without the
/// cache, as the contract's `usage.input-tokens` means.
#[derive(Deserialize)]
pub struct TokenCounts {
    /// Tokens read, not counting cache reads and writes.
    pub input_tokens: Option<u32>,
    /// Tokens generated (so far, in a stream).
    pub output_tokens: Option<u32>,
    /// Tokens read from the prompt cache.
    pub cache_read_input_tokens: Option<u32>,
    /// Tokens written to the prompt cache.
    pub cache_creation_input_tokens: Option<u32>,
}

impl TokenCounts {
    /// Both counts, when both are present, with the cache counts the body
    /// gives.
    pub fn usage(&self) -> Option<Usage> {
        usage(self.input_tokens, self.output_tokens).map(|counts| Usage {
            cache_read_tokens: self.cache_read_input_tokens,
            cache_write_tokens: self.cache_creation_input_tokens,
            ..counts
        })
    }
}

/// A text completions response body or stream chunk.
#[derive(Deserialize)]
pub struct Completion {
    /// The generated text (of this chunk, in a stream).
    pub completion: String,
    /// `stop_sequence` or `max_tokens`; `null` until the end of a stream.
    pub stop_reason: Option<String>,
    /// The stop sequence that ended generation, if one did.
    pub stop: Option<String>,
}

/// One Messages API stream event.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum StreamEvent {
    /// The start of the message, with the input token count.
    MessageStart {
        /// The message so far.
        message: MessageStart,
    },
    /// The start of a content block, which may carry text already.
    ContentBlockStart {
        /// The block so far.
        content_block: ContentBlock,
    },
    /// More of a content block.
    ContentBlockDelta {
        /// What the block gains.
        delta: Delta,
    },
    /// The end of the current content block.
    ContentBlockStop,
    /// The end of generation: stop reason and output token count.
    MessageDelta {
        /// The message's final fields.
        delta: MessageDelta,
        /// The token counts at the end.
        usage: Option<TokenCounts>,
    },
    /// An error reported inside the stream.
    Error {
        /// What went wrong.
        error: ErrorBody,
    },
    /// `ping`, `message_stop` and anything newer.
    #[serde(other)]
    Other,
}

/// The message of `message_start`: no content yet, the input token count.
#[derive(Deserialize)]
pub struct MessageStart {
    /// The token counts at the start (the input count is final).
    pub usage: Option<TokenCounts>,
}

/// The delta of `content_block_delta`.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Delta {
    /// More answer text.
    #[serde(rename = "text_delta")]
    Text {
        /// The text added.
        text: String,
    },
    /// More of a tool call's input JSON text.
    #[serde(rename = "input_json_delta")]
    InputJson {
        /// The JSON text added.
        partial_json: String,
    },
    /// More reasoning text.
    #[serde(rename = "thinking_delta")]
    Thinking {
        /// The reasoning added.
        thinking: String,
    },
    /// The signature of the thinking block.
    #[serde(rename = "signature_delta")]
    Signature {
        /// The signature.
        signature: String,
    },
    /// Anything newer.
    #[serde(other)]
    Other,
}

/// The delta of `message_delta`.
#[derive(Deserialize)]
pub struct MessageDelta {
    /// Why generation ended.
    pub stop_reason: Option<String>,
}

/// The error of an `error` event.
#[derive(Deserialize)]
pub struct ErrorBody {
    /// The error's type (`overloaded_error`, ...).
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// The error's message.
    pub message: Option<String>,
}
