//! The `-o key=value` options: which keys the adapter knows, which it
//! refuses, and the checks on the values it knows.
//!
//! Every option is a top-level field of the body, passed through as the JSON
//! the user gave. The known ones are the chat completion fields no common
//! setting covers (`tools`, `tool_choice`; AWS, "Mistral AI chat
//! completion"); keys the adapter does not know are passed through too, so
//! fields AWS adds later work without a new adapter, and Bedrock judges a
//! misspelt one. Invariant: an option never replaces what a common setting
//! or the prompt puts in the body (`-o max_tokens=5` is refused with a
//! pointer to `--max-tokens`), so each body field has one source.

use bedrock_adapter_kit::options::{self, invalid};
use bedrock_adapter_kit::types::AdapterError;
use serde_json::{Map, Value};

/// The options this adapter knows, as listed by `describe`.
pub const KNOWN: &[&str] = &["tools", "tool_choice"];

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
];

/// Parses the `-o` pairs into body fields, checking the known ones. A key
/// given twice keeps its last value.
pub fn parse(extra: &[(String, String)]) -> Result<Map<String, Value>, AdapterError> {
    options::parse(extra, OWNED, check)
}

/// Checks the type of a known option.
fn check(key: &str, value: Value) -> Result<Value, AdapterError> {
    match (key, value) {
        ("tools", value @ Value::Array(_)) => Ok(value),
        ("tools", _) => Err(invalid(key, "expected a JSON list of tool definitions")),
        ("tool_choice", value @ (Value::String(_) | Value::Object(_))) => Ok(value),
        ("tool_choice", _) => Err(invalid(
            key,
            "expected \"auto\", \"any\", \"none\" or a JSON object",
        )),
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
            ("tools", r#"[{"type":"function"}]"#),
            ("tool_choice", "\"any\""),
            ("safe_prompt", "true"),
        ]))
        .expect("valid options");
        assert_eq!(
            fields.get("tools"),
            Some(&serde_json::json!([{"type": "function"}]))
        );
        assert_eq!(fields.get("tool_choice"), Some(&serde_json::json!("any")));
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
        for (key, value) in [("tools", "{}"), ("tool_choice", "3"), ("x", "not json")] {
            let err = parse(&pairs(&[(key, value)]));
            assert!(
                matches!(&err, Err(AdapterError::InvalidRequest(m)) if m.starts_with(&format!("-o {key}:"))),
                "{key}: {err:?}"
            );
        }
    }
}
