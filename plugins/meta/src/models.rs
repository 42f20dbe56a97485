//! Which chat template a Llama model id takes.
//!
//! Llama on Bedrock reads one `prompt` string, so the conversation has to be
//! written in the model's own chat format, and that format changed between
//! generations. The generation is read from the base model id's prefix;
//! invariant: an id whose generation is not known here gets no template at
//! all (an `unsupported` error pointing to `--raw`), never a guessed one.

use bedrock_adapter_kit::models;
use bedrock_adapter_kit::types::{AdapterError, Capabilities, ModelSupport};

/// A Llama chat format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Template {
    /// Llama 2 chat: `<s>[INST] <<SYS>>\n...\n<</SYS>>\n\n... [/INST]`.
    Llama2,
    /// Llama 3, 3.1, 3.2, 3.3: `<|start_header_id|>role<|end_header_id|>`
    /// headers, turns ended by `<|eot_id|>`.
    Llama3,
    /// Llama 4: `<|header_start|>role<|header_end|>` headers, turns ended by
    /// `<|eot|>`.
    Llama4,
}

/// Base-id prefixes and their template (Bedrock's ids: `meta.llama2-13b-chat-v1`,
/// `meta.llama3-8b-instruct-v1:0`, `meta.llama3-1-70b-instruct-v1:0`,
/// `meta.llama3-2-11b-instruct-v1:0`, `meta.llama3-3-70b-instruct-v1:0`,
/// `meta.llama4-scout-17b-instruct-v1:0`, ...).
const PREFIXES: &[(&str, Template)] = &[
    ("meta.llama2-", Template::Llama2),
    ("meta.llama3-", Template::Llama3),
    ("meta.llama4-", Template::Llama4),
];

/// The image types the vision models take, as Bedrock's image blocks list
/// them.
const IMAGE_TYPES: &[&str] = &["image/png", "image/jpeg", "image/gif", "image/webp"];

/// The largest image, in bytes: Bedrock's limit on one image (3.75 MB).
const MAX_IMAGE_BYTES: u64 = 3_932_160;

/// The most images in one Llama 3.2 Vision request: Meta's model card for
/// Llama 3.2 Vision gives it one image per prompt.
const LLAMA32_MAX_IMAGES: u32 = 1;

/// The most images in one Llama 4 request: Meta's Llama 4 model card says
/// it was tested with up to five.
const LLAMA4_MAX_IMAGES: u32 = 5;

/// The patterns `describe` reports, with what their models can do. Llama
/// 3.2 11B and 90B (Vision) and Llama 4 read images on Bedrock (the body's
/// `images`, AWS's "Meta Llama models" page) and Llama 3.1 and older do
/// not, so they are patterns of their own; none takes tools, documents,
/// reasoning or a prompt cache through Llama's `prompt` body.
pub fn supported() -> Vec<ModelSupport> {
    let vision = |max_count| Capabilities {
        images: Some(models::limits(IMAGE_TYPES, MAX_IMAGE_BYTES, max_count)),
        ..models::text_only()
    };
    [
        ("meta.llama3-2-11b-*", vision(LLAMA32_MAX_IMAGES)),
        ("meta.llama3-2-90b-*", vision(LLAMA32_MAX_IMAGES)),
        ("meta.llama4-*", vision(LLAMA4_MAX_IMAGES)),
        ("meta.llama*", models::text_only()),
    ]
    .into_iter()
    .map(|(pattern, capabilities)| ModelSupport {
        pattern: pattern.to_owned(),
        capabilities,
    })
    .collect()
}

/// The template for `model_id`.
pub fn template_for(model_id: &str) -> Result<Template, AdapterError> {
    models::route(PREFIXES, model_id).ok_or_else(|| {
        AdapterError::Unsupported(format!(
            "{model_id}: no chat template is known for this Llama model; write the prompt \
                 in the model's own format and send it with --raw"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_by_id() {
        for (id, template) in [
            ("meta.llama2-13b-chat-v1", Template::Llama2),
            ("meta.llama2-70b-chat-v1", Template::Llama2),
            ("meta.llama3-8b-instruct-v1:0", Template::Llama3),
            ("meta.llama3-1-70b-instruct-v1:0", Template::Llama3),
            ("meta.llama3-2-11b-instruct-v1:0", Template::Llama3),
            ("meta.llama3-3-70b-instruct-v1:0", Template::Llama3),
            ("meta.llama4-maverick-17b-instruct-v1:0", Template::Llama4),
        ] {
            assert_eq!(template_for(id), Ok(template), "{id}");
        }
        assert!(matches!(
            template_for("meta.llama5-1t-instruct-v1:0"),
            Err(AdapterError::Unsupported(msg)) if msg.contains("--raw")
        ));
    }

    #[test]
    fn images_for_vision_models_only() {
        let models = supported();
        let images = |id| {
            models::capabilities_of(&models, id)
                .and_then(|capabilities| capabilities.images.as_ref())
                .map(|limits| limits.max_count)
        };
        assert_eq!(images("meta.llama3-2-11b-instruct-v1:0"), Some(1));
        assert_eq!(images("meta.llama3-2-90b-instruct-v1:0"), Some(1));
        assert_eq!(images("meta.llama4-scout-17b-instruct-v1:0"), Some(5));
        assert_eq!(images("meta.llama4-maverick-17b-instruct-v1:0"), Some(5));
        assert_eq!(images("meta.llama3-2-3b-instruct-v1:0"), None);
        assert_eq!(images("meta.llama3-1-70b-instruct-v1:0"), None);
    }
}
