//! `build-request`: turns a provider-neutral request into Llama's Bedrock
//! body, `{"prompt", "temperature", "top_p", "max_gen_len"}` (AWS, "Meta
//! Llama models",
//! https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-meta.html),
//! with `images`, base64 strings, for the vision models.
//!
//! Invariants: the prompt is the conversation rendered in the model's chat
//! template ([`crate::template`]), or with `--raw` the user's text exactly as
//! given; each image of a user message is one entry of `images`, in order,
//! and (unless `--raw`, where the user writes the prompt) the image token
//! `<|image|>` where it stands in the message; every common setting the user gave is in the body or is an
//! `unsupported` error naming it (Llama on Bedrock has no top-k, stop
//! sequences or seed); a setting the user did not give is left out, so
//! Bedrock applies its own default (`max_gen_len` 512, `temperature` 0.5,
//! `top_p` 0.9).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use bedrock_adapter_kit::request::{self, Setting, Turn, json_body};
use bedrock_adapter_kit::types::{AdapterError, Body, Content, Message, Request, Role};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::models;
use crate::options;
use crate::template;

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
        &[Setting::TopK, Setting::Stop, Setting::Seed],
        "Llama on Bedrock takes only temperature, top_p and max_gen_len",
    )?;
    request::check_finite(&params)?;
    let extra = options::parse(&params.extra)?;
    let (turns, images) = turns_and_images(messages, &model_id, !params.raw)?;
    let prompt = if params.raw {
        // The user writes the chat format (or none) themselves.
        request::raw_prompt(system.is_some(), turns)?.text
    } else {
        template::render(models::template_for(&model_id)?, system.as_deref(), &turns)?
    };
    let body = LlamaBody {
        prompt,
        images,
        temperature: params.temperature,
        top_p: params.top_p,
        max_gen_len: params.max_tokens,
        extra,
    };
    json_body(&body)
}

/// Llama's body, fields in the order of AWS's documentation.
#[derive(Serialize)]
struct LlamaBody {
    prompt: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    images: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    top_p: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_gen_len: Option<u32>,
    #[serde(flatten)]
    extra: Map<String, Value>,
}

/// The token that stands for an image in a Llama prompt (Meta's prompt
/// format for Llama 3.2 Vision and Llama 4).
const IMAGE_TOKEN: &str = "<|image|>";

/// The messages as turns of text, and their images base64-encoded, in
/// order; with `mark_images`, each image is written as [`IMAGE_TOKEN`]
/// where it stands in its message. Reasoning and cache points are left
/// out; an image in an assistant message is `invalid-request`; documents
/// and tools are refused as `unsupported` by `model_id`.
fn turns_and_images(
    messages: Vec<Message>,
    model_id: &str,
    mark_images: bool,
) -> Result<(Vec<Turn>, Vec<String>), AdapterError> {
    request::require_messages(&messages)?;
    let mut turns = Vec::with_capacity(messages.len());
    let mut images = Vec::new();
    for (number, message) in (1..).zip(messages) {
        request::require_content(number, &message)?;
        let Message { role, content } = message;
        let mut text = String::new();
        for part in request::history_parts(content, false, false) {
            match part {
                Content::Image(image) if role == Role::User => {
                    if mark_images {
                        text.push_str(IMAGE_TOKEN);
                    }
                    images.push(BASE64.encode(&image.data));
                }
                Content::Image(_) => {
                    return Err(AdapterError::InvalidRequest(format!(
                        "message {number}: images come from the user"
                    )));
                }
                other => text.push_str(&request::text_only(vec![other], model_id)?),
            }
        }
        turns.push(Turn { role, text });
    }
    Ok((turns, images))
}

#[cfg(test)]
mod tests {
    use super::*;
    use bedrock_adapter_kit::testing::{
        self, assert_refuses_malformed, assert_text_only, image, message, params, request, text,
    };
    use bedrock_adapter_kit::types::{Image, Params};

