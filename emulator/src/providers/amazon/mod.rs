//! The Amazon family: its model catalogue and the choice between its body shapes, Nova's
//! `messages-v1` (`nova.rs`), Titan Text's `inputText` / `textGenerationConfig` (`titan.rs`),
//! the embedding and rerank bodies (`embed.rs`) and the text-to-image body of Nova Canvas and
//! Titan Image Generator v2 (`canvas.rs`); only the text models stream. Model ids come from the fixtures' ListFoundationModels data and recordings
//! (`amazon.titan-tg1-large` in dd-trace, `amazon.nova-2-lite-v1:0` in langchaingo); each Titan
//! model's `maxTokenCount` ceiling is the one in AWS's Titan Text parameter page.

mod canvas;
mod embed;
mod nova;
mod nova_request;
mod titan;

use crate::api_error::ApiError;
use crate::providers::prompt_cache::PromptCache;
use crate::providers::{Reply, schema};

/// One Amazon model.
#[derive(Debug)]
pub(crate) struct AmazonModel {
    /// The Bedrock base model id.
    id: &'static str,
    /// Which body shape the model speaks.
    api: Api,
}

#[derive(Debug, Clone, Copy)]
enum Api {
    /// Nova understanding models (`messages-v1`).
    Nova,
    /// Titan Text, with the model's largest accepted `maxTokenCount`.
    Titan { max_token_count: u32 },
    /// An embedding or rerank model.
    Embed(embed::EmbedKind),
    /// A text-to-image model.
    Image(canvas::Painter),
}

const fn nova(id: &'static str) -> AmazonModel {
    AmazonModel { id, api: Api::Nova }
}

const fn titan(id: &'static str, max_token_count: u32) -> AmazonModel {
    AmazonModel {
        id,
        api: Api::Titan { max_token_count },
    }
}

const fn embedding(id: &'static str, kind: embed::EmbedKind) -> AmazonModel {
    AmazonModel {
        id,
        api: Api::Embed(kind),
    }
}

const fn painter(id: &'static str, painter: canvas::Painter) -> AmazonModel {
    AmazonModel {
        id,
        api: Api::Image(painter),
    }
}

const MODELS: &[AmazonModel] = &[
    nova("amazon.nova-micro-v1:0"),
    nova("amazon.nova-lite-v1:0"),
    nova("amazon.nova-pro-v1:0"),
    nova("amazon.nova-premier-v1:0"),
    nova("amazon.nova-2-lite-v1:0"),
    titan("amazon.titan-text-lite-v1", 4096),
    titan("amazon.titan-text-express-v1", 8192),
    titan("amazon.titan-text-premier-v1:0", 3072),
    // Titan Text Large, the id the first Bedrock recordings (dd-trace) use; Express's limits.
    titan("amazon.titan-tg1-large", 8192),
    embedding(
        "amazon.titan-embed-text-v2:0",
        embed::EmbedKind::TitanTextV2,
    ),
    embedding("amazon.titan-embed-text-v1", embed::EmbedKind::TitanTextG1),
    embedding(
        "amazon.titan-embed-g1-text-02",
        embed::EmbedKind::TitanTextG1,
    ),
    embedding(
        "amazon.titan-embed-image-v1",
        embed::EmbedKind::TitanMultimodal,
    ),
    embedding(
        "amazon.nova-2-multimodal-embeddings-v1:0",
        embed::EmbedKind::NovaMultimodal,
    ),
    embedding("amazon.rerank-v1:0", embed::EmbedKind::Rerank),
    painter("amazon.nova-canvas-v1:0", canvas::Painter::NovaCanvas),
    painter(
        "amazon.titan-image-generator-v2:0",
        canvas::Painter::TitanImageV2,
    ),
];

/// The Amazon text model with this base id.
pub(crate) fn lookup(base_model_id: &str) -> Option<&'static AmazonModel> {
    MODELS.iter().find(|model| model.id == base_model_id)
}

impl AmazonModel {
    /// Whether the model answers `InvokeModelWithResponseStream` (only the text models do).
    pub(crate) fn streams(&self) -> bool {
        matches!(self.api, Api::Nova | Api::Titan { .. })
    }
}

/// Validates `body` for `model` and generates the reply in the model's shape.
pub(crate) fn invoke(
    model: &'static AmazonModel,
    body: &[u8],
    cache: &PromptCache,
) -> Result<Box<dyn Reply>, ApiError> {
    let object = schema::parse_object(body)?;
    match model.api {
        Api::Nova => nova::invoke(model.id, &object, cache),
        Api::Titan { max_token_count } => titan::invoke(&object, max_token_count),
        Api::Embed(kind) => embed::invoke(model.id, kind, &object),
        Api::Image(painter) => canvas::invoke(painter, &object),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::testing::assert_catalogue;

    #[test]
    fn catalogue_ids_are_unique_and_amazon() {
        assert_catalogue(MODELS.iter().map(|model| model.id), "amazon.");
    }

    #[test]
    fn nova_does_not_take_titan_bodies() {
        let model = lookup("amazon.nova-lite-v1:0").expect("catalogued");
        let error = invoke(model, br#"{"inputText": "hi"}"#, &PromptCache::default())
            .err()
            .expect("a Nova body is required");
        assert!(
            error
                .message()
                .contains("#: required key [messages] not found"),
            "{}",
            error.message()
        );
    }
}
