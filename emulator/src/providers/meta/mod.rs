//! The Meta Llama family on Bedrock: its model catalogue, request validation and reply shapes.
//! Every Llama model takes the same body, `{"prompt", "temperature", "top_p", "max_gen_len"}`
//! (AWS's Meta Llama parameter page: temperature and top_p in 0..=1, max_gen_len in 1..=2048,
//! default 512; the vision models also take `images`, base64 strings), and Llama has no stop
//! sequence parameter, so a reply ends `"stop"` or `"length"`. Replies follow the recordings
//! (dd-trace `meta_invoke*.yaml`, openllmetry, OTel, langchaingo, New Relic streams):
//! `{"generation","prompt_token_count","generation_token_count","stop_reason"}`; streamed, one
//! chunk per piece of that same shape, `prompt_token_count` only in the first and a running
//! `generation_token_count`, the last carrying `stop_reason` and the invocation metrics.
//!
//! Each image must be base64 of a PNG, JPEG, GIF or WebP picture (refused otherwise, naming its
//! position); an image counts one input token per started KiB.

use serde::Serialize;

use crate::api_error::ApiError;
use crate::generator::{Finish, Generation, GenerationRequest, generate};
use crate::providers::media::{Sniffed, decode_base64};
use crate::providers::prompt::last_user_text;
use crate::providers::schema::{self, Violations};
use crate::providers::{InvocationMetrics, Reply, TokenUsage, chunk_per_piece, count_words};

/// One Llama model Bedrock serves.
#[derive(Debug)]
pub(crate) struct MetaModel {
    /// The Bedrock base model id.
    id: &'static str,
    /// Whether the model accepts `images` (Llama 3.2 11B/90B and Llama 4).
    vision: bool,
}

const fn text(id: &'static str) -> MetaModel {
    MetaModel { id, vision: false }
}

const fn vision(id: &'static str) -> MetaModel {
    MetaModel { id, vision: true }
}

const MODELS: &[MetaModel] = &[
    text("meta.llama2-13b-chat-v1"),
    text("meta.llama2-70b-chat-v1"),
    text("meta.llama3-8b-instruct-v1:0"),
    text("meta.llama3-70b-instruct-v1:0"),
    text("meta.llama3-1-8b-instruct-v1:0"),
    text("meta.llama3-1-70b-instruct-v1:0"),
    text("meta.llama3-1-405b-instruct-v1:0"),
    text("meta.llama3-2-1b-instruct-v1:0"),
    text("meta.llama3-2-3b-instruct-v1:0"),
    vision("meta.llama3-2-11b-instruct-v1:0"),
    vision("meta.llama3-2-90b-instruct-v1:0"),
    text("meta.llama3-3-70b-instruct-v1:0"),
    vision("meta.llama4-scout-17b-instruct-v1:0"),
    vision("meta.llama4-maverick-17b-instruct-v1:0"),
];

const KEYS: &[&str] = &["prompt", "temperature", "top_p", "max_gen_len"];
/// `max_gen_len` when the request sets none, and its ceiling.
const DEFAULT_MAX_GEN_LEN: u32 = 512;
const MAX_GEN_LEN: u32 = 2048;

/// The Llama model with this base id.
pub(crate) fn lookup(base_model_id: &str) -> Option<&'static MetaModel> {
    MODELS.iter().find(|model| model.id == base_model_id)
}

/// Validates `body` for `model` and generates the reply.
pub(crate) fn invoke(model: &'static MetaModel, body: &[u8]) -> Result<Box<dyn Reply>, ApiError> {
    let object = schema::parse_object(body)?;
    let mut violations = Violations::default();
    let allowed: Vec<&str> = KEYS
        .iter()
        .copied()
        .chain(model.vision.then_some("images"))
        .collect();
    schema::reject_unknown_keys(&object, "#", &allowed, &mut violations);
    let prompt = schema::required_string(&object, "#", "prompt", &mut violations);
    schema::optional_number(&object, "#", "temperature", 0.0..=1.0, &mut violations);
    schema::optional_number(&object, "#", "top_p", 0.0..=1.0, &mut violations);
    let max_gen_len = schema::optional_count(
        &object,
        "#",
        "max_gen_len",
        1..=MAX_GEN_LEN,
        &mut violations,
    );
    let images = schema::optional_string_list(&object, "#", "images", usize::MAX, &mut violations);
    violations.into_result()?;
    let Some(prompt) = prompt else {
        return Err(ApiError::internal("validated Llama body has no prompt"));
    };
    let image_tokens = images
        .iter()
        .enumerate()
        .map(|(index, image)| image_tokens(index, image))
        .try_fold(0u32, |total, tokens| {
            tokens.map(|tokens| total.saturating_add(tokens))
        })?;

    let generation = generate(&GenerationRequest {
        seed_text: prompt,
        echo_text: last_user_text(prompt),
        max_tokens: max_gen_len.unwrap_or(DEFAULT_MAX_GEN_LEN),
        stop_sequences: &[],
    });
    Ok(Box::new(LlamaReply {
        prompt_tokens: count_words(prompt).saturating_add(image_tokens),
        generation,
    }))
}

