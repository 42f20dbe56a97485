//! The adapter called as Rust: the body it builds, the answers it reads.
//! (`bedrock-host plugins inspect` reads the built component itself.)

use bedrock_adapter_kit::testing::{params, request, text};
use bedrock_adapter_kit::types::{AdapterError, Event, Output, Params, Role, StopReason};
use {{crate_ident}}::Component;
use {{crate_ident}}::exports::bedrock::adapter::adapter::{Guest, GuestStreamDecoder};

const MODEL: &str = "{{model}}";

fn ask(words: &str, params: Params) -> serde_json::Value {
    let req = request(MODEL, vec![text(Role::User, words)], params);
    let body = Component::build_request(req).expect("a text request is served");
    serde_json::from_slice(&body.bytes).expect("the body is JSON")
}

#[test]
fn a_prompt_becomes_the_familys_body() {
    let body = ask(
        "Hello",
        Params {
            max_tokens: Some(20),
            ..params()
        },
    );
    assert_eq!(
        body,
        serde_json::json!({"prompt": "<s>[INST] Hello [/INST]", "max_tokens": 20})
    );
}

#[test]
fn a_seed_is_refused_by_name() {
    let req = request(
        MODEL,
        vec![text(Role::User, "Hello")],
        Params {
            seed: Some(1),
            ..params()
        },
    );
    assert!(
        matches!(Component::build_request(req), Err(AdapterError::Unsupported(why)) if why.starts_with("--seed"))
    );
}

#[test]
fn an_answer_is_its_text_and_stop() {
    let body = br#"{"outputs": [{"text": "Hi", "stop_reason": "length"}]}"#.to_vec();
    let response = Component::parse_response(MODEL.to_owned(), body).expect("a well-formed answer");
    assert_eq!(response.outputs, vec![Output::Text("Hi".to_owned())]);
    assert_eq!(
        response.stop.map(|stop| stop.reason),
        Some(StopReason::MaxTokens)
    );
    assert!(Component::parse_response(MODEL.to_owned(), b"{}".to_vec()).is_err());
}

#[test]
fn chunks_become_text_then_one_stop() {
    let decoder = <Component as Guest>::StreamDecoder::new(MODEL.to_owned());
    let chunk = |text: &str, stop: &str| {
        format!(r#"{{"outputs": [{{"text": "{text}", "stop_reason": {stop}}}]}}"#).into_bytes()
    };
    assert_eq!(
        decoder.feed(chunk("Hi", "null")),
        Ok(vec![Event::Text("Hi".to_owned())])
    );
    let last = decoder
        .feed(chunk("", "\"stop\""))
        .expect("a well-formed chunk");
    assert!(matches!(last.as_slice(), [Event::Stop(stop)] if stop.reason == StopReason::EndTurn));
    assert_eq!(decoder.finish(), Ok(Vec::new()));
}
