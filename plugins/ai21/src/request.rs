//! `build-request`: turns a provider-neutral request into Jamba's Bedrock
//! body, `{"messages", "tools", "max_tokens", "temperature", "top_p",
//! "stop"}` (AWS, "AI21 Labs Jamba models",
//! https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-jamba.html;
//! `tools`, `tool_calls` and `tool` messages as AI21's Jamba chat reference
//! gives them, in the form of [`bedrock_adapter_kit::functions`], ids as
//! the model gave them), the system prompt being the first message, with
//! role `system`.
//!
//! Invariants: every common setting the user gave is in the body or is an
//! `unsupported` error naming it (Jamba takes no top-k or seed, and, being a
//! chat model, has no raw prompt); a setting the user did not give is left
//! out, so Bedrock applies its own default (`max_tokens` 4096, `temperature`
//! 1.0, `top_p` 1.0); Jamba has no tool choice, so any choice but `auto`
//! (its behaviour) is `unsupported`; no request is written for Jurassic-2
//! ([`crate::models`]).

use bedrock_adapter_kit::functions::{self, FunctionMessage, FunctionTool};
use bedrock_adapter_kit::request::{self, Setting, json_body};
use bedrock_adapter_kit::types::{AdapterError, Body, Request, ToolChoice};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::models;
use crate::options;

/// Builds the request body for `req.model_id`.
pub fn build(req: Request) -> Result<Body, AdapterError> {
    request::refuse_beyond_described(&req, &models::supported())?;
    let Request {
        model_id,
        system,
        messages,
        params,
        tools,
        tool_choice,
        ..
    } = req;
    models::check_writable(&model_id)?;
    if let Some(choice) = tool_choice.filter(|choice| *choice != ToolChoice::Auto) {
        let choice = match choice {
            ToolChoice::Named(name) => format!("a named tool choice ({name})"),
            ToolChoice::Any => "tool choice any".to_owned(),
            _ => "tool choice none".to_owned(),
        };
        return Err(AdapterError::Unsupported(format!(
            "{choice} is not supported by {model_id}: Jamba decides itself whether to call a \
             tool"
        )));
    }
    request::refuse(
        &params,
        &[Setting::Raw, Setting::TopK, Setting::Seed],
        &format!(
            "{model_id} is a Jamba chat model, which takes messages (no raw prompt), \
             max_tokens, temperature, top_p and stop"
        ),
    )?;
    request::check_finite(&params)?;
    let extra = options::parse(&params.extra)?;
    let body = JambaBody {
        messages: functions::function_messages(system, messages, &model_id, str::to_owned)?,
        tools: functions::function_tools(&tools)?,
        max_tokens: params.max_tokens,
        temperature: params.temperature,
        top_p: params.top_p,
        stop: params.stop_sequences,
        extra,
    };
    json_body(&body)
}

/// Jamba's body, fields in the order of AWS's documentation.
#[derive(Serialize)]
struct JambaBody {
    messages: Vec<FunctionMessage>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tools: Vec<FunctionTool>,
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

#[cfg(test)]
mod tests {
    use super::*;
    use bedrock_adapter_kit::testing::{
        self, assert_refuses_malformed, assert_text_only, image, message, params, request, text,
    };
    use bedrock_adapter_kit::types::{Content, Params, Role, ToolCall, ToolResult, ToolResultPart};

    const JAMBA: &str = "ai21.jamba-instruct-v1:0";
    const MINI: &str = "ai21.jamba-1-5-mini-v1:0";

    fn body_json(req: Request) -> Value {
        testing::body_json(build(req))
    }

    #[test]
    fn notebook_body() {
        // AWS's notebook "How to work with Amazon Bedrock APIs - Getting
        // Started", cell "AI21 Labs Jamba", field for field.
        let prompt = "Command: Write me a blog about making strong business decisions as a leader.\n\nBlog:\n";
        let req = request(
            JAMBA,
            vec![text(Role::User, prompt)],
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
                    text(Role::User, "Hi"),
                    text(Role::Assistant, "Hello!"),
                    text(Role::User, "Name a colour."),
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
    fn tools_calls_and_results() {
        let call = Content::ToolCall(ToolCall {
            id: "call_a1".to_owned(),
            name: "get_weather".to_owned(),
            input: r#"{"city":"Paris"}"#.to_owned(),
        });
        let req = Request {
            tools: vec![testing::tool("get_weather")],
            tool_choice: Some(ToolChoice::Auto),
            ..request(
                MINI,
                vec![
                    text(Role::User, "Weather in Paris?"),
                    message(Role::Assistant, vec![call]),
                    message(
                        Role::User,
                        vec![Content::ToolResult(ToolResult {
                            call_id: "call_a1".to_owned(),
                            content: vec![ToolResultPart::Json(r#"{"celsius":21}"#.to_owned())],
                            is_error: false,
                        })],
                    ),
                ],
                params(),
            )
        };
        assert_eq!(
            body_json(req),
            serde_json::json!({
                "messages": [
                    {"role": "user", "content": "Weather in Paris?"},
                    {"role": "assistant", "content": "", "tool_calls": [
                        {"id": "call_a1", "type": "function",
                         "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}},
                    ]},
                    {"role": "tool", "content": "{\"celsius\":21}", "tool_call_id": "call_a1"},
                ],
                "tools": [{"type": "function", "function": {
                    "name": "get_weather", "description": "What get_weather does",
                    "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                                   "required": ["city"]},
                }}],
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
            let err = build(request(JAMBA, vec![text(Role::User, "Hi")], params));
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
            vec![text(Role::User, "Hi")],
            params(),
        ));
        assert!(matches!(j2, Err(AdapterError::Unsupported(m)) if m.contains("Jurassic-2")));
        assert_refuses_malformed(JAMBA, build);
        assert_text_only(JAMBA, build);
        let choice = build(Request {
            tools: vec![testing::tool("w")],
            tool_choice: Some(ToolChoice::Any),
            ..request(MINI, vec![text(Role::User, "Hi")], params())
        });
        assert!(
            matches!(&choice, Err(AdapterError::Unsupported(m)) if m.starts_with("tool choice any")),
            "{choice:?}"
        );
        let image = build(request(
            JAMBA,
            vec![message(Role::User, vec![image("image/png")])],
            params(),
        ));
        assert!(matches!(image, Err(AdapterError::Unsupported(m)) if m.starts_with("images")));
        let owned = build(request(
            JAMBA,
            vec![text(Role::User, "Hi")],
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
