//! The `-o key=value` options: which keys the adapter refuses, and the
//! parsing of the values it passes through.
//!
//! Llama's body on Bedrock has four fields (AWS, "Meta Llama models",
//! https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-meta.html:
//! `prompt`, `temperature`, `top_p`, `max_gen_len`), and a common setting
//! covers each, so the adapter knows no option of its own. Any other key is
//! passed through as the JSON the user gave, so fields AWS adds later work
//! without a new adapter, and Bedrock judges a misspelt one. Invariant: an
//! option never replaces what a common setting or the prompt puts in the
//! body (`-o max_gen_len=5` is refused with a pointer to `--max-tokens`), so
//! each body field has one source.

use bedrock_adapter_kit::options;
use bedrock_adapter_kit::types::AdapterError;
use serde_json::{Map, Value};

/// The options this adapter knows, as listed by `describe`: none, since the
/// common settings cover every documented field.
pub const KNOWN: &[&str] = &[];

/// Body fields that a common setting or the prompt fills, with what the user
/// should use instead of `-o`.
const OWNED: &[(&str, &str)] = &[
    ("max_gen_len", "use --max-tokens"),
    ("temperature", "use --temperature"),
    ("top_p", "use --top-p"),
    (
        "prompt",
        "the body's prompt is built from the prompt given (see --raw)",
    ),
];

/// Parses the `-o` pairs into body fields. A key given twice keeps its last
/// value.
pub fn parse(extra: &[(String, String)]) -> Result<Map<String, Value>, AdapterError> {
    options::parse(extra, OWNED, |_, value| Ok(value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use bedrock_adapter_kit::testing::pairs;

    #[test]
    fn other_keys_pass_through() {
        let fields = parse(&pairs(&[("images", r#"["aGk="]"#), ("x", "1"), ("x", "2")]))
            .expect("valid options");
        assert_eq!(fields.get("images"), Some(&serde_json::json!(["aGk="])));
        assert_eq!(fields.get("x"), Some(&serde_json::json!(2)));
    }

    #[test]
    fn owned_keys_are_refused() {
        for (key, flag) in [
            ("max_gen_len", "--max-tokens"),
            ("temperature", "--temperature"),
            ("top_p", "--top-p"),
            ("prompt", "--raw"),
        ] {
            let err = parse(&pairs(&[(key, "1")]));
            assert!(
                matches!(&err, Err(AdapterError::InvalidRequest(m)) if m.starts_with(&format!("-o {key}:")) && m.contains(flag)),
                "{key}: {err:?}"
            );
        }
    }

    #[test]
    fn values_must_be_json() {
        let err = parse(&pairs(&[("x", "not json")]));
        assert!(matches!(err, Err(AdapterError::InvalidRequest(m)) if m.starts_with("-o x:")));
    }
}
