//! The shapes of what Nova and Titan Text send back on Bedrock, as far as
//! the adapter reads them: each family's response body and stream chunk.
//! Both the response parser and the stream decoder read through these types.
//!
//! Invariants: fields the adapter does not use are ignored, and so are
//! unknown content blocks and stream events (forward compatibility); a
//! field the adapter uses that has the wrong type is a deserialisation
//! error, which the callers report as `malformed-response`. Token counts
//! are read through [`Count`], which also takes the integral floats
//! (`28.0`) that Titan sends when a guardrail is applied (openllmetry
//! `test_guardrails` recordings).

use bedrock_adapter_kit::types::Usage;
use bedrock_adapter_kit::wire::usage;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// A token count: a JSON number that is a whole number from 0 to
/// `u32::MAX`, written as an integer or as a float (`28.0`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Count(pub u32);

impl<'de> Deserialize<'de> for Count {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let number = serde_json::Number::deserialize(deserializer)?;
        let whole = match (number.as_u64(), number.as_f64()) {
            (Some(n), _) => Some(n),
            (None, Some(f)) if f.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&f) => {
                // Exact: `f` is a whole number within u32's range.
                Some(f as u64)
            }
            _ => None,
        };
        whole
            .and_then(|n| u32::try_from(n).ok())
            .map(Count)
            .ok_or_else(|| D::Error::custom(format!("{number} is not a token count")))
    }
}

// ---------------------------------------------------------------------------
// Nova: AWS, "Amazon Nova: response structure highlights"
// <https://docs.aws.amazon.com/nova/latest/userguide/complete-request-schema-response.html>.

/// A Nova response body.
#[derive(Deserialize)]
pub struct NovaResponse {
    /// The answer.
    pub output: NovaOutput,
    /// `end_turn`, `max_tokens`, ...
    #[serde(rename = "stopReason")]
    pub stop_reason: Option<String>,
    /// The token counts; a body rewritten by a guardrail may lack the
    /// output count (openllmetry `test_nova_completion`).
    pub usage: Option<NovaUsage>,
}

/// `output` of a Nova response.
#[derive(Deserialize)]
pub struct NovaOutput {
    /// The assistant's message.
    pub message: NovaMessage,
}

/// The assistant's message of a Nova response.
#[derive(Deserialize)]
pub struct NovaMessage {
    /// The message's blocks, in order.
    pub content: Vec<NovaBlock>,
}

/// One content block: text, a tool call or reasoning (other blocks are
/// skipped).
#[derive(Deserialize)]
pub struct NovaBlock {
    /// The text of a text block.
    pub text: Option<String>,
    /// The reasoning of a `reasoningContent` block.
    #[serde(rename = "reasoningContent")]
    pub reasoning_content: Option<NovaReasoning>,
    /// The call of a `toolUse` block.
    #[serde(rename = "toolUse")]
    pub tool_use: Option<NovaToolUse>,
}

/// A `reasoningContent` block (Nova 2 sends its text as `[REDACTED]`).
#[derive(Deserialize)]
pub struct NovaReasoning {
    /// The reasoning text, when the block has one.
    #[serde(rename = "reasoningText")]
    pub reasoning_text: Option<NovaReasoningText>,
}

/// `reasoningText`.
#[derive(Deserialize)]
pub struct NovaReasoningText {
    /// The text.
    pub text: String,
    /// Its signature, when Nova gives one.
    pub signature: Option<String>,
}

/// A `toolUse` block of a response.
#[derive(Deserialize)]
pub struct NovaToolUse {
    /// The call's id.
    #[serde(rename = "toolUseId")]
    pub tool_use_id: String,
    /// The tool's name.
    pub name: String,
    /// The call's arguments.
    #[serde(default)]
    pub input: Value,
}

/// Nova's `usage` (also `metadata.usage` in a stream). Cache reads and
/// writes are counted apart from `inputTokens`.
#[derive(Deserialize)]
pub struct NovaUsage {
    /// Tokens read, not counting cache reads and writes.
    #[serde(rename = "inputTokens")]
    pub input_tokens: Option<Count>,
    /// Tokens generated.
    #[serde(rename = "outputTokens")]
    pub output_tokens: Option<Count>,
    /// Tokens read from the prompt cache.
    #[serde(rename = "cacheReadInputTokenCount")]
    pub cache_read: Option<Count>,
    /// Tokens written to the prompt cache.
    #[serde(rename = "cacheWriteInputTokenCount")]
    pub cache_write: Option<Count>,
}

impl NovaUsage {
    /// Both counts, when both are present, with the cache counts given.
    pub fn usage(&self) -> Option<Usage> {
        usage(
            self.input_tokens.map(|count| count.0),
            self.output_tokens.map(|count| count.0),
        )
        .map(|counts| Usage {
            cache_read_tokens: self.cache_read.map(|count| count.0),
            cache_write_tokens: self.cache_write.map(|count| count.0),
            ..counts
        })
    }
}

