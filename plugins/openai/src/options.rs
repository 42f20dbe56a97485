//! The `-o key=value` options: which keys the adapter knows, which it
//! refuses, and the checks on the values it knows.
//!
//! Every option is a top-level field of the chat completion body, passed
//! through as the JSON the user gave, so the fields of OpenAI's "Create chat
//! completion" that have no common setting (`frequency_penalty`,
//! `presence_penalty`, `response_format`, ...) can be sent, and Bedrock
//! judges them. Invariant: an option never replaces what a common setting or
//! the prompt puts in the body (`-o max_completion_tokens=5` is refused with
//! a pointer to `--max-tokens`), so each body field has one source.

use bedrock_adapter_kit::options;
use bedrock_adapter_kit::types::AdapterError;
use serde_json::{Map, Value};

/// The options this adapter knows, as listed by `describe`.
pub const KNOWN: &[&str] = &[];

/// Body fields that a common setting or the prompt fills, with what the user
/// should use instead of `-o`.
const OWNED: &[(&str, &str)] = &[
    ("max_completion_tokens", "use --max-tokens"),
    ("max_tokens", "use --max-tokens"),
    ("temperature", "use --temperature"),
    ("top_p", "use --top-p"),
    ("stop", "use --stop (repeatable)"),
    (
        "messages",
        "the body's messages are built from the prompt and --system",
    ),
    ("tools", "use --tools FILE"),
    ("tool_choice", "use --tool-choice"),
    ("reasoning_effort", "use --reasoning-effort"),
    (
        "stream",
        "the host sets it from how the model is invoked (--no-stream)",
    ),
];

/// Parses the `-o` pairs into body fields. A key given twice keeps its last
/// value.
pub fn parse(extra: &[(String, String)]) -> Result<Map<String, Value>, AdapterError> {
    options::parse_known(extra, OWNED, &[])
}

#[cfg(test)]
mod tests {
    use super::*;
    use bedrock_adapter_kit::testing::pairs;

    #[test]
    fn unknown_keys_pass_through() {
        let fields = parse(&pairs(&[("presence_penalty", "0.5")])).expect("valid options");
        assert_eq!(
            fields.get("presence_penalty"),
            Some(&serde_json::json!(0.5))
        );
    }

    #[test]
    fn owned_keys_are_refused() {
        for (key, flag) in [
            ("max_completion_tokens", "--max-tokens"),
            ("stop", "--stop"),
            ("reasoning_effort", "--reasoning-effort"),
            ("stream", "--no-stream"),
            ("tool_choice", "--tool-choice"),
        ] {
            let err = parse(&pairs(&[(key, "1")]));
            assert!(
                matches!(&err, Err(AdapterError::InvalidRequest(m)) if m.starts_with(&format!("-o {key}:")) && m.contains(flag)),
                "{key}: {err:?}"
            );
        }
    }
}
