//! Reading what a model sent back: JSON bodies and stream chunks, typed
//! reads of them, and token counts.
//!
//! Invariants: every error is `malformed-response` and says what was being
//! read (`the body is not JSON: ...`, `not a Llama response: ...`); a read
//! ignores fields its type does not name, so new fields never break an
//! adapter; a usage is given only when both counts are there, and its cache
//! counts only when the family's body says them.

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::types::{AdapterError, Output, Usage};

/// Parses `bytes` as JSON; `what` names them in the error (`the body`,
/// `a stream chunk`): `<what> is not JSON: ...`.
pub fn json(bytes: &[u8], what: &str) -> Result<Value, AdapterError> {
    serde_json::from_slice(bytes)
        .map_err(|err| AdapterError::MalformedResponse(format!("{what} is not JSON: {err}")))
}

/// Parses `bytes` as a JSON object, as [`json`] does, and refuses any other
/// JSON value: `<what> is not a JSON object: <value>`.
pub fn object(bytes: &[u8], what: &str) -> Result<Value, AdapterError> {
    let value = json(bytes, what)?;
    if value.is_object() {
        Ok(value)
    } else {
        Err(AdapterError::MalformedResponse(format!(
            "{what} is not a JSON object: {value}"
        )))
    }
}

/// Reads `value` as `T`; `what` names the shape expected, with its article
/// (`a Claude message`, `an AI21 Jamba response`): `not <what>: ...`.
///
/// ```
/// use bedrock_adapter_kit::types::AdapterError;
/// use bedrock_adapter_kit::wire;
///
/// #[derive(serde::Deserialize)]
/// struct Generation {
///     generation: String,
/// }
///
/// let body = wire::object(br#"{"generation":"Hi","extra":1}"#, "the body")?;
/// let read: Generation = wire::read(body, "a Llama response")?;
/// assert_eq!(read.generation, "Hi");
///
/// let wrong = serde_json::json!({"generation": 3});
/// match wire::read::<Generation>(wrong, "a Llama response") {
///     Err(AdapterError::MalformedResponse(why)) => assert!(why.starts_with("not a Llama response: ")),
///     _ => unreachable!("3 is not a string"),
/// }
/// # Ok::<(), AdapterError>(())
/// ```
pub fn read<T: DeserializeOwned>(value: Value, what: &str) -> Result<T, AdapterError> {
    T::deserialize(value)
        .map_err(|err| AdapterError::MalformedResponse(format!("not {what}: {err}")))
}

/// Both token counts, when both are there, for a family that says nothing
/// of a prompt cache (the cache counts are unknown: `None`).
pub fn usage(input_tokens: Option<u32>, output_tokens: Option<u32>) -> Option<Usage> {
    Some(Usage {
        input_tokens: input_tokens?,
        output_tokens: output_tokens?,
        cache_read_tokens: None,
        cache_write_tokens: None,
    })
}

/// One text output per text that is not empty, in order: an empty answer
/// is no output.
pub fn text_outputs(texts: impl IntoIterator<Item = String>) -> Vec<Output> {
    texts
        .into_iter()
        .filter(|text| !text.is_empty())
        .map(Output::Text)
        .collect()
}

/// The `usage` object of chat completions in OpenAI's form, which Jamba and
/// Mistral's chat models send: `{"prompt_tokens", "completion_tokens",
/// "total_tokens"}`.
#[derive(Debug, Deserialize)]
pub struct ChatUsage {
    /// Tokens read.
    pub prompt_tokens: Option<u32>,
    /// Tokens generated.
    pub completion_tokens: Option<u32>,
}

impl ChatUsage {
    /// Both counts, when both are present.
    pub fn usage(&self) -> Option<Usage> {
        usage(self.prompt_tokens, self.completion_tokens)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn malformed<T: std::fmt::Debug>(result: Result<T, AdapterError>) -> String {
        match result {
            Err(AdapterError::MalformedResponse(message)) => message,
            other => panic!("not a malformed-response error: {other:?}"),
        }
    }

    #[test]
    fn bodies_and_chunks() {
        assert_eq!(json(b"[1]", "the body"), Ok(serde_json::json!([1])));
        assert!(malformed(json(b"nope", "the body")).starts_with("the body is not JSON: "));
        assert_eq!(
            malformed(object(b"[1]", "a stream chunk")),
            "a stream chunk is not a JSON object: [1]"
        );
        assert_eq!(object(b"{}", "x"), Ok(serde_json::json!({})));
    }

    #[test]
    fn empty_texts_are_no_output() {
        assert_eq!(
            text_outputs(["a".to_owned(), String::new(), "b".to_owned()]),
            [Output::Text("a".to_owned()), Output::Text("b".to_owned())]
        );
    }

    #[test]
    fn counts() {
        assert_eq!(
            usage(Some(1), Some(2)),
            Some(Usage {
                input_tokens: 1,
                output_tokens: 2,
                cache_read_tokens: None,
                cache_write_tokens: None,
            })
        );
        assert_eq!(usage(Some(1), None), None);
        let chat: ChatUsage = read(
            serde_json::json!({"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7}),
            "a usage",
        )
        .expect("a usage");
        assert_eq!(chat.usage(), usage(Some(3), Some(4)));
        let negative = read::<ChatUsage>(serde_json::json!({"prompt_tokens": -1}), "a usage");
        assert!(malformed(negative).starts_with("not a usage: "));
    }
}
