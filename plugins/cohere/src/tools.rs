//! Tools as Command R takes them on Bedrock (AWS, "Cohere Command R and
//! Command R+ models"; Cohere's single-step tool use): `tools` of `{"name",
//! "description", "parameter_definitions": {name: {"description", "type",
//! "required"}}}`; calls `{"name", "parameters"}` in answers, in `CHATBOT`
//! turns of the history and in `tool_results` as `{"call", "outputs"}`.
//!
//! What of a tool's JSON Schema is mapped: an `object` schema's
//! `properties`, each with its `description`, whether `required` lists
//! it, and its type: `string` is `str`, `integer` `int`, `number` `float`,
//! `boolean` `bool`, `object` `Dict` (its own properties are not sent),
//! `array` `List[...]` of its items' type (`List` when it gives none).
//! What is refused (`unsupported`, naming the tool and the parameter): a
//! schema that is not an object's, a property without one type (a list of
//! types, `anyOf`, `oneOf`, `$ref`), or of a type Cohere has not.
//!
//! Command R's calls have no id, and the contract's do: the call at index
//! `i` of an answer is `cohere-call-<i>-<name>`, unique within the answer.
//! A result finds its call by id in the assistant message before it.
//! Invariant: the ids this adapter gives are the ones it reads back, and a
//! call is sent back with the name and parameters the model gave.

use bedrock_adapter_kit::tools;
use bedrock_adapter_kit::types::{AdapterError, Tool, ToolCall, ToolResult, ToolResultPart};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

/// A tool as `tools` lists it.
#[derive(Debug, PartialEq, Serialize)]
pub struct CohereTool {
    name: String,
    description: String,
    parameter_definitions: Map<String, Value>,
}

/// The request's tools in Cohere's form, or the part of a schema that
/// cannot be written in it.
pub fn cohere_tools(tools: &[Tool]) -> Result<Vec<CohereTool>, AdapterError> {
    tools.iter().map(cohere_tool).collect()
}

fn cohere_tool(tool: &Tool) -> Result<CohereTool, AdapterError> {
    let schema = tools::schema(tool)?;
    let refuse = |what: String| {
        AdapterError::Unsupported(format!(
            "tool {}: {what}, which Command R's parameter_definitions cannot express",
            tool.name
        ))
    };
    if let Some(kind) = schema.get("type").filter(|kind| *kind != "object") {
        return Err(refuse(format!("its input schema is of type {kind}")));
    }
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|names| names.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut definitions = Map::new();
    if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
        for (name, property) in properties {
            let kind = cohere_type(property)
                .map_err(|why| refuse(format!("the parameter {name} {why}")))?;
            let mut definition = Map::new();
            if let Some(description) = property.get("description").and_then(Value::as_str) {
                definition.insert("description".to_owned(), json!(description));
            }
            definition.insert("type".to_owned(), json!(kind));
            definition.insert(
                "required".to_owned(),
                json!(required.contains(&name.as_str())),
            );
            definitions.insert(name.clone(), Value::Object(definition));
        }
    }
    Ok(CohereTool {
        name: tool.name.clone(),
        description: tool.description.clone(),
        parameter_definitions: definitions,
    })
}

/// Cohere's name for the type of `property`, or why there is none.
fn cohere_type(property: &Value) -> Result<String, String> {
    for combinator in ["anyOf", "oneOf", "allOf", "$ref"] {
        if property.get(combinator).is_some() {
            return Err(format!("uses {combinator}"));
        }
    }
    match property.get("type") {
        Some(Value::String(kind)) => match kind.as_str() {
            "string" => Ok("str".to_owned()),
            "integer" => Ok("int".to_owned()),
            "number" => Ok("float".to_owned()),
            "boolean" => Ok("bool".to_owned()),
            "object" => Ok("Dict".to_owned()),
            "array" => match property.get("items") {
                Some(items) if items.get("type").is_some() => {
                    Ok(format!("List[{}]", cohere_type(items)?))
                }
                _ => Ok("List".to_owned()),
            },
            other => Err(format!("is of type {other}")),
        },
        Some(other) => Err(format!("has the type {other}, not one type")),
        None => Err("has no type".to_owned()),
    }
}

