//! The shape of what Llama sends back on Bedrock, as far as the adapter
//! reads it: one type for the response body and for each streamed chunk,
//! which have the same fields (AWS, "Meta Llama models", response; the
//! recorded traffic of `tests/fixtures/bedrock`).
//!
//! Invariants: fields the adapter does not use are ignored (Bedrock's
//! `amazon-bedrock-invocationMetrics` among them: the host reads it); a
//! field the adapter uses that has the wrong type is a deserialisation
//! error, which the callers report as `malformed-response`.

use serde::Deserialize;

/// A response body, or one streamed chunk.
#[derive(Deserialize)]
pub struct Generation {
    /// The generated text (of this chunk, in a stream).
    pub generation: Option<String>,
    /// Tokens read; in a stream, only the first chunk has it (later ones
    /// send `null`).
    pub prompt_token_count: Option<u32>,
    /// Tokens generated (so far, in a stream).
    pub generation_token_count: Option<u32>,
    /// `stop` or `length`; `null` until the last chunk of a stream.
    pub stop_reason: Option<String>,
}
