//! The shape of what Palmyra sends back on Bedrock, as far as the adapter
//! reads it: the chat completion body of AWS's response example (`{"choices":
//! [{"message": {"content", "reasoning_content"}, "finish_reason"}],
//! "usage"}`) and, streamed, its chunks in OpenAI's form (`delta` in place
//! of `message`).
//!
//! Invariants: the first choice (index 0) is the answer; fields the adapter
//! does not use are ignored (Bedrock's `amazon-bedrock-invocationMetrics`
//! among them: the host reads it); a field the adapter uses that has the
//! wrong type is a deserialisation error, which the callers report as
//! `malformed-response`.

use bedrock_adapter_kit::wire::ChatUsage;
use serde::Deserialize;

/// A response body, or one streamed chunk.
#[derive(Deserialize)]
pub struct Chat {
    /// The choices; Bedrock sends one.
    #[serde(default)]
    pub choices: Vec<Choice>,
    /// Token counts (the body; in a stream, the chunk that has them).
    pub usage: Option<ChatUsage>,
}

/// One choice of a body or chunk.
#[derive(Deserialize)]
pub struct Choice {
    /// Its position among the choices.
    #[serde(default)]
    pub index: u32,
    /// The answer, in a body.
    pub message: Option<Said>,
    /// The answer's next piece, in a stream.
    pub delta: Option<Said>,
    /// Why the answer ended; `null` until then.
    pub finish_reason: Option<String>,
}

/// What a message or a delta says.
#[derive(Deserialize)]
pub struct Said {
    /// Answer text.
    pub content: Option<String>,
    /// Reasoning text, apart from the answer (`null` in AWS's example).
    pub reasoning_content: Option<String>,
}

impl Chat {
    /// The first choice, taken out.
    pub fn first(self) -> Option<Choice> {
        self.choices.into_iter().find(|choice| choice.index == 0)
    }
}
