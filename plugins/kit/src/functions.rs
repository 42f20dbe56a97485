//! Function tools in the OpenAI-like chat form that several families take
//! on Bedrock (Mistral's chat completion, AI21's Jamba): `tools` of
//! `{"type": "function", "function": {"name", "description",
//! "parameters"}}`; assistant messages with `tool_calls` of `{"id", "type":
//! "function", "function": {"name", "arguments"}}`, the arguments a JSON
//! string; one `{"role": "tool", "tool_call_id", "content"}` message per
//! tool result; and calls read back from answers (`message.tool_calls`)
//! and from stream chunks (`delta.tool_calls`).
//!
//! Invariants: every message of the conversation becomes chat messages in
//! order, the system prompt first; a user message's tool results come
//! before its text, as `tool` messages right after the assistant message
//! whose calls they answer; a call id goes through the family's mapping
//! the same way in a call and in the result answering it; a call read from
//! an answer or a stream has object JSON text as its input, or the answer
//! is `malformed-response`.

use std::cell::Cell;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::request::{self, role_name};
use crate::stream::ToolCalls;
use crate::tools;
use crate::types::{AdapterError, Content, Event, Message, Role, Tool, ToolCall};

/// A tool as `tools` lists it.
#[derive(Debug, PartialEq, Serialize)]
pub struct FunctionTool {
    /// Always `function`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The function the model may call.
    pub function: FunctionSpec,
}

/// A function's name, description and JSON Schema.
#[derive(Debug, PartialEq, Serialize)]
pub struct FunctionSpec {
    /// The tool's name.
    pub name: String,
    /// What it does.
    pub description: String,
    /// The JSON Schema of its arguments.
    pub parameters: Value,
}

/// The request's tools as function tools; a schema that is not a JSON
/// object is `invalid-request` naming the tool.
pub fn function_tools(tools: &[Tool]) -> Result<Vec<FunctionTool>, AdapterError> {
    tools
        .iter()
        .map(|tool| {
            Ok(FunctionTool {
                kind: "function",
                function: FunctionSpec {
                    name: tool.name.clone(),
                    description: tool.description.clone(),
                    parameters: tools::schema(tool)?,
                },
            })
        })
        .collect()
}

/// A call in an assistant message of the history.
#[derive(Debug, PartialEq, Serialize)]
pub struct FunctionCall {
    /// The call's id, as the family's mapping wrote it.
    pub id: String,
    /// Always `function`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// What was called, with what.
    pub function: CalledFunction,
}

/// The called function and its arguments, JSON text of an object.
#[derive(Debug, PartialEq, Serialize)]
pub struct CalledFunction {
    /// The tool's name.
    pub name: String,
    /// The arguments as JSON text.
    pub arguments: String,
}

/// One message of a chat body with function tools.
#[derive(Debug, PartialEq, Serialize)]
pub struct FunctionMessage {
    /// `system`, `user`, `assistant` or `tool`.
    pub role: &'static str,
    /// The text (empty for an assistant message that only calls tools).
    pub content: String,
    /// The calls of an assistant message.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<FunctionCall>,
    /// The call a `tool` message answers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_call_id: Option<String>,
}

impl FunctionMessage {
    fn text(role: &'static str, content: String) -> Self {
        FunctionMessage {
            role,
            content,
            tool_calls: Vec::new(),
            tool_call_id: None,
        }
    }
}

/// The words put before the text of a failed tool's result: the form has
/// no error flag, so the model is told in the content.
pub const ERROR_PREFIX: &str = "Error: ";

/// The system prompt and the conversation as chat messages with function
/// tools. Each id of a call or a result is written as `call_id` maps it.
/// Reasoning and cache points in history are left out; an image or a
/// document is refused as `unsupported` by `model_id`; a message with no
/// content, a tool call in a user message or a result in an assistant one
/// is `invalid-request`. A failed tool's result is its text after
/// [`ERROR_PREFIX`].
pub fn function_messages(
    system: Option<String>,
    messages: Vec<Message>,
    model_id: &str,
    call_id: impl Fn(&str) -> String,
) -> Result<Vec<FunctionMessage>, AdapterError> {
    request::require_messages(&messages)?;
    let mut chat: Vec<FunctionMessage> = system
        .map(|system| FunctionMessage::text("system", system))
        .into_iter()
        .collect();
    for (number, message) in (1..).zip(messages) {
        request::require_content(number, &message)?;
        let Message { role, content } = message;
        let mut text = String::new();
        let mut calls = Vec::new();
        for part in request::history_parts(content, false, false) {
            match (part, role) {
                (Content::Text(part), _) => text.push_str(&part),
                (Content::Image(_), _) => return Err(request::unsupported("images", model_id)),
                (Content::Document(_), _) => {
                    return Err(request::unsupported("documents", model_id));
                }
                (Content::ToolCall(call), Role::Assistant) => calls.push(FunctionCall {
                    id: call_id(&call.id),
                    kind: "function",
                    function: CalledFunction {
                        arguments: tools::input(&call)?.to_string(),
                        name: call.name,
                    },
                }),
                (Content::ToolResult(result), Role::User) => {
                    let mut content = tools::result_text(&result.content, model_id)?;
                    if result.is_error {
                        content.insert_str(0, ERROR_PREFIX);
                    }
                    chat.push(FunctionMessage {
                        tool_call_id: Some(call_id(&result.call_id)),
                        ..FunctionMessage::text("tool", content)
                    });
                }
                (Content::ToolCall(_), Role::User) | (Content::ToolResult(_), Role::Assistant) => {
                    return Err(AdapterError::InvalidRequest(format!(
                        "message {number}: tool calls come from the assistant and tool \
                         results from the user"
                    )));
                }
                (
                    Content::Reasoning(_) | Content::RedactedReasoning(_) | Content::CachePoint,
                    _,
                ) => {}
            }
        }
        let answered_only = role == Role::User
            && text.is_empty()
            && chat.last().is_some_and(|last| last.role == "tool");
        if !answered_only {
            chat.push(FunctionMessage {
                tool_calls: calls,
                ..FunctionMessage::text(role_name(role), text)
            });
        }
    }
    Ok(chat)
}

