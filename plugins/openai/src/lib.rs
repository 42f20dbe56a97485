//! The OpenAI adapter of `bedrock-host`: a WebAssembly component exporting
//! the `bedrock:adapter/adapter` interface for OpenAI's open-weight gpt-oss
//! models on Bedrock (`openai.gpt-oss-*`), whose InvokeModel body is
//! OpenAI's chat completion ("OpenAI models",
//! https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-openai.html).
//! This file owns the generated bindings, the export and `describe`; each
//! other module owns one step (the models claimed, `-o` options, request,
//! reasoning split, response, stream, stop reasons) and is reached only
//! through [`Component`]. The adapter is a pure function of its inputs: it
//! keeps no state outside a [`stream::Decoder`] and knows nothing of AWS
//! (signing, URLs, event-stream frames, invocation metrics stay in the host).
//!
//! Only the gpt-oss models are claimed: they are the ones whose AWS
//! parameter page documents the chat completion body for InvokeModel. Other
//! models Bedrock serves in an OpenAI-like schema (Qwen3, DeepSeek V3.x) are
//! not claimed, because no AWS model-parameter page found for them says
//! which body their InvokeModel takes.

wit_bindgen::generate!({
    world: "provider",
    path: "../../wit/since_v0.2.1",
    with: { "bedrock:adapter/types@0.2.1": bedrock_adapter_kit::types },
});

mod models;
mod options;
mod reasoning;
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
            name: "openai".to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            description: "OpenAI gpt-oss: chat completions with function tools and reasoning \
                          effort; the <reasoning> the model writes before its answer is \
                          returned as reasoning"
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
// benchmarks may link the adapters into one binary, their identically named
// `extern "C"` exports would clash.
#[cfg(target_family = "wasm")]
export!(Component);