/// The input tokens of the image at `index` (one per started KiB), once it decodes to a
/// picture.
fn image_tokens(index: usize, image: &str) -> Result<u32, ApiError> {
    let picture = decode_base64(image)
        .filter(|bytes| Sniffed::of(bytes).is_some_and(|format| format != Sniffed::Pdf));
    match picture {
        Some(bytes) => Ok(u32::try_from(bytes.len().div_ceil(1024)).unwrap_or(u32::MAX)),
        None => Err(ApiError::validation(format!(
            "images[{index}] is not a base64-encoded PNG, JPEG, GIF or WebP image."
        ))),
    }
}

struct LlamaReply {
    prompt_tokens: u32,
    generation: Generation,
}

#[derive(Serialize)]
struct LlamaChunk<'a> {
    generation: &'a str,
    prompt_token_count: Option<u32>,
    generation_token_count: u32,
    stop_reason: Option<&'static str>,
    #[serde(
        rename = "amazon-bedrock-invocationMetrics",
        skip_serializing_if = "Option::is_none"
    )]
    invocation_metrics: Option<&'a InvocationMetrics>,
}

impl LlamaReply {
    fn stop_reason(&self) -> &'static str {
        match self.generation.finish {
            Finish::MaxTokens => "length",
            Finish::Natural | Finish::StopSequence(_) => "stop",
        }
    }
}

impl Reply for LlamaReply {
    fn usage(&self) -> Option<TokenUsage> {
        Some(TokenUsage::of(self.prompt_tokens, &self.generation))
    }

    fn response_body(&self) -> Result<Vec<u8>, serde_json::Error> {
        serde_json::to_vec(&LlamaChunk {
            generation: &self.generation.text(),
            prompt_token_count: Some(self.prompt_tokens),
            generation_token_count: self.generation.output_tokens,
            stop_reason: Some(self.stop_reason()),
            invocation_metrics: None,
        })
    }

    fn stream_chunks(
        &self,
        metrics: &InvocationMetrics,
    ) -> Result<Vec<Vec<u8>>, serde_json::Error> {
        chunk_per_piece(&self.generation.pieces, |piece| {
            serde_json::to_vec(&LlamaChunk {
                generation: piece.text,
                prompt_token_count: (piece.position == 0).then_some(self.prompt_tokens),
                generation_token_count: u32::try_from(piece.position + 1)
                    .unwrap_or(u32::MAX)
                    .min(self.generation.output_tokens),
                stop_reason: piece.is_last.then(|| self.stop_reason()),
                invocation_metrics: piece.is_last.then_some(metrics),
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::testing::{assert_catalogue, chunks_json, metrics, reply};
    use serde_json::json;

    #[test]
    fn catalogue_ids_are_unique_and_meta() {
        assert_catalogue(MODELS.iter().map(|model| model.id), "meta.llama");
    }

    #[test]
    fn every_violation_is_reported() {
        let error = reply(
            "meta.llama3-8b-instruct-v1:0",
            &json!({"max_gen_len": 4096, "temperature": -1, "stop": ["x"], "images": []}),
        )
        .err()
        .expect("invalid");
        assert_eq!(
            error.message(),
            "Malformed input request: #: extraneous key [images] is not permitted#: extraneous \
             key [stop] is not permitted#: required key [prompt] not found#/temperature: -1 is \
             not greater or equal to 0#/max_gen_len: 4096 is not less or equal to 2048, please \
             reformat your input and try again."
        );
        assert!(
            reply(
                "meta.llama3-2-11b-instruct-v1:0",
                &json!({"prompt": "x", "images": []})
            )
            .is_ok()
        );
    }

    #[test]
    fn the_stream_counts_tokens_as_it_goes() {
        let reply = reply(
            "meta.llama2-13b-chat-v1",
            &json!({"prompt": "[INST] a b c d [/INST]", "max_gen_len": 3}),
        )
        .expect("valid");
        let chunks = chunks_json(reply.as_ref(), &metrics(6, 3, 7, 2));
        assert_eq!(
            chunks,
            [
                json!({"generation": "a", "prompt_token_count": 6, "generation_token_count": 1, "stop_reason": null}),
                json!({"generation": " b", "prompt_token_count": null, "generation_token_count": 2, "stop_reason": null}),
                json!({"generation": " c", "prompt_token_count": null, "generation_token_count": 3, "stop_reason": "length",
                       "amazon-bedrock-invocationMetrics": {"inputTokenCount": 6, "outputTokenCount": 3,
                                                             "invocationLatency": 7, "firstByteLatency": 2}}),
            ]
        );
    }
}
