//! The shape of what Llama sends back on Bedrock, as far as the adapter
//! reads it: one type for the response body and for each streamed chunk,
//! which have the same fields (AWS, "Meta Llama models", response; recorded
//! traffic in `testdata/recorded.json`).
//!
//! Invariants: fields the adapter does not use are ignored (Bedrock's
//! `amazon-bedrock-invocationMetrics` among them: the host reads it); a
//! field the adapter uses that has the wrong type is a deserialisation
//! error, which the callers report as `malformed-response`.

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::bedrock::adapter::types::AdapterError;

/// Parses `bytes` as a JSON object, naming `what` in the error.
pub fn object(bytes: &[u8], what: &str) -> Result<Value, AdapterError> {
    let value: Value = serde_json::from_slice(bytes)
        .map_err(|err| AdapterError::MalformedResponse(format!("{what} is not JSON: {err}")))?;
    if value.is_object() {
        Ok(value)
    } else {
        Err(AdapterError::MalformedResponse(format!(
            "{what} is not a JSON object: {value}"
        )))
    }
}

/// Reads `value` as `T`, naming `what` in the error.
pub fn read<T: DeserializeOwned>(value: Value, what: &str) -> Result<T, AdapterError> {
    T::deserialize(value)
        .map_err(|err| AdapterError::MalformedResponse(format!("not a Llama {what}: {err}")))
}

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
