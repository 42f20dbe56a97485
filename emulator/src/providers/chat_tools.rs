//! Function tools in the OpenAI-like chat bodies Mistral's chat completion and AI21's Jamba take
//! on Bedrock (AWS's Mistral chat completion and Jamba parameter pages): `tools` of
//! `{"type": "function", "function": {"name", "description", "parameters"}}`, assistant turns
//! with `tool_calls` of `{"id", "function": {"name", "arguments"}}` (arguments a JSON string),
//! and `tool` turns answering one call each by `tool_call_id`. Invariant: a body that passes
//! [`check_tool_turns`] answers, in each run of `tool` turns, only calls the assistant turn just
//! before made, and all of them.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::api_error::ApiError;
use crate::providers::schema::{self, Violations};
use crate::providers::tools::ToolDefinition;

/// Reads `#/tools`, reporting every malformed definition.
pub(crate) fn function_tools(
    object: &Map<String, Value>,
    violations: &mut Violations,
) -> Vec<ToolDefinition> {
    let Some(tools) = object.get("tools") else {
        return Vec::new();
    };
    let Some(tools) = tools.as_array() else {
        violations.wrong_type("#/tools", "JSONArray", tools);
        return Vec::new();
    };
    let mut definitions = Vec::new();
    for (index, tool) in tools.iter().enumerate() {
        let path = format!("#/tools/{index}");
        let Some(tool) = schema::as_object(tool, &path, violations) else {
            continue;
        };
        schema::reject_unknown_keys(tool, &path, &["type", "function"], violations);
        schema::optional_enum(tool, &path, "type", &["function"], violations);
        let Some(function) = tool.get("function") else {
            violations.required_key(&path, "function");
            continue;
        };
        let function_path = format!("{path}/function");
        let Some(function) = schema::as_object(function, &function_path, violations) else {
            continue;
        };
        schema::reject_unknown_keys(
            function,
            &function_path,
            &["name", "description", "parameters"],
            violations,
        );
        let name = schema::required_string(function, &function_path, "name", violations);
        schema::optional_string(function, &function_path, "description", violations);
        let parameters =
            schema::optional_object(function, &function_path, "parameters", violations);
        if let Some(name) = name {
            definitions.push(ToolDefinition {
                name: name.to_owned(),
                input_schema: parameters.cloned().map_or(Value::Null, Value::Object),
            });
        }
    }
    definitions
}

/// Checks the `tool_calls` of an assistant turn at `path` (each an object with an `id` and a
/// `function` naming the tool, its `arguments` a string); the ids.
pub(crate) fn tool_calls_of(
    message: &Map<String, Value>,
    path: &str,
    violations: &mut Violations,
) -> Vec<String> {
    let Some(calls) = message.get("tool_calls") else {
        return Vec::new();
    };
    let calls_path = format!("{path}/tool_calls");
    let Some(calls) = calls.as_array() else {
        violations.wrong_type(&calls_path, "JSONArray", calls);
        return Vec::new();
    };
    let mut ids = Vec::new();
    for (index, call) in calls.iter().enumerate() {
        let call_path = format!("{calls_path}/{index}");
        let Some(call) = schema::as_object(call, &call_path, violations) else {
            continue;
        };
        if let Some(id) = schema::required_string(call, &call_path, "id", violations) {
            ids.push(id.to_owned());
        }
        match schema::optional_object(call, &call_path, "function", violations) {
            Some(function) => {
                let function_path = format!("{call_path}/function");
                schema::required_string(function, &function_path, "name", violations);
                schema::required_string(function, &function_path, "arguments", violations);
            }
            None if !call.contains_key("function") => {
                violations.required_key(&call_path, "function");
            }
            None => {}
        }
    }
    ids
}

/// One chat turn as the tool checks see it.
pub(crate) enum ToolTurn {
    /// An assistant turn and the ids of the calls it made.
    Calls(Vec<String>),
    /// A `tool` turn and the call it answers.
    Answer(String),
    /// Any other turn.
    Other,
}

/// Checks that each run of `tool` turns answers exactly the calls of the assistant turn before
/// it, in Mistral's wording.
pub(crate) fn check_tool_turns(turns: &[ToolTurn]) -> Result<(), ApiError> {
    let mut expected: Vec<String> = Vec::new();
    let mut answered: Vec<String> = Vec::new();
    let unanswered = |expected: &[String], answered: &[String]| {
        !expected.is_empty() && expected.len() != answered.len()
    };
    for turn in turns {
        match turn {
            ToolTurn::Answer(id) => {
                if !expected.contains(id) || answered.contains(id) {
                    return Err(ApiError::validation(format!(
                        "Unexpected tool call id {id} in tool results: it answers no tool call \
                         of the previous assistant message."
                    )));
                }
                answered.push(id.clone());
            }
            ToolTurn::Calls(ids) => {
                if unanswered(&expected, &answered) {
                    return Err(not_paired());
                }
                expected.clone_from(ids);
                answered.clear();
            }
            ToolTurn::Other => {
                if unanswered(&expected, &answered) {
                    return Err(not_paired());
                }
                expected.clear();
                answered.clear();
            }
        }
    }
    Ok(())
}

/// Mistral's message when calls and results do not pair up.
fn not_paired() -> ApiError {
    ApiError::validation("Not the same number of function calls and responses")
}

/// A tool call in an answer: `{"id", "type": "function", "function": {"name", "arguments"}}`.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct FunctionCall {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub function: FunctionCallBody,
}

/// The called function and its arguments, a JSON string.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct FunctionCallBody {
    pub name: String,
    pub arguments: String,
}

impl FunctionCall {
    /// A call of `name` with `input`, under `id`.
    pub fn new(id: String, name: String, input: &Value) -> Self {
        Self {
            id,
            kind: "function",
            function: FunctionCallBody {
                name,
                arguments: input.to_string(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn calls(ids: &[&str]) -> ToolTurn {
        ToolTurn::Calls(ids.iter().map(|id| (*id).to_owned()).collect())
    }

    fn answer(id: &str) -> ToolTurn {
        ToolTurn::Answer(id.to_owned())
    }

    #[test]
    fn results_must_answer_the_previous_calls() {
        assert!(
            check_tool_turns(&[
                ToolTurn::Other,
                calls(&["a", "b"]),
                answer("a"),
                answer("b")
            ])
            .is_ok()
        );
        assert!(check_tool_turns(&[calls(&["a"]), answer("b")]).is_err());
        assert!(check_tool_turns(&[answer("a")]).is_err());
        assert_eq!(
            check_tool_turns(&[calls(&["a", "b"]), answer("a"), ToolTurn::Other])
                .err()
                .map(|error| error.message().to_owned()),
            Some("Not the same number of function calls and responses".to_owned())
        );
    }
}
