//! Which of Stability's two Bedrock body families a model id takes.
//!
//! SDXL (`stability.stable-diffusion-xl-v0`, `-v1`) takes the v1 generation
//! API (`text_prompts`, `cfg_scale`, ...) and answers with `artifacts`; the
//! newer models (SD3 and SD3.5 Large, Stable Image Ultra and Core) take a
//! flat `prompt` body and answer with `images` and `finish_reasons`. The
//! Stable Image *services* on Bedrock (inpaint, upscale, erase, ...) need an
//! input image and are not served. Invariant: [`patterns`] (what `describe`
//! claims) and [`family`] (what `build-request` accepts) come from the one
//! table [`PREFIXES`], so the adapter never claims an id it then refuses.

use bedrock_adapter_kit::models;
use bedrock_adapter_kit::types::{AdapterError, Capabilities, ModelSupport};

/// The body family a model takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// Stable Diffusion XL: `{"text_prompts": [...], "cfg_scale", ...}`.
    Sdxl,
    /// SD3, SD3.5, Stable Image Ultra and Core: `{"prompt", ...}`.
    StableImage,
}

/// Base-id prefixes of the models served, with their family. Each becomes
/// the pattern `<prefix>*` in `describe`.
const PREFIXES: &[(&str, Family)] = &[
    ("stability.stable-diffusion-xl-", Family::Sdxl),
    ("stability.sd3-", Family::StableImage),
    ("stability.stable-image-ultra-", Family::StableImage),
    ("stability.stable-image-core-", Family::StableImage),
];

/// The model-id patterns `describe` lists.
pub fn patterns() -> Vec<String> {
    models::patterns(PREFIXES)
}

/// The patterns `describe` lists, with what their models can do: take one
/// text prompt (no system prompt, tools, attachments, reasoning or cache)
/// and answer with whole images, never a stream.
pub fn supported() -> Vec<ModelSupport> {
    models::supports(PREFIXES, |_| Capabilities {
        system: false,
        streaming: false,
        ..models::text_only()
    })
}

/// The family of `model_id`, or `unsupported` for an id no pattern matches.
pub fn family(model_id: &str) -> Result<Family, AdapterError> {
    models::route(PREFIXES, model_id).ok_or_else(|| {
        AdapterError::Unsupported(format!(
            "{model_id} is not a Stability text-to-image model this adapter serves ({})",
            patterns().join(", ")
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_ids() {
        // Model ids from AWS's "Supported foundation models in Amazon Bedrock".
        for id in [
            "stability.stable-diffusion-xl-v0",
            "stability.stable-diffusion-xl-v1",
        ] {
            assert_eq!(family(id), Ok(Family::Sdxl), "{id}");
        }
        for id in [
            "stability.sd3-large-v1:0",
            "stability.sd3-5-large-v1:0",
            "stability.stable-image-ultra-v1:0",
            "stability.stable-image-ultra-v1:1",
            "stability.stable-image-core-v1:0",
            "stability.stable-image-core-v1:1",
        ] {
            assert_eq!(family(id), Ok(Family::StableImage), "{id}");
        }
    }

    #[test]
    fn image_services_and_others_are_refused() {
        for id in [
            "stability.stable-image-inpaint-v1:0",
            "stability.stable-fast-upscale-v1:0",
            "anthropic.claude-v2",
        ] {
            assert!(
                matches!(family(id), Err(AdapterError::Unsupported(m)) if m.starts_with(id)),
                "{id}"
            );
        }
    }

    #[test]
    fn patterns_match_the_table() {
        assert_eq!(
            patterns(),
            [
                "stability.stable-diffusion-xl-*",
                "stability.sd3-*",
                "stability.stable-image-ultra-*",
                "stability.stable-image-core-*",
            ]
        );
    }
}
