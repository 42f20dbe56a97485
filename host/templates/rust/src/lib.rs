//! The `{{name}}` adapter of `bedrock-host`: a WebAssembly component that
//! speaks one model family's native `InvokeModel` body. As generated it
//! speaks Mistral's text-completion body (`{"prompt", "max_tokens", ...}`
//! answered with `{"outputs": [{"text", "stop_reason"}]}`) for
//! `{{pattern}}`, which the local Bedrock (`bedrock-host --local`) answers by
//! restating the prompt: change `PATTERN`, `build_request` and the two
//! readers for your family.
//!
//! Invariant: the adapter is a pure function of its inputs (no state
//! outside one `Decoder`); it knows nothing of AWS (signing, URLs and the
//! event-stream framing stay in the host).

bedrock_adapter_kit::generate!();

use std::cell::RefCell;

use bedrock_adapter_kit::request::{self, Setting};
use bedrock_adapter_kit::types::{
    AdapterError, Body, Capabilities, Event, ModelSupport, Output, PluginInfo, Request, Response,
    Role, StopReason,
};
use bedrock_adapter_kit::{models, stop, wire};
use exports::bedrock::adapter::adapter::{Guest, GuestStreamDecoder};
use serde_json::{Value, json};

/// The model ids this adapter serves (`*` matches any run of characters).
const PATTERN: &str = "{{pattern}}";

/// The family's stop values and what they mean.
const STOPS: &[(&str, StopReason)] = &[
    ("stop", StopReason::EndTurn),
    ("length", StopReason::MaxTokens),
];

/// The component.
pub struct Component;

impl Guest for Component {
    type StreamDecoder = Decoder;

    fn describe() -> PluginInfo {
        PluginInfo {
            name: "{{name}}".to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            description: "{{name}}: text completion for {{pattern}}".to_owned(),
            models: vec![ModelSupport {
                pattern: PATTERN.to_owned(),
                capabilities: Capabilities {
                    system: false,
                    ..models::text_only()
                },
            }],
            options: Vec::new(),
        }
    }

    fn build_request(req: Request) -> Result<Body, AdapterError> {
        request::refuse_beyond_described(&req, &Self::describe().models)?;
        request::refuse(
            &req.params,
            &[Setting::Seed, Setting::Raw],
            "not taken by this family",
        )?;
        if let Some((key, _)) = req.params.extra.first() {
            return Err(AdapterError::InvalidRequest(format!(
                "-o {key}: no options are known"
            )));
        }
        let turns = request::text_turns(req.messages, &req.model_id)?;
        let mut prompt = String::from("<s>");
        for turn in turns {
            match turn.role {
                Role::User => prompt.push_str(&format!("[INST] {} [/INST]", turn.text)),
                Role::Assistant => prompt.push_str(&format!(" {}</s>", turn.text)),
            }
        }
        let mut body = json!({ "prompt": prompt });
        let params = req.params;
        if let Some(max_tokens) = params.max_tokens {
            body["max_tokens"] = json!(max_tokens);
        }
        if let Some(temperature) = params.temperature {
            body["temperature"] = json!(temperature);
        }
        if let Some(top_p) = params.top_p {
            body["top_p"] = json!(top_p);
        }
        if let Some(top_k) = params.top_k {
            body["top_k"] = json!(top_k);
        }
        if !params.stop_sequences.is_empty() {
            body["stop"] = json!(params.stop_sequences);
        }
        request::json_body(&body)
    }

    fn parse_response(_model_id: String, body: Vec<u8>) -> Result<Response, AdapterError> {
        let (text, stop_value) = first_output(wire::object(&body, "the answer")?)?;
        Ok(Response {
            outputs: vec![Output::Text(text)],
            stop: stop_value.map(|raw| stop::mapped(STOPS, &raw)),
            usage: None,
        })
    }
}

/// A stream's state: whether the stop has been given (it comes once).
pub struct Decoder {
    stopped: RefCell<bool>,
}

impl GuestStreamDecoder for Decoder {
    fn new(_model_id: String) -> Self {
        Decoder {
            stopped: RefCell::new(false),
        }
    }

    fn feed(&self, chunk: Vec<u8>) -> Result<Vec<Event>, AdapterError> {
        let (text, stop_value) = first_output(wire::object(&chunk, "a chunk")?)?;
        let mut events = Vec::new();
        if !text.is_empty() {
            events.push(Event::Text(text));
        }
        if let Some(raw) = stop_value
            && !self.stopped.replace(true)
        {
            events.push(Event::Stop(stop::mapped(STOPS, &raw)));
        }
        Ok(events)
    }

    fn finish(&self) -> Result<Vec<Event>, AdapterError> {
        Ok(Vec::new())
    }
}

/// The text and stop value of `{"outputs": [{"text", "stop_reason"}]}`.
fn first_output(answer: Value) -> Result<(String, Option<String>), AdapterError> {
    let output = answer.get("outputs").and_then(|outputs| outputs.get(0));
    let Some(text) = output
        .and_then(|output| output.get("text"))
        .and_then(Value::as_str)
    else {
        return Err(AdapterError::MalformedResponse(format!(
            "no outputs[0].text in {answer}"
        )));
    };
    let stop_value = output
        .and_then(|output| output.get("stop_reason"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    Ok((text.to_owned(), stop_value))
}

// Exported only in the component: a native build (`cargo test`) cannot
// link export names of the component model's form.
#[cfg(target_family = "wasm")]
export!(Component);
