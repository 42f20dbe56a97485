//! The `-o key=value` options of each family: which keys the adapter knows
//! (and checks the type of), and which it refuses because the body already
//! gets them from a common setting or from the prompt.
//!
//! Every option is a top-level field of the body, passed through as the JSON
//! the user gave; unknown keys pass through too, for Bedrock to judge.
//! Invariant: an option never replaces what a common setting or the prompt
//! puts in the body (`-o p=0.5` is refused with a pointer to `--top-p`), so
//! each body field has one source.

use bedrock_adapter_kit::options::{self, Kind};
use bedrock_adapter_kit::types::AdapterError;
use serde_json::{Map, Value};

use crate::models::Family;

/// Command's fields that no common setting covers (AWS, "Cohere Command
/// models";
/// <https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-cohere-command.html>).
const COMMAND_KNOWN: &[(&str, Kind)] = &[
    ("return_likelihoods", Kind::String),
    ("stream", Kind::Bool),
    ("num_generations", Kind::Count),
    ("logit_bias", Kind::Object),
    ("truncate", Kind::String),
];

/// Command R's fields that no common setting covers (AWS, "Cohere Command
/// R and Command R+ models";
/// <https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-cohere-command-r-plus.html>).
const COMMAND_R_KNOWN: &[(&str, Kind)] = &[
    ("documents", Kind::List),
    ("search_queries_only", Kind::Bool),
    ("prompt_truncation", Kind::String),
    ("frequency_penalty", Kind::Number),
    ("presence_penalty", Kind::Number),
    ("return_prompt", Kind::Bool),
];

/// Fields both families fill from a common setting (`seed` included: it
/// is `--seed`'s, which Command refuses).
const SAMPLING_OWNED: &[(&str, &str)] = &[
    ("max_tokens", "use --max-tokens"),
    ("temperature", "use --temperature"),
    ("p", "use --top-p"),
    ("k", "use --top-k"),
    ("stop_sequences", "use --stop (repeatable)"),
    ("seed", "use --seed (Command R takes one, Command does not)"),
];

/// Fields only Command fills.
const COMMAND_OWNED: &[(&str, &str)] = &[(
    "prompt",
    "the body's prompt is the prompt given, sent as is",
)];

/// Fields only Command R fills.
const COMMAND_R_OWNED: &[(&str, &str)] = &[
    ("message", "the body's message is the last user message"),
    (
        "chat_history",
        "the chat history is built from the earlier messages",
    ),
    ("preamble", "give it as the system prompt"),
    ("raw_prompting", "use --raw"),
    ("tools", "use --tools FILE"),
    ("tool_results", "use --tool-result"),
];

/// The keys `describe` lists: every known key of every family.
pub fn known() -> Vec<String> {
    COMMAND_KNOWN
        .iter()
        .chain(COMMAND_R_KNOWN)
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
        Family::Command => (COMMAND_KNOWN, COMMAND_OWNED),
        Family::CommandR => (COMMAND_R_KNOWN, COMMAND_R_OWNED),
    };
    let owned: Vec<(&str, &str)> = SAMPLING_OWNED.iter().chain(owned).copied().collect();
    options::parse_known(extra, &owned, known)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bedrock_adapter_kit::testing::pairs;

    #[test]
    fn known_and_unknown_keys_pass_through() {
        let fields = parse(
            Family::Command,
            &pairs(&[
                ("num_generations", "2"),
                ("stream", "true"),
                ("return_likelihoods", "\"GENERATION\""),
                ("something_new", "[1]"),
            ]),
        )
        .expect("valid options");
        assert_eq!(fields.get("num_generations"), Some(&serde_json::json!(2)));
        assert_eq!(fields.get("stream"), Some(&serde_json::json!(true)));
        assert_eq!(fields.get("something_new"), Some(&serde_json::json!([1])));
        let r = parse(
            Family::CommandR,
            &pairs(&[
                ("documents", r#"[{"title":"t","snippet":"s"}]"#),
                ("frequency_penalty", "0.5"),
            ]),
        )
        .expect("valid options");
        assert_eq!(r.len(), 2);
    }

    #[test]
    fn owned_keys_name_the_flag() {
        for (family, key, flag) in [
            (Family::Command, "p", "--top-p"),
            (Family::Command, "k", "--top-k"),
            (Family::Command, "max_tokens", "--max-tokens"),
            (Family::CommandR, "stop_sequences", "--stop"),
            (Family::CommandR, "seed", "--seed"),
            (Family::CommandR, "raw_prompting", "--raw"),
            (Family::CommandR, "preamble", "system prompt"),
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
        for (family, key, value) in [
            (Family::Command, "num_generations", "1.5"),
            (Family::Command, "stream", "\"yes\""),
            (Family::Command, "logit_bias", "[]"),
            (Family::CommandR, "documents", "{}"),
            (Family::CommandR, "presence_penalty", "\"high\""),
        ] {
            let err = parse(family, &pairs(&[(key, value)]));
            assert!(
                matches!(&err, Err(AdapterError::InvalidRequest(m)) if m.starts_with(&format!("-o {key}:"))),
                "{key}: {err:?}"
            );
        }
    }

    #[test]
    fn a_key_of_the_other_family_passes_through_unchecked() {
        // `documents` is Command R's; for Command, Bedrock judges it.
        let fields = parse(Family::Command, &pairs(&[("documents", "{}")])).expect("passes");
        assert_eq!(fields.get("documents"), Some(&serde_json::json!({})));
        let seed = parse(Family::Command, &pairs(&[("seed", "1")]));
        assert!(matches!(seed, Err(AdapterError::InvalidRequest(m)) if m.contains("--seed")));
    }
}
