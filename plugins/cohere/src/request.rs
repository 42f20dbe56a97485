//! `build-request`: turns a provider-neutral request into the JSON body of
//! a Command model (`prompt`) or of a Command R model (`message` +
//! `chat_history` + `preamble`, with `tools` and `tool_results` as
//! [`crate::tools`] writes them), chosen by model id.
//!
//! Invariants: every common setting the user gave is in the body or is an
//! error naming its flag (`--top-p` is Cohere's `p`, `--top-k` its `k`;
//! `--seed` is refused for Command, which has none; images for both); a
//! setting the user did not give is left out, so the model's own default
//! applies. Command has no chat template: its prompt is always the user's
//! text as given, so `--raw` changes nothing there, and a system prompt or a
//! conversation, which it has no place for, is refused. Command R's `--raw`
//! is its own `raw_prompting`. Command R's history keeps the calls of each
//! `CHATBOT` turn and puts results in `TOOL` turns; the last user message's
//! results are the body's `tool_results` (its text, empty when it has
//! none, the `message`). Command R has no tool choice: any but `auto` (its
//! behaviour) is `unsupported`. `force_single_step` is not sent: the local
//! Bedrock, which follows AWS's Command R page, does not take it; `-o`
//! passes it through for those who need it.

use bedrock_adapter_kit::request::{self, Setting, json_body};
use bedrock_adapter_kit::types::{
    AdapterError, Body, Content, Message, Params, Request, Role, ToolCall, ToolChoice, ToolResult,
};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::models::{self, Family};
use crate::options;
use crate::tools::{self, CohereCall, CohereResult, CohereTool};

/// Builds the request body for `req.model_id`.
pub fn build(req: Request) -> Result<Body, AdapterError> {
    let family = models::family_for(&req.model_id)?;
    // Command's own refusal of a system prompt says what to do instead.
    if !(family == Family::Command && req.system.is_some()) {
        request::refuse_beyond_described(&req, &models::supported())?;
    }
    let streamed = req.streamed;
    let Request {
        model_id,
        system,
        messages,
        params,
        tools,
        tool_choice,
        ..
    } = req;
    request::check_finite(&params)?;
    let mut extra = options::parse(family, &params.extra)?;
    match family {
        Family::Command => {
            if streamed {
                // Command streams token by token only when its body asks.
                extra.entry("stream").or_insert(Value::Bool(true));
            }
            json_body(&command_body(&model_id, system, messages, params, extra)?)
        }
        Family::CommandR => {
            let tools = ChatTools {
                tools: tools::cohere_tools(&tools)?,
                choice: tool_choice,
            };
            json_body(&chat_body(
                &model_id, system, messages, params, tools, extra,
            )?)
        }
    }
}

// ---------------------------------------------------------------------------
// Command: AWS, "Cohere Command models"
// <https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-cohere-command.html>.

/// A Command body, fields in the order of AWS's page.
#[derive(Serialize)]
struct CommandBody {
    prompt: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    p: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    k: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    stop_sequences: Vec<String>,
    #[serde(flatten)]
    extra: Map<String, Value>,
}

fn command_body(
    model_id: &str,
    system: Option<String>,
    messages: Vec<Message>,
    params: Params,
    extra: Map<String, Value>,
) -> Result<CommandBody, AdapterError> {
    request::refuse(
        &params,
        &[Setting::Seed],
        &format!("{model_id} takes no random seed (Command R, cohere.command-r-*, does)"),
    )?;
    if system.is_some() {
        return Err(AdapterError::Unsupported(format!(
            "system prompts: {model_id} takes one prompt and nothing else; write it into \
             the prompt, or use Command R (cohere.command-r-*), which takes a preamble"
        )));
    }
    request::require_messages(&messages)?;
    let [message] = <[Message; 1]>::try_from(messages).map_err(|messages| {
        AdapterError::Unsupported(format!(
            "conversations: {model_id} takes one prompt, not {} messages; use Command R \
             (cohere.command-r-*), which takes a chat history",
            messages.len()
        ))
    })?;
    if message.role != Role::User {
        return Err(AdapterError::InvalidRequest(
            "the prompt must be the user's message".to_owned(),
        ));
    }
    Ok(CommandBody {
        prompt: text_of(1, message, model_id)?,
        temperature: params.temperature,
        p: params.top_p,
        k: params.top_k,
        max_tokens: params.max_tokens,
        stop_sequences: params.stop_sequences,
        extra,
    })
}

