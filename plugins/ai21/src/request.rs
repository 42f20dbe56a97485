//! `build-request`: turns a provider-neutral request into Jamba's Bedrock
//! body, `{"messages", "max_tokens", "temperature", "top_p", "stop"}` (AWS,
//! "AI21 Labs Jamba models",
//! https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-jamba.html),
//! the system prompt being the first message, with role `system`.
//!
//! Invariants: every common setting the user gave is in the body or is an
//! `unsupported` error naming it (Jamba takes no top-k or seed, and, being a
//! chat model, has no raw prompt); a setting the user did not give is left
//! out, so Bedrock applies its own default (`max_tokens` 4096, `temperature`
//! 1.0, `top_p` 1.0); no request is written for Jurassic-2
//! ([`crate::models`]).

use serde::Serialize;
use serde_json::{Map, Value};

use crate::bedrock::adapter::types::{AdapterError, Body, Content, Message, Params, Request, Role};
use crate::models;
use crate::options;

/// Builds the request body for `req.model_id`.
pub fn build(req: Request) -> Result<Body, AdapterError> {
    let Request {
        model_id,
        system,
        messages,
        params,
    } = req;
    models::check_writable(&model_id)?;
    refuse_missing_settings(&model_id, &params)?;
    check_finite("--temperature", params.temperature)?;
    check_finite("--top-p", params.top_p)?;
    let extra = options::parse(&params.extra)?;
    let body = JambaBody {
        messages: chat_messages(system, messages)?,
        max_tokens: params.max_tokens,
        temperature: params.temperature,
        top_p: params.top_p,
        stop: params.stop_sequences,
        extra,
    };
    let bytes = serde_json::to_vec(&body)
        .map_err(|err| AdapterError::InvalidRequest(format!("cannot write the body: {err}")))?;
    Ok(Body {
        bytes,
        content_type: "application/json".to_owned(),
        accept: "application/json".to_owned(),
    })
}

/// Jamba's body, fields in the order of AWS's documentation.
#[derive(Serialize)]
struct JambaBody {
    messages: Vec<ChatMessage>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    top_p: Option<f32>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    stop: Vec<String>,
    #[serde(flatten)]
    extra: Map<String, Value>,
}

#[derive(Serialize)]
struct ChatMessage {
    role: &'static str,
    content: String,
}

/// The common settings Jamba does not have.
fn refuse_missing_settings(model_id: &str, params: &Params) -> Result<(), AdapterError> {
    let refused = if params.raw {
        Some("--raw")
    } else if params.top_k.is_some() {
        Some("--top-k")
    } else if params.seed.is_some() {
        Some("--seed")
    } else {
        None
    };
    match refused {
        Some(flag) => Err(AdapterError::Unsupported(format!(
            "{flag}: {model_id} is a Jamba chat model, which takes messages (no raw prompt), \
             max_tokens, temperature, top_p and stop"
        ))),
        None => Ok(()),
    }
}

/// The system prompt and the messages, as Jamba's chat messages. This
/// adapter sends text only; a message's text parts are joined as they are.
fn chat_messages(
    system: Option<String>,
    messages: Vec<Message>,
) -> Result<Vec<ChatMessage>, AdapterError> {
    if messages.is_empty() {
        return Err(AdapterError::InvalidRequest(
            "there is no message to send".to_owned(),
        ));
    }
    let system = system.map(|content| ChatMessage {
        role: "system",
        content,
    });
    let turns = messages
        .into_iter()
        .enumerate()
        .map(|(index, Message { role, content })| {
            if content.is_empty() {
                return Err(AdapterError::InvalidRequest(format!(
                    "message {} has no content",
                    index + 1
                )));
            }
            let content = content
                .into_iter()
                .map(|part| match part {
                    Content::Text(text) => Ok(text),
                    Content::Image(_) => Err(AdapterError::Unsupported(
                        "images: Jamba reads text only".to_owned(),
                    )),
                })
                .collect::<Result<String, _>>()?;
            let role = match role {
                Role::User => "user",
                Role::Assistant => "assistant",
            };
            Ok(ChatMessage { role, content })
        });
    system.map(Ok).into_iter().chain(turns).collect()
}

