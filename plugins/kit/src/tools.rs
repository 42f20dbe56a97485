//! Tools as families write them: a tool's input schema and a call's input
//! as JSON values (they cross the boundary as JSON text), a tool result as
//! the text a family that takes only text results sends, and a call read
//! from a body turned back into the contract's JSON text.
//!
//! Invariants: a schema and a call's input are JSON objects or the request
//! is `invalid-request` naming the tool; an empty input is `{}`; a call
//! read from a model's answer always has object JSON text as its input
//! (`{}` when the model sent none), as the contract requires.

use serde_json::{Map, Value};

use crate::types::{AdapterError, Tool, ToolCall, ToolResultPart};

/// The JSON Schema of `tool`'s input, as a JSON object.
///
/// ```
/// use bedrock_adapter_kit::tools;
/// use bedrock_adapter_kit::types::Tool;
///
/// let tool = Tool {
///     name: "get_weather".to_owned(),
///     description: "The weather in a city".to_owned(),
///     input_schema: r#"{"type":"object","properties":{"city":{"type":"string"}}}"#.to_owned(),
/// };
/// assert_eq!(tools::schema(&tool)?["type"], "object");
/// # Ok::<(), bedrock_adapter_kit::types::AdapterError>(())
/// ```
pub fn schema(tool: &Tool) -> Result<Value, AdapterError> {
    object(&tool.input_schema).map_err(|why| {
        AdapterError::InvalidRequest(format!("tool {}: its input schema {why}", tool.name))
    })
}

/// The input of `call` as a JSON object (`{}` for empty text).
pub fn input(call: &ToolCall) -> Result<Value, AdapterError> {
    object(&call.input).map_err(|why| {
        AdapterError::InvalidRequest(format!(
            "the call {} of tool {}: its input {why}",
            call.id, call.name
        ))
    })
}

/// `text` parsed as a JSON object; empty text is `{}`.
fn object(text: &str) -> Result<Value, String> {
    if text.trim().is_empty() {
        return Ok(Value::Object(Map::new()));
    }
    match serde_json::from_str::<Value>(text) {
        Ok(value) if value.is_object() => Ok(value),
        Ok(value) => Err(format!("is not a JSON object: {value}")),
        Err(err) => Err(format!("is not JSON: {err}")),
    }
}

/// A call the model made, as the contract carries it: `input` written as
/// JSON text; `null` (no input) is `{}`.
pub fn call(id: String, name: String, input: &Value) -> ToolCall {
    let input = match input {
        Value::Null => "{}".to_owned(),
        value => value.to_string(),
    };
    ToolCall { id, name, input }
}

/// The text of a tool result for a family that takes results as text: text
/// and JSON parts joined in order (JSON as its text); an image is refused
/// as `unsupported`, naming `model_id`.
pub fn result_text(parts: &[ToolResultPart], model_id: &str) -> Result<String, AdapterError> {
    let mut text = String::new();
    for part in parts {
        match part {
            ToolResultPart::Text(part) | ToolResultPart::Json(part) => text.push_str(part),
            ToolResultPart::Image(_) => {
                return Err(AdapterError::Unsupported(format!(
                    "images in tool results are not supported by {model_id}"
                )));
            }
        }
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Image;
    use serde_json::json;

    fn tool(schema: &str) -> Tool {
        Tool {
            name: "f".to_owned(),
            description: String::new(),
            input_schema: schema.to_owned(),
        }
    }

    #[test]
    fn schemas_are_objects() {
        assert_eq!(
            schema(&tool(r#"{"type":"object"}"#)),
            Ok(json!({"type": "object"}))
        );
        assert_eq!(schema(&tool("")), Ok(json!({})));
        let refused = |text| match schema(&tool(text)) {
            Err(AdapterError::InvalidRequest(why)) => why,
            other => panic!("not refused: {other:?}"),
        };
        assert_eq!(
            refused("[1]"),
            "tool f: its input schema is not a JSON object: [1]"
        );
        assert!(refused("{").starts_with("tool f: its input schema is not JSON: "));
    }

    #[test]
    fn inputs_go_both_ways() {
        let made = call("t1".to_owned(), "f".to_owned(), &json!({"a": 1}));
        assert_eq!(made.input, r#"{"a":1}"#);
        assert_eq!(input(&made), Ok(json!({"a": 1})));
        assert_eq!(
            call("t".to_owned(), "f".to_owned(), &Value::Null).input,
            "{}"
        );
        let bad = ToolCall {
            input: "3".to_owned(),
            ..made
        };
        assert!(
            matches!(input(&bad), Err(AdapterError::InvalidRequest(why)) if why.starts_with("the call t1 of tool f"))
        );
    }

    #[test]
    fn results_as_text() {
        let parts = [
            ToolResultPart::Text("It is ".to_owned()),
            ToolResultPart::Json(r#"{"c":21}"#.to_owned()),
        ];
        assert_eq!(result_text(&parts, "m"), Ok(r#"It is {"c":21}"#.to_owned()));
        let image = ToolResultPart::Image(Image {
            media_type: "image/png".to_owned(),
            data: Vec::new(),
        });
        assert_eq!(
            result_text(&[image], "m"),
            Err(AdapterError::Unsupported(
                "images in tool results are not supported by m".to_owned()
            ))
        );
    }
}
