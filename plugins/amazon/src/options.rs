//! The `-o key=value` options of each family: which keys the adapter knows
//! (and checks the type of), and which it refuses because the body already
//! gets them from a common setting or from the prompt.
//!
//! Every option is a top-level field of the body, passed through as the JSON
//! the user gave; unknown keys pass through too, for Bedrock to judge.
//! Invariant: an option never replaces or shadows what a common setting or
//! the prompt puts in the body: `-o temperature=1` is refused with a pointer
//! to `--temperature`, and so are the names of the fields inside
//! `inferenceConfig` / `textGenerationConfig`, which at the top level would
//! only be rejected by Bedrock.

use bedrock_adapter_kit::options::{self, Kind};
use bedrock_adapter_kit::types::AdapterError;
use serde_json::{Map, Value};

use crate::models::Family;

/// Nova's top-level request fields that no common setting covers (AWS,
/// "Amazon Nova: complete request schema";
/// <https://docs.aws.amazon.com/nova/latest/userguide/complete-request-schema.html>).
const NOVA_KNOWN: &[(&str, Kind)] = &[
    ("schemaVersion", Kind::String),
    ("toolConfig", Kind::Object),
    ("reasoningConfig", Kind::Object),
];

/// Body fields a Nova request fills itself, with what to use instead.
const NOVA_OWNED: &[(&str, &str)] = &[
    ("messages", "the body's messages are built from the prompt"),
    ("system", "give it as the system prompt"),
    (
        "inferenceConfig",
        "it is built from --max-tokens, --temperature, --top-p, --top-k and --stop",
    ),
    ("max_new_tokens", "use --max-tokens"),
    ("maxTokens", "use --max-tokens"),
    ("temperature", "use --temperature"),
    ("top_p", "use --top-p"),
    ("topP", "use --top-p"),
    ("top_k", "use --top-k"),
    ("topK", "use --top-k"),
    ("stopSequences", "use --stop (repeatable)"),
];

/// Titan Text documents no top-level field besides the two it fills (AWS,
/// "Amazon Titan Text models";
/// <https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-titan-text.html>).
const TITAN_KNOWN: &[(&str, Kind)] = &[];

/// Body fields a Titan request fills itself, with what to use instead.
const TITAN_OWNED: &[(&str, &str)] = &[
    (
        "inputText",
        "the body's inputText is built from the prompt (see --raw)",
    ),
    (
        "textGenerationConfig",
        "it is built from --max-tokens, --temperature, --top-p and --stop",
    ),
    ("maxTokenCount", "use --max-tokens"),
    ("temperature", "use --temperature"),
    ("topP", "use --top-p"),
    ("stopSequences", "use --stop (repeatable)"),
];

/// The keys `describe` lists: every known key of every family.
pub fn known() -> Vec<String> {
    NOVA_KNOWN
        .iter()
        .chain(TITAN_KNOWN)
        .chain(crate::canvas::KNOWN)
        .map(|(key, _)| (*key).to_owned())
        .collect()
}

/// Parses the `-o` pairs for `family` into body fields, checking the known
/// ones. A key given twice keeps its last value.
pub fn parse(
    family: Family,
    extra: &[(String, String)],
) -> Result<Map<String, Value>, AdapterError> {
    let (known, owned) = match family {
        Family::Nova => (NOVA_KNOWN, NOVA_OWNED),
        Family::Titan => (TITAN_KNOWN, TITAN_OWNED),
    };
    options::parse_known(extra, owned, known)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bedrock_adapter_kit::testing::pairs;

    #[test]
    fn known_and_unknown_keys_pass_through() {
        let fields = parse(
            Family::Nova,
            &pairs(&[
                ("toolConfig", r#"{"tools":[]}"#),
                ("schemaVersion", "\"messages-v1\""),
                ("somethingNew", "3"),
            ]),
        )
        .expect("valid options");
        assert_eq!(
            fields.get("toolConfig"),
            Some(&serde_json::json!({"tools": []}))
        );
        assert_eq!(fields.get("somethingNew"), Some(&serde_json::json!(3)));
        let titan = parse(Family::Titan, &pairs(&[("anything", "\"x\"")])).expect("valid");
        assert_eq!(titan.get("anything"), Some(&serde_json::json!("x")));
    }

    #[test]
    fn owned_keys_name_the_flag() {
        for (family, key, flag) in [
            (Family::Nova, "max_new_tokens", "--max-tokens"),
            (Family::Nova, "topK", "--top-k"),
            (Family::Nova, "inferenceConfig", "--temperature"),
            (Family::Titan, "maxTokenCount", "--max-tokens"),
            (Family::Titan, "stopSequences", "--stop"),
            (Family::Titan, "inputText", "--raw"),
        ] {
            let err = parse(family, &pairs(&[(key, "1")]));
            assert!(
                matches!(&err, Err(AdapterError::InvalidRequest(m)) if m.starts_with(&format!("-o {key}:")) && m.contains(flag)),
                "{key}: {err:?}"
            );
        }
    }

    #[test]
    fn wrong_types_are_refused() {
        for (key, value) in [
            ("toolConfig", "[1]"),
            ("schemaVersion", "1"),
            ("reasoningConfig", "\"on\""),
        ] {
            let err = parse(Family::Nova, &pairs(&[(key, value)]));
            assert!(
                matches!(&err, Err(AdapterError::InvalidRequest(m)) if m.starts_with(&format!("-o {key}:"))),
                "{key}: {err:?}"
            );
        }
    }

    #[test]
    fn not_json_is_refused() {
        let err = parse(Family::Nova, &pairs(&[("toolConfig", "{")]));
        assert!(matches!(err, Err(AdapterError::InvalidRequest(m)) if m.contains("not JSON")));
    }
}
