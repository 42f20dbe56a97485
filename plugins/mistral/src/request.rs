//! `build-request`: turns a provider-neutral request into the body of the
//! Mistral API the model takes ([`crate::models`]): a text completion body
//! (`prompt`, `max_tokens`, `stop`, `temperature`, `top_p`, `top_k`) whose
//! prompt is the `[INST]` template or, with `--raw`, the user's text as is;
//! or a chat completion body (`messages`, `max_tokens`, `temperature`,
//! `top_p`).
//!
//! Invariants: every common setting the user gave is in the body or is an
//! `unsupported` error naming it (neither API takes a seed; the chat API, as
//! AWS documents it, takes no top-k or stop sequences, and has no raw
//! prompt); a setting the user did not give is left out, so Bedrock applies
//! the model's own default.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::bedrock::adapter::types::{AdapterError, Body, Content, Message, Params, Request, Role};
use crate::models::{self, Api};
use crate::options;
use crate::template::{self, Turn};

/// Builds the request body for `req.model_id`.
pub fn build(req: Request) -> Result<Body, AdapterError> {
    let Request {
        model_id,
        system,
        messages,
        params,
    } = req;
    if params.seed.is_some() {
        return Err(AdapterError::Unsupported(
            "--seed: Mistral models on Bedrock take no random seed".to_owned(),
        ));
    }
    check_finite("--temperature", params.temperature)?;
    check_finite("--top-p", params.top_p)?;
    let extra = options::parse(&params.extra)?;
    let turns = turns(messages)?;
    let bytes = match models::api_for(&model_id) {
        Api::Completion => serde_json::to_vec(&completion_body(system, turns, params, extra)?),
        Api::Chat => serde_json::to_vec(&chat_body(&model_id, system, turns, params, extra)?),
    }
    .map_err(|err| AdapterError::InvalidRequest(format!("cannot write the body: {err}")))?;
    Ok(Body {
        bytes,
        content_type: "application/json".to_owned(),
        accept: "application/json".to_owned(),
    })
}

/// A text completion body, fields in the order of AWS's documentation.
#[derive(Serialize)]
struct CompletionBody {
    prompt: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    stop: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    top_p: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    top_k: Option<u32>,
    #[serde(flatten)]
    extra: Map<String, Value>,
}

fn completion_body(
    system: Option<String>,
    turns: Vec<Turn>,
    params: Params,
    extra: Map<String, Value>,
) -> Result<CompletionBody, AdapterError> {
    let prompt = if params.raw {
        raw_prompt(system, turns)?
    } else {
        template::render(system.as_deref(), &turns)?
    };
    Ok(CompletionBody {
        prompt,
        max_tokens: params.max_tokens,
        stop: params.stop_sequences,
        temperature: params.temperature,
        top_p: params.top_p,
        top_k: params.top_k,
        extra,
    })
}

/// A chat completion body, fields in the order of AWS's documentation.
#[derive(Serialize)]
struct ChatBody {
    messages: Vec<ChatMessage>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    top_p: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f32>,
    #[serde(flatten)]
    extra: Map<String, Value>,
}

#[derive(Serialize)]
struct ChatMessage {
    role: &'static str,
    content: String,
}

fn chat_body(
    model_id: &str,
    system: Option<String>,
    turns: Vec<Turn>,
    params: Params,
    extra: Map<String, Value>,
) -> Result<ChatBody, AdapterError> {
    let refused = if params.raw {
        Some("--raw")
    } else if params.top_k.is_some() {
        Some("--top-k")
    } else if !params.stop_sequences.is_empty() {
        Some("--stop")
    } else {
        None
    };
    if let Some(flag) = refused {
        return Err(AdapterError::Unsupported(format!(
            "{flag}: {model_id} takes Mistral's chat completion API, which on Bedrock has \
             messages, max_tokens, temperature and top_p only"
        )));
    }
    let system = system.map(|content| ChatMessage {
        role: "system",
        content,
    });
    let messages = system
        .into_iter()
        .chain(turns.into_iter().map(|Turn { role, text }| ChatMessage {
            role: match role {
                Role::User => "user",
                Role::Assistant => "assistant",
            },
            content: text,
        }))
        .collect();
    Ok(ChatBody {
        messages,
        max_tokens: params.max_tokens,
        top_p: params.top_p,
        temperature: params.temperature,
        extra,
    })
}

