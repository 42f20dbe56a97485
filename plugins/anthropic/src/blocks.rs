//! The messages of a Messages API body: each provider-neutral content part
//! as Claude's content block (text, base64 image, PDF or text document,
//! `tool_use`, `tool_result`, `thinking`, `redacted_thinking`), and cache
//! points as `cache_control` on the block before them.
//!
//! Invariants: parts are kept in order; a message of one plain text block
//! is sent as a string, anything else as blocks; a cache point marks the
//! last block before it (in its message, or the message before), and is
//! left out, like reasoning, for a model that does not take it
//! (`Features`); reasoning without a signature (from another family) is
//! left out too, since Claude accepts only its own signed thinking; what
//! Claude cannot read is `unsupported`, naming the kind and the model.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use bedrock_adapter_kit::request;
use bedrock_adapter_kit::tools;
use bedrock_adapter_kit::types::{
    AdapterError, Content, Document, Image, Message, Reasoning, ToolCall, ToolResult,
    ToolResultPart,
};
use serde::Serialize;
use serde_json::Value;

use crate::models::IMAGE_TYPES;

/// The document types Claude reads as base64 (PDF).
const BASE64_DOCUMENT_TYPES: &[&str] = &["application/pdf"];

/// The document types Claude reads as a plain-text source.
pub const TEXT_DOCUMENT_TYPES: &[&str] = &["text/plain", "text/markdown", "text/csv", "text/html"];

/// What the model takes beyond text, for the blocks of its messages.
#[derive(Debug, Clone, Copy)]
pub struct Features {
    /// Images (Claude 3 and later).
    pub images: bool,
    /// Thinking blocks in history (models with extended thinking).
    pub reasoning: bool,
    /// Cache points (models with prompt caching).
    pub caching: bool,
}

/// `{"type": "ephemeral"}`: the only cache Claude has.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct CacheControl {
    #[serde(rename = "type")]
    kind: &'static str,
}

/// The cache control of a cache point.
pub const EPHEMERAL: CacheControl = CacheControl { kind: "ephemeral" };

/// One message of the body.
#[derive(Serialize)]
pub struct MessageOut {
    role: &'static str,
    content: ContentOut,
}

/// A message's content: a plain string for one text block, else blocks.
#[derive(Serialize)]
#[serde(untagged)]
enum ContentOut {
    Text(String),
    Blocks(Vec<Block>),
}

/// A content block.
#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Block {
    /// Text.
    Text {
        /// The text.
        text: String,
        /// Cache up to here.
        #[serde(skip_serializing_if = "Option::is_none")]
        cache_control: Option<CacheControl>,
    },
    /// An image.
    Image {
        /// Its bytes.
        source: Source,
        /// Cache up to here.
        #[serde(skip_serializing_if = "Option::is_none")]
        cache_control: Option<CacheControl>,
    },
    /// A document.
    Document {
        /// Its bytes or text.
        source: Source,
        /// Its name.
        title: String,
        /// Cache up to here.
        #[serde(skip_serializing_if = "Option::is_none")]
        cache_control: Option<CacheControl>,
    },
    /// A call the model made.
    ToolUse {
        /// The call's id.
        id: String,
        /// The tool's name.
        name: String,
        /// The call's arguments.
        input: Value,
        /// Cache up to here.
        #[serde(skip_serializing_if = "Option::is_none")]
        cache_control: Option<CacheControl>,
    },
    /// What a tool returned.
    ToolResult {
        /// The call it answers.
        tool_use_id: String,
        /// Text and image blocks.
        content: Vec<Block>,
        /// The tool failed.
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        is_error: bool,
        /// Cache up to here.
        #[serde(skip_serializing_if = "Option::is_none")]
        cache_control: Option<CacheControl>,
    },
    /// The model's signed thinking.
    Thinking {
        /// The reasoning text.
        thinking: String,
        /// Its signature.
        signature: String,
    },
    /// The model's encrypted thinking.
    RedactedThinking {
        /// The opaque data.
        data: String,
    },
}

impl Block {
    /// A text block with no cache control.
    pub fn text(text: String) -> Self {
        Block::Text {
            text,
            cache_control: None,
        }
    }

