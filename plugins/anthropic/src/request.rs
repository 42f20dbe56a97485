//! `build-request`: turns a provider-neutral request into the JSON body of
//! Anthropic's Messages API, or of its text completions API for `--raw` on
//! Claude 2.x / Instant (see [`crate::models`]).
//!
//! Invariants: every common setting the user gave is in the body or is an
//! error (`--seed` is `unsupported`: Claude takes no seed); a setting the user
//! did not give is left out, except `max_tokens`, which Bedrock requires and
//! which defaults to [`DEFAULT_MAX_TOKENS`]; a message of one text part is
//! sent as a plain string, anything else as content blocks.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use bedrock_adapter_kit::request::{self, Setting, json_body};
use bedrock_adapter_kit::types::{AdapterError, Body, Content, Image, Message, Params, Request};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::models::{self, Api};
use crate::options;

/// `max_tokens` (or `max_tokens_to_sample`) when `--max-tokens` is not given.
/// Bedrock requires the field; 1024 is within every Claude model's output
/// limit (4096 for the oldest) and long enough for an ordinary answer.
pub const DEFAULT_MAX_TOKENS: u32 = 1024;

/// The only `anthropic_version` Bedrock accepts for the Messages API.
const ANTHROPIC_VERSION: &str = "bedrock-2023-05-31";

use crate::models::IMAGE_TYPES;

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
        &[Setting::Seed],
        "Claude models take no random seed",
    )?;
    request::check_finite(&params)?;
    let extra = options::parse(&params.extra)?;
    match models::api_for(&model_id, params.raw)? {
        Api::Messages => json_body(&messages_body(&model_id, system, messages, params, extra)?),
        Api::TextCompletion => json_body(&completion_body(
            &model_id, system, messages, params, extra,
        )?),
    }
}

/// A Messages API body, fields in the order of AWS's documentation.
#[derive(Serialize)]
struct MessagesBody {
    anthropic_version: Value,
    max_tokens: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    system: Option<String>,
    messages: Vec<MessageOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    top_p: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    top_k: Option<u32>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    stop_sequences: Vec<String>,
    #[serde(flatten)]
    extra: Map<String, Value>,
}

#[derive(Serialize)]
struct MessageOut {
    role: &'static str,
    content: ContentOut,
}

/// A message's content: a plain string for one text part, else blocks.
#[derive(Serialize)]
#[serde(untagged)]
enum ContentOut {
    Text(String),
    Blocks(Vec<Block>),
}

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Block {
    Text { text: String },
    Image { source: ImageSource },
}

#[derive(Serialize)]
struct ImageSource {
    #[serde(rename = "type")]
    kind: &'static str,
    media_type: String,
    data: String,
}

fn messages_body(
    model_id: &str,
    system: Option<String>,
    messages: Vec<Message>,
    params: Params,
    mut extra: Map<String, Value>,
) -> Result<MessagesBody, AdapterError> {
    request::require_messages(&messages)?;
    let takes_images = !models::is_legacy(model_id);
    let messages = messages
        .into_iter()
        .enumerate()
        .map(|(index, message)| message_out(index, message, model_id, takes_images))
        .collect::<Result<_, _>>()?;
    Ok(MessagesBody {
        anthropic_version: extra
            .remove("anthropic_version")
            .unwrap_or_else(|| Value::String(ANTHROPIC_VERSION.to_owned())),
        max_tokens: params.max_tokens.unwrap_or(DEFAULT_MAX_TOKENS),
        system,
        messages,
        temperature: params.temperature,
        top_p: params.top_p,
        top_k: params.top_k,
        stop_sequences: params.stop_sequences,
        extra,
    })
}

fn message_out(
    index: usize,
    message: Message,
    model_id: &str,
    takes_images: bool,
) -> Result<MessageOut, AdapterError> {
    request::require_content(index + 1, &message)?;
    let role = request::role_name(message.role);
    // Thinking and cache control are not sent yet: such parts are left out.
    let parts = request::history_parts(message.content, false, false);
    let content = match <[Content; 1]>::try_from(parts) {
        Ok([Content::Text(text)]) => ContentOut::Text(text),
        Ok(parts) => ContentOut::Blocks(blocks(parts.into(), model_id, takes_images)?),
        Err(parts) => ContentOut::Blocks(blocks(parts, model_id, takes_images)?),
    };
    Ok(MessageOut { role, content })
}

