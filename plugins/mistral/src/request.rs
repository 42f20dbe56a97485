//! `build-request`: turns a provider-neutral request into the body of the
//! Mistral API the model takes ([`crate::models`]): a text completion body
//! (`prompt`, `max_tokens`, `stop`, `temperature`, `top_p`, `top_k`) whose
//! prompt is the `[INST]` template or, with `--raw`, the user's text as is;
//! or a chat completion body (`messages`, `tools`, `tool_choice`,
//! `max_tokens`, `temperature`, `top_p`) with function tools, calls and
//! results in the form of [`bedrock_adapter_kit::functions`], call ids as
//! [`crate::ids`] maps them.
//!
//! Invariants: every common setting the user gave is in the body or is an
//! `unsupported` error naming it (neither API takes a seed; the chat API, as
//! AWS documents it, takes no top-k or stop sequences, has no raw prompt
//! and no named tool choice); a setting the user did not give is left out, so Bedrock applies
//! the model's own default.

use bedrock_adapter_kit::functions::{self, FunctionMessage, FunctionTool};
use bedrock_adapter_kit::request::{self, Setting, Turn, json_body};
use bedrock_adapter_kit::types::{AdapterError, Body, Content, Params, Request, ToolChoice};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::ids;
use crate::models::{self, Api};
use crate::options;
use crate::template;

