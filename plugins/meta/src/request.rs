//! `build-request`: turns a provider-neutral request into Llama's Bedrock
//! body, `{"prompt", "temperature", "top_p", "max_gen_len"}` (AWS, "Meta
//! Llama models",
//! https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-meta.html).
//!
//! Invariants: the prompt is the conversation rendered in the model's chat
//! template ([`crate::template`]), or with `--raw` the user's text exactly as
//! given; every common setting the user gave is in the body or is an
//! `unsupported` error naming it (Llama on Bedrock has no top-k, stop
//! sequences or seed); a setting the user did not give is left out, so
//! Bedrock applies its own default (`max_gen_len` 512, `temperature` 0.5,
//! `top_p` 0.9).

use bedrock_adapter_kit::request::{self, Setting, json_body};
use bedrock_adapter_kit::types::{AdapterError, Body, Request};
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
    // Llama reads text only here; a message's text parts are joined.
    let turns = request::text_turns(messages, &model_id)?;
    let prompt = if params.raw {
        // The user writes the chat format (or none) themselves.
        request::raw_prompt(system.is_some(), turns)?.text
    } else {
        template::render(models::template_for(&model_id)?, system.as_deref(), &turns)?
    };
    let body = LlamaBody {
        prompt,
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
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    top_p: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_gen_len: Option<u32>,
    #[serde(flatten)]
    extra: Map<String, Value>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use bedrock_adapter_kit::testing::{
        self, assert_refuses_malformed, assert_text_only, image, message, params, request, text,
    };
    use bedrock_adapter_kit::types::{Params, Role};

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
        assert_text_only("meta.llama3-2-11b-instruct-v1:0", build);
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
