//! The shapes of what Mistral models send back on Bedrock, as far as the
//! adapter reads them: the text completion body and chunk
//! (`{"outputs": [{"text", "stop_reason"}]}`, AWS "Mistral AI text
//! completion" and recorded traffic), and the chat completion body and
//! chunk (`{"choices": [{"message" | "delta", "stop_reason" |
//! "finish_reason"}], "usage"}`).
//!
//! AWS's chat completion page names the choice's stop field `stop_reason`,
//! while Mistral's own API, which the later Bedrock models follow, names it
//! `finish_reason` and streams `delta`s; both spellings are read, and
//! `content` is read as a string or as a list of typed parts (only `text`
//! parts are answer text); `tool_calls` are read in the OpenAI-like form
//! of [`bedrock_adapter_kit::functions`]. Invariants: which shape a body or chunk is is
//! decided by [`shape`], by its keys, never by model id; fields the adapter
//! does not use are ignored (Bedrock's `amazon-bedrock-invocationMetrics`
//! among them: the host reads it); a field the adapter uses that has the
//! wrong type is a deserialisation error, which the callers report as
//! `malformed-response`.

use bedrock_adapter_kit::functions::AnsweredCall;
use bedrock_adapter_kit::wire::ChatUsage;
use serde::Deserialize;
use serde_json::Value;

/// Which API a body or chunk comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// It has `outputs`.
    Completion,
    /// It has `choices`.
    Chat,
    /// Neither.
    Unknown,
}

/// The shape of a JSON object.
pub fn shape(value: &Value) -> Shape {
    if value.get("outputs").is_some() {
        Shape::Completion
    } else if value.get("choices").is_some() {
        Shape::Chat
    } else {
        Shape::Unknown
    }
}

/// A text completion body or chunk.
#[derive(Deserialize)]
pub struct Completion {
    /// The generations (one, unless asked otherwise).
    pub outputs: Vec<CompletionOutput>,
}

/// One generation of a text completion.
#[derive(Deserialize)]
pub struct CompletionOutput {
    /// The generated text (of this chunk, in a stream).
    pub text: String,
    /// `stop` or `length`; `null` until the last chunk of a stream.
    pub stop_reason: Option<String>,
}

/// A chat completion body or chunk.
#[derive(Deserialize)]
pub struct Chat {
    /// The answers (one, unless asked otherwise).
    pub choices: Vec<Choice>,
    /// The token counts, when sent.
    pub usage: Option<ChatUsage>,
}

/// One answer of a chat completion.
#[derive(Deserialize)]
pub struct Choice {
    /// Which answer this is; absent means the first.
    pub index: Option<u32>,
    /// The message (a body, and Bedrock's documented chunks).
    pub message: Option<ChoiceMessage>,
    /// What the message gains (chunks in Mistral's own streaming form).
    pub delta: Option<ChoiceMessage>,
    /// Why generation ended, as Mistral's API names it.
    pub finish_reason: Option<String>,
    /// Why generation ended, as AWS's chat completion page names it.
    pub stop_reason: Option<String>,
}

impl Choice {
    /// Whether this is the first answer, the one a stream follows.
    pub fn is_first(&self) -> bool {
        self.index.unwrap_or(0) == 0
    }

    /// The stop reason, under either name.
    pub fn reason(&self) -> Option<&str> {
        self.finish_reason
            .as_deref()
            .or(self.stop_reason.as_deref())
    }

    /// The answer text of the message or delta (`None` when there is none:
    /// a chunk that only names the role) and its tool calls.
    pub fn into_parts(self) -> (Option<String>, Vec<AnsweredCall>) {
        let Some(ChoiceMessage {
            content,
            tool_calls,
        }) = self.message.or(self.delta)
        else {
            return (None, Vec::new());
        };
        let text = content.map(|content| match content {
            MessageContent::Text(text) => text,
            MessageContent::Parts(parts) => parts
                .into_iter()
                .filter(|part| part.kind == "text")
                .filter_map(|part| part.text)
                .collect(),
        });
        (text, tool_calls.unwrap_or_default())
    }
}

/// A message or delta, as far as its answer text and tool calls go.
#[derive(Deserialize)]
pub struct ChoiceMessage {
    /// The text, if any (`null` or empty with tool calls).
    pub content: Option<MessageContent>,
    /// The calls the model made (`null` when none); in a `delta`, whole
    /// calls or fragments of them.
    pub tool_calls: Option<Vec<AnsweredCall>>,
}

/// A message's content: a string, or a list of typed parts.
#[derive(Deserialize)]
#[serde(untagged)]
pub enum MessageContent {
    /// Plain text.
    Text(String),
    /// Typed parts (`text`, `thinking`, ...).
    Parts(Vec<ContentPart>),
}

/// One typed part of a message's content.
#[derive(Deserialize)]
pub struct ContentPart {
    /// `text`, `thinking`, ...
    #[serde(rename = "type")]
    pub kind: String,
    /// The text of a `text` part.
    pub text: Option<String>,
}
