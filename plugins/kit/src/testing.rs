//! Helpers for the adapters' native tests (the `testing` feature, a
//! dev-dependency feature: nothing here is compiled into a component):
//! building the contract's inputs in few words, the checks every adapter
//! makes the same way, driving a stream decoder, and, in [`recorded`],
//! running the recorded Bedrock traffic of the shared fixtures through an
//! adapter.
//!
//! Invariant: a builder builds exactly what its name says and nothing else
//! (no setting, no system prompt unless given); a check panics with what it
//! was given, as `assert!` does.

pub mod recorded;

use serde_json::Value;

use crate::request::Turn;
use crate::types::{
    AdapterError, Body, Content, Event, Image, Message, Params, Request, Role, Stop, StopReason,
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
    }
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
