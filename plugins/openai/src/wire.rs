//! The shapes of what gpt-oss sends back on Bedrock, as far as the adapter
//! reads them: OpenAI's chat completion object (`{"choices": [{"index",
//! "message", "finish_reason"}], "usage"}`) and its streamed
//! `chat.completion.chunk` (`{"choices": [{"index", "delta",
//! "finish_reason"}], "usage"}`).
//!
//! A message's or delta's `content` is a string or `null`; its reasoning
//! comes inside `content` (AWS's page), or in a `reasoning_content` or
//! `reasoning` field, as OpenAI-compatible servers of gpt-oss send it: all
//! are read. `tool_calls` are read in the form of
//! [`bedrock_adapter_kit::functions`]. Invariants: fields the adapter does
//! not use are ignored (Bedrock's `amazon-bedrock-invocationMetrics` among
//! them: the host reads it); a field the adapter uses that has the wrong
//! type is a deserialisation error, which the callers report as
//! `malformed-response`.

use bedrock_adapter_kit::functions::AnsweredCall;
use bedrock_adapter_kit::wire::ChatUsage;
use serde::Deserialize;

/// A chat completion body or chunk.
#[derive(Deserialize)]
pub struct Completion {
    /// The answers (one, unless asked otherwise); a chunk carrying only
    /// usage may have none.
    #[serde(default)]
    pub choices: Vec<Choice>,
    /// The token counts, when sent.
    pub usage: Option<ChatUsage>,
}

/// One answer of a chat completion.
#[derive(Deserialize)]
pub struct Choice {
    /// Which answer this is; absent means the first.
    pub index: Option<u32>,
    /// The message (a body).
    pub message: Option<ChoiceMessage>,
    /// What the message gains (a chunk).
    pub delta: Option<ChoiceMessage>,
    /// Why generation ended; `null` until the end of a stream.
    pub finish_reason: Option<String>,
}

impl Choice {
    /// Whether this is the first answer, the one a stream follows.
    pub fn is_first(&self) -> bool {
        self.index.unwrap_or(0) == 0
    }
}

/// A message or delta, as far as its text, reasoning and tool calls go.
#[derive(Deserialize)]
pub struct ChoiceMessage {
    /// The text, if any (`null` or empty with tool calls).
    pub content: Option<String>,
    /// Reasoning apart from the content, as vLLM-style servers send it.
    pub reasoning_content: Option<String>,
    /// Reasoning apart from the content, under its newer name.
    pub reasoning: Option<String>,
    /// The calls the model made (`null` when none); in a `delta`, whole
    /// calls or fragments of them.
    pub tool_calls: Option<Vec<AnsweredCall>>,
}

impl ChoiceMessage {
    /// The reasoning given apart from the content, if any.
    pub fn separate_reasoning(&mut self) -> Option<String> {
        self.reasoning_content
            .take()
            .or_else(|| self.reasoning.take())
            .filter(|text| !text.is_empty())
    }
}