/// The messages as turns of text. This adapter sends text only; a message's
/// text parts are joined as they are.
fn turns(messages: Vec<Message>) -> Result<Vec<Turn>, AdapterError> {
    if messages.is_empty() {
        return Err(AdapterError::InvalidRequest(
            "there is no message to send".to_owned(),
        ));
    }
    messages
        .into_iter()
        .enumerate()
        .map(|(index, Message { role, content })| {
            if content.is_empty() {
                return Err(AdapterError::InvalidRequest(format!(
                    "message {} has no content",
                    index + 1
                )));
            }
            let text = content
                .into_iter()
                .map(|part| match part {
                    Content::Text(text) => Ok(text),
                    Content::Image(_) => Err(AdapterError::Unsupported(
                        "images: this adapter sends Mistral text only".to_owned(),
                    )),
                })
                .collect::<Result<String, _>>()?;
            Ok(Turn { role, text })
        })
        .collect()
}

/// The raw prompt is the text of the one user message, sent as is: the user
/// writes the `[INST]` format (or none) themselves.
fn raw_prompt(system: Option<String>, turns: Vec<Turn>) -> Result<String, AdapterError> {
    if system.is_some() {
        return Err(AdapterError::InvalidRequest(
            "--raw sends the prompt as is, with no system prompt; write it into the prompt"
                .to_owned(),
        ));
    }
    match <[Turn; 1]>::try_from(turns) {
        Ok(
            [
                Turn {
                    role: Role::User,
                    text,
                },
            ],
        ) => Ok(text),
        Ok(_) => Err(AdapterError::InvalidRequest(
            "--raw sends the user's prompt; the message is not the user's".to_owned(),
        )),
        Err(turns) => Err(AdapterError::InvalidRequest(format!(
            "--raw sends one prompt as is, not a conversation of {} messages",
            turns.len()
        ))),
    }
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

    /// The prompt of AWS's notebook "How to work with Amazon Bedrock APIs -
    /// Getting Started" (cell "Mistral Models").
    const NOTEBOOK_PROMPT: &str = "<s>[INST] <<SYS>>\nYou are a helpful, respectful and honest assistant. Always answer as helpfully as possible, while being safe.  Your answers should not include any harmful, unethical, racist, sexist, toxic, dangerous, or illegal content. Please ensure that your responses are socially unbiased and positive in nature.\nIf a question does not make any sense, or is not factually coherent, explain why instead of answering something not correct. If you don't know the answer to a question, please don't share false information.\n<</SYS>>\n\nWrite me a blog about making strong business decisions as a leader. [/INST]";

    const MIXTRAL: &str = "mistral.mixtral-8x7b-instruct-v0:1";
    const LARGE_2: &str = "mistral.mistral-large-2407-v1:0";

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

    fn user(text: &str) -> Message {
        message(Role::User, text)
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
        // The notebook's cell, field for field, with its prompt sent as is.
        let req = request(
            MIXTRAL,
            vec![user(NOTEBOOK_PROMPT)],
            Params {
                max_tokens: Some(500),
                top_p: Some(0.9),
                temperature: Some(0.2),
                raw: true,
                ..params()
            },
        );
        assert_eq!(
            body_json(req),
            serde_json::json!({
                "prompt": NOTEBOOK_PROMPT, "max_tokens": 500, "top_p": 0.9, "temperature": 0.2,
            })
        );
    }

    #[test]
    fn completion_with_every_setting() {
        // The settings of otel-python-contrib's recorded Mistral 7B request,
        // with the prompt written by the template and a top-k.
        let req = Request {
            system: Some("Be brief.".to_owned()),
            ..request(
                "mistral.mistral-7b-instruct-v0:2",
                vec![user("Say this is a test")],
                Params {
                    max_tokens: Some(10),
                    temperature: Some(0.8),
                    top_p: Some(1.0),
                    top_k: Some(50),
                    stop_sequences: vec!["|".to_owned()],
                    ..params()
                },
            )
        };
        assert_eq!(
            body_json(req),
            serde_json::json!({
                "prompt": "<s>[INST] Be brief.\n\nSay this is a test [/INST]",
                "max_tokens": 10, "stop": ["|"], "temperature": 0.8, "top_p": 1.0, "top_k": 50,
            })
        );
    }

    #[test]
    fn chat_body_for_large_2() {
        let req = Request {
            system: Some("Be brief.".to_owned()),
            ..request(
                LARGE_2,
                vec![
                    user("Hi"),
                    message(Role::Assistant, "Hello!"),
                    user("Name a colour."),
                ],
                Params {
                    max_tokens: Some(100),
                    temperature: Some(0.5),
                    top_p: Some(0.9),
                    extra: vec![("tool_choice".to_owned(), "\"none\"".to_owned())],
                    ..params()
                },
            )
        };
        assert_eq!(
            body_json(req),
            serde_json::json!({
                "messages": [
                    {"role": "system", "content": "Be brief."},
                    {"role": "user", "content": "Hi"},
                    {"role": "assistant", "content": "Hello!"},
                    {"role": "user", "content": "Name a colour."},
                ],
                "max_tokens": 100, "top_p": 0.9, "temperature": 0.5, "tool_choice": "none",
            })
        );
    }

    #[test]
    fn chat_refuses_what_it_lacks() {
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
                "--stop",
                Params {
                    stop_sequences: vec!["|".to_owned()],
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
            let err = build(request(LARGE_2, vec![user("Hi")], params));
            assert!(
                matches!(&err, Err(AdapterError::Unsupported(m)) if m.starts_with(flag)),
                "{flag}: {err:?}"
            );
        }
        let seed = build(request(
            MIXTRAL,
            vec![user("Hi")],
            Params {
                seed: Some(1),
                ..params()
            },
        ));
        assert!(matches!(seed, Err(AdapterError::Unsupported(m)) if m.starts_with("--seed")));
    }

    #[test]
    fn refusals() {
        let raw = || Params {
            raw: true,
            ..params()
        };
        let none = build(request(MIXTRAL, Vec::new(), params()));
        assert!(matches!(none, Err(AdapterError::InvalidRequest(_))));
        let empty = build(request(
            LARGE_2,
            vec![Message {
                role: Role::User,
                content: Vec::new(),
            }],
            params(),
        ));
        assert!(matches!(empty, Err(AdapterError::InvalidRequest(_))));
        let image = build(request(
            LARGE_2,
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
            MIXTRAL,
            vec![user("Hi")],
            Params {
                temperature: Some(f32::NAN),
                ..params()
            },
        ));
        assert!(
            matches!(nan, Err(AdapterError::InvalidRequest(m)) if m.starts_with("--temperature"))
        );
        let raw_system = build(Request {
            system: Some("s".to_owned()),
            ..request(MIXTRAL, vec![user("Hi")], raw())
        });
        assert!(matches!(raw_system, Err(AdapterError::InvalidRequest(_))));
        let raw_conversation = build(request(MIXTRAL, vec![user("a"), user("b")], raw()));
        assert!(matches!(
            raw_conversation,
            Err(AdapterError::InvalidRequest(_))
        ));
        let unordered = build(request(
            MIXTRAL,
            vec![message(Role::Assistant, "a")],
            params(),
        ));
        assert!(matches!(unordered, Err(AdapterError::InvalidRequest(_))));
        let owned = build(request(
            MIXTRAL,
            vec![user("Hi")],
            Params {
                extra: vec![("stop".to_owned(), "[\"x\"]".to_owned())],
                ..params()
            },
        ));
        assert!(matches!(owned, Err(AdapterError::InvalidRequest(m)) if m.contains("--stop")));
    }
}