    /// The Llama prompt of AWS's notebook "How to work with Amazon Bedrock
    /// APIs - Getting Started" (cell "Meta Llama").
    const NOTEBOOK_PROMPT: &str = "<s>[INST] <<SYS>>\nYou are a helpful, respectful and honest assistant. Always answer as helpfully as possible, while being safe.  Your answers should not include any harmful, unethical, racist, sexist, toxic, dangerous, or illegal content. Please ensure that your responses are socially unbiased and positive in nature.\nIf a question does not make any sense, or is not factually coherent, explain why instead of answering something not correct. If you don't know the answer to a question, please don't share false information.\n<</SYS>>\n\nWrite me a blog about making strong business decisions as a leader. [/INST]";

    fn body_json(req: Request) -> Value {
        testing::body_json(build(req))
    }

    #[test]
    fn notebook_body() {
        // The notebook's cell, field for field, with its prompt sent as is.
        let req = request(
            "meta.llama3-8b-instruct-v1:0",
            vec![text(Role::User, NOTEBOOK_PROMPT)],
            Params {
                max_tokens: Some(512),
                temperature: Some(0.5),
                top_p: Some(0.9),
                raw: true,
                ..params()
            },
        );
        assert_eq!(
            body_json(req),
            serde_json::json!({
                "prompt": NOTEBOOK_PROMPT, "temperature": 0.5, "top_p": 0.9, "max_gen_len": 512,
            })
        );
    }

    #[test]
    fn images_as_aws_documents_them() {
        let png = |data: &[u8]| {
            Content::Image(Image {
                media_type: "image/png".to_owned(),
                data: data.to_vec(),
            })
        };
        let req = request(
            "meta.llama3-2-11b-instruct-v1:0",
            vec![message(
                Role::User,
                vec![
                    png(b"PNG1"),
                    Content::Text("What is in this image?".to_owned()),
                ],
            )],
            Params {
                max_tokens: Some(100),
                ..params()
            },
        );
        assert_eq!(
            body_json(req),
            serde_json::json!({
                "prompt": "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n<|image|>What is in this image?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
                "images": ["UE5HMQ=="],
                "max_gen_len": 100,
            })
        );
        let scout = request(
            "meta.llama4-scout-17b-instruct-v1:0",
            vec![message(
                Role::User,
                vec![Content::Text("Compare ".to_owned()), png(b"a"), png(b"b")],
            )],
            params(),
        );
        let body = body_json(scout);
        assert_eq!(body["images"], serde_json::json!(["YQ==", "Yg=="]));
        assert!(
            body["prompt"]
                .as_str()
                .is_some_and(|prompt| prompt.contains("Compare <|image|><|image|><|eot|>")),
            "{body}"
        );
        let raw = request(
            "meta.llama3-2-90b-instruct-v1:0",
            vec![message(
                Role::User,
                vec![png(b"a"), Content::Text("<|image|>Hi".to_owned())],
            )],
            Params {
                raw: true,
                ..params()
            },
        );
        assert_eq!(
            body_json(raw),
            serde_json::json!({"prompt": "<|image|>Hi", "images": ["YQ=="]})
        );
    }

    #[test]
    fn images_refused_beyond_the_vision_models() {
        let with_image = |model_id: &str, count: usize| {
            build(request(
                model_id,
                vec![message(
                    Role::User,
                    std::iter::repeat_n(image("image/png"), count)
                        .chain([Content::Text("Hi".to_owned())])
                        .collect(),
                )],
                params(),
            ))
        };
        assert_eq!(
            with_image("meta.llama3-1-70b-instruct-v1:0", 1),
            Err(AdapterError::Unsupported(
                "images are not supported by meta.llama3-1-70b-instruct-v1:0".to_owned()
            ))
        );
        assert!(matches!(
            with_image("meta.llama3-2-11b-instruct-v1:0", 2),
            Err(AdapterError::InvalidRequest(m)) if m.contains("at most 1")
        ));
        assert!(with_image("meta.llama4-maverick-17b-instruct-v1:0", 5).is_ok());
        let tiff = build(request(
            "meta.llama4-scout-17b-instruct-v1:0",
            vec![message(Role::User, vec![image("image/tiff")])],
            params(),
        ));
        assert!(matches!(tiff, Err(AdapterError::Unsupported(m)) if m.contains("image/tiff")));
    }