    /// Marks the block as the end of a cached prefix; thinking blocks take
    /// no cache control, and are left unmarked (`false`).
    pub fn cache(&mut self) -> bool {
        match self {
            Block::Text { cache_control, .. }
            | Block::Image { cache_control, .. }
            | Block::Document { cache_control, .. }
            | Block::ToolUse { cache_control, .. }
            | Block::ToolResult { cache_control, .. } => {
                *cache_control = Some(EPHEMERAL);
                true
            }
            Block::Thinking { .. } | Block::RedactedThinking { .. } => false,
        }
    }
}

/// The source of an image or a document.
#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Source {
    /// Base64 bytes.
    Base64 {
        /// Their media type.
        media_type: String,
        /// The bytes, base64.
        data: String,
    },
    /// Plain text.
    Text {
        /// `text/plain`.
        media_type: &'static str,
        /// The text.
        data: String,
    },
}

/// The messages of the body for `model_id`.
pub fn messages(
    messages: Vec<Message>,
    model_id: &str,
    features: Features,
) -> Result<Vec<MessageOut>, AdapterError> {
    request::require_messages(&messages)?;
    let mut built: Vec<(&'static str, Vec<Block>)> = Vec::with_capacity(messages.len());
    for (index, message) in messages.into_iter().enumerate() {
        request::require_content(index + 1, &message)?;
        let parts = request::history_parts(message.content, features.reasoning, features.caching);
        let mut blocks = Vec::with_capacity(parts.len());
        for part in parts {
            if matches!(part, Content::CachePoint) {
                let last = blocks
                    .last_mut()
                    .or_else(|| built.last_mut().and_then(|(_, before)| before.last_mut()));
                if let Some(last) = last {
                    last.cache();
                }
            } else {
                blocks.extend(block(part, model_id, features)?);
            }
        }
        built.push((request::role_name(message.role), blocks));
    }
    Ok(built
        .into_iter()
        .map(|(role, blocks)| MessageOut {
            role,
            content: content(blocks),
        })
        .collect())
}

/// One plain text block as a string, else the blocks.
fn content(blocks: Vec<Block>) -> ContentOut {
    match <[Block; 1]>::try_from(blocks) {
        Ok(
            [
                Block::Text {
                    text,
                    cache_control: None,
                },
            ],
        ) => ContentOut::Text(text),
        Ok(blocks) => ContentOut::Blocks(blocks.into()),
        Err(blocks) => ContentOut::Blocks(blocks),
    }
}

/// The block of one part; `None` for a part left out (unsigned reasoning).
fn block(part: Content, model_id: &str, features: Features) -> Result<Option<Block>, AdapterError> {
    Ok(Some(match part {
        Content::Text(text) => Block::text(text),
        Content::Image(image) => image_block(image, model_id, features)?,
        Content::Document(document) => document_block(document, model_id)?,
        Content::ToolCall(call) => tool_use(&call)?,
        Content::ToolResult(result) => tool_result(result, model_id, features)?,
        Content::Reasoning(Reasoning {
            text,
            signature: Some(signature),
        }) => Block::Thinking {
            thinking: text,
            signature,
        },
        Content::Reasoning(Reasoning {
            signature: None, ..
        })
        | Content::CachePoint => return Ok(None),
        Content::RedactedReasoning(data) => Block::RedactedThinking { data },
    }))
}

fn image_block(image: Image, model_id: &str, features: Features) -> Result<Block, AdapterError> {
    if !features.images {
        return Err(AdapterError::Unsupported(format!(
            "images are not supported by {model_id} (Claude 3 and later read images)"
        )));
    }
    let Image { media_type, data } = image;
    if !IMAGE_TYPES.contains(&media_type.as_str()) {
        return Err(AdapterError::Unsupported(format!(
            "images of type {media_type} are not supported by {model_id}: it takes {}",
            IMAGE_TYPES.join(", ")
        )));
    }
    Ok(Block::Image {
        source: Source::Base64 {
            media_type,
            data: BASE64.encode(data),
        },
        cache_control: None,
    })
}

/// A PDF as base64, a text file as a plain-text source, named by its file
/// name.
fn document_block(document: Document, model_id: &str) -> Result<Block, AdapterError> {
    let Document {
        name,
        media_type,
        data,
    } = document;
    let source = if BASE64_DOCUMENT_TYPES.contains(&media_type.as_str()) {
        Source::Base64 {
            media_type,
            data: BASE64.encode(data),
        }
    } else if TEXT_DOCUMENT_TYPES.contains(&media_type.as_str()) {
        let text = String::from_utf8(data).map_err(|_| {
            AdapterError::InvalidRequest(format!("document {name}: {media_type} that is not UTF-8"))
        })?;
        Source::Text {
            media_type: "text/plain",
            data: text,
        }
    } else {
        return Err(AdapterError::Unsupported(format!(
            "documents of type {media_type} are not supported by {model_id}: it takes {}, {}",
            BASE64_DOCUMENT_TYPES.join(", "),
            TEXT_DOCUMENT_TYPES.join(", ")
        )));
    };
    Ok(Block::Document {
        source,
        title: name,
        cache_control: None,
    })
}

fn tool_use(call: &ToolCall) -> Result<Block, AdapterError> {
    Ok(Block::ToolUse {
        id: call.id.clone(),
        name: call.name.clone(),
        input: tools::input(call)?,
        cache_control: None,
    })
}

/// A tool result: text and JSON parts as text blocks, images as image
/// blocks.
fn tool_result(
    result: ToolResult,
    model_id: &str,
    features: Features,
) -> Result<Block, AdapterError> {
    let ToolResult {
        call_id,
        content,
        is_error,
    } = result;
    let content = content
        .into_iter()
        .map(|part| match part {
            ToolResultPart::Text(text) | ToolResultPart::Json(text) => Ok(Block::text(text)),
            ToolResultPart::Image(image) => image_block(image, model_id, features),
        })
        .collect::<Result<_, _>>()?;
    Ok(Block::ToolResult {
        tool_use_id: call_id,
        content,
        is_error,
        cache_control: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use bedrock_adapter_kit::testing::{document, image, message, text, tool_call, tool_result};
    use bedrock_adapter_kit::types::Role;
    use serde_json::json;

    const ALL: Features = Features {
        images: true,
        reasoning: true,
        caching: true,
    };

    fn json_of(messages_in: Vec<Message>, features: Features) -> Value {
        let out = messages(
            messages_in,
            "anthropic.claude-sonnet-4-5-20250929-v1:0",
            features,
        )
        .expect("the messages build");
        serde_json::to_value(out).expect("JSON")
    }

    #[test]
    fn recorded_tool_exchange_history() {
        // The second request of otel-python-contrib
        // test_invoke_model_with_content_tool_call[anthropic.claude].
        let question = "What is the weather in Seattle and San Francisco today? Please expect one tool call for Seattle and one for San Francisco";
        let answer = "Certainly! I'll check the current weather for both Seattle and San Francisco using the available tool. I'll make two separate calls to the get_current_weather function, one for each city.";
        let call = |id: &str, city: &str| {
            Content::ToolCall(ToolCall {
                id: id.to_owned(),
                name: "get_current_weather".to_owned(),
                input: format!(r#"{{"location":"{city}"}}"#),
            })
        };
        let result = |id: &str, said: &str| {
            Content::ToolResult(ToolResult {
                call_id: id.to_owned(),
                content: vec![ToolResultPart::Text(said.to_owned())],
                is_error: false,
            })
        };
        let (seattle, sf) = (
            "toolu_bdrk_01Y5MJKoHE4VJ5ZrhcVfM1gP",
            "toolu_bdrk_014yQPSMntXHRmzGYxCbmBHE",
        );
        let history = vec![
            message(
                Role::User,
                vec![Content::Text(question.to_owned()), Content::CachePoint],
            ),
            message(
                Role::Assistant,
                vec![
                    Content::Text(answer.to_owned()),
                    call(seattle, "Seattle"),
                    call(sf, "San Francisco"),
                ],
            ),
            message(
                Role::User,
                vec![
                    result(seattle, "50 degrees and raining"),
                    result(sf, "70 degrees and sunny"),
                ],
            ),
        ];
        // The recording's results are plain strings; a result here is a
        // list of blocks, which Claude reads the same.
        let no_cache = Features {
            caching: false,
            ..ALL
        };
        assert_eq!(
            json_of(history, no_cache),
            json!([
                {"role": "user", "content": question},
                {"role": "assistant", "content": [
                    {"type": "text", "text": answer},
                    {"type": "tool_use", "id": seattle, "name": "get_current_weather", "input": {"location": "Seattle"}},
                    {"type": "tool_use", "id": sf, "name": "get_current_weather", "input": {"location": "San Francisco"}},
                ]},
                {"role": "user", "content": [
                    {"type": "tool_result", "tool_use_id": seattle, "content": [{"type": "text", "text": "50 degrees and raining"}]},
                    {"type": "tool_result", "tool_use_id": sf, "content": [{"type": "text", "text": "70 degrees and sunny"}]},
                ]},
            ])
        );
    }

    #[test]
    fn attachments_thinking_and_cache_points() {
        let pdf = Content::Document(Document {
            name: "report.pdf".to_owned(),
            media_type: "application/pdf".to_owned(),
            data: vec![1, 2, 3],
        });
        let notes = Content::Document(Document {
            name: "notes.md".to_owned(),
            media_type: "text/markdown".to_owned(),
            data: b"# Notes".to_vec(),
        });
        let history = vec![
            message(
                Role::User,
                vec![
                    pdf,
                    notes,
                    Content::CachePoint,
                    Content::Text("Sum up.".to_owned()),
                ],
            ),
            message(
                Role::Assistant,
                vec![
                    Content::Reasoning(Reasoning {
                        text: "Read it.".to_owned(),
                        signature: Some("sig".to_owned()),
                    }),
                    Content::Reasoning(Reasoning {
                        text: "From another model.".to_owned(),
                        signature: None,
                    }),
                    Content::RedactedReasoning("opaque".to_owned()),
                    tool_call("lookup", r#"{"q":"x"}"#),
                ],
            ),
            message(
                Role::User,
                vec![Content::CachePoint, tool_result("failed", true)],
            ),
        ];
        assert_eq!(
            json_of(history, ALL),
            json!([
                {"role": "user", "content": [
                    {"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": "AQID"}, "title": "report.pdf"},
                    {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "# Notes"}, "title": "notes.md", "cache_control": {"type": "ephemeral"}},
                    {"type": "text", "text": "Sum up."},
                ]},
                {"role": "assistant", "content": [
                    {"type": "thinking", "thinking": "Read it.", "signature": "sig"},
                    {"type": "redacted_thinking", "data": "opaque"},
                    {"type": "tool_use", "id": "call_1", "name": "lookup", "input": {"q": "x"}, "cache_control": {"type": "ephemeral"}},
                ]},
                {"role": "user", "content": [
                    {"type": "tool_result", "tool_use_id": "call_1", "content": [{"type": "text", "text": "failed"}], "is_error": true},
                ]},
            ])
        );
    }

    #[test]
    fn what_claude_cannot_read_is_refused_by_name() {
        let refused = |part: Content, features: Features| match messages(
            vec![message(Role::User, vec![part])],
            "anthropic.claude-v2",
            features,
        ) {
            Err(AdapterError::Unsupported(why)) => why,
            other => panic!("not refused: {:?}", other.map(|_| ())),
        };
        let none = Features {
            images: false,
            reasoning: false,
            caching: false,
        };
        assert!(
            refused(image("image/png"), none)
                .starts_with("images are not supported by anthropic.claude-v2")
        );
        assert!(refused(image("image/bmp"), ALL).starts_with("images of type image/bmp"));
        assert!(
            refused(document("application/zip"), ALL)
                .starts_with("documents of type application/zip")
        );
        let not_utf8 = Content::Document(Document {
            name: "a.txt".to_owned(),
            media_type: "text/plain".to_owned(),
            data: vec![0xff],
        });
        assert!(matches!(
            messages(vec![message(Role::User, vec![not_utf8])], "m", ALL),
            Err(AdapterError::InvalidRequest(_))
        ));
        let bad_input = messages(
            vec![message(Role::Assistant, vec![tool_call("f", "[1]")])],
            "m",
            ALL,
        );
        assert!(matches!(bad_input, Err(AdapterError::InvalidRequest(_))));
        assert_eq!(
            json_of(vec![text(Role::User, "Hi")], none),
            json!([{"role": "user", "content": "Hi"}])
        );
    }
}
