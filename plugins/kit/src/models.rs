//! Routing by model id: tables of base-id prefixes, each with what the
//! adapter does for the models it names (a body family, a chat template),
//! the `*` patterns `describe` claims from the same table with what each
//! pattern's models can do, and the capabilities of one id.
//!
//! Invariant: an adapter that builds both its patterns and its routing from
//! one table never claims an id it then refuses, nor serves one it does not
//! claim. In a table, and among described patterns as the contract says,
//! the first that matches wins: specific patterns come before general ones.

use crate::types::{AttachmentLimits, Capabilities, ModelSupport};

/// What `table` routes `model_id` to: the value of the first prefix the id
/// starts with.
///
/// ```
/// use bedrock_adapter_kit::models;
///
/// const PREFIXES: &[(&str, u8)] = &[("cohere.command-r-", 2), ("cohere.command-", 1)];
/// assert_eq!(models::route(PREFIXES, "cohere.command-r-plus-v1:0"), Some(2));
/// assert_eq!(models::route(PREFIXES, "cohere.embed-english-v3"), None);
/// assert_eq!(models::patterns(PREFIXES), ["cohere.command-r-*", "cohere.command-*"]);
/// ```
pub fn route<T: Copy>(table: &[(&str, T)], model_id: &str) -> Option<T> {
    table
        .iter()
        .find(|(prefix, _)| model_id.starts_with(prefix))
        .map(|(_, value)| *value)
}

/// The patterns `describe` reports for `table`: each prefix followed by `*`.
pub fn patterns<T>(table: &[(&str, T)]) -> Vec<String> {
    table
        .iter()
        .map(|(prefix, _)| format!("{prefix}*"))
        .collect()
}

/// What `describe` reports for `table`: each prefix followed by `*`, with
/// the capabilities `capabilities` gives its value.
pub fn supports<T: Copy>(
    table: &[(&str, T)],
    capabilities: impl Fn(T) -> Capabilities,
) -> Vec<ModelSupport> {
    table
        .iter()
        .map(|(prefix, value)| ModelSupport {
            pattern: format!("{prefix}*"),
            capabilities: capabilities(*value),
        })
        .collect()
}

/// Whether `pattern` (literal characters and `*`, which matches any run of
/// characters) matches the whole of `id`.
///
/// ```
/// use bedrock_adapter_kit::models::matches;
///
/// assert!(matches("amazon.nova-*", "amazon.nova-lite-v1:0"));
/// assert!(matches("meta.llama3-*-instruct-*", "meta.llama3-1-8b-instruct-v1:0"));
/// assert!(!matches("meta.llama3", "meta.llama3-1"));
/// ```
pub fn matches(pattern: &str, id: &str) -> bool {
    let mut pieces = pattern.split('*');
    let first = pieces.next().unwrap_or_default();
    let Some(mut rest) = id.strip_prefix(first) else {
        return false;
    };
    let pieces: Vec<&str> = pieces.collect();
    let Some((last, middle)) = pieces.split_last() else {
        return rest.is_empty();
    };
    for piece in middle {
        match rest.find(piece) {
            Some(at) => rest = &rest[at + piece.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// The capabilities of `model_id` among `models`: those of the first
/// pattern that matches it, as the host picks them.
pub fn capabilities_of<'a>(models: &'a [ModelSupport], model_id: &str) -> Option<&'a Capabilities> {
    models
        .iter()
        .find(|support| matches(&support.pattern, model_id))
        .map(|support| &support.capabilities)
}

/// What a text model that streams and takes a system prompt can do, and
/// nothing more: no tools, attachments, reasoning or caching.
pub fn text_only() -> Capabilities {
    Capabilities {
        system: true,
        tools: false,
        images: None,
        documents: None,
        reasoning: false,
        caching: false,
        streaming: true,
    }
}

/// Limits on one sort of attachment: `media_types`, at most `max_bytes`
/// each and `max_count` in one request.
pub fn limits(media_types: &[&str], max_bytes: u64, max_count: u32) -> AttachmentLimits {
    AttachmentLimits {
        media_types: media_types.iter().map(|kind| (*kind).to_owned()).collect(),
        max_bytes,
        max_count,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_whole_ids() {
        assert!(matches("amazon.nova-lite-*", "amazon.nova-lite-v1:0"));
        assert!(!matches("amazon.nova-lite-*", "amazon.nova-pro-v1:0"));
        assert!(matches("meta.llama3", "meta.llama3"));
        assert!(!matches("meta.llama3", "meta.llama3-1"));
        assert!(matches("a*b*c", "abc"));
        assert!(matches("a*b*c", "axxbyyc"));
        assert!(!matches("a*b*c", "axxbyy"));
        assert!(!matches("ab*ba", "aba"));
        assert!(matches("*", ""));
    }

    #[test]
    fn the_first_matching_pattern_wins() {
        let with_tools = Capabilities {
            tools: true,
            ..text_only()
        };
        let models = [
            ModelSupport {
                pattern: "cohere.command-r-*".to_owned(),
                capabilities: with_tools.clone(),
            },
            ModelSupport {
                pattern: "cohere.command-*".to_owned(),
                capabilities: text_only(),
            },
        ];
        assert_eq!(
            capabilities_of(&models, "cohere.command-r-v1:0"),
            Some(&with_tools)
        );
        assert_eq!(
            capabilities_of(&models, "cohere.command-text-v14"),
            Some(&text_only())
        );
        assert_eq!(capabilities_of(&models, "cohere.embed-v3"), None);
        let routed = supports(&[("x.", 1)], |_| text_only());
        assert_eq!(routed[0].pattern, "x.*");
        assert_eq!(limits(&["image/png"], 5, 2).media_types, ["image/png"]);
    }
}
