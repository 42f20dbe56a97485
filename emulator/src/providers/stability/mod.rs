//! The Stability AI family on Bedrock: its image model catalogue, the choice between its two body
//! shapes, Stable Diffusion XL's `text_prompts` / `artifacts` (`sdxl.rs`) and the `prompt` /
//! `images` shape of SD3, SD3.5 and Stable Image (`stable_image.rs`), and the deterministic PNG
//! both render (`picture.rs`). Image models do not stream ([`crate::providers::KnownModel::streams`]
//! is false for them) and count no tokens, so their responses carry no token-count headers.

pub(crate) mod picture;
mod sdxl;
mod stable_image;

use crate::api_error::ApiError;
use crate::providers::{InvocationMetrics, Reply, TokenUsage, schema};

/// One Stability image model.
#[derive(Debug)]
pub(crate) struct StabilityModel {
    /// The Bedrock base model id.
    id: &'static str,
    /// Whether the model speaks the SDXL (v1 generation) body.
    sdxl: bool,
}

const fn sdxl(id: &'static str) -> StabilityModel {
    StabilityModel { id, sdxl: true }
}

const fn stable_image(id: &'static str) -> StabilityModel {
    StabilityModel { id, sdxl: false }
}

const MODELS: &[StabilityModel] = &[
    sdxl("stability.stable-diffusion-xl-v1"),
    sdxl("stability.stable-diffusion-xl-v1:0"),
    stable_image("stability.sd3-large-v1:0"),
    stable_image("stability.sd3-5-large-v1:0"),
    stable_image("stability.stable-image-ultra-v1:0"),
    stable_image("stability.stable-image-ultra-v1:1"),
    stable_image("stability.stable-image-core-v1:0"),
    stable_image("stability.stable-image-core-v1:1"),
];

/// The Stability model with this base id.
pub(crate) fn lookup(base_model_id: &str) -> Option<&'static StabilityModel> {
    MODELS.iter().find(|model| model.id == base_model_id)
}

/// Validates `body` for `model` and renders the image.
pub(crate) fn invoke(
    model: &'static StabilityModel,
    body: &[u8],
) -> Result<Box<dyn Reply>, ApiError> {
    let object = schema::parse_object(body)?;
    let body = if model.sdxl {
        sdxl::invoke(&object)?
    } else {
        stable_image::invoke(&object)?
    };
    Ok(Box::new(ImageReply { body }))
}

/// A rendered image reply: the JSON body, complete.
struct ImageReply {
    body: Vec<u8>,
}

impl Reply for ImageReply {
    fn usage(&self) -> Option<TokenUsage> {
        None
    }

    fn response_body(&self) -> Result<Vec<u8>, serde_json::Error> {
        Ok(self.body.clone())
    }

    /// Never reached: streams are refused for image models before a reply is made.
    fn stream_chunks(
        &self,
        _metrics: &InvocationMetrics,
    ) -> Result<Vec<Vec<u8>>, serde_json::Error> {
        Ok(vec![self.body.clone()])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::testing::assert_catalogue;

    #[test]
    fn catalogue_ids_are_unique_and_stability() {
        assert_catalogue(MODELS.iter().map(|model| model.id), "stability.");
    }

    #[test]
    fn image_replies_count_no_tokens() {
        let model = lookup("stability.stable-image-core-v1:1").expect("catalogued");
        let reply = invoke(
            model,
            br#"{"prompt": "a lighthouse", "aspect_ratio": "21:9"}"#,
        )
        .expect("valid");
        assert_eq!(reply.usage(), None);
    }
}
