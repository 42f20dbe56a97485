//! The Amazon adapter of `bedrock-host`: a WebAssembly component exporting
//! the `bedrock:adapter/adapter` interface for Amazon's text models, Nova
//! (`amazon.nova-micro-*`, `-lite-*`, `-pro-*`, `-premier-*`,
//! `amazon.nova-2-lite-*`) and Titan Text (`amazon.titan-text-*`,
//! `amazon.titan-tg1-*`), and its text-to-image models, Nova Canvas and
//! Titan Image Generator v2 (`canvas.rs`: the `TEXT_IMAGE` body and the
//! `images` it answers), and the `bedrock:adapter/embedder` interface for
//! Titan and Nova embeddings and Amazon Rerank. This file owns the generated bindings, the export
//! and `describe`; each other module owns one step (routing a model id to
//! its family, `-o` options, request, response, stream, stop reasons, wire
//! types) and is reached only through [`Component`]. The adapter is a pure
//! function of its inputs: it keeps no state outside a [`stream::Decoder`]
//! and knows nothing of AWS (signing, URLs, event-stream frames, invocation
//! metrics and guardrail actions stay in the host).
//!
//! The contract's types, and the steps every adapter takes alike (`-o`
//! parsing, request checks, wire reads, stop tables, held stream state),
//! come from `bedrock_adapter_kit`; this crate keeps what is the family's.

wit_bindgen::generate!({
    world: "embedding-provider",
    path: "../../wit/since_v0.2.1",
    with: { "bedrock:adapter/types@0.2.1": bedrock_adapter_kit::types },
});

mod canvas;
mod embedding;
mod models;
mod options;
mod request;
mod rerank;
mod response;
mod stop;
mod stream;
mod wire;

use bedrock_adapter_kit::types::{AdapterError, Body, PluginInfo, Request, Response};
use exports::bedrock::adapter::adapter::Guest;
use exports::bedrock::adapter::embedder::{
    EmbedderInfo, EmbeddingFormat, EmbeddingRequest, Embeddings, Guest as EmbedderGuest, Ranked,
    RerankRequest,
};

/// The component: `bedrock-host` calls it through the exported interface.
pub struct Component;

impl Guest for Component {
    type StreamDecoder = stream::Decoder;

    fn describe() -> PluginInfo {
        PluginInfo {
            name: "amazon".to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            description: format!(
                "Amazon Nova (messages-v1) and Titan Text (inputText; the prompt is sent \
                 as \"{} ...\\n{}\" unless --raw)",
                request::TITAN_USER,
                request::TITAN_BOT
            ),
            models: models::supported(),
            options: options::known(),
        }
    }

    fn build_request(req: Request) -> Result<Body, AdapterError> {
        if canvas::serves(&req.model_id) {
            canvas::build(req)
        } else {
            request::build(req)
        }
    }

    fn parse_response(model_id: String, body: Vec<u8>) -> Result<Response, AdapterError> {
        if canvas::serves(&model_id) {
            canvas::parse(&body)
        } else {
            response::parse(&model_id, &body)
        }
    }
}

impl EmbedderGuest for Component {
    fn describe_embedder() -> EmbedderInfo {
        EmbedderInfo {
            embedding_models: embedding::supported(),
            rerank_models: rerank::supported(),
        }
    }

    fn build_embedding_request(req: EmbeddingRequest) -> Result<Body, AdapterError> {
        embedding::build(req)
    }

    fn parse_embedding_response(
        model_id: String,
        inputs: u32,
        formats: Vec<EmbeddingFormat>,
        body: Vec<u8>,
    ) -> Result<Embeddings, AdapterError> {
        embedding::parse(&model_id, inputs, &formats, &body)
    }

    fn build_rerank_request(req: RerankRequest) -> Result<Body, AdapterError> {
        rerank::build(req)
    }

    fn parse_rerank_response(
        _model_id: String,
        body: Vec<u8>,
    ) -> Result<Vec<Ranked>, AdapterError> {
        rerank::parse(&body)
    }
}

// The component's exports exist only in the wasm build: natively, where the
// benchmarks link all seven adapters into one binary as the baseline, their
// identically named `extern "C"` exports would clash.
#[cfg(target_family = "wasm")]
export!(Component);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describes_itself() {
        let info = Component::describe();
        assert_eq!(info.name, "amazon");
        let patterns: Vec<&str> = info.models.iter().map(|m| m.pattern.as_str()).collect();
        let streamed = |m: &&bedrock_adapter_kit::types::ModelSupport| m.capabilities.streaming;
        assert!(info.models.iter().filter(streamed).count() == info.models.len() - 2);
        assert!(patterns.contains(&"amazon.nova-lite-*"));
        assert!(patterns.contains(&"amazon.titan-text-*"));
        assert!(patterns.contains(&"amazon.nova-canvas-*"));
        assert!(patterns.iter().all(|pattern| !pattern.contains("embed")));
        assert_eq!(
            info.options,
            [
                "schemaVersion",
                "toolConfig",
                "reasoningConfig",
                "negativeText",
                "style",
                "width",
                "height",
                "quality",
                "cfgScale",
                "numberOfImages"
            ]
        );
    }
}
