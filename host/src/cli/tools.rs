//! `invoke --tools FILE`, `--tool-choice` and `--tool-result`: reading tool
//! definitions in the shapes people already have, and the answers a user
//! gives to a model's tool calls.
//!
//! Invariants: every tool read has a valid, unique name (Bedrock's rule:
//! 1 to 64 of `a-z A-Z 0-9 _ -`) and an input schema that is a JSON object;
//! a named tool choice names one of the tools; a tool result answers a
//! tool call of the conversation's last assistant message, each call at
//! most once, and every call of that message is answered.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::plugin::{Tool, ToolCall, ToolChoice, ToolResult, ToolResultPart};

/// Why tool definitions, a tool choice or a tool result are refused.
#[derive(Debug, thiserror::Error)]
pub enum ToolsError {
    /// A file cannot be read.
    #[error("cannot read {}: {source}", path.display())]
    Unreadable {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The tools file is not JSON.
    #[error("{} is not JSON: {source}", path.display())]
    NotJson {
        path: PathBuf,
        source: serde_json::Error,
    },
    /// The tools file holds something other than tool definitions.
    #[error("{}: {what}", path.display())]
    Shape { path: PathBuf, what: String },
    /// `--tool-choice` without `--tools`, or naming no tool.
    #[error("{0}")]
    Choice(String),
    /// A `--tool-result` or `--tool-error` is not `ID=VALUE`, or answers no call.
    #[error("{0}")]
    Result(String),
}

/// Reads the tool definitions of `path`: a JSON array (or an object with a
/// `tools` array) whose items are any of
/// - `{"name", "description", "input_schema"}` (Anthropic's shape; the
///   schema may also be `inputSchema` or `parameters`),
/// - `{"toolSpec": {"name", "description", "inputSchema": {"json": ...}}}`
///   (the Converse API's and Nova's shape),
/// - `{"type": "function", "function": {"name", "description", "parameters"}}`
///   (OpenAI's shape).
///
/// A missing description is empty; a missing schema takes no input.
pub fn read_tools(path: &Path) -> Result<Vec<Tool>, ToolsError> {
    let text = std::fs::read_to_string(path).map_err(|source| ToolsError::Unreadable {
        path: path.to_owned(),
        source,
    })?;
    let value: Value = serde_json::from_str(&text).map_err(|source| ToolsError::NotJson {
        path: path.to_owned(),
        source,
    })?;
    parse_tools(&value).map_err(|what| ToolsError::Shape {
        path: path.to_owned(),
        what,
    })
}

/// The tools of a parsed tools file; the error says which item is wrong.
pub fn parse_tools(value: &Value) -> Result<Vec<Tool>, String> {
    let items = match value {
        Value::Array(items) => items,
        Value::Object(object) => match object.get("tools") {
            Some(Value::Array(items)) => items,
            _ => {
                return Err("expected an array of tools, or an object with a `tools` array".into());
            }
        },
        _ => return Err("expected an array of tools".into()),
    };
    let mut tools: Vec<Tool> = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        let tool = parse_tool(item).map_err(|what| format!("tool {}: {what}", index + 1))?;
        if tools.iter().any(|t| t.name == tool.name) {
            return Err(format!(
                "tool {}: the name `{}` is given twice",
                index + 1,
                tool.name
            ));
        }
        tools.push(tool);
    }
    Ok(tools)
}

fn parse_tool(item: &Value) -> Result<Tool, String> {
    let definition = if let Some(spec) = item.get("toolSpec") {
        spec
    } else if item.get("type").and_then(Value::as_str) == Some("function") {
        item.get("function")
            .ok_or("a `\"type\": \"function\"` tool without `function`")?
    } else {
        item
    };
    let name = definition
        .get("name")
        .and_then(Value::as_str)
        .ok_or("no `name` string")?;
    check_name(name)?;
    let description = match definition.get("description") {
        None | Some(Value::Null) => "",
        Some(Value::String(text)) => text,
        Some(_) => return Err(format!("`{name}`: `description` is not a string")),
    };
    let schema = ["input_schema", "inputSchema", "parameters"]
        .iter()
        .find_map(|key| definition.get(*key));
    let schema = match schema {
        // The Converse shape wraps the schema: {"json": {...}}.
        Some(Value::Object(wrapper)) if wrapper.len() == 1 && wrapper.contains_key("json") => {
            &wrapper["json"]
        }
        Some(schema) => schema,
        None => &serde_json::json!({"type": "object", "properties": {}}),
    };
    if !schema.is_object() {
        return Err(format!("`{name}`: the input schema is not a JSON object"));
    }
    Ok(Tool {
        name: name.to_owned(),
        description: description.to_owned(),
        input_schema: schema.to_string(),
    })
}

