//! The user turn one `invoke` sends, added to the conversation before it
//! (from `--messages FILE` or a logged conversation): tool results first,
//! then attachments (and a cache point after them with `--cache`), then
//! the prompt text.
//!
//! Invariants: the messages returned are not empty, start with a user
//! message and end with one (the contract's guarantee to a plugin); a
//! history that already ends with a user message gets the new content
//! added to that message; tool results are only sent after an assistant
//! message (the one whose calls they answer).

use crate::plugin::{Content, Message, Role, ToolCall, ToolResult};

/// What the new turn is made of.
#[derive(Debug, Default)]
pub struct NewTurn {
    /// Answers to the tool calls of the history's last assistant message.
    pub tool_results: Vec<ToolResult>,
    /// The attachments, as message content, in the order given.
    pub attachments: Vec<Content>,
    /// Put a cache point after the attachments.
    pub cache_attachments: bool,
    /// The prompt text, if any.
    pub prompt: Option<String>,
}

/// Why a conversation cannot be sent.
#[derive(Debug, thiserror::Error)]
pub enum TurnError {
    /// Nothing to send.
    #[error("nothing to send: give a prompt, an attachment or a --tool-result")]
    Empty,
    /// The history does not end where a user turn can follow.
    #[error("{0}")]
    Order(String),
}

/// The tool calls of the history's last assistant message (none when it
/// ends with a user message or holds no calls).
pub fn last_tool_calls(history: &[Message]) -> Vec<ToolCall> {
    match history.last() {
        Some(message) if message.role == Role::Assistant => message
            .content
            .iter()
            .filter_map(|content| match content {
                Content::ToolCall(call) => Some(call.clone()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// `history` with the new turn added.
pub fn compose(mut history: Vec<Message>, turn: NewTurn) -> Result<Vec<Message>, TurnError> {
    let mut content: Vec<Content> = turn
        .tool_results
        .into_iter()
        .map(Content::ToolResult)
        .collect();
    let has_attachments = !turn.attachments.is_empty();
    content.extend(turn.attachments);
    if has_attachments && turn.cache_attachments {
        content.push(Content::CachePoint);
    }
    if let Some(prompt) = turn.prompt {
        content.push(Content::Text(prompt));
    }
    let has_results = content.iter().any(|c| matches!(c, Content::ToolResult(_)));
    match history.last_mut() {
        Some(last) if last.role == Role::User => {
            if has_results {
                return Err(TurnError::Order(
                    "the conversation ends with a user message, so there is no answer whose tool calls --tool-result could answer".into(),
                ));
            }
            last.content.extend(content);
        }
        _ if content.is_empty() => return Err(TurnError::Empty),
        _ => history.push(Message {
            role: Role::User,
            content,
        }),
    }
    Ok(history)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::{Image, ToolResultPart};

    fn user(text: &str) -> Message {
        Message {
            role: Role::User,
            content: vec![Content::Text(text.into())],
        }
    }

    fn assistant_calling(id: &str) -> Message {
        Message {
            role: Role::Assistant,
            content: vec![
                Content::Text("Looking.".into()),
                Content::ToolCall(ToolCall {
                    id: id.into(),
                    name: "get_weather".into(),
                    input: "{}".into(),
                }),
            ],
        }
    }

    fn result(id: &str) -> ToolResult {
        ToolResult {
            call_id: id.into(),
            content: vec![ToolResultPart::Text("21 C".into())],
            is_error: false,
        }
    }

    #[test]
    fn a_new_turn_puts_results_then_attachments_then_a_cache_point_then_the_prompt() {
        let history = vec![user("Weather?"), assistant_calling("t1")];
        assert_eq!(last_tool_calls(&history)[0].id, "t1");
        let image = Content::Image(Image {
            media_type: "image/png".into(),
            data: vec![1],
        });
        let messages = compose(
            history,
            NewTurn {
                tool_results: vec![result("t1")],
                attachments: vec![image],
                cache_attachments: true,
                prompt: Some("And this?".into()),
            },
        )
        .expect("a conversation");
        assert_eq!(messages.len(), 3);
        let kinds: Vec<&str> = messages[2]
            .content
            .iter()
            .map(|c| match c {
                Content::ToolResult(_) => "result",
                Content::Image(_) => "image",
                Content::CachePoint => "cache",
                Content::Text(_) => "text",
                _ => "other",
            })
            .collect();
        assert_eq!(kinds, ["result", "image", "cache", "text"]);
    }

    #[test]
    fn a_history_ending_with_the_user_gets_the_prompt_added_and_no_results() {
        let messages = compose(
            vec![user("Hello")],
            NewTurn {
                prompt: Some("again".into()),
                ..NewTurn::default()
            },
        )
        .expect("a conversation");
        assert_eq!(messages.len(), 1);
        assert_eq!(messages[0].content.len(), 2);
        assert!(compose(vec![user("Hello")], NewTurn::default()).is_ok());
        let refused = compose(
            vec![user("Hello")],
            NewTurn {
                tool_results: vec![result("t1")],
                ..NewTurn::default()
            },
        );
        assert!(matches!(refused, Err(TurnError::Order(_))));
        assert!(last_tool_calls(&[user("Hello")]).is_empty());
    }

    #[test]
    fn nothing_to_send_is_refused() {
        assert!(matches!(
            compose(Vec::new(), NewTurn::default()),
            Err(TurnError::Empty)
        ));
        let history = vec![user("Weather?"), assistant_calling("t1")];
        assert!(matches!(
            compose(history, NewTurn::default()),
            Err(TurnError::Empty)
        ));
    }
}
