//! `build-request`: turns a provider-neutral request into the body of
//! OpenAI's chat completion as Bedrock's gpt-oss models take it:
//! `messages` (the system prompt first, function tool calls and `tool`
//! results in the form of [`bedrock_adapter_kit::functions`], call ids kept
//! as they are), `tools`, `tool_choice`, `max_completion_tokens` (the name
//! AWS's page maps `maxTokens` to), `temperature`, `top_p`, `stop`,
//! `reasoning_effort`, and `"stream": true` when the body goes to
//! InvokeModelWithResponseStream (AWS: the field must match the operation;
//! left out, it is filled in, so a non-streamed body leaves it out).
//!
//! Invariants: every common setting the user gave is in the body or is an
//! `unsupported` error naming it (AWS maps no top-k or seed for these models,
//! and there is no raw prompt); a setting the user did not give is left out,
//! so Bedrock applies the model's own default. A reasoning budget becomes
//! the effort whose budget it fits, as [`effort_of_budget`] says.

use bedrock_adapter_kit::functions::{self, FunctionMessage, FunctionTool};
use bedrock_adapter_kit::request::{self, Setting, json_body};
use bedrock_adapter_kit::types::{
    AdapterError, Body, ReasoningConfig, ReasoningEffort, Request, ToolChoice,
};
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::models;
use crate::options;

/// The largest reasoning budget (`--reasoning-budget`) sent as `low`; up to
/// [`MEDIUM_BUDGET`] is `medium`, anything more `high` (the budgets the
/// anthropic adapter gives these efforts).
pub const LOW_BUDGET: u32 = 1024;
/// The largest reasoning budget sent as `medium`.
pub const MEDIUM_BUDGET: u32 = 4096;

/// Builds the request body for `req.model_id`.
pub fn build(req: Request) -> Result<Body, AdapterError> {
    request::refuse_beyond_described(&req, &models::supported())?;
    request::refuse(
        &req.params,
        &[Setting::TopK, Setting::Seed, Setting::Raw],
        "OpenAI's chat completion on Bedrock takes max_completion_tokens, temperature, top_p \
         and stop as settings (pass other chat completion fields with -o)",
    )?;
    request::check_finite(&req.params)?;
    let extra = options::parse(&req.params.extra)?;
    json_body(&chat_body(req, extra)?)
}

/// A chat completion body, in the order of OpenAI's "Create chat completion".
#[derive(Serialize)]
struct ChatBody {
    messages: Vec<FunctionMessage>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tools: Vec<FunctionTool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tool_choice: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_completion_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    top_p: Option<f32>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    stop: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reasoning_effort: Option<&'static str>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    stream: bool,
    #[serde(flatten)]
    extra: Map<String, Value>,
}

fn chat_body(req: Request, extra: Map<String, Value>) -> Result<ChatBody, AdapterError> {
    let Request {
        model_id,
        system,
        messages,
        params,
        tools,
        tool_choice,
        reasoning,
        streamed,
        ..
    } = req;
    let tool_choice = tool_choice.map(|choice| match choice {
        ToolChoice::Auto => json!("auto"),
        ToolChoice::Any => json!("required"),
        ToolChoice::None => json!("none"),
        ToolChoice::Named(name) => json!({"type": "function", "function": {"name": name}}),
    });
    Ok(ChatBody {
        messages: functions::function_messages(system, messages, &model_id, str::to_owned)?,
        tools: functions::function_tools(&tools)?,
        tool_choice,
        max_completion_tokens: params.max_tokens,
        temperature: params.temperature,
        top_p: params.top_p,
        stop: params.stop_sequences,
        reasoning_effort: reasoning.map(|config| match config {
            ReasoningConfig::Effort(effort) => effort_name(effort),
            ReasoningConfig::BudgetTokens(budget) => effort_name(effort_of_budget(budget)),
        }),
        stream: streamed,
        extra,
    })
}

/// The effort a reasoning budget of `budget` tokens is sent as.
pub fn effort_of_budget(budget: u32) -> ReasoningEffort {
    if budget <= LOW_BUDGET {
        ReasoningEffort::Low
    } else if budget <= MEDIUM_BUDGET {
        ReasoningEffort::Medium
    } else {
        ReasoningEffort::High
    }
}

