//! Which Cohere model family a base model id belongs to, and the id
//! patterns the plugin claims.
//!
//! Two families: Command (`cohere.command-text-v14`,
//! `cohere.command-light-text-v14`: a `prompt` in, `generations` out) and
//! Command R / R+ (`cohere.command-r-v1:0`, `cohere.command-r-plus-v1:0`: a
//! `message` with `chat_history` in, `text` out). The patterns name them
//! one by one, so Cohere's embedding and rerank models (`cohere.embed-*`,
//! `cohere.rerank-*`), whose bodies this plugin does not read, are never
//! routed here. Invariant: every id a pattern matches has a family, and
//! [`family`] answers from the id alone.

use bedrock_adapter_kit::models;
use bedrock_adapter_kit::types::{AdapterError, Capabilities, ModelSupport};

/// The body family of a model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// Cohere Command and Command Light: `prompt` → `generations`.
    Command,
    /// Cohere Command R and R+: `message` + `chat_history` → `text`.
    CommandR,
}

/// The base-id prefixes of each family.
const PREFIXES: &[(&str, Family)] = &[
    ("cohere.command-text-", Family::Command),
    ("cohere.command-light-text-", Family::Command),
    ("cohere.command-r-", Family::CommandR),
];

/// The patterns `describe` reports: each prefix followed by `*`.
pub fn patterns() -> Vec<String> {
    models::patterns(PREFIXES)
}

/// The patterns `describe` reports, with what their models can do:
/// Command takes one prompt and no system prompt; Command R takes a
/// preamble and tools. Neither takes images, documents (as attachments),
/// reasoning or a prompt cache.
pub fn supported() -> Vec<ModelSupport> {
    models::supports(PREFIXES, |family| match family {
        Family::Command => Capabilities {
            system: false,
            ..models::text_only()
        },
        Family::CommandR => Capabilities {
            tools: true,
            ..models::text_only()
        },
    })
}

/// The family of `model_id`, or `None` for an id no pattern covers.
pub fn family(model_id: &str) -> Option<Family> {
    models::route(PREFIXES, model_id)
}

/// The family of `model_id`, or an error naming what the plugin serves.
pub fn family_for(model_id: &str) -> Result<Family, AdapterError> {
    family(model_id).ok_or_else(|| {
        AdapterError::Unsupported(format!(
            "{model_id}: this plugin serves Cohere Command and Command R models ({})",
            patterns().join(", ")
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families() {
        for id in ["cohere.command-text-v14", "cohere.command-light-text-v14"] {
            assert_eq!(family(id), Some(Family::Command), "{id}");
        }
        for id in ["cohere.command-r-v1:0", "cohere.command-r-plus-v1:0"] {
            assert_eq!(family(id), Some(Family::CommandR), "{id}");
        }
    }

    #[test]
    fn embed_and_rerank_are_not_claimed() {
        for id in [
            "cohere.embed-english-v3",
            "cohere.embed-multilingual-v3",
            "cohere.embed-v4:0",
            "cohere.rerank-v3-5:0",
        ] {
            assert_eq!(family(id), None, "{id}");
            assert!(matches!(family_for(id), Err(AdapterError::Unsupported(_))));
        }
    }
}
