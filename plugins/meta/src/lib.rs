//! The Meta Llama adapter of `bedrock-host`: a WebAssembly component
//! exporting the `bedrock:adapter/adapter` interface for the model ids
//! `meta.llama*`. This file owns the generated bindings, the export and
//! `describe`; each other module owns one step (routing to a chat template,
//! rendering it, `-o` options, request, response, stream, stop reasons) and
//! is reached only through [`Component`]. The adapter is a pure function of
//! its inputs: it keeps no state outside a [`stream::Decoder`] and knows
//! nothing of AWS (signing, URLs, event-stream frames, invocation metrics
//! stay in the host).
//!
//! The contract's types, and the steps every adapter takes alike (`-o`
//! parsing, request checks, wire reads, stop tables, held stream state),
//! come from `bedrock_adapter_kit`; this crate keeps what is the family's.

wit_bindgen::generate!({
    world: "provider",
    path: "../../wit/since_v0.2.1",
    with: { "bedrock:adapter/types@0.2.1": bedrock_adapter_kit::types },
});

mod models;
mod options;
mod request;
mod response;
mod stop;
mod stream;
mod template;
mod wire;

use bedrock_adapter_kit::types::{AdapterError, Body, PluginInfo, Request, Response};
use exports::bedrock::adapter::adapter::Guest;

/// The component: `bedrock-host` calls it through the exported interface.
pub struct Component;

impl Guest for Component {
    type StreamDecoder = stream::Decoder;

    fn describe() -> PluginInfo {
        PluginInfo {
            name: "meta".to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            description: "Meta Llama 2, 3, 3.x and 4: the model's own chat template rendered \
                          into `prompt` (--raw sends the prompt as is); images for Llama 3.2 \
                          Vision and Llama 4; no --top-k, --stop or \
                          --seed on Bedrock"
                .to_owned(),
            models: models::supported(),
            options: options::KNOWN.iter().map(|key| (*key).to_owned()).collect(),
        }
    }

    fn build_request(req: Request) -> Result<Body, AdapterError> {
        request::build(req)
    }

    fn parse_response(_model_id: String, body: Vec<u8>) -> Result<Response, AdapterError> {
        response::parse(&body)
    }
}

// The component's exports exist only in the wasm build: natively, where the
// benchmarks link all seven adapters into one binary as the baseline, their
// identically named `extern "C"` exports would clash.
#[cfg(target_family = "wasm")]
export!(Component);
