//! The `-o key=value` options: which keys the adapter refuses, and the
//! parsing of the values it passes through.
//!
//! DeepSeek-R1's body on Bedrock has five fields (AWS, "DeepSeek models":
//! `prompt`, `temperature`, `top_p`, `max_tokens`, `stop`), and a common
//! setting covers each, so the adapter knows no option of its own. Any
//! other key is passed through as the JSON the user gave, and Bedrock
//! judges it. Invariant: an option never replaces what a common setting or
//! the prompt puts in the body (`-o max_tokens=5` is refused with a pointer
//! to `--max-tokens`), so each body field has one source.

use bedrock_adapter_kit::options;
use bedrock_adapter_kit::types::AdapterError;
use serde_json::{Map, Value};

/// The options this adapter knows, as listed by `describe`: none, since the
/// common settings cover every documented field.
pub const KNOWN: &[&str] = &[];

/// Body fields that a common setting or the prompt fills, with what the user
/// should use instead of `-o`.
const OWNED: &[(&str, &str)] = &[
    ("max_tokens", "use --max-tokens"),
    ("temperature", "use --temperature"),
    ("top_p", "use --top-p"),
    ("stop", "use --stop"),
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
    fn owned_keys_are_refused_and_others_pass_through() {
        for (key, flag) in [
            ("max_tokens", "--max-tokens"),
            ("temperature", "--temperature"),
            ("top_p", "--top-p"),
            ("stop", "--stop"),
            ("prompt", "--raw"),
        ] {
            let err = parse(&pairs(&[(key, "1")]));
            assert!(
                matches!(&err, Err(AdapterError::InvalidRequest(m)) if m.starts_with(&format!("-o {key}:")) && m.contains(flag)),
                "{key}: {err:?}"
            );
        }
        let fields = parse(&pairs(&[("x", "1")])).expect("valid options");
        assert_eq!(fields.get("x"), Some(&serde_json::json!(1)));
    }
}
