//! The Cohere adapter of `bedrock-host`: a WebAssembly component exporting
//! the `bedrock:adapter/adapter` interface for Cohere's text generation
//! models, Command (`cohere.command-text-*`, `cohere.command-light-text-*`)
//! and Command R / R+ (`cohere.command-r-*`), and the
//! `bedrock:adapter/embedder` interface for Embed v3 and v4 and Rerank 3.5.
//! This file owns the generated
//! bindings, the export and `describe`; each other module owns one step
//! (routing a model id to its family, `-o` options, Command R's tools,
//! request, response, stream, stop reasons, wire types) and is reached only through
//! [`Component`]. The adapter is a pure function of its inputs: it keeps no
//! state outside a [`stream::Decoder`] and knows nothing of AWS (signing,
//! URLs, event-stream frames, invocation metrics stay in the host).
//!
//! The contract's types, and the steps every adapter takes alike (`-o`
//! parsing, request checks, wire reads, stop tables, held stream state),
//! come from `bedrock_adapter_kit`; this crate keeps what is the family's.

wit_bindgen::generate!({
    world: "embedding-provider",
    path: "../../wit/since_v0.2.1",
    with: { "bedrock:adapter/types@0.2.1": bedrock_adapter_kit::types },
});

mod embedding;
mod models;
mod options;
mod request;
mod rerank;
mod response;
mod stop;
mod stream;
mod tools;
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
            name: "cohere".to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            description: "Cohere Command (one prompt, sent as given; Command's own \
                          max_tokens default is 20) and Command R/R+ (message, chat_history, \
                          preamble, tools; --raw is raw_prompting); --top-p is p, --top-k is k"
                .to_owned(),
            models: models::supported(),
            options: options::known(),
        }
    }

    fn build_request(req: Request) -> Result<Body, AdapterError> {
        request::build(req)
    }

    fn parse_response(model_id: String, body: Vec<u8>) -> Result<Response, AdapterError> {
        response::parse(&model_id, &body)
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
        assert_eq!(info.name, "cohere");
        let patterns: Vec<&str> = info.models.iter().map(|m| m.pattern.as_str()).collect();
        assert!(info.models.iter().all(|m| m.capabilities.streaming));
        assert_eq!(
            patterns,
            [
                "cohere.command-text-*",
                "cohere.command-light-text-*",
                "cohere.command-r-*"
            ]
        );
        assert!(info.options.contains(&"num_generations".to_owned()));
        assert!(info.options.contains(&"documents".to_owned()));
    }
}