// ---------------------------------------------------------------------------
// Command R and R+: AWS, "Cohere Command R and Command R+ models"
// <https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-cohere-command-r-plus.html>.

/// A Command R body.
#[derive(Serialize)]
struct ChatBody {
    message: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    chat_history: Vec<Turn>,
    #[serde(skip_serializing_if = "Option::is_none")]
    preamble: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tools: Vec<CohereTool>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tool_results: Vec<CohereResult>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    p: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    k: Option<u32>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    stop_sequences: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    seed: Option<u64>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    raw_prompting: bool,
    #[serde(flatten)]
    extra: Map<String, Value>,
}

/// One earlier turn of `chat_history`: a `USER` or `CHATBOT` message (a
/// `CHATBOT` one with the calls it made), or the `TOOL` results answering
/// them.
#[derive(Serialize)]
struct Turn {
    role: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tool_calls: Vec<CohereCall>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tool_results: Vec<CohereResult>,
}

/// The request's tools in Cohere's form, and the tool choice asked for.
struct ChatTools {
    tools: Vec<CohereTool>,
    choice: Option<ToolChoice>,
}

/// One message read for Command R: its text, and its calls or results.
struct Parts {
    text: String,
    calls: Vec<ToolCall>,
    results: Vec<ToolResult>,
}

/// The parts of message `number` (from 1) to `model_id`: text joined,
/// calls and results apart; reasoning and cache points left out; images
/// and documents refused.
fn parts_of(number: usize, message: Message, model_id: &str) -> Result<Parts, AdapterError> {
    request::require_content(number, &message)?;
    let mut parts = Parts {
        text: String::new(),
        calls: Vec::new(),
        results: Vec::new(),
    };
    for part in message.content {
        match part {
            Content::ToolCall(call) => parts.calls.push(call),
            Content::ToolResult(result) => parts.results.push(result),
            other => parts
                .text
                .push_str(&request::text_only(vec![other], model_id)?),
        }
    }
    Ok(parts)
}

fn chat_body(
    model_id: &str,
    system: Option<String>,
    messages: Vec<Message>,
    params: Params,
    tools: ChatTools,
    extra: Map<String, Value>,
) -> Result<ChatBody, AdapterError> {
    if params.raw && system.is_some() {
        return Err(AdapterError::InvalidRequest(
            "--raw sends the prompt as is, with no system prompt; write it into the prompt"
                .to_owned(),
        ));
    }
    if params.raw && messages.len() > 1 {
        return Err(AdapterError::InvalidRequest(format!(
            "--raw sends one prompt as is, not a conversation of {} messages",
            messages.len()
        )));
    }
    if let Some(choice) = tools.choice.filter(|choice| *choice != ToolChoice::Auto) {
        let choice = match choice {
            ToolChoice::Named(name) => format!("a named tool choice ({name})"),
            ToolChoice::Any => "tool choice any".to_owned(),
            _ => "tool choice none".to_owned(),
        };
        return Err(AdapterError::Unsupported(format!(
            "{choice} is not supported by {model_id}: Command R decides itself whether to \
             call a tool"
        )));
    }
    if messages.last().is_none_or(|last| last.role != Role::User) {
        return Err(AdapterError::InvalidRequest(
            "Command R answers the last message, which must be the user's".to_owned(),
        ));
    }
    let count = messages.len();
    let mut chat_history = Vec::new();
    let mut previous_calls: Vec<ToolCall> = Vec::new();
    let mut last = None;
    for (number, message) in (1..).zip(messages) {
        let role = message.role;
        let Parts {
            text,
            calls,
            results,
        } = parts_of(number, message, model_id)?;
        let results = results
            .into_iter()
            .map(|result| tools::cohere_result(result, &previous_calls, model_id))
            .collect::<Result<Vec<_>, _>>()?;
        if role == Role::Assistant {
            chat_history.push(Turn {
                role: "CHATBOT",
                message: Some(text),
                tool_calls: calls
                    .iter()
                    .map(tools::history_call)
                    .collect::<Result<_, _>>()?,
                tool_results: Vec::new(),
            });
            previous_calls = calls;
        } else if number == count {
            last = Some((text, results));
        } else {
            if !results.is_empty() {
                chat_history.push(Turn {
                    role: "TOOL",
                    message: None,
                    tool_calls: Vec::new(),
                    tool_results: results,
                });
            }
            if !text.is_empty() || chat_history.last().is_none_or(|turn| turn.role != "TOOL") {
                chat_history.push(Turn {
                    role: "USER",
                    message: Some(text),
                    tool_calls: Vec::new(),
                    tool_results: Vec::new(),
                });
            }
            previous_calls.clear();
        }
    }
    let (message, tool_results) =
        last.ok_or_else(|| AdapterError::InvalidRequest("there is no message to send".to_owned()))?;
    Ok(ChatBody {
        message,
        chat_history,
        preamble: system,
        tools: tools.tools,
        tool_results,
        max_tokens: params.max_tokens,
        temperature: params.temperature,
        p: params.top_p,
        k: params.top_k,
        stop_sequences: params.stop_sequences,
        seed: params.seed,
        raw_prompting: params.raw,
        extra,
    })
}