/// One Nova stream chunk: an object with one event key. Events the adapter
/// does not read (`messageStart`) and Bedrock's own keys
/// (`amazon-bedrock-invocationMetrics`, ...) are ignored.
#[derive(Deserialize)]
pub struct NovaChunk {
    /// The start of a content block (a tool call's id and name).
    #[serde(rename = "contentBlockStart")]
    pub content_block_start: Option<NovaBlockStart>,
    /// The end of a content block.
    #[serde(rename = "contentBlockStop")]
    pub content_block_stop: Option<Value>,
    /// More of a content block.
    #[serde(rename = "contentBlockDelta")]
    pub content_block_delta: Option<NovaBlockDelta>,
    /// The end of the message, with the stop reason.
    #[serde(rename = "messageStop")]
    pub message_stop: Option<NovaMessageStop>,
    /// The token counts, after `messageStop`.
    pub metadata: Option<NovaMetadata>,
}

/// `contentBlockDelta`.
#[derive(Deserialize)]
pub struct NovaBlockDelta {
    /// What the block gains.
    pub delta: NovaDelta,
}

/// `contentBlockStart`.
#[derive(Deserialize)]
pub struct NovaBlockStart {
    /// What the block starts with.
    pub start: NovaStart,
}

/// The start of a block: a tool call's, or another kind (skipped).
#[derive(Deserialize)]
pub struct NovaStart {
    /// A tool call's id and name.
    #[serde(rename = "toolUse")]
    pub tool_use: Option<NovaToolStart>,
}

/// The id and name of a streamed tool call.
#[derive(Deserialize)]
pub struct NovaToolStart {
    /// The call's id.
    #[serde(rename = "toolUseId")]
    pub tool_use_id: String,
    /// The tool's name.
    pub name: String,
}

/// The delta of a content block: answer text, reasoning, or a fragment of
/// a tool call's input.
#[derive(Deserialize)]
pub struct NovaDelta {
    /// Text added to a text block.
    pub text: Option<String>,
    /// Reasoning added to a `reasoningContent` block.
    #[serde(rename = "reasoningContent")]
    pub reasoning_content: Option<NovaReasoningDelta>,
    /// Input added to a tool call.
    #[serde(rename = "toolUse")]
    pub tool_use: Option<NovaToolDelta>,
}

/// A fragment of streamed reasoning.
#[derive(Deserialize)]
pub struct NovaReasoningDelta {
    /// The reasoning text added.
    pub text: Option<String>,
}

/// A fragment of a streamed tool call's input.
#[derive(Deserialize)]
pub struct NovaToolDelta {
    /// JSON text.
    pub input: String,
}

/// `messageStop`.
#[derive(Deserialize)]
pub struct NovaMessageStop {
    /// Why generation ended.
    #[serde(rename = "stopReason")]
    pub stop_reason: Option<String>,
}

/// `metadata`.
#[derive(Deserialize)]
pub struct NovaMetadata {
    /// The stream's token counts.
    pub usage: Option<NovaUsage>,
}

// ---------------------------------------------------------------------------
// Titan Text: AWS, "Amazon Titan Text models"
// <https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-titan-text.html>.

/// A Titan Text response body.
#[derive(Deserialize)]
pub struct TitanResponse {
    /// Tokens in the prompt.
    #[serde(rename = "inputTextTokenCount")]
    pub input_text_token_count: Option<Count>,
    /// The generations (always one, per AWS).
    pub results: Vec<TitanResult>,
}

/// One result of a Titan response.
#[derive(Deserialize)]
pub struct TitanResult {
    /// Tokens generated.
    #[serde(rename = "tokenCount")]
    pub token_count: Option<Count>,
    /// The generated text.
    #[serde(rename = "outputText")]
    pub output_text: String,
    /// `FINISH`, `LENGTH`, ...
    #[serde(rename = "completionReason")]
    pub completion_reason: Option<String>,
}

/// One Titan stream chunk. The counts and the completion reason arrive on
/// some chunks only (`null` or absent on the others).
#[derive(Deserialize)]
pub struct TitanChunk {
    /// The text of this chunk.
    #[serde(rename = "outputText")]
    pub output_text: Option<String>,
    /// Why generation ended, on the last chunk.
    #[serde(rename = "completionReason")]
    pub completion_reason: Option<String>,
    /// Tokens in the prompt.
    #[serde(rename = "inputTextTokenCount")]
    pub input_text_token_count: Option<Count>,
    /// Tokens generated so far.
    #[serde(rename = "totalOutputTextTokenCount")]
    pub total_output_text_token_count: Option<Count>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(json: &str) -> Result<Count, serde_json::Error> {
        serde_json::from_str(json)
    }

    #[test]
    fn counts() {
        assert_eq!(count("28").ok(), Some(Count(28)));
        assert_eq!(count("28.0").ok(), Some(Count(28)));
        assert_eq!(count("4294967295").ok(), Some(Count(u32::MAX)));
        for bad in ["-1", "1.5", "4294967296", "\"3\"", "null", "1e300"] {
            assert!(count(bad).is_err(), "{bad}");
        }
    }
}
