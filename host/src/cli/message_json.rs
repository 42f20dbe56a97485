//! The provider-neutral JSON form of a conversation: what `invoke
//! --messages FILE` reads, and the `message` that `--output json` prints
//! for the answer, so a script can append it and continue.
//!
//! Invariants: the form carries every kind of message content of the
//! contract, and reading what was written gives the same content back
//! (bytes as base64, tool inputs and JSON results as JSON values). A file
//! is refused, naming the message and the item, unless it is a list of
//! messages that starts with a user message.
//!
//! ```json
//! [{"role": "user", "content": "What is the weather in Paris?"},
//!  {"role": "assistant", "content": [
//!     {"type": "reasoning", "text": "...", "signature": "..."},
//!     {"type": "text", "text": "Let me look."},
//!     {"type": "tool_call", "id": "toolu_01", "name": "get_weather", "input": {"city": "Paris"}}]},
//!  {"role": "user", "content": [
//!     {"type": "tool_result", "call_id": "toolu_01", "content": [{"type": "json", "json": {"temp": 21}}]},
//!     {"type": "image", "media_type": "image/png", "data": "<base64>"},
//!     {"type": "document", "name": "a.pdf", "media_type": "application/pdf", "data": "<base64>"},
//!     {"type": "cache_point"},
//!     {"type": "text", "text": "And tomorrow?"}]}]
//! ```

use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::plugin::{
    Content, Document, Image, Message, Reasoning, Role, ToolCall, ToolResult, ToolResultPart,
};

