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

/// One block of a message's content; only text is answer text.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ContentBlock {
    /// Answer text.
    Text {
        /// The text itself.
        text: String,
    },
    /// `tool_use`, `thinking`, `redacted_thinking` and anything newer.
    #[serde(other)]
    Other,
}

/// A Messages API `usage` object. Cache reads and writes are counted apart
/// (`cache_read_input_tokens`, `cache_creation_input_tokens`) and are not
/// read: `input_tokens` is the number Bedrock reports as the input token
/// count (header and invocation metrics alike).
#[derive(Deserialize)]
pub struct TokenCounts {
    /// Tokens read, not counting cache reads and writes.
    pub input_tokens: Option<u32>,
    /// Tokens generated (so far, in a stream).
    pub output_tokens: Option<u32>,
}

impl TokenCounts {
    /// Both counts, when both are present.
    pub fn usage(&self) -> Option<Usage> {
        usage(self.input_tokens, self.output_tokens)
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
    /// `ping`, `content_block_stop`, `message_stop` and anything newer.
    #[serde(other)]
    Other,
}

/// The message of `message_start`: no content yet, the input token count.
#[derive(Deserialize)]
pub struct MessageStart {
    /// The token counts at the start (the input count is final).
    pub usage: Option<TokenCounts>,
}

/// The delta of `content_block_delta`; only text deltas are answer text.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Delta {
    /// More answer text.
    TextDelta {
        /// The text added.
        text: String,
    },
    /// `input_json_delta`, `thinking_delta`, `signature_delta`, ...
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
