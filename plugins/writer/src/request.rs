//! `build-request`: turns a provider-neutral request into Palmyra's
//! InvokeModel body, a chat completion in OpenAI's form: `{"messages":
//! [{"role", "content"}], "temperature", "top_p", "max_tokens", "stop",
//! "seed"}` (AWS, "Writer Palmyra X4" and "Writer Palmyra X5", whose example
//! code sends `content` as a string).
//!
//! Invariants: the system prompt, when given, is the first message, with
//! the role `system`; each message's text is copied byte for byte, and
//! reasoning and cache points in history are left out; every common setting
//! the user gave is in the body or is an `unsupported` error naming it
//! (Palmyra on Bedrock has no top-k and no raw prompt); `max_tokens` is
//! always sent, [`DEFAULT_MAX_TOKENS`] when not given, because Writer's own
//! default (16) cuts nearly every answer short; another setting the user did
//! not give is left out, so Bedrock applies its own default.

use bedrock_adapter_kit::request::{self, ChatMessage, Setting, json_body};
use bedrock_adapter_kit::types::{AdapterError, Body, Request};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::models;
use crate::options;

/// `max_tokens` when the user gives none.
pub const DEFAULT_MAX_TOKENS: u32 = 1024;

/// Builds the request body for `req.model_id`.
pub fn build(req: Request) -> Result<Body, AdapterError> {
    request::refuse_beyond_described(&req, &models::supported())?;
    let Request {
        model_id,
        system,
        messages,
        params,
        ..
    } = req;
    request::refuse(
        &params,
        &[Setting::TopK, Setting::Raw],
        "Palmyra on Bedrock takes chat messages, temperature, top_p, max_tokens, stop and seed",
    )?;
    request::check_finite(&params)?;
    let extra = options::parse(&params.extra)?;
    let turns = request::text_turns(messages, &model_id)?;
    json_body(&WriterBody {
        messages: request::chat_messages(system, turns),
        temperature: params.temperature,
        top_p: params.top_p,
        max_tokens: params.max_tokens.unwrap_or(DEFAULT_MAX_TOKENS),
        stop: params.stop_sequences,
        seed: params.seed,
        extra,
    })
}

/// Palmyra's body, fields in the order of AWS's parameter table.
#[derive(Serialize)]
struct WriterBody {
    messages: Vec<ChatMessage>,
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    top_p: Option<f32>,
    max_tokens: u32,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    stop: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    seed: Option<u64>,
    #[serde(flatten)]
    extra: Map<String, Value>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use bedrock_adapter_kit::testing::{
        self, assert_refuses_malformed, assert_text_only, params, request, text,
    };
    use bedrock_adapter_kit::types::{Params, Role};

    const X5: &str = "writer.palmyra-x5-v1:0";

    #[test]
    fn aws_example_body() {
        // AWS's Palmyra X4 example code, with a system prompt and settings.
        let req = Request {
            system: Some("Be brief.".to_owned()),
            ..request(
                "writer.palmyra-x4-v1:0",
                vec![text(
                    Role::User,
                    "Explain quantum computing in simple terms.",
                )],
                Params {
                    temperature: Some(1.0),
                    max_tokens: Some(300),
                    stop_sequences: vec!["END".to_owned()],
                    seed: Some(7),
                    extra: vec![("min_tokens".to_owned(), "10".to_owned())],
                    ..params()
                },
            )
        };
        assert_eq!(
            testing::body_json(build(req)),
            serde_json::json!({
                "messages": [
                    {"role": "system", "content": "Be brief."},
                    {"role": "user", "content": "Explain quantum computing in simple terms."},
                ],
                "temperature": 1.0, "max_tokens": 300, "stop": ["END"], "seed": 7, "min_tokens": 10,
            })
        );
        let plain = build(request(X5, vec![text(Role::User, "Hi")], params()));
        assert_eq!(
            testing::body_json(plain),
            serde_json::json!({"messages": [{"role": "user", "content": "Hi"}], "max_tokens": 1024})
        );
    }

    #[test]
    fn refusals() {
        assert_refuses_malformed(X5, build);
        assert_text_only(X5, build);
        assert_text_only("writer.palmyra-x4-v1:0", build);
        for (flag, params) in [
            (
                "--top-k",
                Params {
                    top_k: Some(5),
                    ..params()
                },
            ),
            (
                "--raw",
                Params {
                    raw: true,
                    ..params()
                },
            ),
        ] {
            let err = build(request(X5, vec![text(Role::User, "Hi")], params));
            assert!(
                matches!(&err, Err(AdapterError::Unsupported(m)) if m.starts_with(flag)),
                "{flag}: {err:?}"
            );
        }
    }
}