/// A tool call as an answer's `message.tool_calls` or a chunk's
/// `delta.tool_calls` holds it; in a chunk, only the first fragment of a
/// call has its id and name.
#[derive(Debug, Deserialize)]
pub struct AnsweredCall {
    /// The call's id (a chunk continuing a call has none).
    pub id: Option<String>,
    /// The function called.
    pub function: AnsweredFunction,
}

/// The function of an [`AnsweredCall`].
#[derive(Debug, Deserialize)]
pub struct AnsweredFunction {
    /// The tool's name (a chunk continuing a call has none).
    pub name: Option<String>,
    /// The arguments: JSON text (or a fragment of it), or a JSON object.
    pub arguments: Option<Value>,
}

impl AnsweredFunction {
    /// The arguments as text: a string as it is, an object as JSON text,
    /// nothing as empty text.
    fn arguments_text(self) -> Result<String, AdapterError> {
        match self.arguments {
            None | Some(Value::Null) => Ok(String::new()),
            Some(Value::String(text)) => Ok(text),
            Some(value @ Value::Object(_)) => Ok(value.to_string()),
            Some(other) => Err(AdapterError::MalformedResponse(format!(
                "a tool call's arguments are neither JSON text nor an object: {other}"
            ))),
        }
    }
}

/// A whole call of an answer as the contract carries it: it must have an
/// id and a name, and its arguments must be a JSON object (`{}` when none).
pub fn answered_call(call: AnsweredCall) -> Result<ToolCall, AdapterError> {
    let malformed = |why: &str| AdapterError::MalformedResponse(format!("a tool call {why}"));
    let id = call.id.ok_or_else(|| malformed("has no id"))?;
    let name = call
        .function
        .name
        .clone()
        .ok_or_else(|| malformed("has no function name"))?;
    let text = call.function.arguments_text()?;
    let input = if text.trim().is_empty() {
        Value::Null
    } else {
        serde_json::from_str::<Value>(&text)
            .ok()
            .filter(Value::is_object)
            .ok_or_else(|| {
                malformed(&format!(
                    "of {name} has arguments that are not a JSON object: {text}"
                ))
            })?
    };
    Ok(tools::call(id, name, &input))
}

/// The calls of one streamed answer, as the event model wants them: a
/// fragment with an id starts a call, one without continues the open call.
#[derive(Debug, Default)]
pub struct StreamedCalls {
    calls: ToolCalls,
    open: Cell<bool>,
}

impl StreamedCalls {
    /// The events of one chunk's `delta.tool_calls`.
    pub fn feed(&self, fragments: Vec<AnsweredCall>) -> Result<Vec<Event>, AdapterError> {
        let mut events = Vec::new();
        for AnsweredCall { id, function } in fragments {
            if let Some(id) = id {
                let name = function.name.clone().ok_or_else(|| {
                    AdapterError::MalformedResponse(format!(
                        "the streamed tool call {id} has no function name"
                    ))
                })?;
                events.extend(self.calls.start(id, name));
                self.open.set(true);
            } else if !self.open.get() {
                return Err(AdapterError::MalformedResponse(
                    "a streamed tool call fragment continues no call".to_owned(),
                ));
            }
            events.extend(self.calls.input(function.arguments_text()?));
        }
        Ok(events)
    }

    /// `event` after the end of the open call, if any.
    pub fn then(&self, event: Event) -> Vec<Event> {
        self.open.set(false);
        self.calls.then(event)
    }

