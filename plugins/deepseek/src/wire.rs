//! The shape of what DeepSeek-R1 sends back on Bedrock, as far as the
//! adapter reads it: one type for the response body and for each streamed
//! chunk, `{"choices": [{"text", "stop_reason"}]}` (AWS, "DeepSeek
//! models", response body).
//!
//! Invariants: fields the adapter does not use are ignored (Bedrock's
//! `amazon-bedrock-invocationMetrics` among them: the host reads it); a
//! field the adapter uses that has the wrong type is a deserialisation
//! error, which the callers report as `malformed-response`.

use serde::Deserialize;

/// A response body, or one streamed chunk.
#[derive(Deserialize)]
pub struct Completion {
    /// The choices; Bedrock sends one.
    pub choices: Option<Vec<Choice>>,
}

/// One choice of a completion.
#[derive(Deserialize)]
pub struct Choice {
    /// The generated text (of this chunk, in a stream).
    pub text: Option<String>,
    /// `stop` or `length`; `null` until the last chunk of a stream.
    pub stop_reason: Option<String>,
}
