//! Which Amazon text model family a base model id belongs to, and the id
//! patterns the plugin claims for generation.
//!
//! Two text families share the `amazon.` namespace and nothing else: Nova
//! (the `messages-v1` schema) and Titan Text (`inputText`). The patterns
//! name the text-generating models one by one, so that embedding models
//! (`amazon.titan-embed-*`, `amazon.nova-2-multimodal-embeddings-*`, served
//! by the embedder), the image models (Nova Canvas and Titan Image Generator
//! v2, whose patterns and bodies are [`crate::canvas`]'s), and video and
//! speech models (`amazon.nova-reel-*`, `amazon.nova-sonic-*`,
//! `amazon.nova-2-sonic-*`), whose bodies this plugin does not read, never
//! reach a text family. Invariant: every id a pattern matches has a family,
//! and [`family`] answers from the id alone.

use bedrock_adapter_kit::models;
use bedrock_adapter_kit::types::{AdapterError, Capabilities, ModelSupport};

/// The body family of a model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// Amazon Nova understanding models: `schemaVersion: "messages-v1"`.
    Nova,
    /// Amazon Titan Text: `inputText` + `textGenerationConfig`.
    Titan,
}

/// The base-id prefixes of each family, as in Bedrock's model ids
/// (`amazon.nova-lite-v1:0`, `amazon.nova-2-lite-v1:0`,
/// `amazon.titan-text-express-v1`, `amazon.titan-tg1-large`).
const PREFIXES: &[(&str, Family)] = &[
    ("amazon.nova-micro-", Family::Nova),
    ("amazon.nova-lite-", Family::Nova),
    ("amazon.nova-pro-", Family::Nova),
    ("amazon.nova-premier-", Family::Nova),
    ("amazon.nova-2-lite-", Family::Nova),
    ("amazon.titan-text-", Family::Titan),
    ("amazon.titan-tg1-", Family::Titan),
];

/// The patterns `describe` reports: each prefix followed by `*`.
pub fn patterns() -> Vec<String> {
    models::patterns(PREFIXES)
}

/// The base-id prefix of the Nova 2 models, which reason.
const NOVA_2_PREFIX: &str = "amazon.nova-2-";

/// The image types Nova reads (AWS, "Multimodal support for Amazon Nova":
/// PNG, JPG, JPEG, GIF, WebP).
pub const NOVA_IMAGE_TYPES: &[&str] = &["image/png", "image/jpeg", "image/gif", "image/webp"];

/// The largest image sent inline: Nova takes a request payload of up to
/// 25 MB, and an image goes base64 encoded (4 bytes for every 3).
const NOVA_IMAGE_MAX_BYTES: u64 = 25 * 1000 * 1000 / 4 * 3;

/// The most images in one Nova request, as AWS's image-understanding
/// limits give it.
const NOVA_IMAGE_MAX_COUNT: u32 = 20;

/// The patterns `describe` reports, with what their models can do: every
/// Nova model takes tools and prompt caching (`cachePoint`); Nova Lite, Pro,
/// Premier and Nova 2 Lite read images; Titan Text reads text only; the
/// image models ([`crate::canvas`]) take one prompt and never stream.
/// Nova 2 Lite reasons (`reasoningConfig`). Documents are not claimed: AWS
/// takes Nova's documents through the Converse API only, not
/// `InvokeModel`.
pub fn supported() -> Vec<ModelSupport> {
    PREFIXES
        .iter()
        .map(|(prefix, family)| {
            let pattern = format!("{prefix}*");
            let capabilities = match family {
                Family::Nova => Capabilities {
                    tools: true,
                    caching: true,
                    reasoning: prefix.starts_with(NOVA_2_PREFIX),
                    images: reads_images(prefix).then(|| {
                        models::limits(NOVA_IMAGE_TYPES, NOVA_IMAGE_MAX_BYTES, NOVA_IMAGE_MAX_COUNT)
                    }),
                    ..models::text_only()
                },
                Family::Titan => models::text_only(),
            };
            ModelSupport {
                pattern,
                capabilities,
            }
        })
        .chain(crate::canvas::supported())
        .collect()
}

/// The family of `model_id`, or `None` for an id no pattern covers.
pub fn family(model_id: &str) -> Option<Family> {
    models::route(PREFIXES, model_id)
}

/// The family of `model_id`, or an error naming what the plugin serves.
pub fn family_for(model_id: &str) -> Result<Family, AdapterError> {
    family(model_id).ok_or_else(|| {
        AdapterError::Unsupported(format!(
            "{model_id}: this plugin serves Amazon Nova and Titan Text models ({})",
            patterns().join(", ")
        ))
    })
}

/// Whether a Nova model reads images: Nova Micro reads text only.
pub fn reads_images(model_id: &str) -> bool {
    !model_id.starts_with("amazon.nova-micro-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families() {
        for id in [
            "amazon.nova-micro-v1:0",
            "amazon.nova-lite-v1:0",
            "amazon.nova-pro-v1:0",
            "amazon.nova-premier-v1:0",
            "amazon.nova-2-lite-v1:0",
        ] {
            assert_eq!(family(id), Some(Family::Nova), "{id}");
        }
        for id in [
            "amazon.titan-text-express-v1",
            "amazon.titan-text-lite-v1",
            "amazon.titan-text-premier-v1:0",
            "amazon.titan-tg1-large",
        ] {
            assert_eq!(family(id), Some(Family::Titan), "{id}");
        }
    }

    #[test]
    fn other_amazon_models_are_not_claimed() {
        // Ids from list-foundation-models (mirai73 aggregate) that take
        // bodies this plugin does not read.
        for id in [
            "amazon.titan-embed-text-v1",
            "amazon.titan-embed-text-v2:0",
            "amazon.titan-embed-g1-text-02",
            "amazon.titan-embed-image-v1",
            "amazon.nova-reel-v1:1",
            "amazon.nova-sonic-v1:0",
            "amazon.nova-2-sonic-v1:0",
            "amazon.nova-2-multimodal-embeddings-v1:0",
            "amazon.rerank-v1:0",
        ] {
            assert_eq!(family(id), None, "{id}");
            assert!(matches!(family_for(id), Err(AdapterError::Unsupported(_))));
        }
    }

    #[test]
    fn images() {
        assert!(!reads_images("amazon.nova-micro-v1:0"));
        assert!(reads_images("amazon.nova-lite-v1:0"));
    }
}