    /// The end of the open call, if any.
    pub fn close(&self) -> Option<Event> {
        self.open.set(false);
        self.calls.close()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{self, message, text, tool_call, tool_result};
    use crate::types::ToolCallStart;
    use serde_json::json;

    fn chat(messages: Vec<Message>) -> Result<Value, AdapterError> {
        function_messages(Some("S".to_owned()), messages, "m", |id| format!("<{id}>"))
            .map(|chat| json!(chat))
    }

    #[test]
    fn tools_are_functions() {
        assert_eq!(
            function_tools(&[testing::tool("get_weather")]).map(|tools| json!(tools)),
            Ok(json!([{"type": "function", "function": {
                "name": "get_weather", "description": "What get_weather does",
                "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                               "required": ["city"]},
            }}]))
        );
    }

    #[test]
    fn calls_and_results_in_history() {
        let messages = vec![
            text(Role::User, "Weather in Paris?"),
            message(
                Role::Assistant,
                vec![
                    Content::Text("Let me look.".to_owned()),
                    tool_call("w", r#"{"city":"Paris"}"#),
                ],
            ),
            message(Role::User, vec![tool_result("21C", false)]),
            text(Role::Assistant, "It is 21C."),
            message(
                Role::User,
                vec![tool_result("down", true), Content::Text("And?".to_owned())],
            ),
        ];
        assert_eq!(
            chat(messages),
            Ok(json!([
                {"role": "system", "content": "S"},
                {"role": "user", "content": "Weather in Paris?"},
                {"role": "assistant", "content": "Let me look.", "tool_calls": [
                    {"id": "<call_1>", "type": "function",
                     "function": {"name": "w", "arguments": "{\"city\":\"Paris\"}"}},
                ]},
                {"role": "tool", "content": "21C", "tool_call_id": "<call_1>"},
                {"role": "assistant", "content": "It is 21C."},
                {"role": "tool", "content": "Error: down", "tool_call_id": "<call_1>"},
                {"role": "user", "content": "And?"},
            ]))
        );
    }

    #[test]
    fn refusals() {
        assert_eq!(
            chat(vec![message(Role::User, vec![testing::image("image/png")])]),
            Err(AdapterError::Unsupported(
                "images are not supported by m".to_owned()
            ))
        );
        assert!(matches!(
            chat(vec![message(Role::User, vec![tool_call("w", "{}")])]),
            Err(AdapterError::InvalidRequest(_))
        ));
        assert!(matches!(
            chat(vec![message(Role::Assistant, vec![tool_call("w", "[]")])]),
            Err(AdapterError::InvalidRequest(_))
        ));
    }

    fn answered(value: Value) -> AnsweredCall {
        serde_json::from_value(value).expect("a call")
    }

    #[test]
    fn calls_read_from_answers() {
        let call = answered(json!({"id": "a1", "type": "function",
                                   "function": {"name": "w", "arguments": "{\"city\": \"Paris\"}"}}));
        assert_eq!(
            answered_call(call),
            Ok(ToolCall {
                id: "a1".to_owned(),
                name: "w".to_owned(),
                input: r#"{"city":"Paris"}"#.to_owned()
            })
        );
        let object =
            answered(json!({"id": "a2", "function": {"name": "w", "arguments": {"x": 1}}}));
        assert_eq!(
            answered_call(object).map(|call| call.input),
            Ok(r#"{"x":1}"#.to_owned())
        );
        let empty = answered(json!({"id": "a3", "function": {"name": "w", "arguments": ""}}));
        assert_eq!(
            answered_call(empty).map(|call| call.input),
            Ok("{}".to_owned())
        );
        for bad in [
            json!({"function": {"name": "w"}}),
            json!({"id": "a", "function": {}}),
            json!({"id": "a", "function": {"name": "w", "arguments": "[1]"}}),
            json!({"id": "a", "function": {"name": "w", "arguments": 3}}),
        ] {
            assert!(
                matches!(
                    answered_call(answered(bad.clone())),
                    Err(AdapterError::MalformedResponse(_))
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn streamed_calls() {
        let calls = StreamedCalls::default();
        let start = |id: &str| {
            Event::ToolCallStart(ToolCallStart {
                id: id.to_owned(),
                name: "w".to_owned(),
            })
        };
        let first = calls.feed(vec![answered(
            json!({"id": "a", "function": {"name": "w", "arguments": "{\"ci"}}),
        )]);
        assert_eq!(
            first,
            Ok(vec![start("a"), Event::ToolCallInput("{\"ci".to_owned())])
        );
        let more = calls.feed(vec![
            answered(json!({"function": {"arguments": "ty\":1}"}})),
            answered(json!({"id": "b", "function": {"name": "w", "arguments": "{}"}})),
        ]);
        assert_eq!(
            more,
            Ok(vec![
                Event::ToolCallInput("ty\":1}".to_owned()),
                Event::ToolCallEnd,
                start("b"),
                Event::ToolCallInput("{}".to_owned()),
            ])
        );
        assert_eq!(calls.close(), Some(Event::ToolCallEnd));
        assert!(matches!(
            calls.feed(vec![answered(json!({"function": {"arguments": "x"}}))]),
            Err(AdapterError::MalformedResponse(_))
        ));
    }
}