/// Bedrock's rule for tool names: 1 to 64 of `a-z A-Z 0-9 _ -`.
fn check_name(name: &str) -> Result<(), String> {
    let valid = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if valid {
        Ok(())
    } else {
        Err(format!(
            "the name {name:?} is not 1 to 64 letters, digits, `_` or `-`"
        ))
    }
}

/// `--tool-choice auto|any|none|NAME`, checked against the tools given.
pub fn tool_choice(choice: Option<&str>, tools: &[Tool]) -> Result<Option<ToolChoice>, ToolsError> {
    let Some(choice) = choice else {
        return Ok(None);
    };
    if tools.is_empty() {
        return Err(ToolsError::Choice(
            "--tool-choice needs --tools FILE".into(),
        ));
    }
    Ok(Some(match choice {
        "auto" => ToolChoice::Auto,
        "any" => ToolChoice::Any,
        "none" => ToolChoice::None,
        name if tools.iter().any(|t| t.name == name) => ToolChoice::Named(name.to_owned()),
        name => {
            let names: Vec<&str> = tools.iter().map(|t| t.name.as_str()).collect();
            return Err(ToolsError::Choice(format!(
                "--tool-choice `{name}` is not auto, any, none or one of the tools ({})",
                names.join(", ")
            )));
        }
    }))
}

/// One `--tool-result ID=VALUE` or `--tool-error ID=VALUE` as given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolAnswer {
    /// The tool call it answers.
    pub call_id: String,
    /// The value: JSON or text, or `@FILE` to read it from a file.
    pub value: String,
    /// Given as `--tool-error`: the tool failed.
    pub is_error: bool,
}

/// Clap's parser for `--tool-result ID=VALUE`.
pub fn parse_tool_result(text: &str) -> Result<ToolAnswer, String> {
    parse_answer(text, false)
}

/// Clap's parser for `--tool-error ID=VALUE`.
pub fn parse_tool_error(text: &str) -> Result<ToolAnswer, String> {
    parse_answer(text, true)
}

fn parse_answer(text: &str, is_error: bool) -> Result<ToolAnswer, String> {
    let (id, value) = text
        .split_once('=')
        .ok_or_else(|| format!("`{text}` is not ID=VALUE"))?;
    if id.is_empty() {
        return Err(format!("`{text}` has an empty tool call id"));
    }
    Ok(ToolAnswer {
        call_id: id.to_owned(),
        value: value.to_owned(),
        is_error,
    })
}

/// The tool results answering `calls` (the tool calls of the last
/// assistant message), in the order of the calls.
///
/// A value is read from the file it names with `@FILE`. JSON that is a
/// string becomes text; other JSON stays JSON; anything else is text.
pub fn tool_results(
    answers: &[ToolAnswer],
    calls: &[ToolCall],
) -> Result<Vec<ToolResult>, ToolsError> {
    if answers.is_empty() {
        return Ok(Vec::new());
    }
    let known: Vec<&str> = calls.iter().map(|c| c.id.as_str()).collect();
    if known.is_empty() {
        return Err(ToolsError::Result(
            "--tool-result answers a tool call, and the conversation's last answer has none".into(),
        ));
    }
    for (index, answer) in answers.iter().enumerate() {
        if !known.contains(&answer.call_id.as_str()) {
            return Err(ToolsError::Result(format!(
                "no tool call `{}` in the last answer (its calls: {})",
                answer.call_id,
                known.join(", ")
            )));
        }
        if answers[..index].iter().any(|a| a.call_id == answer.call_id) {
            return Err(ToolsError::Result(format!(
                "tool call `{}` is answered twice",
                answer.call_id
            )));
        }
    }
    let mut results = Vec::with_capacity(calls.len());
    for call in calls {
        let Some(answer) = answers.iter().find(|a| a.call_id == call.id) else {
            return Err(ToolsError::Result(format!(
                "tool call `{}` ({}) has no --tool-result or --tool-error: every call of the last answer needs one",
                call.id, call.name
            )));
        };
        let value = match answer.value.strip_prefix('@') {
            Some(file) => {
                std::fs::read_to_string(file).map_err(|source| ToolsError::Unreadable {
                    path: PathBuf::from(file),
                    source,
                })?
            }
            None => answer.value.clone(),
        };
        results.push(ToolResult {
            call_id: call.id.clone(),
            content: vec![result_part(&value)],
            is_error: answer.is_error,
        });
    }
    Ok(results)
}

