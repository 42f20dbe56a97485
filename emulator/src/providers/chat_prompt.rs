//! The prompt of an OpenAI-like chat body's `messages`, as Mistral's chat completion and the
//! OpenAI models take it on Bedrock: each message an object with a `role` among the provider's
//! roles and a `content` that is a string, an array of parts, null or absent; assistant turns
//! may carry `tool_calls` and `tool` turns a `tool_call_id` (see [`crate::providers::chat_tools`]).
//! Invariant: every malformed message is reported to the caller's [`Violations`] with its path,
//! and the prompt read is what the generator and the tool rule need, in the order of the turns.

use serde_json::{Map, Value};

use crate::providers::chat_tools::{self, ToolTurn};
use crate::providers::count_words;
use crate::providers::schema::{self, Violations};
use crate::providers::tools::ToolDefinition;

/// What a reply is generated from: the whole prompt and the user's last words.
pub(crate) struct ChatPrompt {
    /// Every turn as `role: content` lines: the generator's seed.
    pub(crate) seed: String,
    /// The last user or tool turn, restated first.
    pub(crate) user: String,
    /// The last turn when it is the user's, where a tool may be named.
    pub(crate) words: String,
    /// Every turn as the tool checks see it.
    pub(crate) tool_turns: Vec<ToolTurn>,
}

/// How a provider reads a `content` array.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Parts {
    /// Every part must be `{"type": "text", "text"}` (the model takes text only).
    TextOnly,
    /// The text of the parts that have one; other parts (images) are passed over.
    TextOfAny,
}

/// Reads `#/messages` (at least one) into a prompt, with roles among `roles`.
pub(crate) fn read(
    object: &Map<String, Value>,
    roles: &[&str],
    parts: Parts,
    violations: &mut Violations,
) -> Option<ChatPrompt> {
    let messages = schema::required_array(object, "#", "messages", 1, violations)?;
    let mut prompt = ChatPrompt {
        seed: String::new(),
        user: String::new(),
        words: String::new(),
        tool_turns: Vec::new(),
    };
    for (index, message) in messages.iter().enumerate() {
        let path = format!("#/messages/{index}");
        let Some(message) = schema::as_object(message, &path, violations) else {
            continue;
        };
        if !message.contains_key("role") {
            violations.required_key(&path, "role");
        }
        let role = schema::optional_enum(message, &path, "role", roles, violations);
        let content = match message.get("content") {
            Some(Value::String(text)) => text.clone(),
            Some(Value::Array(array)) => match parts {
                Parts::TextOnly => text_parts(array, &path, violations),
                Parts::TextOfAny => array
                    .iter()
                    .filter_map(|part| part.get("text").and_then(Value::as_str))
                    .collect::<Vec<_>>()
                    .join("\n"),
            },
            Some(Value::Null) | None => String::new(),
            Some(other) => {
                violations.wrong_type(&format!("{path}/content"), "String", other);
                String::new()
            }
        };
        prompt.tool_turns.push(match role {
            Some("assistant") => {
                ToolTurn::Calls(chat_tools::tool_calls_of(message, &path, violations))
            }
            Some("tool") => schema::required_string(message, &path, "tool_call_id", violations)
                .map_or(ToolTurn::Other, |id| ToolTurn::Answer(id.to_owned())),
            _ => ToolTurn::Other,
        });
        if matches!(role, Some("user" | "tool")) {
            prompt.user.clone_from(&content);
        }
        prompt.words = if role == Some("user") {
            content.clone()
        } else {
            String::new()
        };
        prompt.seed.push_str(role.unwrap_or_default());
        prompt.seed.push_str(": ");
        prompt.seed.push_str(&content);
        prompt.seed.push('\n');
    }
    Some(prompt)
}

/// The text of a content array of `text` parts only, each checked.
fn text_parts(parts: &[Value], path: &str, violations: &mut Violations) -> String {
    let mut texts = Vec::new();
    for (index, part) in parts.iter().enumerate() {
        let part_path = format!("{path}/content/{index}");
        let Some(part) = schema::as_object(part, &part_path, violations) else {
            continue;
        };
        if !part.contains_key("type") {
            violations.required_key(&part_path, "type");
        }
        schema::optional_enum(part, &part_path, "type", &["text"], violations);
        if let Some(text) = schema::required_string(part, &part_path, "text", violations) {
            texts.push(text);
        }
    }
    texts.join("\n")
}

/// Input tokens of the tool definitions.
pub(crate) fn tool_tokens(tools: &[ToolDefinition]) -> u32 {
    tools
        .iter()
        .map(|tool| {
            count_words(&tool.name).saturating_add(count_words(&tool.input_schema.to_string()))
        })
        .fold(0, u32::saturating_add)
}
