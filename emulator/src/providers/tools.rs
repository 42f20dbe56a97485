//! The emulator's one rule for answering with a tool call, the same in every family that takes
//! tools. Invariant: the choice is a pure function of the request, so the same request always
//! calls the same tool with the same input.
//!
//! The rule: when tools are given and the tool choice is not `none`,
//! - a choice that names a tool calls that tool;
//! - otherwise the first tool (in definition order) whose exact name appears as a whole word
//!   (bounded by characters that cannot be part of a tool name) in the text of the last user
//!   message is called;
//! - otherwise a choice of "any tool" (`any`, Mistral's `required`) calls the first tool;
//! - otherwise (`auto`) the model answers with text.
//!
//! The input of the call is an object with exactly the schema's `required` properties, each with
//! a simple value of its declared type: a string is its `enum`'s first value or `"example"`, an
//! integer or number `1`, a boolean `true`, an array `[]`, an object the same rule applied to its
//! own schema, anything else `null`.

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// The string value of a required string property without an `enum`.
const EXAMPLE_STRING: &str = "example";

/// A tool the request defines, as every family's definitions reduce to.
#[derive(Debug, Clone)]
pub(crate) struct ToolDefinition {
    /// The tool's name.
    pub name: String,
    /// The JSON Schema of its input (an empty object when the family allows none).
    pub input_schema: Value,
}

/// What the request lets or makes the model do with its tools.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ToolChoice {
    /// The model decides (the default).
    Auto,
    /// The model must call some tool.
    Any,
    /// The model must not call a tool.
    None,
    /// The model must call this tool.
    Named(String),
}

/// A call the model answers with.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ToolCall {
    /// The called tool's name.
    pub name: String,
    /// The call's input, an object.
    pub input: Value,
}

/// The call the model makes, if any, under the rule of this module's doc.
pub(crate) fn chosen_call(
    tools: &[ToolDefinition],
    choice: &ToolChoice,
    last_user_text: &str,
) -> Option<ToolCall> {
    let tool = match choice {
        ToolChoice::None => None,
        ToolChoice::Named(name) => tools.iter().find(|tool| &tool.name == name),
        ToolChoice::Auto => tools
            .iter()
            .find(|tool| names_tool(last_user_text, &tool.name)),
        ToolChoice::Any => tools
            .iter()
            .find(|tool| names_tool(last_user_text, &tool.name))
            .or_else(|| tools.first()),
    }?;
    Some(ToolCall {
        name: tool.name.clone(),
        input: example_value(&tool.input_schema),
    })
}

/// Whether `name` appears in `text` as a whole word.
fn names_tool(text: &str, name: &str) -> bool {
    if name.is_empty() {
        return false;
    }
    let is_name_char = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    text.match_indices(name).any(|(start, _)| {
        let before = text[..start].chars().next_back();
        let after = text[start + name.len()..].chars().next();
        !before.is_some_and(is_name_char) && !after.is_some_and(is_name_char)
    })
}

/// A simple value satisfying `schema`'s type, and for an object its required properties.
fn example_value(schema: &Value) -> Value {
    if let Some(first) = schema
        .get("enum")
        .and_then(Value::as_array)
        .and_then(|values| values.first())
    {
        return first.clone();
    }
    let declared = match schema.get("type") {
        Some(Value::String(kind)) => Some(kind.as_str()),
        Some(Value::Array(kinds)) => kinds.iter().filter_map(Value::as_str).next(),
        _ => None,
    };
    match declared {
        Some("string") => Value::String(EXAMPLE_STRING.to_owned()),
        Some("integer" | "number") => Value::from(1),
        Some("boolean") => Value::Bool(true),
        Some("array") => Value::Array(Vec::new()),
        Some("object") => Value::Object(required_properties(schema)),
        None if schema.get("properties").is_some() => Value::Object(required_properties(schema)),
        _ => Value::Null,
    }
}

/// The object with `schema`'s required properties, each an [`example_value`].
fn required_properties(schema: &Value) -> Map<String, Value> {
    let properties = schema.get("properties");
    schema
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(|name| {
            let property = properties
                .and_then(|properties| properties.get(name))
                .unwrap_or(&Value::Null);
            (name.to_owned(), example_value(property))
        })
        .collect()
}

