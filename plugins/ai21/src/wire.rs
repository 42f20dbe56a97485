//! The shapes of what AI21 models send back on Bedrock, as far as the
//! adapter reads them: Jamba's chat body and chunk (`{"choices":
//! [{"message" | "delta", "finish_reason"}], "usage"}`, AWS "AI21 Labs
//! Jamba models" and AI21's chat response reference), and Jurassic-2's body
//! (`{"prompt": {"tokens"}, "completions": [{"data": {"text", "tokens"},
//! "finishReason": {"reason"}}]}`, recorded traffic).
//!
//! Invariants: which shape a body or chunk is is decided by [`shape`], by
//! its keys, never by model id; fields the adapter does not use are ignored
//! (Bedrock's `amazon-bedrock-invocationMetrics` among them: the host reads
//! it), and Jurassic-2's token lists are counted, not kept; a field the
//! adapter uses that has the wrong type is a deserialisation error, which
//! the callers report as `malformed-response`.

use bedrock_adapter_kit::functions::AnsweredCall;
use bedrock_adapter_kit::types::Usage;
use bedrock_adapter_kit::wire::ChatUsage;
use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::Value;

/// Which family a body or chunk comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// It has `choices`.
    Jamba,
    /// It has `completions`.
    Jurassic2,
    /// Neither.
    Unknown,
}

/// The shape of a JSON object.
pub fn shape(value: &Value) -> Shape {
    if value.get("choices").is_some() {
        Shape::Jamba
    } else if value.get("completions").is_some() {
        Shape::Jurassic2
    } else {
        Shape::Unknown
    }
}

/// A Jamba body or chunk.
#[derive(Deserialize)]
pub struct Chat {
    /// The answers (`n` of them; one in a stream).
    pub choices: Vec<Choice>,
    /// The token counts (in a stream, the last chunk's).
    pub usage: Option<ChatUsage>,
}

/// One answer of a Jamba chat completion.
#[derive(Deserialize)]
pub struct Choice {
    /// Which answer this is; absent means the first.
    pub index: Option<u32>,
    /// The message (a body).
    pub message: Option<ChoiceMessage>,
    /// What the message gains (a chunk).
    pub delta: Option<ChoiceMessage>,
    /// `stop`, `length`, ...; `null` until the last chunk of a stream.
    pub finish_reason: Option<String>,
}

impl Choice {
    /// Whether this is the first answer, the one a stream follows.
    pub fn is_first(&self) -> bool {
        self.index.unwrap_or(0) == 0
    }

    /// The answer text of the message or delta (`None` when there is none:
    /// a tool call, or a chunk that only names the role) and its tool calls.
    pub fn into_parts(self) -> (Option<String>, Vec<AnsweredCall>) {
        match self.message.or(self.delta) {
            Some(ChoiceMessage {
                content,
                tool_calls,
            }) => (content, tool_calls.unwrap_or_default()),
            None => (None, Vec::new()),
        }
    }
}

/// A message or delta, as far as its answer text and tool calls go.
#[derive(Deserialize)]
pub struct ChoiceMessage {
    /// The text, if any (`null` with tool calls).
    pub content: Option<String>,
    /// The calls the model made, in the form of
    /// [`bedrock_adapter_kit::functions`] (`null` when none).
    pub tool_calls: Option<Vec<AnsweredCall>>,
}

/// A Jurassic-2 body.
#[derive(Deserialize)]
pub struct Completions {
    /// The prompt as the model read it.
    pub prompt: Option<Tokens>,
    /// The generations (`numResults` of them).
    pub completions: Vec<Completion>,
}

/// One Jurassic-2 generation.
#[derive(Deserialize)]
pub struct Completion {
    /// Its text and tokens.
    pub data: CompletionData,
    /// Why it ended.
    #[serde(rename = "finishReason")]
    pub finish_reason: Option<FinishReason>,
}

/// The text and tokens of a Jurassic-2 generation.
#[derive(Deserialize)]
pub struct CompletionData {
    /// The generated text.
    pub text: String,
    /// One entry per generated token.
    pub tokens: Option<Vec<IgnoredAny>>,
}

/// Something Jurassic-2 tokenised: only how many tokens it had is read.
#[derive(Deserialize)]
pub struct Tokens {
    /// One entry per token.
    pub tokens: Option<Vec<IgnoredAny>>,
}

/// Why a Jurassic-2 generation ended.
#[derive(Deserialize)]
pub struct FinishReason {
    /// `endoftext`, `length` or `stop`.
    pub reason: String,
}

impl Completions {
    /// The token counts: the prompt's tokens, and all generations' tokens.
    /// Jurassic-2 sends no counts, but lists every token it read and wrote,
    /// and in the recordings these lengths equal Bedrock's token-count
    /// headers. `None` when a list is missing.
    pub fn usage(&self) -> Option<Usage> {
        let input = self.prompt.as_ref()?.tokens.as_ref()?.len();
        let output = self
            .completions
            .iter()
            .map(|completion| completion.data.tokens.as_ref().map(Vec::len))
            .sum::<Option<usize>>()?;
        Some(Usage {
            input_tokens: u32::try_from(input).ok()?,
            output_tokens: u32::try_from(output).ok()?,
            cache_read_tokens: None,
            cache_write_tokens: None,
        })
    }
}
