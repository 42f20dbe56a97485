//! The provider-neutral shape of a logged conversation turn: the messages,
//! their content blocks and the answer, as they are stored (JSON in the
//! database) and as they are sent again when a conversation continues.
//!
//! Invariant: nothing here names a provider or an AWS field; the blocks
//! mirror the contract's message content (text, image, document, tool call,
//! tool result, reasoning), and attachments are stored by their sha256 only
//! (their bytes live once in the store's blob table). A reasoning block
//! remembers the plugin that made it, because its signature is only
//! meaningful to that plugin.

use serde::{Deserialize, Serialize};

/// Who said a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Speaker {
    /// The person (or the tool results they send).
    User,
    /// The model.
    Assistant,
}

/// One content block of a logged message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Block {
    /// Plain text.
    Text {
        /// The text.
        text: String,
    },
    /// An image the user attached (or a model returned).
    Image {
        /// The file name it was attached as.
        name: String,
        /// Its media type (`image/png`).
        media_type: String,
        /// The sha256 of its bytes, in hex: the key of the blob table.
        sha256: String,
    },
    /// A document the user attached (PDF, text, ...).
    Document {
        /// The file name it was attached as.
        name: String,
        /// Its media type (`application/pdf`).
        media_type: String,
        /// The sha256 of its bytes, in hex: the key of the blob table.
        sha256: String,
    },
    /// A tool call the model made.
    ToolCall {
        /// The call's id, which its result names.
        id: String,
        /// The tool's name.
        name: String,
        /// The tool's input, as the model gave it.
        input: serde_json::Value,
    },
    /// The result of a tool call, sent by the user.
    ToolResult {
        /// The id of the call it answers.
        id: String,
        /// What the tool returned.
        content: Vec<ToolResultPart>,
        /// Whether the tool failed.
        #[serde(default)]
        error: bool,
    },
    /// The model's reasoning.
    Reasoning {
        /// The reasoning text.
        text: String,
        /// The signature that proves it, meaningful to `plugin` only.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        signature: Option<String>,
        /// The plugin whose model made it.
        plugin: String,
    },
    /// Reasoning the model returned encrypted.
    RedactedReasoning {
        /// The opaque data, sent back unchanged to `plugin` only.
        data: String,
        /// The plugin whose model made it.
        plugin: String,
    },
}

/// One part of what a tool returned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ToolResultPart {
    /// Plain text.
    Text {
        /// The text.
        text: String,
    },
    /// A JSON value.
    Json {
        /// The value.
        value: serde_json::Value,
    },
    /// An image the tool produced.
    Image {
        /// Its media type.
        media_type: String,
        /// The sha256 of its bytes, in hex: the key of the blob table.
        sha256: String,
    },
}

/// One logged message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoggedMessage {
    /// Who said it.
    pub role: Speaker,
    /// What it holds.
    pub content: Vec<Block>,
}

impl LoggedMessage {
    /// A message of one text block.
    pub fn text(role: Speaker, text: impl Into<String>) -> Self {
        Self {
            role,
            content: vec![Block::Text { text: text.into() }],
        }
    }

    /// The message's text blocks, joined.
    pub fn joined_text(&self) -> String {
        self.content
            .iter()
            .filter_map(|block| match block {
                Block::Text { text } => Some(text.as_str()),
                _ => None,
            })
            .collect()
    }

    /// The message as it is sent on `plugin`: reasoning blocks made by
    /// another plugin are dropped (their signatures mean nothing there).
    pub fn for_plugin(&self, plugin: &str) -> Self {
        let content = self
            .content
            .iter()
            .filter(|block| match block {
                Block::Reasoning {
                    plugin: made_by, ..
                }
                | Block::RedactedReasoning {
                    plugin: made_by, ..
                } => made_by == plugin,
                _ => true,
            })
            .cloned()
            .collect();
        Self {
            role: self.role,
            content,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_are_stored_as_tagged_json_and_read_back() {
        let message = LoggedMessage {
            role: Speaker::Assistant,
            content: vec![
                Block::Reasoning {
                    text: "think".into(),
                    signature: Some("sig".into()),
                    plugin: "a".into(),
                },
                Block::Text { text: "hi".into() },
                Block::ToolCall {
                    id: "t1".into(),
                    name: "weather".into(),
                    input: serde_json::json!({"city": "Oslo"}),
                },
            ],
        };
        let json = serde_json::to_value(&message).expect("serialize");
        assert_eq!(json["role"], "assistant");
        assert_eq!(
            json["content"][1],
            serde_json::json!({"type": "text", "text": "hi"})
        );
        assert_eq!(json["content"][2]["type"], "tool_call");
        let back: LoggedMessage = serde_json::from_value(json).expect("deserialize");
        assert_eq!(back, message);
    }

    #[test]
    fn reasoning_of_another_plugin_is_dropped_and_its_own_kept() {
        let message = LoggedMessage {
            role: Speaker::Assistant,
            content: vec![
                Block::Reasoning {
                    text: "r".into(),
                    signature: Some("s".into()),
                    plugin: "first".into(),
                },
                Block::RedactedReasoning {
                    data: "opaque".into(),
                    plugin: "first".into(),
                },
                Block::Text {
                    text: "answer".into(),
                },
            ],
        };
        assert_eq!(message.for_plugin("first"), message);
        assert_eq!(message.for_plugin("second").content.len(), 1);
        assert_eq!(
            message.for_plugin("second").content,
            [Block::Text {
                text: "answer".into()
            }]
        );
        assert_eq!(message.joined_text(), "answer");
    }
}