/// The text parts of message `number` (from 1) to `model_id`, joined;
/// Cohere's text models read no images or documents here.
fn text_of(number: usize, message: Message, model_id: &str) -> Result<String, AdapterError> {
    request::message_text(number, message.content, model_id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bedrock_adapter_kit::testing::{
        self, assert_refuses_malformed, image, message, params, request, text,
    };
    use bedrock_adapter_kit::types::{Tool, ToolResultPart};

    /// The prompt of AWS's notebook "How to work with Amazon Bedrock APIs -
    /// Getting Started" (`shared/seed/bedrock-getting-started-notebook.md`).
    const NOTEBOOK_PROMPT: &str =
        "Command: Write me a blog about making strong business decisions as a leader.\n\nBlog:\n";

    fn body_json(req: Request) -> Value {
        testing::body_json(build(req))
    }

    #[test]
    fn notebook_cohere_cell() {
        // The notebook's "Cohere" cell, field for field, with and without --raw.
        for raw in [false, true] {
            let req = request(
                "cohere.command-text-v14",
                vec![text(Role::User, NOTEBOOK_PROMPT)],
                Params {
                    max_tokens: Some(200),
                    raw,
                    ..params()
                },
            );
            assert_eq!(
                body_json(req),
                serde_json::json!({"prompt": NOTEBOOK_PROMPT, "max_tokens": 200}),
                "raw: {raw}"
            );
        }
    }

    #[test]
    fn command_every_setting() {
        // The body of dd-trace-py cohere_invoke_multi_output.yaml, with a
        // stop sequence where it sent an empty list (an unset --stop is left out).
        let prompt = "\n\nHuman: %s\n\nAssistant: Can you explain what a LLM chain is?";
        let req = request(
            "cohere.command-light-text-v14",
            vec![text(Role::User, prompt)],
            Params {
                max_tokens: Some(10),
                temperature: Some(0.9),
                top_p: Some(1.0),
                top_k: Some(0),
                stop_sequences: vec!["|".to_owned()],
                extra: vec![
                    ("stream".to_owned(), "false".to_owned()),
                    ("num_generations".to_owned(), "2".to_owned()),
                ],
                ..params()
            },
        );
        let body = build(req).expect("build");
        let text = String::from_utf8(body.bytes).expect("UTF-8");
        // f32 settings are written as the user typed them, not widened.
        assert!(text.contains("\"temperature\":0.9,"), "{text}");
        assert_eq!(
            serde_json::from_str::<Value>(&text).expect("JSON"),
            serde_json::json!({
                "prompt": prompt, "temperature": 0.9, "p": 1.0, "k": 0, "max_tokens": 10,
                "stop_sequences": ["|"], "stream": false, "num_generations": 2,
            })
        );
    }

    #[test]
    fn command_r_every_setting() {
        let req = Request {
            system: Some("You are terse.".to_owned()),
            ..request(
                "cohere.command-r-plus-v1:0",
                vec![
                    text(Role::User, "Say this is a test"),
                    text(Role::Assistant, "This is a test."),
                    text(Role::User, "Again"),
                ],
                Params {
                    max_tokens: Some(10),
                    temperature: Some(0.8),
                    top_p: Some(0.9),
                    top_k: Some(5),
                    stop_sequences: vec!["|".to_owned()],
                    seed: Some(42),
                    extra: vec![("return_prompt".to_owned(), "true".to_owned())],
                    ..params()
                },
            )
        };
        assert_eq!(
            body_json(req),
            serde_json::json!({
                "message": "Again",
                "chat_history": [
                    {"role": "USER", "message": "Say this is a test"},
                    {"role": "CHATBOT", "message": "This is a test."},
                ],
                "preamble": "You are terse.",
                "max_tokens": 10, "temperature": 0.8, "p": 0.9, "k": 5,
                "stop_sequences": ["|"], "seed": 42, "return_prompt": true,
            })
        );
    }

    #[test]
    fn command_r_recorded_body() {
        // otel-python-contrib test_invoke_model_with_content[cohere.command-r].
        let req = request(
            "cohere.command-r-v1:0",
            vec![text(Role::User, "Say this is a test")],
            Params {
                max_tokens: Some(10),
                temperature: Some(0.8),
                top_p: Some(0.99),
                stop_sequences: vec!["|".to_owned()],
                ..params()
            },
        );
        assert_eq!(
            body_json(req),
            serde_json::json!({
                "message": "Say this is a test", "max_tokens": 10, "temperature": 0.8,
                "p": 0.99, "stop_sequences": ["|"],
            })
        );
    }

    #[test]
    fn command_r_raw() {
        let prompt = "<|START_OF_TURN_TOKEN|><|USER_TOKEN|>Hi<|END_OF_TURN_TOKEN|>";
        let req = request(
            "cohere.command-r-v1:0",
            vec![text(Role::User, prompt)],
            Params {
                raw: true,
                ..params()
            },
        );
        assert_eq!(
            body_json(req),
            serde_json::json!({"message": prompt, "raw_prompting": true})
        );
    }

    #[test]
    fn a_streamed_command_body_asks_to_stream() {
        let streamed = |model: &str, extra: &[(&str, &str)]| Request {
            streamed: true,
            ..request(
                model,
                vec![text(Role::User, "Hi")],
                Params {
                    extra: testing::pairs(extra),
                    ..params()
                },
            )
        };
        let command = "cohere.command-text-v14";
        assert_eq!(
            body_json(streamed(command, &[])),
            serde_json::json!({"prompt": "Hi", "stream": true})
        );
        // The user's own `-o stream` is sent as given.
        assert_eq!(
            body_json(streamed(command, &[("stream", "false")])),
            serde_json::json!({"prompt": "Hi", "stream": false})
        );
        let not_streamed = request(command, vec![text(Role::User, "Hi")], params());
        assert_eq!(body_json(not_streamed), serde_json::json!({"prompt": "Hi"}));
        // Command R streams without being told.
        assert_eq!(
            body_json(streamed("cohere.command-r-v1:0", &[])),
            serde_json::json!({"message": "Hi"})
        );
    }

    #[test]
    fn tools_and_results_as_cohere_documents_them() {
        // Cohere's single-step tool use: the tool, the model's call, and the
        // results sent back with the call they answer.
        let tool = Tool {
            name: "query_daily_sales_report".to_owned(),
            description: "Connects to a database to retrieve overall sales volumes and sales \
                          information for a given day."
                .to_owned(),
            input_schema: r#"{"type":"object","properties":{"day":{"type":"string","description":"Retrieves sales data for this day, formatted as YYYY-MM-DD."}},"required":["day"]}"#.to_owned(),
        };
        let call = ToolCall {
            id: "cohere-call-0-query_daily_sales_report".to_owned(),
            name: "query_daily_sales_report".to_owned(),
            input: r#"{"day":"2023-09-29"}"#.to_owned(),
        };
        let result = |text: &str| {
            Content::ToolResult(ToolResult {
                call_id: call.id.clone(),
                content: vec![ToolResultPart::Json(text.to_owned())],
                is_error: false,
            })
        };
        let ask = "Can you provide a sales summary for 29th September 2023?";
        let req = Request {
            tools: vec![tool],
            ..request(
                "cohere.command-r-plus-v1:0",
                vec![
                    text(Role::User, ask),
                    message(Role::Assistant, vec![Content::ToolCall(call.clone())]),
                    message(
                        Role::User,
                        vec![result(
                            r#"{"date":"2023-09-29","summary":"Total Sales Amount: 10000"}"#,
                        )],
                    ),
                    text(Role::Assistant, "Sales were 10000."),
                    text(Role::User, "And the day before?"),
                    message(Role::Assistant, vec![Content::ToolCall(call.clone())]),
                    message(
                        Role::User,
                        vec![result(
                            r#"{"date":"2023-09-28","summary":"Total Sales Amount: 5000"}"#,
                        )],
                    ),
                ],
                params(),
            )
        };
        let day = serde_json::json!({"day": "2023-09-29"});
        let call_json = serde_json::json!({"name": "query_daily_sales_report", "parameters": day});
        assert_eq!(
            body_json(req),
            serde_json::json!({
                "message": "",
                "chat_history": [
                    {"role": "USER", "message": ask},
                    {"role": "CHATBOT", "message": "", "tool_calls": [call_json]},
                    {"role": "TOOL", "tool_results": [{"call": call_json, "outputs": [
                        {"date": "2023-09-29", "summary": "Total Sales Amount: 10000"}]}]},
                    {"role": "CHATBOT", "message": "Sales were 10000."},
                    {"role": "USER", "message": "And the day before?"},
                    {"role": "CHATBOT", "message": "", "tool_calls": [call_json]},
                ],
                "tools": [{
                    "name": "query_daily_sales_report",
                    "description": "Connects to a database to retrieve overall sales volumes and sales information for a given day.",
                    "parameter_definitions": {"day": {
                        "description": "Retrieves sales data for this day, formatted as YYYY-MM-DD.",
                        "type": "str", "required": true}},
                }],
                "tool_results": [{"call": call_json, "outputs": [
                    {"date": "2023-09-28", "summary": "Total Sales Amount: 5000"}]}],
            })
        );
    }

    #[test]
    fn features_beyond_text_are_refused_by_name() {
        let image = build(request(
            "cohere.command-r-plus-v1:0",
            vec![message(Role::User, vec![image("image/png")])],
            params(),
        ));
        assert!(matches!(image, Err(AdapterError::Unsupported(m)) if m.starts_with("images")));
        let choice = build(Request {
            tools: vec![testing::tool("get_weather")],
            tool_choice: Some(ToolChoice::Any),
            ..request(
                "cohere.command-r-v1:0",
                vec![text(Role::User, "Hi")],
                params(),
            )
        });
        assert!(
            matches!(&choice, Err(AdapterError::Unsupported(m)) if m.starts_with("tool choice any")),
            "{choice:?}"
        );
        let tools = build(Request {
            tools: vec![testing::tool("get_weather")],
            ..request(
                "cohere.command-light-text-v14",
                vec![text(Role::User, "Hi")],
                params(),
            )
        });
        assert_eq!(
            tools,
            Err(AdapterError::Unsupported(
                "tools are not supported by cohere.command-light-text-v14".to_owned()
            ))
        );
    }

    #[test]
    fn refusals() {
        let command = "cohere.command-text-v14";
        let command_r = "cohere.command-r-v1:0";
        let hi = || vec![text(Role::User, "Hi")];
        let seed = build(request(
            command,
            hi(),
            Params {
                seed: Some(1),
                ..params()
            },
        ));
        assert!(matches!(seed, Err(AdapterError::Unsupported(m)) if m.starts_with("--seed")));
        let system = build(Request {
            system: Some("s".to_owned()),
            ..request(command, hi(), params())
        });
        assert!(matches!(system, Err(AdapterError::Unsupported(_))));
        let conversation = vec![
            text(Role::User, "a"),
            text(Role::Assistant, "b"),
            text(Role::User, "c"),
        ];
        let many = build(request(command, conversation, params()));
        assert!(matches!(many, Err(AdapterError::Unsupported(_))));
        let image = message(Role::User, vec![image("image/png")]);
        for model in [command, command_r] {
            let err = build(request(model, vec![image.clone()], params()));
            assert!(matches!(err, Err(AdapterError::Unsupported(_))), "{model}");
            assert_refuses_malformed(model, build);
        }
        let assistant_last = build(request(
            command_r,
            vec![text(Role::User, "a"), text(Role::Assistant, "b")],
            params(),
        ));
        assert!(matches!(
            assistant_last,
            Err(AdapterError::InvalidRequest(_))
        ));
        let raw = || Params {
            raw: true,
            ..params()
        };
        let raw_system = build(Request {
            system: Some("s".to_owned()),
            ..request(command_r, hi(), raw())
        });
        assert!(matches!(raw_system, Err(AdapterError::InvalidRequest(_))));
        let raw_conversation = build(request(
            command_r,
            vec![
                text(Role::User, "a"),
                text(Role::Assistant, "b"),
                text(Role::User, "c"),
            ],
            raw(),
        ));
        assert!(matches!(
            raw_conversation,
            Err(AdapterError::InvalidRequest(_))
        ));
        let embed = build(request("cohere.embed-english-v3", hi(), params()));
        assert!(matches!(embed, Err(AdapterError::Unsupported(_))));
    }
}
