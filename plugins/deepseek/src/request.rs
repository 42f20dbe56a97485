//! `build-request`: turns a provider-neutral request into DeepSeek-R1's
//! Bedrock body, `{"prompt", "temperature", "top_p", "max_tokens", "stop"}`
//! (AWS, "DeepSeek models",
//! https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-deepseek.html).
//!
//! Invariants: the prompt is the conversation rendered in DeepSeek's chat
//! template ([`crate::template`]), or with `--raw` the user's text exactly
//! as given; earlier reasoning is left out of history (the template drops
//! an answer's thinking); every common setting the user gave is in the body
//! or is an `unsupported` error naming it (DeepSeek-R1 on Bedrock has no
//! top-k or seed, and no setting for how much it reasons); a setting the
//! user did not give is left out, so Bedrock applies its own default.

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
        reasoning,
        ..
    } = req;
    if reasoning.is_some() {
        return Err(AdapterError::Unsupported(format!(
            "--reasoning-effort and --reasoning-budget: {model_id} always reasons, and its body \
             has no setting for how much"
        )));
    }
    request::refuse(
        &params,
        &[Setting::TopK, Setting::Seed],
        "DeepSeek-R1 on Bedrock takes only temperature, top_p, max_tokens and stop",
    )?;
    request::check_finite(&params)?;
    let extra = options::parse(&params.extra)?;
    let turns = request::text_turns(messages, &model_id)?;
    let prompt = if params.raw {
        request::raw_prompt(system.is_some(), turns)?.text
    } else {
        template::render(system.as_deref(), &turns)
    };
    json_body(&DeepSeekBody {
        prompt,
        temperature: params.temperature,
        top_p: params.top_p,
        max_tokens: params.max_tokens,
        stop: params.stop_sequences,
        extra,
    })
}

/// DeepSeek-R1's body, fields in the order of AWS's documentation.
#[derive(Serialize)]
struct DeepSeekBody {
    prompt: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    top_p: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    stop: Vec<String>,
    #[serde(flatten)]
    extra: Map<String, Value>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use bedrock_adapter_kit::testing::{
        self, assert_refuses_malformed, message, params, request, text, tool,
    };
    use bedrock_adapter_kit::types::{
        Content, Params, Reasoning, ReasoningConfig, ReasoningEffort, Role,
    };

    const R1: &str = "deepseek.r1-v1:0";

    #[test]
    fn aws_example_body() {
        let req = request(
            R1,
            vec![text(
                Role::User,
                "Describe the purpose of a 'hello world' program in one line.",
            )],
            Params {
                max_tokens: Some(512),
                temperature: Some(0.5),
                top_p: Some(0.5),
                stop_sequences: vec!["\n\n\n".to_owned()],
                ..params()
            },
        );
        assert_eq!(
            testing::body_json(build(req)),
            serde_json::json!({
                "prompt": "<｜begin▁of▁sentence｜><｜User｜>Describe the purpose of a 'hello world' program in one line.<｜Assistant｜><think>\n",
                "temperature": 0.5, "top_p": 0.5, "max_tokens": 512, "stop": ["\n\n\n"],
            })
        );
    }

    #[test]
    fn raw_prompts_and_history_without_reasoning() {
        let raw = request(
            R1,
            vec![text(Role::User, "<｜User｜>Hi<｜Assistant｜>")],
            Params {
                raw: true,
                ..params()
            },
        );
        assert_eq!(
            testing::body_json(build(raw)),
            serde_json::json!({"prompt": "<｜User｜>Hi<｜Assistant｜>"})
        );
        let answered = message(
            Role::Assistant,
            vec![
                Content::Reasoning(Reasoning {
                    text: "The user greets me.".to_owned(),
                    signature: None,
                }),
                Content::Text("Hello".to_owned()),
            ],
        );
        let conversation = request(
            R1,
            vec![text(Role::User, "Hi"), answered, text(Role::User, "Again")],
            params(),
        );
        assert_eq!(
            testing::body_json(build(conversation))["prompt"],
            "<｜begin▁of▁sentence｜><｜User｜>Hi<｜Assistant｜>Hello<｜end▁of▁sentence｜>\
             <｜User｜>Again<｜Assistant｜><think>\n"
        );
    }

    #[test]
    fn refusals() {
        assert_refuses_malformed(R1, build);
        let hi = || vec![text(Role::User, "Hi")];
        for (flag, params) in [
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
                    seed: Some(7),
                    ..params()
                },
            ),
        ] {
            let err = build(request(R1, hi(), params));
            assert!(
                matches!(&err, Err(AdapterError::Unsupported(m)) if m.starts_with(flag)),
                "{flag}: {err:?}"
            );
        }
        let reasoning = build(Request {
            reasoning: Some(ReasoningConfig::Effort(ReasoningEffort::High)),
            ..request(R1, hi(), params())
        });
        assert!(
            matches!(&reasoning, Err(AdapterError::Unsupported(m)) if m.starts_with("--reasoning-effort") && m.contains(R1)),
            "{reasoning:?}"
        );
        let tools = build(Request {
            tools: vec![tool("get_weather")],
            ..request(R1, hi(), params())
        });
        assert!(
            matches!(&tools, Err(AdapterError::Unsupported(m)) if m.starts_with("tools") && m.contains(R1)),
            "{tools:?}"
        );
        let image = build(request(
            R1,
            vec![message(Role::User, vec![testing::image("image/png")])],
            params(),
        ));
        assert!(matches!(image, Err(AdapterError::Unsupported(m)) if m.starts_with("images")));
        let owned = build(request(
            R1,
            hi(),
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
