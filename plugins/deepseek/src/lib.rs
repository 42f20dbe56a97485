//! The DeepSeek-R1 adapter of `bedrock-host`: a WebAssembly component
//! exporting the `bedrock:adapter/adapter` interface for the model ids
//! `deepseek.r1-*`. This file owns the generated bindings, the export and
//! `describe`; each other module owns one step (the chat template, `-o`
//! options, request, response, stream, the split of the model's thinking
//! from its answer, stop reasons) and is reached only through
//! [`Component`]. The adapter is a pure function of its inputs: it keeps no
//! state outside a [`stream::Decoder`] and knows nothing of AWS.
//!
//! DeepSeek-R1 on Bedrock reads one `prompt` string and writes one text in
//! which its thinking comes first, ended by `</think>`; the adapter returns
//! that thinking as the contract's reasoning and the rest as the answer
//! ([`thinking`]). The contract's types and the steps every adapter takes
//! alike come from `bedrock_adapter_kit`.

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
mod thinking;
mod wire;

use bedrock_adapter_kit::types::{AdapterError, Body, PluginInfo, Request, Response};
use exports::bedrock::adapter::adapter::Guest;

/// The component: `bedrock-host` calls it through the exported interface.
pub struct Component;

impl Guest for Component {
    type StreamDecoder = stream::Decoder;

    fn describe() -> PluginInfo {
        PluginInfo {
            name: "deepseek".to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            description: "DeepSeek-R1: the conversation in DeepSeek's chat template, rendered \
                          into `prompt` (--raw sends the prompt as is); the model always thinks \
                          first, and its thinking (up to `</think>`) is returned as reasoning, \
                          apart from the answer; no --top-k, --seed, tools, attachments or \
                          reasoning settings on Bedrock"
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
// benchmarks may link every adapter into one binary as the baseline, their
// identically named `extern "C"` exports would clash.
#[cfg(target_family = "wasm")]
export!(Component);