/// JSON that is a string becomes its text; other JSON stays JSON (compact);
/// anything else is text as given.
fn result_part(value: &str) -> ToolResultPart {
    match serde_json::from_str::<Value>(value) {
        Ok(Value::String(text)) => ToolResultPart::Text(text),
        Ok(json) => ToolResultPart::Json(json.to_string()),
        Err(_) => ToolResultPart::Text(value.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn call(id: &str, name: &str) -> ToolCall {
        ToolCall {
            id: id.into(),
            name: name.into(),
            input: "{}".into(),
        }
    }

    #[test]
    fn the_three_shapes_of_tool_definitions_read_the_same() {
        let schema = json!({"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]});
        let anthropic =
            json!([{"name": "get_weather", "description": "Weather", "input_schema": schema}]);
        let converse = json!({"tools": [{"toolSpec": {"name": "get_weather", "description": "Weather", "inputSchema": {"json": schema}}}]});
        let openai = json!([{"type": "function", "function": {"name": "get_weather", "description": "Weather", "parameters": schema}}]);
        for file in [anthropic, converse, openai] {
            let tools = parse_tools(&file).expect("tools");
            assert_eq!(tools.len(), 1, "{file}");
            assert_eq!(tools[0].name, "get_weather");
            assert_eq!(tools[0].description, "Weather");
            assert_eq!(
                serde_json::from_str::<Value>(&tools[0].input_schema).unwrap(),
                schema
            );
        }
    }

    #[test]
    fn a_tool_without_schema_takes_no_input_and_bad_tools_are_named() {
        let tools = parse_tools(&json!([{"name": "now"}])).expect("tools");
        assert_eq!(
            tools[0].input_schema,
            r#"{"properties":{},"type":"object"}"#
        );
        let error = parse_tools(&json!([{"name": "a"}, {"name": "bad name"}])).unwrap_err();
        assert!(
            error.starts_with("tool 2:") && error.contains("bad name"),
            "{error}"
        );
        let error = parse_tools(&json!([{"name": "a"}, {"name": "a"}])).unwrap_err();
        assert!(error.contains("given twice"), "{error}");
        let error = parse_tools(&json!([{"name": "a", "input_schema": "{}"}])).unwrap_err();
        assert!(error.contains("not a JSON object"), "{error}");
        assert!(parse_tools(&json!({"name": "a"})).is_err());
    }

    #[test]
    fn a_named_choice_must_name_a_tool() {
        let tools = parse_tools(&json!([{"name": "get_weather"}])).expect("tools");
        assert!(matches!(
            tool_choice(Some("any"), &tools),
            Ok(Some(ToolChoice::Any))
        ));
        assert!(matches!(
            tool_choice(Some("none"), &tools),
            Ok(Some(ToolChoice::None))
        ));
        assert!(matches!(
            tool_choice(Some("get_weather"), &tools),
            Ok(Some(ToolChoice::Named(name))) if name == "get_weather"
        ));
        let error = tool_choice(Some("get_time"), &tools)
            .unwrap_err()
            .to_string();
        assert!(error.contains("get_weather"), "{error}");
        assert!(tool_choice(Some("auto"), &[]).is_err());
        assert!(matches!(tool_choice(None, &[]), Ok(None)));
    }

    #[test]
    fn tool_results_answer_every_call_once_in_call_order() {
        let calls = [call("t1", "a"), call("t2", "b")];
        let answers = [
            parse_tool_error("t2=\"disk full\"").unwrap(),
            parse_tool_result(r#"t1={"temp": 21}"#).unwrap(),
        ];
        let results = tool_results(&answers, &calls).expect("results");
        assert_eq!(results[0].call_id, "t1");
        assert!(!results[0].is_error);
        assert!(matches!(&results[0].content[0], ToolResultPart::Json(j) if j == r#"{"temp":21}"#));
        assert_eq!(results[1].call_id, "t2");
        assert!(results[1].is_error);
        assert!(matches!(&results[1].content[0], ToolResultPart::Text(t) if t == "disk full"));

        let missing = tool_results(&answers[1..], &calls).unwrap_err().to_string();
        assert!(missing.contains("`t2`"), "{missing}");
        let unknown = tool_results(&[parse_tool_result("t9=1").unwrap()], &calls)
            .unwrap_err()
            .to_string();
        assert!(
            unknown.contains("t9") && unknown.contains("t1, t2"),
            "{unknown}"
        );
        let twice = [answers[0].clone(), answers[0].clone(), answers[1].clone()];
        assert!(tool_results(&twice, &calls).is_err());
        assert!(tool_results(&answers, &[]).is_err());
        assert!(parse_tool_result("no-equals").is_err());
        assert!(parse_tool_result("=1").is_err());
    }

    #[test]
    fn plain_text_results_stay_text() {
        let results = tool_results(
            &[parse_tool_result("t1=sunny, 21 C").unwrap()],
            &[call("t1", "a")],
        )
        .unwrap();
        assert!(matches!(&results[0].content[0], ToolResultPart::Text(t) if t == "sunny, 21 C"));
    }
}
