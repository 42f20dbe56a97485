//! The `-o key=value` options: which keys the adapter knows, which it
//! refuses, and the checks on the values it knows.
//!
//! Every option is a top-level field of the body, passed through as the JSON
//! the user gave. Every chat completion field AWS documents ("Mistral AI
//! chat completion") is covered by a common setting or by the request's
//! tools, so none is known here; keys the adapter does not know are passed
//! through, so
//! fields AWS adds later work without a new adapter, and Bedrock judges a
//! misspelt one. Invariant: an option never replaces what a common setting
//! or the prompt puts in the body (`-o max_tokens=5` is refused with a
//! pointer to `--max-tokens`), so each body field has one source.

use bedrock_adapter_kit::options;
use bedrock_adapter_kit::types::AdapterError;
use serde_json::{Map, Value};

/// The options this adapter knows, as listed by `describe`.
pub const KNOWN: &[&str] = &[];

/// Body fields that a common setting or the prompt fills, with what the user
/// should use instead of `-o`.
const OWNED: &[(&str, &str)] = &[
    ("max_tokens", "use --max-tokens"),
    ("temperature", "use --temperature"),
    ("top_p", "use --top-p"),
    ("top_k", "use --top-k"),
    ("stop", "use --stop (repeatable)"),
    (
        "prompt",
        "the body's prompt is built from the prompt given (see --raw)",
    ),
    (
        "messages",
        "the body's messages are built from the prompt and --system",
    ),
    ("tools", "use --tools FILE"),
    ("tool_choice", "use --tool-choice"),
];

/// Parses the `-o` pairs into body fields, checking the known ones. A key
/// given twice keeps its last value.
pub fn parse(extra: &[(String, String)]) -> Result<Map<String, Value>, AdapterError> {
    options::parse_known(extra, OWNED, &[])
}

#[cfg(test)]
mod tests {
    use super::*;
    use bedrock_adapter_kit::testing::pairs;

    #[test]
    fn unknown_keys_pass_through() {
        let fields = parse(&pairs(&[("safe_prompt", "true")])).expect("valid options");
        assert_eq!(fields.get("safe_prompt"), Some(&serde_json::json!(true)));
    }

    #[test]
    fn owned_keys_are_refused() {
        for (key, flag) in [
            ("max_tokens", "--max-tokens"),
            ("top_k", "--top-k"),
            ("stop", "--stop"),
            ("prompt", "--raw"),
            ("messages", "--system"),
            ("tools", "--tools"),
            ("tool_choice", "--tool-choice"),
        ] {
            let err = parse(&pairs(&[(key, "1")]));
            assert!(
                matches!(&err, Err(AdapterError::InvalidRequest(m)) if m.starts_with(&format!("-o {key}:")) && m.contains(flag)),
                "{key}: {err:?}"
            );
        }
    }

    #[test]
    fn values_that_are_not_json_are_refused() {
        let err = parse(&pairs(&[("x", "not json")]));
        assert!(
            matches!(&err, Err(AdapterError::InvalidRequest(m)) if m.starts_with("-o x:")),
            "{err:?}"
        );
    }
}