/// `reasoning_effort`'s value for `effort`.
fn effort_name(effort: ReasoningEffort) -> &'static str {
    match effort {
        ReasoningEffort::Low => "low",
        ReasoningEffort::Medium => "medium",
        ReasoningEffort::High => "high",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bedrock_adapter_kit::testing::{
        self, assert_refuses_malformed, image, message, params, request, text, tool, tool_call,
        tool_result,
    };
    use bedrock_adapter_kit::types::{Content, Params, Role};

    const GPT_OSS: &str = "openai.gpt-oss-20b-1:0";

    fn body_json(req: Request) -> Value {
        testing::body_json(build(req))
    }

    #[test]
    fn settings_as_aws_maps_them() {
        let req = Request {
            system: Some("You are a helpful assistant.".to_owned()),
            ..request(
                GPT_OSS,
                vec![text(Role::User, "Hello!")],
                Params {
                    max_tokens: Some(150),
                    temperature: Some(0.5),
                    top_p: Some(0.25),
                    stop_sequences: vec!["END".to_owned()],
                    extra: vec![("presence_penalty".to_owned(), "0.5".to_owned())],
                    ..params()
                },
            )
        };
        assert_eq!(
            body_json(req),
            json!({
                "messages": [
                    {"role": "system", "content": "You are a helpful assistant."},
                    {"role": "user", "content": "Hello!"},
                ],
                "max_completion_tokens": 150, "temperature": 0.5, "top_p": 0.25,
                "stop": ["END"], "presence_penalty": 0.5,
            })
        );
    }

    #[test]
    fn stream_only_when_streamed() {
        let streamed = Request {
            streamed: true,
            ..request(GPT_OSS, vec![text(Role::User, "Hi")], params())
        };
        assert_eq!(
            body_json(streamed),
            json!({"messages": [{"role": "user", "content": "Hi"}], "stream": true})
        );
        let plain = body_json(request(GPT_OSS, vec![text(Role::User, "Hi")], params()));
        assert!(plain.get("stream").is_none(), "{plain}");
    }

    #[test]
    fn reasoning_effort_and_budgets() {
        for (config, effort) in [
            (ReasoningConfig::Effort(ReasoningEffort::Low), "low"),
            (ReasoningConfig::Effort(ReasoningEffort::High), "high"),
            (ReasoningConfig::BudgetTokens(LOW_BUDGET), "low"),
            (ReasoningConfig::BudgetTokens(LOW_BUDGET + 1), "medium"),
            (ReasoningConfig::BudgetTokens(MEDIUM_BUDGET), "medium"),
            (ReasoningConfig::BudgetTokens(MEDIUM_BUDGET + 1), "high"),
        ] {
            let req = Request {
                reasoning: Some(config),
                ..request(GPT_OSS, vec![text(Role::User, "Hi")], params())
            };
            assert_eq!(
                body_json(req)["reasoning_effort"],
                json!(effort),
                "{config:?}"
            );
        }
    }

    #[test]
    fn tools_choices_calls_and_results() {
        for (choice, written) in [
            (ToolChoice::Auto, json!("auto")),
            (ToolChoice::Any, json!("required")),
            (ToolChoice::None, json!("none")),
            (
                ToolChoice::Named("get_weather".to_owned()),
                json!({"type": "function", "function": {"name": "get_weather"}}),
            ),
        ] {
            let req = Request {
                tools: vec![tool("get_weather")],
                tool_choice: Some(choice),
                ..request(
                    GPT_OSS,
                    vec![
                        text(Role::User, "Weather in Paris?"),
                        message(Role::Assistant, vec![tool_call("get_weather", "{}")]),
                        message(Role::User, vec![tool_result("21C", false)]),
                    ],
                    params(),
                )
            };
            let body = body_json(req);
            assert_eq!(body["tool_choice"], written);
            assert_eq!(body["tools"][0]["function"]["name"], json!("get_weather"));
            assert_eq!(
                body["messages"],
                json!([
                    {"role": "user", "content": "Weather in Paris?"},
                    {"role": "assistant", "content": "", "tool_calls": [
                        {"id": "call_1", "type": "function",
                         "function": {"name": "get_weather", "arguments": "{}"}},
                    ]},
                    {"role": "tool", "content": "21C", "tool_call_id": "call_1"},
                ])
            );
        }
    }

    #[test]
    fn refusals() {
        assert_refuses_malformed(GPT_OSS, build);
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
                    seed: Some(1),
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
            let err = build(request(GPT_OSS, vec![text(Role::User, "Hi")], params));
            assert!(
                matches!(&err, Err(AdapterError::Unsupported(m)) if m.starts_with(flag)),
                "{flag}: {err:?}"
            );
        }
        let image = build(request(
            GPT_OSS,
            vec![message(
                Role::User,
                vec![Content::Text("What is it?".to_owned()), image("image/png")],
            )],
            params(),
        ));
        assert_eq!(
            image,
            Err(AdapterError::Unsupported(format!(
                "images are not supported by {GPT_OSS}"
            )))
        );
        let owned = build(request(
            GPT_OSS,
            vec![text(Role::User, "Hi")],
            Params {
                extra: vec![("max_completion_tokens".to_owned(), "5".to_owned())],
                ..params()
            },
        ));
        assert!(
            matches!(owned, Err(AdapterError::InvalidRequest(m)) if m.contains("--max-tokens"))
        );
    }
}
