//! A plugin built against contract 0.2 that breaks its rules on purpose,
//! one per model id, and claims less than it is asked for, so the host must
//! hold it to the event model and to its own capabilities:
//! - `unruly.text-after-stop`, `unruly.two-stops`, `unruly.open-call`,
//!   `unruly.nested-calls`, `unruly.text-in-call`, `unruly.input-not-object`,
//!   `unruly.input-not-json`, `unruly.same-id`, `unruly.nameless`,
//!   `unruly.stray-input`: a stream whose events break the rule named;
//! - the same ids through `parse-response` give an answer whose tool calls
//!   break the rules for complete answers (`same-id`, `input-not-object`,
//!   `nameless`), and otherwise a well-formed answer;
//! - `unruly.polite`: a well-formed stream with a tool call, and an answer
//!   with one, to show the rules pass what they should.
//!
//! Its capabilities claim nothing but streaming: no system prompt, tools,
//! attachments, reasoning or caching. `build-request` says in its body
//! whether it was given any of them (it never should be).

wit_bindgen::generate!({
    world: "provider",
    path: "../../../../wit/since_v0.2.0",
});

use bedrock::adapter::types::{
    AdapterError, Body, Capabilities, Event, ModelSupport, Output, PluginInfo, Request, Response,
    Stop, StopReason, ToolCall, ToolCallStart,
};
use exports::bedrock::adapter::adapter::{Guest, GuestStreamDecoder};

struct Unruly;

fn call(id: &str, name: &str, input: &str) -> Output {
    Output::ToolCall(ToolCall {
        id: id.into(),
        name: name.into(),
        input: input.into(),
    })
}

fn start(id: &str, name: &str) -> Event {
    Event::ToolCallStart(ToolCallStart {
        id: id.into(),
        name: name.into(),
    })
}

fn stop() -> Event {
    Event::Stop(Stop {
        reason: StopReason::ToolUse,
        raw: None,
    })
}

/// The events of one stream of `rule`, all from the first chunk.
fn events(rule: &str) -> Vec<Event> {
    let text = || Event::Text("x".into());
    match rule {
        "text-after-stop" => vec![text(), stop(), text()],
        "two-stops" => vec![stop(), stop()],
        "open-call" => vec![start("t1", "weather")],
        "nested-calls" => vec![start("t1", "weather"), start("t2", "weather")],
        "text-in-call" => vec![start("t1", "weather"), text()],
        "input-not-object" => vec![
            start("t1", "weather"),
            Event::ToolCallInput("[1, 2]".into()),
            Event::ToolCallEnd,
        ],
        "input-not-json" => vec![
            start("t1", "weather"),
            Event::ToolCallInput("{\"city\": ".into()),
            Event::ToolCallEnd,
        ],
        "same-id" => vec![
            start("t1", "weather"),
            Event::ToolCallEnd,
            start("t1", "weather"),
            Event::ToolCallEnd,
        ],
        "nameless" => vec![start("t1", ""), Event::ToolCallEnd],
        "stray-input" => vec![Event::ToolCallInput("{}".into())],
        _ => vec![
            Event::Text("Looking it up.".into()),
            start("t1", "weather"),
            Event::ToolCallInput("{\"city\":".into()),
            Event::ToolCallInput("\"Oslo\"}".into()),
            Event::ToolCallEnd,
            stop(),
        ],
    }
}

impl Guest for Unruly {
    type StreamDecoder = Decoder;

    fn describe() -> PluginInfo {
        PluginInfo {
            name: "unruly".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "breaks the contract's event model on purpose, for the tests".into(),
            models: vec![ModelSupport {
                pattern: "unruly.*".into(),
                capabilities: Capabilities {
                    system: false,
                    tools: false,
                    images: None,
                    documents: None,
                    reasoning: false,
                    caching: false,
                    streaming: true,
                },
            }],
            options: Vec::new(),
        }
    }

    fn build_request(req: Request) -> Result<Body, AdapterError> {
        let given = [
            ("system", req.system.is_some()),
            ("tools", !req.tools.is_empty()),
            ("reasoning", req.reasoning.is_some()),
        ];
        let said: Vec<String> = given
            .iter()
            .filter(|(_, given)| *given)
            .map(|(what, _)| format!("\"{what}\""))
            .collect();
        Ok(Body {
            bytes: format!("{{\"given\":[{}]}}", said.join(",")).into_bytes(),
            content_type: "application/json".into(),
            accept: "application/json".into(),
        })
    }

    fn parse_response(model_id: String, _body: Vec<u8>) -> Result<Response, AdapterError> {
        let rule = model_id.strip_prefix("unruly.").unwrap_or_default();
        let outputs = match rule {
            "same-id" => vec![call("t1", "weather", "{}"), call("t1", "weather", "{}")],
            "input-not-object" => vec![call("t1", "weather", "\"Oslo\"")],
            "nameless" => vec![call("t1", "", "{}")],
            _ => vec![
                Output::Text("Looking it up.".into()),
                call("t1", "weather", "{\"city\":\"Oslo\"}"),
            ],
        };
        Ok(Response {
            outputs,
            stop: None,
            usage: None,
        })
    }
}

struct Decoder {
    rule: String,
}

impl GuestStreamDecoder for Decoder {
    fn new(model_id: String) -> Self {
        Self {
            rule: model_id.strip_prefix("unruly.").unwrap_or_default().into(),
        }
    }

    fn feed(&self, _chunk: Vec<u8>) -> Result<Vec<Event>, AdapterError> {
        Ok(events(&self.rule))
    }

    fn finish(&self) -> Result<Vec<Event>, AdapterError> {
        Ok(Vec::new())
    }
}

export!(Unruly);
