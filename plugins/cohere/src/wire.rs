//! The shapes of what Command and Command R send back on Bedrock, as far
//! as the adapter reads them: each family's response body, and the stream
//! chunk, whose shapes the two families share one struct for. Both the
//! response parser and the stream decoder read through these types.
//!
//! Command R's `tool_calls` (`{"name", "parameters"}`) are read as
//! [`crate::tools`] reads them. Invariants: fields the adapter does not
//! use are ignored (`id`, `prompt`,
//! `chat_history`, `likelihoods`, `citations`, `meta`, ...); a field the
//! adapter uses that has the wrong type is a deserialisation error, which
//! the callers report as `malformed-response`. No Cohere body on Bedrock
//! carries token counts (none of the recorded ones does), so none are read.

use serde::Deserialize;

use crate::tools::CohereCall;

/// A Command response body (AWS, "Cohere Command models"), and the one
/// chunk a stream sends when the request did not ask for `stream: true`
/// (New Relic's recorded `cohere.command-text-v14` stream).
#[derive(Deserialize)]
pub struct CommandResponse {
    /// One entry per generation (`num_generations`), in order.
    pub generations: Vec<Generation>,
}

/// One generation of a Command response.
#[derive(Deserialize)]
pub struct Generation {
    /// The generated text.
    pub text: String,
    /// `COMPLETE`, `MAX_TOKENS`, `ERROR`, `ERROR_TOXIC`.
    pub finish_reason: Option<String>,
}

/// A Command R response body (AWS, "Cohere Command R and Command R+
/// models").
#[derive(Deserialize)]
pub struct ChatResponse {
    /// The answer (empty when the model only calls tools).
    pub text: String,
    /// `COMPLETE`, `MAX_TOKENS`, `STOP_SEQUENCE`, ...
    pub finish_reason: Option<String>,
    /// The calls the model made, if any.
    pub tool_calls: Option<Vec<CohereCall>>,
}

/// One stream chunk of either family:
/// - Command with `stream: true`: `{"text", "is_finished": false,
///   "index"?}` per token (`index` names the generation when there are
///   several), then `{"is_finished": true, "finish_reason"}` (dd-trace-py
///   `cohere_invoke_stream_*` recordings);
/// - Command without it: one chunk holding a whole response
///   (`generations`);
/// - Command R: `{"event_type": "text-generation", "text"}` per token,
///   `{"event_type": "tool-calls-generation", "tool_calls"}` with the whole
///   calls, then `{"event_type": "stream-end", "finish_reason",
///   "response"}`, among other event types the adapter does not read.
#[derive(Deserialize)]
pub struct Chunk {
    /// Command R's event type.
    pub event_type: Option<String>,
    /// A whole Command response sent as one chunk.
    pub generations: Option<Vec<Generation>>,
    /// The text of this chunk.
    pub text: Option<String>,
    /// The generation the text belongs to (Command, several generations).
    pub index: Option<u32>,
    /// Whether this chunk ends the stream.
    pub is_finished: Option<bool>,
    /// Why generation ended, on the chunk that ends the stream.
    pub finish_reason: Option<String>,
    /// Command R's calls, in a `tool-calls-generation` event.
    pub tool_calls: Option<Vec<CohereCall>>,
}