/// A call as Command R writes it, in answers and in the history.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
pub struct CohereCall {
    /// The tool's name.
    pub name: String,
    /// The arguments, a JSON object.
    #[serde(default)]
    pub parameters: Value,
}

/// The contract's id of the call at `index` of one answer.
pub fn call_id(index: usize, name: &str) -> String {
    format!("cohere-call-{index}-{name}")
}

/// The calls of one answer as the contract carries them; parameters that
/// are not an object are `malformed-response`.
pub fn answered_calls(calls: Vec<CohereCall>) -> Result<Vec<ToolCall>, AdapterError> {
    calls
        .into_iter()
        .enumerate()
        .map(|(index, CohereCall { name, parameters })| {
            if !(parameters.is_object() || parameters.is_null()) {
                return Err(AdapterError::MalformedResponse(format!(
                    "the call of {name} has parameters that are not a JSON object: {parameters}"
                )));
            }
            Ok(tools::call(call_id(index, &name), name, &parameters))
        })
        .collect()
}

/// A call of the history in Cohere's form.
pub fn history_call(call: &ToolCall) -> Result<CohereCall, AdapterError> {
    Ok(CohereCall {
        name: call.name.clone(),
        parameters: tools::input(call)?,
    })
}

/// One entry of `tool_results`: the call answered and what it returned.
#[derive(Debug, PartialEq, Serialize)]
pub struct CohereResult {
    call: CohereCall,
    outputs: Vec<Value>,
}

