//! The AI21 Labs adapter of `bedrock-host`: a WebAssembly component
//! exporting the `bedrock:adapter/adapter` interface for the model ids
//! `ai21.jamba-*` (requests, responses, streams) and `ai21.j2-*` (Jurassic-2,
//! no longer offered on Bedrock: its recorded responses are read, no request
//! is written). This file owns the generated bindings, the export and
//! `describe`; each other module owns one step (routing, `-o` options,
//! request, response, stream, stop reasons) and is reached only through
//! [`Component`]. The adapter is a pure function of its inputs: it keeps no
//! state outside a [`stream::Decoder`] and knows nothing of AWS (signing,
//! URLs, event-stream frames, invocation metrics stay in the host).
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
mod wire;

use bedrock_adapter_kit::types::{AdapterError, Body, PluginInfo, Request, Response};
use exports::bedrock::adapter::adapter::Guest;

/// The component: `bedrock-host` calls it through the exported interface.
pub struct Component;

impl Guest for Component {
    type StreamDecoder = stream::Decoder;

    fn describe() -> PluginInfo {
        PluginInfo {
            name: "ai21".to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            description: "AI21 Labs Jamba: chat messages, the system prompt as a system \
                          message, function tools for Jamba 1.5; no --raw, --top-k or --seed. \
                          Reads Jurassic-2 responses"
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
