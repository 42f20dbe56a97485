//! Helpers for the adapters' native tests (the `testing` feature, a
//! dev-dependency feature: nothing here is compiled into a component):
//! building the contract's inputs in few words, the checks every adapter
//! makes the same way, and driving a stream decoder. (This repository's
//! adapters also run the recorded Bedrock traffic through themselves with
//! `bedrock-adapter-kit-recorded`, `kit/recorded/`, which is not published.)
//!
//! Invariant: a builder builds exactly what its name says and nothing else
//! (no setting, no system prompt unless given); a check panics with what it
//! was given, as `assert!` does.

use serde_json::Value;

use crate::request::Turn;
use crate::types::{
    AdapterError, Body, CachePoints, Content, Document, Event, Image, Message, Params, Reasoning,
    ReasoningConfig, Request, Role, Stop, StopReason, Tool, ToolCall, ToolResult, ToolResultPart,
};

/// Params with no setting given: what a request has when the user sets
/// nothing (use it as `Params { seed: Some(1), ..params() }`).
pub fn params() -> Params {
    Params {
        max_tokens: None,
        temperature: None,
        top_p: None,
        top_k: None,
        stop_sequences: Vec::new(),
        seed: None,
        extra: Vec::new(),
        raw: false,
    }
}

/// `-o` pairs as `params.extra` holds them.
///
/// ```
/// let extra = bedrock_adapter_kit::testing::pairs(&[("n", "2")]);
/// assert_eq!(extra, [("n".to_owned(), "2".to_owned())]);
/// ```
pub fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
        .collect()
}

/// A message of `role` with one text part.
pub fn text(role: Role, text: &str) -> Message {
    Message {
        role,
        content: vec![Content::Text(text.to_owned())],
    }
}

/// A message of `role` with the parts `content`.
pub fn message(role: Role, content: Vec<Content>) -> Message {
    Message { role, content }
}

/// An image part of `media_type`, with one byte of data.
pub fn image(media_type: &str) -> Content {
    Content::Image(Image {
        media_type: media_type.to_owned(),
        data: vec![0],
    })
}

/// A document part named `doc` of `media_type`, with one byte of data.
pub fn document(media_type: &str) -> Content {
    Content::Document(Document {
        name: "doc".to_owned(),
        media_type: media_type.to_owned(),
        data: vec![0],
    })
}

/// A tool-call part: the call `call_1` of tool `name` with `input`.
pub fn tool_call(name: &str, input: &str) -> Content {
    Content::ToolCall(ToolCall {
        id: "call_1".to_owned(),
        name: name.to_owned(),
        input: input.to_owned(),
    })
}

/// A tool-result part answering `call_1` with one text part.
pub fn tool_result(text: &str, is_error: bool) -> Content {
    Content::ToolResult(ToolResult {
        call_id: "call_1".to_owned(),
        content: vec![ToolResultPart::Text(text.to_owned())],
        is_error,
    })
}

/// A tool named `name` whose input is an object with one string `city`.
pub fn tool(name: &str) -> Tool {
    Tool {
        name: name.to_owned(),
        description: format!("What {name} does"),
        input_schema:
            r#"{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}"#
                .to_owned(),
    }
}

/// A turn of `role` with `text`.
pub fn turn(role: Role, text: &str) -> Turn {
    Turn {
        role,
        text: text.to_owned(),
    }
}

/// A request for `model_id` with no system prompt.
pub fn request(model_id: &str, messages: Vec<Message>, params: Params) -> Request {
    Request {
        model_id: model_id.to_owned(),
        system: None,
        messages,
        params,
        tools: Vec::new(),
        tool_choice: None,
        reasoning: None,
        cache: CachePoints {
            system: false,
            tools: false,
        },
        streamed: false,
    }
}