fn blocks(
    parts: Vec<Content>,
    model_id: &str,
    takes_images: bool,
) -> Result<Vec<Block>, AdapterError> {
    parts
        .into_iter()
        .filter_map(|part| block(part, model_id, takes_images).transpose())
        .collect()
}

/// The block of one part; `None` for a part this adapter leaves out.
fn block(part: Content, model_id: &str, takes_images: bool) -> Result<Option<Block>, AdapterError> {
    match part {
        Content::Text(text) => Ok(Some(Block::Text { text })),
        Content::Image(_) if !takes_images => Err(AdapterError::Unsupported(format!(
            "images: {model_id} reads text only (Claude 3 and later read images)"
        ))),
        Content::Image(Image { media_type, .. }) if !IMAGE_TYPES.contains(&media_type.as_str()) => {
            Err(AdapterError::Unsupported(format!(
                "images of type {media_type}: Claude reads {}",
                IMAGE_TYPES.join(", ")
            )))
        }
        Content::Image(Image { media_type, data }) => Ok(Some(Block::Image {
            source: ImageSource {
                kind: "base64",
                media_type,
                data: BASE64.encode(data),
            },
        })),
        Content::Document(_) => Err(request::unsupported("documents", model_id)),
        Content::ToolCall(_) | Content::ToolResult(_) => {
            Err(request::unsupported("tools", model_id))
        }
        // Left out until this adapter sends thinking and cache control.
        Content::Reasoning(_) | Content::RedactedReasoning(_) | Content::CachePoint => Ok(None),
    }
}

/// A text completions body (Claude 2.x / Instant with `--raw`).
#[derive(Serialize)]
struct CompletionBody {
    prompt: String,
    max_tokens_to_sample: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    top_p: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    top_k: Option<u32>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    stop_sequences: Vec<String>,
    #[serde(flatten)]
    extra: Map<String, Value>,
}