/// Why a conversation file is refused.
#[derive(Debug, thiserror::Error)]
pub enum MessagesFileError {
    /// The file cannot be read.
    #[error("cannot read the conversation {}: {source}", path.display())]
    Unreadable {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The file is not a conversation in the documented form.
    #[error("the conversation {} is not in the form --help gives: {what}", path.display())]
    Shape { path: PathBuf, what: String },
}

/// One message as JSON.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonMessage {
    role: JsonRole,
    content: JsonContents,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum JsonRole {
    User,
    Assistant,
}

/// A message's content: a list of items, or one string for one text item.
#[derive(Debug, Serialize, Deserialize)]
#[serde(untagged)]
enum JsonContents {
    Text(String),
    Items(Vec<JsonContent>),
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
enum JsonContent {
    Text {
        text: String,
    },
    Image {
        media_type: String,
        data: String,
    },
    Document {
        name: String,
        media_type: String,
        data: String,
    },
    ToolCall {
        id: String,
        name: String,
        input: Value,
    },
    ToolResult {
        call_id: String,
        content: JsonResultContent,
        #[serde(default)]
        is_error: bool,
    },
    Reasoning {
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        signature: Option<String>,
    },
    RedactedReasoning {
        data: String,
    },
    CachePoint,
}

/// A tool result's content: a list of parts, or one string for one text part.
#[derive(Debug, Serialize, Deserialize)]
#[serde(untagged)]
enum JsonResultContent {
    Text(String),
    Parts(Vec<JsonResultPart>),
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
enum JsonResultPart {
    Text { text: String },
    Json { json: Value },
    Image { media_type: String, data: String },
}

/// Reads the conversation in `path`.
pub fn read(path: &Path) -> Result<Vec<Message>, MessagesFileError> {
    let shape = |what: String| MessagesFileError::Shape {
        path: path.to_owned(),
        what,
    };
    let text = std::fs::read_to_string(path).map_err(|source| MessagesFileError::Unreadable {
        path: path.to_owned(),
        source,
    })?;
    let value: Value = serde_json::from_str(&text).map_err(|error| shape(error.to_string()))?;
    from_value(value).map_err(shape)
}

/// The conversation `value` holds, in the same form as a file (a `batch`
/// record's `messages`); the error says which message and item is wrong.
pub fn from_value(value: Value) -> Result<Vec<Message>, String> {
    let messages: Vec<JsonMessage> =
        serde_json::from_value(value).map_err(|error| error.to_string())?;
    let messages = messages
        .into_iter()
        .enumerate()
        .map(|(index, message)| {
            from_json(message).map_err(|what| format!("message {}: {what}", index + 1))
        })
        .collect::<Result<Vec<_>, _>>()?;
    match messages.first() {
        None => Err("it holds no message".into()),
        Some(first) if !matches!(first.role, Role::User) => {
            Err("the first message is not the user's".into())
        }
        Some(_) => Ok(messages),
    }
}

/// The JSON form of one message.
pub fn to_json(message: &Message) -> Value {
    let role = match message.role {
        Role::User => JsonRole::User,
        Role::Assistant => JsonRole::Assistant,
    };
    let content = message.content.iter().map(content_to_json).collect();
    serde_json::to_value(JsonMessage {
        role,
        content: JsonContents::Items(content),
    })
    .unwrap_or(Value::Null)
}

fn content_to_json(content: &Content) -> JsonContent {
    match content {
        Content::Text(text) => JsonContent::Text { text: text.clone() },
        Content::Image(image) => JsonContent::Image {
            media_type: image.media_type.clone(),
            data: BASE64.encode(&image.data),
        },
        Content::Document(document) => JsonContent::Document {
            name: document.name.clone(),
            media_type: document.media_type.clone(),
            data: BASE64.encode(&document.data),
        },
        Content::ToolCall(call) => JsonContent::ToolCall {
            id: call.id.clone(),
            name: call.name.clone(),
            input: json_or_string(&call.input),
        },
        Content::ToolResult(result) => JsonContent::ToolResult {
            call_id: result.call_id.clone(),
            content: JsonResultContent::Parts(
                result.content.iter().map(result_part_to_json).collect(),
            ),
            is_error: result.is_error,
        },
        Content::Reasoning(reasoning) => JsonContent::Reasoning {
            text: reasoning.text.clone(),
            signature: reasoning.signature.clone(),
        },
        Content::RedactedReasoning(data) => JsonContent::RedactedReasoning { data: data.clone() },
        Content::CachePoint => JsonContent::CachePoint,
    }
}

fn result_part_to_json(part: &ToolResultPart) -> JsonResultPart {
    match part {
        ToolResultPart::Text(text) => JsonResultPart::Text { text: text.clone() },
        ToolResultPart::Json(json) => JsonResultPart::Json {
            json: json_or_string(json),
        },
        ToolResultPart::Image(image) => JsonResultPart::Image {
            media_type: image.media_type.clone(),
            data: BASE64.encode(&image.data),
        },
    }
}

/// JSON text as a value; text that is not JSON (a plugin's mistake) as a
/// string, so nothing is lost.
pub fn json_or_string(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_owned()))
}

fn from_json(message: JsonMessage) -> Result<Message, String> {
    let role = match message.role {
        JsonRole::User => Role::User,
        JsonRole::Assistant => Role::Assistant,
    };
    let content = match message.content {
        JsonContents::Text(text) => vec![Content::Text(text)],
        JsonContents::Items(items) => items
            .into_iter()
            .enumerate()
            .map(|(index, item)| {
                content_from_json(item).map_err(|what| format!("item {}: {what}", index + 1))
            })
            .collect::<Result<_, _>>()?,
    };
    Ok(Message { role, content })
}

fn content_from_json(item: JsonContent) -> Result<Content, String> {
    Ok(match item {
        JsonContent::Text { text } => Content::Text(text),
        JsonContent::Image { media_type, data } => Content::Image(Image {
            media_type,
            data: decode(&data)?,
        }),
        JsonContent::Document {
            name,
            media_type,
            data,
        } => Content::Document(Document {
            name,
            media_type,
            data: decode(&data)?,
        }),
        JsonContent::ToolCall { id, name, input } => {
            if !input.is_object() {
                return Err(format!(
                    "the input of tool call `{id}` is not a JSON object"
                ));
            }
            Content::ToolCall(ToolCall {
                id,
                name,
                input: input.to_string(),
            })
        }
        JsonContent::ToolResult {
            call_id,
            content,
            is_error,
        } => {
            let content = match content {
                JsonResultContent::Text(text) => vec![ToolResultPart::Text(text)],
                JsonResultContent::Parts(parts) => parts
                    .into_iter()
                    .map(|part| {
                        Ok(match part {
                            JsonResultPart::Text { text } => ToolResultPart::Text(text),
                            JsonResultPart::Json { json } => ToolResultPart::Json(json.to_string()),
                            JsonResultPart::Image { media_type, data } => {
                                ToolResultPart::Image(Image {
                                    media_type,
                                    data: decode(&data)?,
                                })
                            }
                        })
                    })
                    .collect::<Result<_, String>>()?,
            };
            Content::ToolResult(ToolResult {
                call_id,
                content,
                is_error,
            })
        }
        JsonContent::Reasoning { text, signature } => {
            Content::Reasoning(Reasoning { text, signature })
        }
        JsonContent::RedactedReasoning { data } => Content::RedactedReasoning(data),
        JsonContent::CachePoint => Content::CachePoint,
    })
}

fn decode(data: &str) -> Result<Vec<u8>, String> {
    BASE64
        .decode(data)
        .map_err(|error| format!("`data` is not base64: {error}"))
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use serde_json::json;

    use super::*;

    fn write(value: &Value) -> tempfile::NamedTempFile {
        let mut file = tempfile::NamedTempFile::new().expect("temp file");
        file.write_all(value.to_string().as_bytes()).expect("write");
        file
    }

    #[test]
    fn every_kind_of_content_reads_back_as_it_was_written() {
        let conversation = json!([
            {"role": "user", "content": "Weather in Paris?"},
            {"role": "assistant", "content": [
                {"type": "reasoning", "text": "think", "signature": "sig"},
                {"type": "redacted_reasoning", "data": "opaque"},
                {"type": "text", "text": "Looking."},
                {"type": "tool_call", "id": "toolu_01", "name": "get_weather", "input": {"city": "Paris"}}]},
            {"role": "user", "content": [
                {"type": "tool_result", "call_id": "toolu_01", "content": [{"type": "json", "json": {"temp": 21}}, {"type": "image", "media_type": "image/png", "data": "iVBORw=="}], "is_error": false},
                {"type": "document", "name": "a.txt", "media_type": "text/plain", "data": "aGk="},
                {"type": "cache_point"},
                {"type": "text", "text": "And tomorrow?"}]}
        ]);
        let file = write(&conversation);
        let messages = read(file.path()).expect("a conversation");
        assert_eq!(messages.len(), 3);
        assert!(matches!(&messages[2].content[1], Content::Document(d) if d.data == b"hi"));
        let written: Vec<Value> = messages.iter().map(to_json).collect();
        let mut expected = conversation.clone();
        expected[0]["content"] = json!([{"type": "text", "text": "Weather in Paris?"}]);
        assert_eq!(Value::Array(written), expected);
    }

    #[test]
    fn a_wrong_file_is_refused_naming_the_message_and_item() {
        let bad_input = write(&json!([
            {"role": "user", "content": "hi"},
            {"role": "assistant", "content": [{"type": "tool_call", "id": "t", "name": "n", "input": [1]}]}
        ]));
        let error = read(bad_input.path()).unwrap_err().to_string();
        assert!(
            error.contains("message 2: item 1") && error.contains("`t`"),
            "{error}"
        );
        let assistant_first = write(&json!([{"role": "assistant", "content": "hi"}]));
        assert!(
            read(assistant_first.path())
                .unwrap_err()
                .to_string()
                .contains("first message")
        );
        assert!(read(write(&json!([])).path()).is_err());
        assert!(
            read(write(&json!([{"role": "user", "content": [{"type": "video"}]}])).path()).is_err()
        );
    }
}
