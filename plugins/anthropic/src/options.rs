//! The `-o key=value` options: which keys the adapter knows, which it
//! refuses, and the checks on the values it knows.
//!
//! Every option is a top-level field of the body, passed through as the JSON
//! the user gave. Keys the adapter does not know are passed through too, so
//! fields Anthropic adds later work without a new adapter; Bedrock rejects
//! a misspelt key itself. Invariant: an option never replaces what a common
//! setting or the prompt puts in the body (`-o max_tokens=5` is refused with
//! a pointer to `--max-tokens`), so each body field has one source.

use bedrock_adapter_kit::options::{self, Kind, invalid};
use bedrock_adapter_kit::types::AdapterError;
use serde_json::{Map, Value};

/// The options this adapter knows (the Messages API fields of AWS's
/// "Anthropic Claude Messages API" model-parameters page that no common
/// setting covers), as listed by `describe`.
pub const KNOWN: &[&str] = &[
    "anthropic_version",
    "anthropic_beta",
    "tools",
    "tool_choice",
    "thinking",
];

/// Body fields that a common setting or the prompt fills, with what the user
/// should use instead of `-o`.
const OWNED: &[(&str, &str)] = &[
    ("max_tokens", "use --max-tokens"),
    ("max_tokens_to_sample", "use --max-tokens"),
    ("temperature", "use --temperature"),
    ("top_p", "use --top-p"),
    ("top_k", "use --top-k"),
    ("stop_sequences", "use --stop (repeatable)"),
    ("system", "give it as the system prompt"),
    ("messages", "the body's messages are built from the prompt"),
    (
        "prompt",
        "the body's prompt is built from the prompt given (see --raw)",
    ),
];

/// Parses the `-o` pairs into body fields, checking the known ones. A key
/// given twice keeps its last value.
pub fn parse(extra: &[(String, String)]) -> Result<Map<String, Value>, AdapterError> {
    options::parse(extra, OWNED, check)
}

/// Checks the type of a known option, normalising where it is unambiguous.
fn check(key: &str, value: Value) -> Result<Value, AdapterError> {
    match (key, value) {
        ("anthropic_version", value) => Kind::String.check(key, value),
        // One beta flag may be given bare: `-o anthropic_beta=context-1m-2025-08-07`.
        ("anthropic_beta", Value::String(flag)) => Ok(Value::Array(vec![Value::String(flag)])),
        ("anthropic_beta", Value::Array(flags)) if flags.iter().all(Value::is_string) => {
            Ok(Value::Array(flags))
        }
        ("anthropic_beta", _) => Err(invalid(key, "expected a string or a list of strings")),
        ("tools", value @ Value::Array(_)) => Ok(value),
        ("tools", _) => Err(invalid(key, "expected a JSON list of tool definitions")),
        ("tool_choice" | "thinking", value) => Kind::Object.check(key, value),
        (_, value) => Ok(value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bedrock_adapter_kit::testing::pairs;

    #[test]
    fn known_and_unknown_keys_pass_through() {
        let fields = parse(&pairs(&[
            ("anthropic_beta", "\"context-1m-2025-08-07\""),
            ("tool_choice", r#"{"type":"auto"}"#),
            ("metadata", r#"{"user_id":"u"}"#),
        ]))
        .expect("valid options");
        assert_eq!(
            fields.get("anthropic_beta"),
            Some(&serde_json::json!(["context-1m-2025-08-07"]))
        );
        assert_eq!(
            fields.get("tool_choice"),
            Some(&serde_json::json!({"type": "auto"}))
        );
        assert_eq!(
            fields.get("metadata"),
            Some(&serde_json::json!({"user_id": "u"}))
        );
    }

    #[test]
    fn owned_keys_are_refused() {
        let err = parse(&pairs(&[("max_tokens", "5")]));
        assert!(matches!(err, Err(AdapterError::InvalidRequest(m)) if m.contains("--max-tokens")));
    }

    #[test]
    fn wrong_types_are_refused() {
        for (key, value) in [
            ("tools", "{}"),
            ("thinking", "\"on\""),
            ("anthropic_version", "3"),
            ("anthropic_beta", "[1]"),
        ] {
            let err = parse(&pairs(&[(key, value)]));
            assert!(
                matches!(&err, Err(AdapterError::InvalidRequest(m)) if m.starts_with(&format!("-o {key}:"))),
                "{key}: {err:?}"
            );
        }
    }
}
