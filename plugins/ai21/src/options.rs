//! The `-o key=value` options: which keys the adapter knows, which it
//! refuses, and the checks on the values it knows.
//!
//! Every option is a top-level field of the body, passed through as the JSON
//! the user gave. The known ones are the Jamba fields no common setting
//! covers (AWS, "AI21 Labs Jamba models": `n`, the number of answers, and
//! the repetition penalties `frequency_penalty` and `presence_penalty`);
//! keys the adapter does not know are passed through too, so fields AWS adds
//! later work without a new adapter, and Bedrock judges a misspelt one.
//! Invariant: an option never replaces what a common setting or the prompt
//! puts in the body (`-o max_tokens=5` is refused with a pointer to
//! `--max-tokens`), so each body field has one source.

use bedrock_adapter_kit::options::{self, Kind, invalid};
use bedrock_adapter_kit::types::AdapterError;
use serde_json::{Map, Value};

/// The options this adapter knows, as listed by `describe`.
pub const KNOWN: &[&str] = &["n", "frequency_penalty", "presence_penalty"];

/// Body fields that a common setting or the prompt fills, with what the user
/// should use instead of `-o`.
const OWNED: &[(&str, &str)] = &[
    ("max_tokens", "use --max-tokens"),
    ("temperature", "use --temperature"),
    ("top_p", "use --top-p"),
    ("stop", "use --stop (repeatable)"),
    (
        "messages",
        "the body's messages are built from the prompt and --system",
    ),
    ("tools", "use --tools FILE"),
];

/// Parses the `-o` pairs into body fields, checking the known ones. A key
/// given twice keeps its last value.
pub fn parse(extra: &[(String, String)]) -> Result<Map<String, Value>, AdapterError> {
    options::parse(extra, OWNED, check)
}

/// Checks the type of a known option.
fn check(key: &str, value: Value) -> Result<Value, AdapterError> {
    match (key, value) {
        ("n", Value::Number(n)) if n.as_u64().is_some_and(|n| n >= 1) => Ok(Value::Number(n)),
        ("n", _) => Err(invalid(
            key,
            "expected a whole number of answers, 1 or more",
        )),
        ("frequency_penalty" | "presence_penalty", value) => Kind::Number.check(key, value),
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
            ("n", "2"),
            ("frequency_penalty", "0.5"),
            ("presence_penalty", "-1"),
            ("response_format", r#"{"type":"json_object"}"#),
        ]))
        .expect("valid options");
        assert_eq!(fields.get("n"), Some(&serde_json::json!(2)));
        assert_eq!(
            fields.get("frequency_penalty"),
            Some(&serde_json::json!(0.5))
        );
        assert_eq!(fields.get("presence_penalty"), Some(&serde_json::json!(-1)));
        assert_eq!(
            fields.get("response_format"),
            Some(&serde_json::json!({"type": "json_object"}))
        );
    }

    #[test]
    fn owned_keys_are_refused() {
        for (key, flag) in [
            ("max_tokens", "--max-tokens"),
            ("temperature", "--temperature"),
            ("top_p", "--top-p"),
            ("stop", "--stop"),
            ("messages", "--system"),
        ] {
            let err = parse(&pairs(&[(key, "1")]));
            assert!(
                matches!(&err, Err(AdapterError::InvalidRequest(m)) if m.starts_with(&format!("-o {key}:")) && m.contains(flag)),
                "{key}: {err:?}"
            );
        }
    }

    #[test]
    fn wrong_types_are_refused() {
        for (key, value) in [
            ("n", "0"),
            ("n", "1.5"),
            ("n", "\"2\""),
            ("presence_penalty", "\"high\""),
            ("x", "not json"),
        ] {
            let err = parse(&pairs(&[(key, value)]));
            assert!(
                matches!(&err, Err(AdapterError::InvalidRequest(m)) if m.starts_with(&format!("-o {key}:"))),
                "{key}={value}: {err:?}"
            );
        }
    }
}