/// Asserts what an adapter does for `model_id`, a model of a family that
/// reads text only and has no reasoning or caching: tools, reasoning,
/// images, documents, tool calls and tool results are `unsupported`,
/// naming the feature and the model; reasoning, redacted reasoning and
/// cache points in history are left out (the request builds as without
/// them).
pub fn assert_text_only(model_id: &str, build: impl Fn(Request) -> Result<Body, AdapterError>) {
    let hi = || vec![text(Role::User, "Hi")];
    let refused = |req: Request, feature: &str| {
        let built = build(req);
        assert!(
            matches!(&built, Err(AdapterError::Unsupported(m)) if m.starts_with(feature) && m.contains(model_id)),
            "{model_id}, {feature}: {built:?}"
        );
    };
    refused(
        Request {
            tools: vec![tool("get_weather")],
            ..request(model_id, hi(), params())
        },
        "tools",
    );
    refused(
        Request {
            reasoning: Some(ReasoningConfig::BudgetTokens(1024)),
            ..request(model_id, hi(), params())
        },
        "reasoning",
    );
    for (part, feature) in [
        (image("image/png"), "images"),
        (document("application/pdf"), "documents"),
        (tool_result("21", false), "tools"),
    ] {
        let parts = vec![Content::Text("Hi".to_owned()), part];
        refused(
            request(model_id, vec![message(Role::User, parts)], params()),
            feature,
        );
    }
    let history = |extra: bool| {
        let reasoning = Content::Reasoning(Reasoning {
            text: "Let me think.".to_owned(),
            signature: Some("sig".to_owned()),
        });
        let mut answer = vec![Content::Text("Hello".to_owned())];
        let mut question = vec![Content::Text("Hi".to_owned())];
        if extra {
            answer.insert(0, reasoning);
            answer.insert(1, Content::RedactedReasoning("opaque".to_owned()));
            question.push(Content::CachePoint);
        }
        vec![
            message(Role::User, question),
            message(Role::Assistant, answer),
            text(Role::User, "Again"),
        ]
    };
    let plain = build(request(model_id, history(false), params()));
    assert!(plain.is_ok(), "{model_id}, a conversation: {plain:?}");
    assert_eq!(
        build(request(model_id, history(true), params())),
        plain,
        "{model_id}: reasoning and cache points in history are left out"
    );
}

/// The JSON of a built body, asserting that the build succeeded and that
/// the body is `application/json` and asks for `application/json`.
pub fn body_json(built: Result<Body, AdapterError>) -> Value {
    let body = built.expect("the request builds");
    assert_eq!(body.content_type, "application/json");
    assert_eq!(body.accept, "application/json");
    serde_json::from_slice(&body.bytes).expect("the body is JSON")
}

/// Asserts the refusals every adapter of a text model makes for
/// `model_id`: a request with no message, and one whose message has no
/// content, are `invalid-request`; so are a `--temperature` that is not a
/// number and an infinite `--top-p`, each naming its flag.
pub fn assert_refuses_malformed(
    model_id: &str,
    build: impl Fn(Request) -> Result<Body, AdapterError>,
) {
    let hi = || vec![text(Role::User, "Hi")];
    let none = build(request(model_id, Vec::new(), params()));
    assert!(
        matches!(none, Err(AdapterError::InvalidRequest(_))),
        "{model_id}, no message: {none:?}"
    );
    let empty = build(request(
        model_id,
        vec![message(Role::User, Vec::new())],
        params(),
    ));
    assert!(
        matches!(empty, Err(AdapterError::InvalidRequest(_))),
        "{model_id}, no content: {empty:?}"
    );
    for (flag, params) in [
        (
            "--temperature",
            Params {
                temperature: Some(f32::NAN),
                ..params()
            },
        ),
        (
            "--top-p",
            Params {
                top_p: Some(f32::INFINITY),
                ..params()
            },
        ),
    ] {
        let refused = build(request(model_id, hi(), params));
        assert!(
            matches!(&refused, Err(AdapterError::InvalidRequest(m)) if m.starts_with(flag)),
            "{model_id}, {flag}: {refused:?}"
        );
    }
}

/// Asserts that `map` gives each raw value of `cases` its reason, and keeps
/// the raw value.
pub fn assert_stops(map: impl Fn(&str) -> Stop, cases: &[(&str, StopReason)]) {
    for (raw, reason) in cases {
        assert_eq!(map(raw), crate::stop::sent(*reason, raw), "{raw}");
    }
}

/// Feeds `chunks` (model JSON, in order, as the host hands them) to a
/// stream decoder through `feed`, then calls `finish`: every event, or the
/// first error.
pub fn decode(
    chunks: &[impl AsRef<[u8]>],
    feed: impl Fn(Vec<u8>) -> Result<Vec<Event>, AdapterError>,
    finish: impl FnOnce() -> Result<Vec<Event>, AdapterError>,
) -> Result<Vec<Event>, AdapterError> {
    let mut events = Vec::new();
    for chunk in chunks {
        events.extend(feed(chunk.as_ref().to_vec())?);
    }
    events.extend(finish()?);
    Ok(events)
}