    #[test]
    fn llama2_template_gives_the_notebook_prompt() {
        // The notebook's prompt is Llama 2's chat format: the template writes
        // it from the system prompt and the question.
        let (system, question) = NOTEBOOK_PROMPT
            .strip_prefix("<s>[INST] <<SYS>>\n")
            .and_then(|rest| rest.split_once("\n<</SYS>>\n\n"))
            .and_then(|(system, rest)| Some((system, rest.strip_suffix(" [/INST]")?)))
            .expect("the notebook prompt is in Llama 2's format");
        let req = Request {
            system: Some(system.to_owned()),
            ..request(
                "meta.llama2-13b-chat-v1",
                vec![text(Role::User, question)],
                params(),
            )
        };
        assert_eq!(
            body_json(req),
            serde_json::json!({"prompt": NOTEBOOK_PROMPT})
        );
    }

    #[test]
    fn llama3_template_and_settings() {
        let req = Request {
            system: Some("Be brief.".to_owned()),
            ..request(
                "meta.llama3-1-70b-instruct-v1:0",
                vec![text(Role::User, "Say this is a test")],
                Params {
                    max_tokens: Some(10),
                    temperature: Some(0.8),
                    top_p: Some(1.0),
                    extra: vec![("images".to_owned(), "[]".to_owned())],
                    ..params()
                },
            )
        };
        let body = build(req).expect("build");
        let text = String::from_utf8(body.bytes).expect("UTF-8");
        // f32 settings are written as the user typed them, not widened.
        assert!(text.contains("\"temperature\":0.8,"), "{text}");
        assert_eq!(
            serde_json::from_str::<Value>(&text).expect("JSON"),
            serde_json::json!({
                "prompt": "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nSay this is a test<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
                "temperature": 0.8, "top_p": 1.0, "max_gen_len": 10, "images": [],
            })
        );
    }

    #[test]
    fn raw_works_for_any_llama() {
        let req = request(
            "meta.llama5-1t-instruct-v1:0",
            vec![text(Role::User, "Tell me a joke about opentelemetry")],
            Params {
                raw: true,
                ..params()
            },
        );
        assert_eq!(
            body_json(req),
            serde_json::json!({"prompt": "Tell me a joke about opentelemetry"})
        );
    }

    #[test]
    fn missing_settings_are_unsupported() {
        for (flag, params) in [
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
                    seed: Some(7),
                    ..params()
                },
            ),
        ] {
            let err = build(request(
                "meta.llama3-8b-instruct-v1:0",
                vec![text(Role::User, "Hi")],
                params,
            ));
            assert!(
                matches!(&err, Err(AdapterError::Unsupported(m)) if m.starts_with(flag)),
                "{flag}: {err:?}"
            );
        }
    }

    #[test]
    fn refusals() {
        let llama3 = "meta.llama3-8b-instruct-v1:0";
        let raw = || Params {
            raw: true,
            ..params()
        };
        assert_refuses_malformed(llama3, build);
        assert_text_only("meta.llama3-1-8b-instruct-v1:0", build);
        assert_text_only("meta.llama3-2-3b-instruct-v1:0", build);
        let image = build(request(
            llama3,
            vec![message(Role::User, vec![image("image/png")])],
            params(),
        ));
        assert!(matches!(image, Err(AdapterError::Unsupported(m)) if m.starts_with("images")));
        let raw_system = build(Request {
            system: Some("s".to_owned()),
            ..request(llama3, vec![text(Role::User, "Hi")], raw())
        });
        assert!(matches!(raw_system, Err(AdapterError::InvalidRequest(_))));
        let raw_conversation = build(request(
            llama3,
            vec![text(Role::User, "a"), text(Role::User, "b")],
            raw(),
        ));
        assert!(matches!(
            raw_conversation,
            Err(AdapterError::InvalidRequest(_))
        ));
        let raw_assistant = build(request(llama3, vec![text(Role::Assistant, "a")], raw()));
        assert!(matches!(
            raw_assistant,
            Err(AdapterError::InvalidRequest(_))
        ));
        let owned = build(request(
            llama3,
            vec![text(Role::User, "Hi")],
            Params {
                extra: vec![("max_gen_len".to_owned(), "5".to_owned())],
                ..params()
            },
        ));
        assert!(
            matches!(owned, Err(AdapterError::InvalidRequest(m)) if m.contains("--max-tokens"))
        );
    }
}