/// `result` in Cohere's form, its call found among `calls` (those of the
/// assistant message before it) by id. Each part is one output object: a
/// JSON object as it is, other JSON as `{"result": value}`, text as
/// `{"text": ...}`; a failed tool's outputs are one `{"error": text}`.
/// Images are `unsupported` by `model_id`.
pub fn cohere_result(
    result: ToolResult,
    calls: &[ToolCall],
    model_id: &str,
) -> Result<CohereResult, AdapterError> {
    let call = calls
        .iter()
        .find(|call| call.id == result.call_id)
        .ok_or_else(|| {
            AdapterError::InvalidRequest(format!(
                "the tool result for {} answers no call of the message before it",
                result.call_id
            ))
        })?;
    let outputs = if result.is_error {
        vec![json!({"error": tools::result_text(&result.content, model_id)?})]
    } else {
        result
            .content
            .into_iter()
            .map(|part| match part {
                ToolResultPart::Text(text) => Ok(json!({"text": text})),
                ToolResultPart::Json(text) => match serde_json::from_str::<Value>(&text) {
                    Ok(object @ Value::Object(_)) => Ok(object),
                    Ok(value) => Ok(json!({"result": value})),
                    Err(_) => Ok(json!({"text": text})),
                },
                ToolResultPart::Image(_) => Err(AdapterError::Unsupported(format!(
                    "images in tool results are not supported by {model_id}"
                ))),
            })
            .collect::<Result<_, _>>()?
    };
    Ok(CohereResult {
        call: history_call(call)?,
        outputs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tool(schema: Value) -> Tool {
        Tool {
            name: "query_daily_sales_report".to_owned(),
            description: "Sales of one day".to_owned(),
            input_schema: schema.to_string(),
        }
    }

    #[test]
    fn schemas_as_parameter_definitions() {
        // The tool of Cohere's single-step tool use example, from its schema.
        let schema = json!({"type": "object", "properties": {
            "day": {"type": "string", "description": "Date, YYYY-MM-DD"},
            "limit": {"type": "integer"},
            "ratio": {"type": "number"},
            "final": {"type": "boolean"},
            "tags": {"type": "array", "items": {"type": "string"}},
            "any": {"type": "array"},
            "extra": {"type": "object", "properties": {"a": {"type": "string"}}},
        }, "required": ["day"]});
        let tools = cohere_tools(&[tool(schema)]).map(|tools| json!(tools));
        assert_eq!(
            tools,
            Ok(json!([{
                "name": "query_daily_sales_report",
                "description": "Sales of one day",
                "parameter_definitions": {
                    "day": {"description": "Date, YYYY-MM-DD", "type": "str", "required": true},
                    "limit": {"type": "int", "required": false},
                    "ratio": {"type": "float", "required": false},
                    "final": {"type": "bool", "required": false},
                    "tags": {"type": "List[str]", "required": false},
                    "any": {"type": "List", "required": false},
                    "extra": {"type": "Dict", "required": false},
                },
            }]))
        );
    }

    #[test]
    fn what_cannot_be_expressed_is_refused() {
        for (schema, why) in [
            (
                json!({"type": "array"}),
                "its input schema is of type \"array\"",
            ),
            (
                json!({"properties": {"x": {"type": ["string", "null"]}}}),
                "the parameter x has the type",
            ),
            (
                json!({"properties": {"x": {"anyOf": [{"type": "string"}]}}}),
                "the parameter x uses anyOf",
            ),
            (
                json!({"properties": {"x": {}}}),
                "the parameter x has no type",
            ),
            (
                json!({"properties": {"x": {"type": "null"}}}),
                "the parameter x is of type null",
            ),
        ] {
            let refused = cohere_tools(&[tool(schema.clone())]);
            assert!(
                matches!(&refused, Err(AdapterError::Unsupported(m)) if m.starts_with(&format!("tool query_daily_sales_report: {why}"))),
                "{schema}: {refused:?}"
            );
        }
    }

    #[test]
    fn calls_get_ids_by_position() {
        let calls = vec![
            CohereCall {
                name: "a".to_owned(),
                parameters: json!({"day": "2023-09-29"}),
            },
            CohereCall {
                name: "a".to_owned(),
                parameters: Value::Null,
            },
        ];
        let read = answered_calls(calls).expect("calls");
        assert_eq!(read[0].id, "cohere-call-0-a");
        assert_eq!(read[0].input, r#"{"day":"2023-09-29"}"#);
        assert_eq!(
            (read[1].id.as_str(), read[1].input.as_str()),
            ("cohere-call-1-a", "{}")
        );
        let bad = answered_calls(vec![CohereCall {
            name: "a".to_owned(),
            parameters: json!([1]),
        }]);
        assert!(matches!(bad, Err(AdapterError::MalformedResponse(_))));
    }

    #[test]
    fn results_with_their_calls() {
        let call = ToolCall {
            id: "toolu_1".to_owned(),
            name: "a".to_owned(),
            input: r#"{"day":"2023-09-29"}"#.to_owned(),
        };
        let result = |content, is_error| ToolResult {
            call_id: "toolu_1".to_owned(),
            content,
            is_error,
        };
        let ok = cohere_result(
            result(
                vec![
                    ToolResultPart::Json(r#"{"total_sales_amount":10000}"#.to_owned()),
                    ToolResultPart::Json("[1,2]".to_owned()),
                    ToolResultPart::Text("done".to_owned()),
                ],
                false,
            ),
            std::slice::from_ref(&call),
            "m",
        );
        assert_eq!(
            ok.map(|result| json!(result)),
            Ok(json!({
                "call": {"name": "a", "parameters": {"day": "2023-09-29"}},
                "outputs": [{"total_sales_amount": 10000}, {"result": [1, 2]}, {"text": "done"}],
            }))
        );
        let failed = cohere_result(
            result(vec![ToolResultPart::Text("down".to_owned())], true),
            std::slice::from_ref(&call),
            "m",
        );
        assert_eq!(
            failed.map(|result| json!(result)["outputs"].clone()),
            Ok(json!([{"error": "down"}]))
        );
        let orphan = cohere_result(result(Vec::new(), false), &[], "m");
        assert!(matches!(orphan, Err(AdapterError::InvalidRequest(_))));
    }
}