fn check_finite(flag: &str, value: Option<f32>) -> Result<(), AdapterError> {
    match value {
        Some(v) if !v.is_finite() => Err(AdapterError::InvalidRequest(format!(
            "{flag}: {v} is not a number"
        ))),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bedrock::adapter::types::Image;

    const JAMBA: &str = "ai21.jamba-instruct-v1:0";

    fn params() -> Params {
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

    fn message(role: Role, text: &str) -> Message {
        Message {
            role,
            content: vec![Content::Text(text.to_owned())],
        }
    }

    fn request(model_id: &str, messages: Vec<Message>, params: Params) -> Request {
        Request {
            model_id: model_id.to_owned(),
            system: None,
            messages,
            params,
        }
    }

    fn body_json(req: Request) -> Value {
        let body = build(req).expect("build");
        assert_eq!(body.content_type, "application/json");
        assert_eq!(body.accept, "application/json");
        serde_json::from_slice(&body.bytes).expect("body is JSON")
    }

    #[test]
    fn notebook_body() {
        // AWS's notebook "How to work with Amazon Bedrock APIs - Getting
        // Started", cell "AI21 Labs Jamba", field for field.
        let prompt = "Command: Write me a blog about making strong business decisions as a leader.\n\nBlog:\n";
        let req = request(
            JAMBA,
            vec![message(Role::User, prompt)],
            Params {
                max_tokens: Some(200),
                ..params()
            },
        );
        assert_eq!(
            body_json(req),
            serde_json::json!({
                "messages": [{"role": "user", "content": prompt}],
                "max_tokens": 200,
            })
        );
    }

    #[test]
    fn every_setting() {
        let req = Request {
            system: Some("You are a helpful chatbot.".to_owned()),
            ..request(
                "ai21.jamba-1-5-large-v1:0",
                vec![
                    message(Role::User, "Hi"),
                    message(Role::Assistant, "Hello!"),
                    message(Role::User, "Name a colour."),
                ],
                Params {
                    max_tokens: Some(50),
                    temperature: Some(0.7),
                    top_p: Some(0.9),
                    stop_sequences: vec!["\n".to_owned(), "##".to_owned()],
                    extra: vec![("n".to_owned(), "2".to_owned())],
                    ..params()
                },
            )
        };
        assert_eq!(
            body_json(req),
            serde_json::json!({
                "messages": [
                    {"role": "system", "content": "You are a helpful chatbot."},
                    {"role": "user", "content": "Hi"},
                    {"role": "assistant", "content": "Hello!"},
                    {"role": "user", "content": "Name a colour."},
                ],
                "max_tokens": 50, "temperature": 0.7, "top_p": 0.9, "stop": ["\n", "##"], "n": 2,
            })
        );
    }

    #[test]
    fn missing_settings_are_unsupported() {
        for (flag, params) in [
            (
                "--raw",
                Params {
                    raw: true,
                    ..params()
                },
            ),
            (
                "--top-k",
                Params {
                    top_k: Some(5),
                    ..params()
                },
            ),
            (
                "--seed",
                Params {
                    seed: Some(1),
                    ..params()
                },
            ),
        ] {
            let err = build(request(JAMBA, vec![message(Role::User, "Hi")], params));
            assert!(
                matches!(&err, Err(AdapterError::Unsupported(m)) if m.starts_with(flag)),
                "{flag}: {err:?}"
            );
        }
    }

    #[test]
    fn refusals() {
        let j2 = build(request(
            "ai21.j2-mid-v1",
            vec![message(Role::User, "Hi")],
            params(),
        ));
        assert!(matches!(j2, Err(AdapterError::Unsupported(m)) if m.contains("Jurassic-2")));
        let none = build(request(JAMBA, Vec::new(), params()));
        assert!(matches!(none, Err(AdapterError::InvalidRequest(_))));
        let empty = build(request(
            JAMBA,
            vec![Message {
                role: Role::User,
                content: Vec::new(),
            }],
            params(),
        ));
        assert!(matches!(empty, Err(AdapterError::InvalidRequest(_))));
        let image = build(request(
            JAMBA,
            vec![Message {
                role: Role::User,
                content: vec![Content::Image(Image {
                    media_type: "image/png".to_owned(),
                    data: vec![0],
                })],
            }],
            params(),
        ));
        assert!(matches!(image, Err(AdapterError::Unsupported(m)) if m.starts_with("images")));
        let nan = build(request(
            JAMBA,
            vec![message(Role::User, "Hi")],
            Params {
                temperature: Some(f32::NAN),
                ..params()
            },
        ));
        assert!(
            matches!(nan, Err(AdapterError::InvalidRequest(m)) if m.starts_with("--temperature"))
        );
        let owned = build(request(
            JAMBA,
            vec![message(Role::User, "Hi")],
            Params {
                extra: vec![("max_tokens".to_owned(), "5".to_owned())],
                ..params()
            },
        ));
        assert!(
            matches!(owned, Err(AdapterError::InvalidRequest(m)) if m.contains("--max-tokens"))
        );
    }
}
