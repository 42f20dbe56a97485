//! Provider families: the only code that knows model request and response JSON. Each family is
//! one module that owns its model catalogue, validates request bodies the way Bedrock does for
//! that family, and renders replies in the family's recorded shapes. This module is the seam the
//! HTTP layer uses: look a base model id up, hand it a body, get back a [`Reply`]. It also holds
//! what is the same in every family: counting tokens, usage from a generation, and streaming one
//! chunk per piece of text; what a family's JSON looks like stays in that family's module.
//!
//! To add a family: write `providers/<family>/`, add a [`KnownModel`] variant, and extend
//! [`KnownModel::lookup`], [`KnownModel::invoke`] and, for a model that cannot stream,
//! [`KnownModel::streams`].

mod ai21;
mod amazon;
mod anthropic;
mod chat_prompt;
mod chat_tools;
mod cohere;
mod deepseek;
mod embedding;
mod media;
mod meta;
mod mistral;
mod openai;
mod prompt;
pub(crate) mod prompt_cache;
mod schema;
mod stability;
#[cfg(test)]
mod testing;
mod tools;
mod writer;

use serde::Serialize;

use crate::api_error::ApiError;
use crate::generator::Generation;
use crate::providers::prompt_cache::{CacheUsage, PromptCache};

/// Token counts of one invocation, for the `X-Amzn-Bedrock-*-Token-Count` headers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct TokenUsage {
    /// Input tokens neither read from nor written to the prompt cache.
    pub input_tokens: u32,
    pub output_tokens: u32,
    /// Cache reads and writes, for a request with cache points (the
    /// `X-Amzn-Bedrock-Cache-*-Input-Token-Count` headers).
    pub cache: Option<CacheUsage>,
}

impl TokenUsage {
    /// The usage of a reply that is one generation from a prompt of `input_tokens`.
    fn of(input_tokens: u32, generation: &Generation) -> Self {
        Self {
            input_tokens,
            output_tokens: generation.output_tokens,
            cache: None,
        }
    }
}

/// The `amazon-bedrock-invocationMetrics` object Bedrock adds to the last chunk of a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct InvocationMetrics {
    pub input_token_count: u32,
    pub output_token_count: u32,
    pub invocation_latency: u64,
    pub first_byte_latency: u64,
}

/// A model's reply to a valid request, ready to be rendered either way.
pub(crate) trait Reply: Send {
    /// Tokens read and written; `None` for a model that does not count tokens (image models),
    /// whose responses carry no token-count headers.
    fn usage(&self) -> Option<TokenUsage>;

    /// The `InvokeModel` response body.
    fn response_body(&self) -> Result<Vec<u8>, serde_json::Error>;

    /// The model JSON of every `InvokeModelWithResponseStream` chunk, in order; the last one
    /// carries `metrics`.
    fn stream_chunks(&self, metrics: &InvocationMetrics)
    -> Result<Vec<Vec<u8>>, serde_json::Error>;
}

/// A base model id the emulator serves, with the family that speaks for it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum KnownModel {
    Ai21(&'static ai21::Ai21Model),
    Amazon(&'static amazon::AmazonModel),
    Anthropic(&'static anthropic::AnthropicModel),
    Cohere(&'static cohere::CohereModel),
    /// Cohere's embedding and rerank models, which never stream.
    CohereEmbed(&'static cohere::embed::CohereEmbedModel),
    DeepSeek(&'static deepseek::DeepSeekModel),
    Meta(&'static meta::MetaModel),
    Mistral(&'static mistral::MistralModel),
    OpenAi(&'static openai::OpenAiModel),
    Stability(&'static stability::StabilityModel),
    Writer(&'static writer::WriterModel),
}

impl KnownModel {
    /// The model with this base id, if any family knows it.
    pub fn lookup(base_model_id: &str) -> Option<Self> {
        ai21::lookup(base_model_id)
            .map(Self::Ai21)
            .or_else(|| amazon::lookup(base_model_id).map(Self::Amazon))
            .or_else(|| anthropic::lookup(base_model_id).map(Self::Anthropic))
            .or_else(|| cohere::lookup(base_model_id).map(Self::Cohere))
            .or_else(|| cohere::embed::lookup(base_model_id).map(Self::CohereEmbed))
            .or_else(|| deepseek::lookup(base_model_id).map(Self::DeepSeek))
            .or_else(|| meta::lookup(base_model_id).map(Self::Meta))
            .or_else(|| mistral::lookup(base_model_id).map(Self::Mistral))
            .or_else(|| openai::lookup(base_model_id).map(Self::OpenAi))
            .or_else(|| stability::lookup(base_model_id).map(Self::Stability))
            .or_else(|| writer::lookup(base_model_id).map(Self::Writer))
    }

    /// Whether the model answers `InvokeModelWithResponseStream` (image, embedding and rerank
    /// models do not).
    pub fn streams(self) -> bool {
        match self {
            Self::Amazon(model) => model.streams(),
            Self::Ai21(_)
            | Self::Anthropic(_)
            | Self::Cohere(_)
            | Self::DeepSeek(_)
            | Self::Meta(_)
            | Self::Mistral(_)
            | Self::OpenAi(_)
            | Self::Writer(_) => true,
            Self::CohereEmbed(_) | Self::Stability(_) => false,
        }
    }

    /// Validates `body` as this model's request and generates the reply; a family that caches
    /// prompts reads and writes `cache`.
    pub fn invoke(self, body: &[u8], cache: &PromptCache) -> Result<Box<dyn Reply>, ApiError> {
        match self {
            Self::Ai21(model) => ai21::invoke(model, body),
            Self::Amazon(model) => amazon::invoke(model, body, cache),
            Self::Anthropic(model) => anthropic::invoke(model, body, cache),
            Self::Cohere(model) => cohere::invoke(model, body),
            Self::CohereEmbed(model) => cohere::embed::invoke(model, body),
            Self::DeepSeek(model) => deepseek::invoke(model, body),
            Self::Meta(model) => meta::invoke(model, body),
            Self::Mistral(model) => mistral::invoke(model, body),
            Self::OpenAi(model) => openai::invoke(model, body),
            Self::Stability(model) => stability::invoke(model, body),
            Self::Writer(model) => writer::invoke(model, body),
        }
    }
}

/// One piece of streamed text and where it stands in the stream.
struct StreamPiece<'a> {
    text: &'a str,
    /// 0 for the first piece.
    position: usize,
    is_last: bool,
}

/// Renders one stream chunk per piece of text, in order. A reply without pieces still gets one
/// chunk, with empty text, because the last chunk is the one that carries the stop reason and the
/// invocation metrics.
fn chunk_per_piece<S: AsRef<str>>(
    pieces: &[S],
    mut render: impl FnMut(StreamPiece<'_>) -> Result<Vec<u8>, serde_json::Error>,
) -> Result<Vec<Vec<u8>>, serde_json::Error> {
    if pieces.is_empty() {
        return Ok(vec![render(StreamPiece {
            text: "",
            position: 0,
            is_last: true,
        })?]);
    }
    let last = pieces.len() - 1;
    pieces
        .iter()
        .enumerate()
        .map(|(position, piece)| {
            render(StreamPiece {
                text: piece.as_ref(),
                position,
                is_last: position == last,
            })
        })
        .collect()
}

/// Counts tokens the way the emulator defines them: whitespace-separated words.
fn count_words(text: &str) -> u32 {
    u32::try_from(text.split_whitespace().count()).unwrap_or(u32::MAX)
}