/// Builds the request body for `req.model_id`.
pub fn build(req: Request) -> Result<Body, AdapterError> {
    request::refuse_beyond_described(&req, &models::supported())?;
    request::refuse(
        &req.params,
        &[Setting::Seed],
        "Mistral models on Bedrock take no random seed",
    )?;
    request::check_finite(&req.params)?;
    let extra = options::parse(&req.params.extra)?;
    let uses_tools = !req.tools.is_empty()
        || req.tool_choice.is_some()
        || req.messages.iter().any(|message| {
            message
                .content
                .iter()
                .any(|part| matches!(part, Content::ToolCall(_) | Content::ToolResult(_)))
        });
    match models::api_for(&req.model_id, uses_tools) {
        Api::Completion => {
            let Request {
                model_id,
                system,
                messages,
                params,
                ..
            } = req;
            // The completion models read text only; a message's text parts
            // are joined.
            let turns = request::text_turns(messages, &model_id)?;
            json_body(&completion_body(system, turns, params, extra)?)
        }
        Api::Chat => json_body(&chat_body(req, extra)?),
    }
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
        // The user writes the `[INST]` format (or none) themselves.
        request::raw_prompt(system.is_some(), turns)?.text
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
    messages: Vec<FunctionMessage>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tools: Vec<FunctionTool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tool_choice: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    top_p: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f32>,
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
        ..
    } = req;
    request::refuse(
        &params,
        &[Setting::Raw, Setting::TopK, Setting::Stop],
        &format!(
            "{model_id} takes Mistral's chat completion API, which on Bedrock has \
             messages, tools, tool_choice, max_tokens, temperature and top_p only"
        ),
    )?;
    let tool_choice = match tool_choice {
        None => None,
        Some(ToolChoice::Auto) => Some("auto"),
        Some(ToolChoice::Any) => Some("any"),
        Some(ToolChoice::None) => Some("none"),
        Some(ToolChoice::Named(name)) => {
            return Err(AdapterError::Unsupported(format!(
                "a named tool choice ({name}) is not supported by {model_id}: Mistral's \
                 tool_choice on Bedrock is auto, any or none (--tool-choice any makes it call \
                 one of the tools)"
            )));
        }
    };
    Ok(ChatBody {
        messages: functions::function_messages(system, messages, &model_id, ids::to_mistral)?,
        tools: functions::function_tools(&tools)?,
        tool_choice,
        max_tokens: params.max_tokens,
        top_p: params.top_p,
        temperature: params.temperature,
        extra,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use bedrock_adapter_kit::testing::{
        self, assert_refuses_malformed, assert_text_only, image, message, params, request, text,
    };
    use bedrock_adapter_kit::types::{Params, Role, Tool, ToolCall, ToolResult, ToolResultPart};

    /// The prompt of AWS's notebook "How to work with Amazon Bedrock APIs -
    /// Getting Started" (cell "Mistral Models").
    const NOTEBOOK_PROMPT: &str = "<s>[INST] <<SYS>>\nYou are a helpful, respectful and honest assistant. Always answer as helpfully as possible, while being safe.  Your answers should not include any harmful, unethical, racist, sexist, toxic, dangerous, or illegal content. Please ensure that your responses are socially unbiased and positive in nature.\nIf a question does not make any sense, or is not factually coherent, explain why instead of answering something not correct. If you don't know the answer to a question, please don't share false information.\n<</SYS>>\n\nWrite me a blog about making strong business decisions as a leader. [/INST]";

    const MIXTRAL: &str = "mistral.mixtral-8x7b-instruct-v0:1";
    const LARGE_2: &str = "mistral.mistral-large-2407-v1:0";

    fn body_json(req: Request) -> Value {
        testing::body_json(build(req))
    }

    #[test]
    fn notebook_body() {
        // The notebook's cell, field for field, with its prompt sent as is.
        let req = request(
            MIXTRAL,
            vec![text(Role::User, NOTEBOOK_PROMPT)],
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
                vec![text(Role::User, "Say this is a test")],
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
                    text(Role::User, "Hi"),
                    text(Role::Assistant, "Hello!"),
                    text(Role::User, "Name a colour."),
                ],
                Params {
                    max_tokens: Some(100),
                    temperature: Some(0.5),
                    top_p: Some(0.9),
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
                "max_tokens": 100, "top_p": 0.9, "temperature": 0.5,
            })
        );
    }

    /// The tool of AWS's "Mistral AI chat completion" page.
    fn shell_tool() -> Tool {
        Tool {
            name: "shell".to_owned(),
            description: "Run a shell command".to_owned(),
            input_schema: r#"{"type":"object","properties":{"command":{"type":"string"}},"required":["command"]}"#.to_owned(),
        }
    }

    #[test]
    fn tools_as_aws_documents_them() {
        for (model_id, choice, written) in [
            (LARGE_2, Some(ToolChoice::Any), Some("any")),
            ("mistral.mistral-large-2402-v1:0", None, None),
        ] {
            let req = Request {
                tools: vec![shell_tool()],
                tool_choice: choice,
                ..request(
                    model_id,
                    vec![text(Role::User, "List the files.")],
                    params(),
                )
            };
            let mut expected = serde_json::json!({
                "messages": [{"role": "user", "content": "List the files."}],
                "tools": [{"type": "function", "function": {
                    "name": "shell", "description": "Run a shell command",
                    "parameters": {"type": "object",
                                   "properties": {"command": {"type": "string"}},
                                   "required": ["command"]},
                }}],
            });
            if let Some(written) = written {
                expected["tool_choice"] = serde_json::json!(written);
            }
            assert_eq!(body_json(req), expected, "{model_id}");
        }
    }

    #[test]
    fn calls_and_results_in_history_with_mapped_ids() {
        let claude_id = "toolu_01A09q90qw90lq917835lq9";
        let call = |id: &str| {
            Content::ToolCall(ToolCall {
                id: id.to_owned(),
                name: "shell".to_owned(),
                input: r#"{"command":"ls"}"#.to_owned(),
            })
        };
        let result = |id: &str| {
            Content::ToolResult(ToolResult {
                call_id: id.to_owned(),
                content: vec![ToolResultPart::Text("a.txt".to_owned())],
                is_error: false,
            })
        };
        let req = Request {
            tools: vec![shell_tool()],
            ..request(
                LARGE_2,
                vec![
                    text(Role::User, "List the files."),
                    message(
                        Role::Assistant,
                        vec![call(claude_id), call("v6RMMiRlT7ygYkT4uULjtg")],
                    ),
                    message(
                        Role::User,
                        vec![result(claude_id), result("v6RMMiRlT7ygYkT4uULjtg")],
                    ),
                ],
                params(),
            )
        };
        let mapped = ids::to_mistral(claude_id);
        let body = body_json(req);
        assert_eq!(
            body["messages"],
            serde_json::json!([
                {"role": "user", "content": "List the files."},
                {"role": "assistant", "content": "", "tool_calls": [
                    {"id": mapped, "type": "function",
                     "function": {"name": "shell", "arguments": "{\"command\":\"ls\"}"}},
                    {"id": "v6RMMiRlT7ygYkT4uULjtg", "type": "function",
                     "function": {"name": "shell", "arguments": "{\"command\":\"ls\"}"}},
                ]},
                {"role": "tool", "content": "a.txt", "tool_call_id": mapped},
                {"role": "tool", "content": "a.txt", "tool_call_id": "v6RMMiRlT7ygYkT4uULjtg"},
            ])
        );
    }

    #[test]
    fn tools_refused_by_name() {
        let named = build(Request {
            tools: vec![shell_tool()],
            tool_choice: Some(ToolChoice::Named("shell".to_owned())),
            ..request(LARGE_2, vec![text(Role::User, "Hi")], params())
        });
        assert!(
            matches!(&named, Err(AdapterError::Unsupported(m)) if m.starts_with("a named tool choice (shell)")),
            "{named:?}"
        );
        for model_id in [MIXTRAL, "mistral.mistral-small-2402-v1:0"] {
            let tools = build(Request {
                tools: vec![shell_tool()],
                ..request(model_id, vec![text(Role::User, "Hi")], params())
            });
            assert_eq!(
                tools,
                Err(AdapterError::Unsupported(format!(
                    "tools are not supported by {model_id}"
                )))
            );
        }
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
            let err = build(request(LARGE_2, vec![text(Role::User, "Hi")], params));
            assert!(
                matches!(&err, Err(AdapterError::Unsupported(m)) if m.starts_with(flag)),
                "{flag}: {err:?}"
            );
        }
        let seed = build(request(
            MIXTRAL,
            vec![text(Role::User, "Hi")],
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
        assert_refuses_malformed(MIXTRAL, build);
        assert_refuses_malformed(LARGE_2, build);
        assert_text_only(MIXTRAL, build);
        assert_text_only("mistral.pixtral-large-2502-v1:0", build);
        let image = build(request(
            LARGE_2,
            vec![message(Role::User, vec![image("image/png")])],
            params(),
        ));
        assert!(matches!(image, Err(AdapterError::Unsupported(m)) if m.starts_with("images")));
        let raw_system = build(Request {
            system: Some("s".to_owned()),
            ..request(MIXTRAL, vec![text(Role::User, "Hi")], raw())
        });
        assert!(matches!(raw_system, Err(AdapterError::InvalidRequest(_))));
        let raw_conversation = build(request(
            MIXTRAL,
            vec![text(Role::User, "a"), text(Role::User, "b")],
            raw(),
        ));
        assert!(matches!(
            raw_conversation,
            Err(AdapterError::InvalidRequest(_))
        ));
        let unordered = build(request(MIXTRAL, vec![text(Role::Assistant, "a")], params()));
        assert!(matches!(unordered, Err(AdapterError::InvalidRequest(_))));
        let owned = build(request(
            MIXTRAL,
            vec![text(Role::User, "Hi")],
            Params {
                extra: vec![("stop".to_owned(), "[\"x\"]".to_owned())],
                ..params()
            },
        ));
        assert!(matches!(owned, Err(AdapterError::InvalidRequest(m)) if m.contains("--stop")));
    }
}
