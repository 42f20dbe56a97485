//! The Writer Palmyra adapter of `bedrock-host`: a WebAssembly component
//! exporting the `bedrock:adapter/adapter` interface for the model ids
//! `writer.palmyra-x4-*` and `writer.palmyra-x5-*`. This file owns the
//! generated bindings, the export and `describe`; each other module owns
//! one step (`-o` options, request, response, stream, stop reasons) and is
//! reached only through [`Component`]. The adapter is a pure function of
//! its inputs: it keeps no state outside a [`stream::Decoder`] and knows
//! nothing of AWS.
//!
//! Palmyra's InvokeModel body is a chat completion in OpenAI's form (AWS,
//! "Writer Palmyra X4" and "Writer Palmyra X5"): `messages` in, `choices`
//! with a `message` out. The contract's types and the steps every adapter
//! takes alike come from `bedrock_adapter_kit`.

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
            name: "writer".to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            description: format!(
                "Writer Palmyra X4 and X5: the chat completion body AWS documents for \
                 InvokeModel (messages, temperature, top_p, max_tokens, stop, seed); \
                 --max-tokens is {} when not given (Writer's own default is 16); no --top-k, \
                 --raw, tools, attachments or reasoning settings on Bedrock",
                request::DEFAULT_MAX_TOKENS
            ),
            models: models::supported(),
            options: options::KNOWN
                .iter()
                .map(|(key, _)| (*key).to_owned())
                .collect(),
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
