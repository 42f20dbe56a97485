//! `parse-response`: reads a non-streamed Claude body, in either shape
//! (Messages API or text completions, told apart by its keys, whatever the
//! model id: Claude 2.x and Instant answer in both).
//!
//! Invariants: the outputs are the message's blocks in order: text (an
//! empty one is no output), tool calls (input as JSON text), thinking with
//! its signature, redacted thinking; unknown block types are skipped. The
//! stop reason keeps the raw value; usage is given only when the body has
//! both counts (text completions bodies have none, and the host then reads
//! Bedrock's headers), with the cache counts the body gives.

use bedrock_adapter_kit::tools;
use bedrock_adapter_kit::types::{AdapterError, Output, Reasoning, Response};
use bedrock_adapter_kit::wire::{json, read};

use crate::stop;
use crate::wire::{self, Completion, ContentBlock, Message};

/// Parses the body of a successful `InvokeModel` response.
pub fn parse(body: &[u8]) -> Result<Response, AdapterError> {
    let value = json(body, "the body")?;
    if wire::is_completion(&value) {
        let Completion {
            completion,
            stop_reason,
            stop,
        } = read(value, "a Claude text completion")?;
        Ok(Response {
            outputs: vec![Output::Text(completion)],
            stop: stop_reason.map(|raw| stop::from_completion(&raw, stop.as_deref())),
            usage: None,
        })
    } else {
        let message: Message = read(value, "a Claude message")?;
        let outputs = message.content.into_iter().filter_map(output).collect();
        Ok(Response {
            outputs,
            stop: message.stop_reason.as_deref().map(stop::from_messages),
            usage: message.usage.as_ref().and_then(|counts| counts.usage()),
        })
    }
}

/// The output of one content block; `None` for an empty text or a block
/// type this adapter does not know.
fn output(block: ContentBlock) -> Option<Output> {
    match block {
        ContentBlock::Text { text } => (!text.is_empty()).then_some(Output::Text(text)),
        ContentBlock::ToolUse { id, name, input } => {
            Some(Output::ToolCall(tools::call(id, name, &input)))
        }
        ContentBlock::Thinking {
            thinking,
            signature,
        } => Some(Output::Reasoning(Reasoning {
            text: thinking,
            signature,
        })),
        ContentBlock::RedactedThinking { data } => Some(Output::RedactedReasoning(data)),
        ContentBlock::Other => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bedrock_adapter_kit::stop::sent;
    use bedrock_adapter_kit::types::{StopReason, ToolCall, Usage};

    #[test]
    fn message_with_cache_counts() {
        // Shape of openllmetry test_prompt_cache.yaml (Claude 3.5 Haiku).
        let body = br#"{"id":"msg_bdrk_01","type":"message","role":"assistant","model":"claude-3-5-haiku-20241022","content":[{"type":"text","text":"I'll provide"}],"stop_reason":"max_tokens","stop_sequence":null,"usage":{"input_tokens":4,"cache_creation_input_tokens":18131,"cache_read_input_tokens":0,"output_tokens":50}}"#;
        assert_eq!(
            parse(body),
            Ok(Response {
                outputs: vec![Output::Text("I'll provide".to_owned())],
                stop: Some(sent(StopReason::MaxTokens, "max_tokens")),
                usage: Some(Usage {
                    input_tokens: 4,
                    output_tokens: 50,
                    cache_read_tokens: Some(0),
                    cache_write_tokens: Some(18131),
                }),
            })
        );
    }

    #[test]
    fn message_with_tool_calls() {
        // Shape of otel-python-contrib test_invoke_model_with_content_tool_call.
        let body = br#"{"type":"message","content":[{"type":"text","text":"Checking."},{"type":"tool_use","id":"toolu_1","name":"get_current_weather","input":{"location":"Seattle"}}],"stop_reason":"tool_use","stop_sequence":null,"usage":{"input_tokens":392,"output_tokens":135}}"#;
        let response = parse(body).expect("parse");
        assert_eq!(
            response.outputs,
            vec![
                Output::Text("Checking.".to_owned()),
                Output::ToolCall(ToolCall {
                    id: "toolu_1".to_owned(),
                    name: "get_current_weather".to_owned(),
                    input: r#"{"location":"Seattle"}"#.to_owned(),
                }),
            ]
        );
        assert_eq!(response.stop, Some(sent(StopReason::ToolUse, "tool_use")));
    }

    #[test]
    fn message_with_thinking() {
        // Shape of AWS's extended-thinking example response.
        let body = br#"{"content":[{"type":"thinking","thinking":"Let me add.","signature":"EqQB"},{"type":"redacted_thinking","data":"EmwKAhgB"},{"type":"text","text":"4"},{"type":"server_tool_use","id":"x"}],"stop_reason":"end_turn"}"#;
        assert_eq!(
            parse(body).map(|response| response.outputs),
            Ok(vec![
                Output::Reasoning(Reasoning {
                    text: "Let me add.".to_owned(),
                    signature: Some("EqQB".to_owned()),
                }),
                Output::RedactedReasoning("EmwKAhgB".to_owned()),
                Output::Text("4".to_owned()),
            ])
        );
    }

    #[test]
    fn message_without_text() {
        let body = br#"{"type":"message","content":[],"stop_reason":null}"#;
        assert_eq!(
            parse(body),
            Ok(Response {
                outputs: Vec::new(),
                stop: None,
                usage: None
            })
        );
    }

    #[test]
    fn text_completion() {
        // openllmetry test_anthropic_2_completion.yaml (Claude 2.1).
        let body = br#"{"type":"completion","completion":" Here's a joke","stop_reason":"stop_sequence","stop":"\n\nHuman:"}"#;
        assert_eq!(
            parse(body),
            Ok(Response {
                outputs: vec![Output::Text(" Here's a joke".to_owned())],
                stop: Some(sent(StopReason::EndTurn, "stop_sequence")),
                usage: None,
            })
        );
    }

    #[test]
    fn malformed() {
        for body in [
            &b"not json"[..],
            b"[]",
            br#"{"content":"text"}"#,
            br#"{"content":[{"type":"text"}]}"#,
            br#"{"completion":3}"#,
            br#"{"content":[],"usage":{"input_tokens":-1,"output_tokens":1}}"#,
        ] {
            assert!(
                matches!(parse(body), Err(AdapterError::MalformedResponse(_))),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }
}
