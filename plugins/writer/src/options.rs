//! The `-o key=value` options: which keys the adapter knows, which it
//! refuses, and the checks on the values it knows.
//!
//! AWS's Palmyra parameter table lists three fields no common setting
//! covers: `min_tokens` (a whole number), `presence_penalty` and
//! `frequency_penalty` (numbers from -2 to 2, which Bedrock judges). Other
//! keys are passed through as the JSON the user gave, for Bedrock to judge.
//! Invariant: an option never replaces what a common setting or the prompt
//! puts in the body (`-o max_tokens=5` is refused with a pointer to
//! `--max-tokens`), so each body field has one source.

use bedrock_adapter_kit::options::{self, Kind};
use bedrock_adapter_kit::types::AdapterError;
use serde_json::{Map, Value};

/// The options this adapter knows, with their kinds, as listed by
/// `describe`.
pub const KNOWN: &[(&str, Kind)] = &[
    ("min_tokens", Kind::Count),
    ("presence_penalty", Kind::Number),
    ("frequency_penalty", Kind::Number),
];

/// Body fields that a common setting or the prompt fills, with what the user
/// should use instead of `-o`.
const OWNED: &[(&str, &str)] = &[
    ("max_tokens", "use --max-tokens"),
    ("temperature", "use --temperature"),
    ("top_p", "use --top-p"),
    ("stop", "use --stop (repeatable)"),
    ("seed", "use --seed"),
    (
        "messages",
        "the body's messages are built from the prompt and --system",
    ),
];

/// Parses the `-o` pairs into body fields, checking the known ones. A key
/// given twice keeps its last value.
pub fn parse(extra: &[(String, String)]) -> Result<Map<String, Value>, AdapterError> {
    options::parse_known(extra, OWNED, KNOWN)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bedrock_adapter_kit::testing::pairs;

    #[test]
    fn known_owned_and_other_keys() {
        let fields = parse(&pairs(&[
            ("min_tokens", "5"),
            ("presence_penalty", "0.5"),
            ("x", "1"),
        ]))
        .expect("valid options");
        assert_eq!(fields.get("min_tokens"), Some(&serde_json::json!(5)));
        assert_eq!(fields.get("x"), Some(&serde_json::json!(1)));
        let wrong = parse(&pairs(&[("min_tokens", "\"many\"")]));
        assert!(
            matches!(wrong, Err(AdapterError::InvalidRequest(m)) if m.starts_with("-o min_tokens:"))
        );
        for (key, flag) in [
            ("max_tokens", "--max-tokens"),
            ("seed", "--seed"),
            ("messages", "--system"),
        ] {
            let err = parse(&pairs(&[(key, "1")]));
            assert!(
                matches!(&err, Err(AdapterError::InvalidRequest(m)) if m.contains(flag)),
                "{key}: {err:?}"
            );
        }
    }
}