/// The raw prompt is the text of the one user message, sent as is: the user
/// writes the `\n\nHuman: ...\n\nAssistant:` turns themselves.
fn completion_body(
    model_id: &str,
    system: Option<String>,
    messages: Vec<Message>,
    params: Params,
    extra: Map<String, Value>,
) -> Result<CompletionBody, AdapterError> {
    let message = request::raw_prompt(system.is_some(), messages)?;
    let prompt = request::text_only(message.content, model_id)?;
    Ok(CompletionBody {
        prompt,
        max_tokens_to_sample: params.max_tokens.unwrap_or(DEFAULT_MAX_TOKENS),
        temperature: params.temperature,
        top_p: params.top_p,
        top_k: params.top_k,
        stop_sequences: params.stop_sequences,
        extra,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use bedrock_adapter_kit::testing::{
        self, assert_refuses_malformed, image, message, params, request, text,
    };
    use bedrock_adapter_kit::types::Role;

    fn body_json(req: Request) -> Value {
        testing::body_json(build(req))
    }

    #[test]
    fn notebook_body() {
        // The body of AWS's Bedrock notebook for Claude, field for field.
        let prompt = "Human: Write me a blog about making strong business decisions as a leader.\n\nAssistant:\n";
        let req = request(
            "anthropic.claude-v2",
            vec![text(Role::User, prompt)],
            Params {
                max_tokens: Some(250),
                ..params()
            },
        );
        let expected = serde_json::json!({
            "anthropic_version": "bedrock-2023-05-31",
            "max_tokens": 250,
            "messages": [{"role": "user", "content": prompt}],
        });
        assert_eq!(body_json(req), expected);
    }

    #[test]
    fn every_setting() {
        let req = Request {
            system: Some("Be brief.".to_owned()),
            ..request(
                "anthropic.claude-3-5-sonnet-20240620-v1:0",
                vec![
                    text(Role::User, "Hi"),
                    text(Role::Assistant, "Hello"),
                    message(
                        Role::User,
                        vec![
                            Content::Text("What is this?".to_owned()),
                            Content::Image(Image {
                                media_type: "image/png".to_owned(),
                                data: vec![1, 2, 3],
                            }),
                        ],
                    ),
                ],
                Params {
                    max_tokens: Some(10),
                    temperature: Some(0.8),
                    top_p: Some(1.0),
                    top_k: Some(250),
                    stop_sequences: vec!["|".to_owned()],
                    extra: vec![("anthropic_beta".to_owned(), "[\"x\"]".to_owned())],
                    ..params()
                },
            )
        };
        let body = build(req).expect("build");
        let text = String::from_utf8(body.bytes).expect("UTF-8");
        // f32 settings are written as the user typed them, not widened.
        assert!(text.contains("\"temperature\":0.8,"), "{text}");
        let json: Value = serde_json::from_str(&text).expect("JSON");
        assert_eq!(
            json,
            serde_json::json!({
                "anthropic_version": "bedrock-2023-05-31",
                "anthropic_beta": ["x"],
                "max_tokens": 10,
                "system": "Be brief.",
                "messages": [
                    {"role": "user", "content": "Hi"},
                    {"role": "assistant", "content": "Hello"},
                    {"role": "user", "content": [
                        {"type": "text", "text": "What is this?"},
                        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "AQID"}},
                    ]},
                ],
                "temperature": 0.8,
                "top_p": 1.0,
                "top_k": 250,
                "stop_sequences": ["|"],
            })
        );
    }

    #[test]
    fn default_max_tokens_and_version_override() {
        let req = request(
            "anthropic.claude-3-haiku-20240307-v1:0",
            vec![text(Role::User, "Hi")],
            Params {
                extra: vec![("anthropic_version".to_owned(), "\"v\"".to_owned())],
                ..params()
            },
        );
        let json = body_json(req);
        assert_eq!(json["max_tokens"], DEFAULT_MAX_TOKENS);
        assert_eq!(json["anthropic_version"], "v");
    }

    #[test]
    fn raw_text_completion() {
        let prompt = "\n\nHuman: What makes you better than Chat-GPT or LLAMA?\n\nAssistant:";
        let req = request(
            "anthropic.claude-instant-v1",
            vec![text(Role::User, prompt)],
            Params {
                max_tokens: Some(50),
                temperature: Some(0.9),
                top_p: Some(1.0),
                top_k: Some(250),
                stop_sequences: vec!["\n\nHuman:".to_owned()],
                raw: true,
                ..params()
            },
        );
        // dd-trace-py anthropic_invoke.yaml sends this body.
        assert_eq!(
            body_json(req),
            serde_json::json!({
                "prompt": prompt, "temperature": 0.9, "top_p": 1.0, "top_k": 250,
                "max_tokens_to_sample": 50, "stop_sequences": ["\n\nHuman:"],
            })
        );
    }

    #[test]
    fn refusals() {
        let hi = || vec![text(Role::User, "Hi")];
        let claude3 = "anthropic.claude-3-haiku-20240307-v1:0";
        let seed = build(request(
            claude3,
            hi(),
            Params {
                seed: Some(1),
                ..params()
            },
        ));
        assert!(matches!(seed, Err(AdapterError::Unsupported(m)) if m.starts_with("--seed")));
        let raw = build(request(
            claude3,
            hi(),
            Params {
                raw: true,
                ..params()
            },
        ));
        assert!(matches!(raw, Err(AdapterError::Unsupported(m)) if m.starts_with("--raw")));
        assert_refuses_malformed(claude3, build);
        testing::assert_text_only("anthropic.claude-v2:1", build);
        let image = |media_type: &str| vec![message(Role::User, vec![image(media_type)])];
        let bmp = build(request(claude3, image("image/bmp"), params()));
        assert!(matches!(bmp, Err(AdapterError::Unsupported(_))));
        let v2 = build(request("anthropic.claude-v2", image("image/png"), params()));
        assert!(matches!(v2, Err(AdapterError::Unsupported(_))));
        let raw_system = build(Request {
            system: Some("s".to_owned()),
            ..request(
                "anthropic.claude-v2",
                hi(),
                Params {
                    raw: true,
                    ..params()
                },
            )
        });
        assert!(matches!(raw_system, Err(AdapterError::InvalidRequest(_))));
    }
}