/// A deterministic id for the call, `prefix` followed by `length` alphanumerics derived from
/// `seed` (the request's prompt and the call).
pub(crate) fn call_id(prefix: &str, length: usize, seed: &str) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let digest = Sha256::digest(seed.as_bytes());
    let suffix: String = digest
        .iter()
        .cycle()
        .take(length)
        .map(|byte| char::from(ALPHABET[usize::from(*byte) % ALPHABET.len()]))
        .collect();
    format!("{prefix}{suffix}")
}

/// A deterministic UUID-shaped id (8-4-4-4-12 hex digits) derived from `seed`, the form Nova's
/// `toolUseId` takes in the recordings.
pub(crate) fn uuid_like_id(seed: &str) -> String {
    let digest = Sha256::digest(seed.as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Uuid::from_bytes(bytes).hyphenated().to_string()
}

/// `json` cut into fragments of at most `width` characters, in order; concatenated they are
/// `json` again. The first fragment is empty, as Claude's first `input_json_delta` is.
pub(crate) fn json_fragments(json: &str, width: usize) -> Vec<String> {
    let mut fragments = vec![String::new()];
    let characters: Vec<char> = json.chars().collect();
    fragments.extend(
        characters
            .chunks(width.max(1))
            .map(|chunk| chunk.iter().collect::<String>()),
    );
    fragments
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn weather() -> ToolDefinition {
        ToolDefinition {
            name: "get_weather".to_owned(),
            input_schema: json!({
                "type": "object",
                "properties": {
                    "city": {"type": "string"},
                    "days": {"type": "integer"},
                    "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                    "where": {"type": "object", "properties": {"lat": {"type": "number"}}, "required": ["lat"]},
                    "note": {"type": "string"}
                },
                "required": ["city", "days", "unit", "where"]
            }),
        }
    }

    fn clock() -> ToolDefinition {
        ToolDefinition {
            name: "clock".to_owned(),
            input_schema: json!({"type": "object", "properties": {}}),
        }
    }

    #[test]
    fn a_tool_named_in_the_text_is_called_with_its_required_properties() {
        let call = chosen_call(
            &[clock(), weather()],
            &ToolChoice::Auto,
            "Use get_weather for Paris.",
        )
        .expect("a call");
        assert_eq!(call.name, "get_weather");
        assert_eq!(
            call.input,
            json!({"city": "example", "days": 1, "unit": "celsius", "where": {"lat": 1}})
        );
    }

    #[test]
    fn a_name_inside_a_longer_word_or_no_name_gives_no_call() {
        let tools = [weather()];
        assert_eq!(
            chosen_call(&tools, &ToolChoice::Auto, "get_weather_now"),
            None
        );
        assert_eq!(chosen_call(&tools, &ToolChoice::Auto, "hello"), None);
        assert_eq!(chosen_call(&tools, &ToolChoice::None, "get_weather"), None);
    }

    #[test]
    fn forced_choices_call_a_tool_whatever_the_text() {
        let tools = [clock(), weather()];
        let any = chosen_call(&tools, &ToolChoice::Any, "hello").expect("a call");
        assert_eq!((any.name.as_str(), any.input), ("clock", json!({})));
        let named =
            chosen_call(&tools, &ToolChoice::Named("get_weather".into()), "clock").expect("a call");
        assert_eq!(named.name, "get_weather");
    }

    #[test]
    fn ids_are_deterministic_and_fragments_rebuild_the_json() {
        assert_eq!(
            call_id("toolu_bdrk_", 24, "a"),
            call_id("toolu_bdrk_", 24, "a")
        );
        assert_ne!(
            call_id("toolu_bdrk_", 24, "a"),
            call_id("toolu_bdrk_", 24, "b")
        );
        assert_eq!(call_id("toolu_bdrk_", 24, "a").len(), 35);
        assert_eq!(uuid_like_id("a").len(), 36);
        let fragments = json_fragments(r#"{"city":"example"}"#, 5);
        assert_eq!(fragments[0], "");
        assert_eq!(fragments.concat(), r#"{"city":"example"}"#);
    }
}
