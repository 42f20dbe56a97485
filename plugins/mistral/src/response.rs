//! `parse-response`: reads a non-streamed Mistral body in either shape
//! (text completion `outputs` or chat completion `choices`, told apart by
//! its keys, whatever the model id).
//!
//! Invariants: each generation or answer with text is one text output, in
//! order, followed by its tool calls (a chat answer that only calls tools
//! has no text output; its empty `content` is no text); the stop reason is
//! the first one's, with the raw value kept; usage is given only when the
//! body has both counts (text completion bodies have none, and the host then
//! reads Bedrock's headers).

use bedrock_adapter_kit::functions;
use bedrock_adapter_kit::types::{AdapterError, Output, Response};
use bedrock_adapter_kit::wire::{object, read};

use crate::stop;
use crate::wire::{self, Chat, Completion, Shape};

/// Parses the body of a successful `InvokeModel` response.
pub fn parse(body: &[u8]) -> Result<Response, AdapterError> {
    let value = object(body, "the body")?;
    match wire::shape(&value) {
        Shape::Completion => {
            let Completion { outputs } = read(value, "a Mistral text completion")?;
            let stop = outputs
                .first()
                .and_then(|output| output.stop_reason.as_deref())
                .map(stop::from_mistral);
            Ok(Response {
                outputs: outputs
                    .into_iter()
                    .map(|output| Output::Text(output.text))
                    .collect(),
                stop,
                usage: None,
            })
        }
        Shape::Chat => {
            let Chat { choices, usage } = read(value, "a Mistral chat completion")?;
            let stop = choices
                .first()
                .and_then(|choice| choice.reason())
                .map(stop::from_mistral);
            let mut outputs = Vec::new();
            for choice in choices {
                let (text, calls) = choice.into_parts();
                outputs.extend(text.filter(|text| !text.is_empty()).map(Output::Text));
                for call in calls {
                    outputs.push(Output::ToolCall(functions::answered_call(call)?));
                }
            }
            Ok(Response {
                outputs,
                stop,
                usage: usage.as_ref().and_then(|counts| counts.usage()),
            })
        }
        Shape::Unknown => Err(AdapterError::MalformedResponse(
            "not a Mistral response: it has neither `outputs` nor `choices`".to_owned(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bedrock_adapter_kit::stop::sent;
    use bedrock_adapter_kit::types::{StopReason, ToolCall, Usage};

    #[test]
    fn text_completion() {
        // otel-python-contrib test_invoke_model_no_content[mistral.mistral].yaml.
        let body = br#"{"outputs":[{"text":" to find out whether you think an animal is cute","stop_reason":"length"}]}"#;
        assert_eq!(
            parse(body),
            Ok(Response {
                outputs: vec![Output::Text(
                    " to find out whether you think an animal is cute".to_owned()
                )],
                stop: Some(sent(StopReason::MaxTokens, "length")),
                usage: None,
            })
        );
    }

    #[test]
    fn chat_completion_as_aws_documents_it() {
        // The response of AWS's "Mistral AI chat completion" page: choices
        // with `message` and `stop_reason`, no usage.
        let body = br#"{"choices":[{"index":0,"message":{"role":"assistant","content":"Paris.","tool_calls":null},"stop_reason":"stop"}]}"#;
        assert_eq!(
            parse(body),
            Ok(Response {
                outputs: vec![Output::Text("Paris.".to_owned())],
                stop: Some(sent(StopReason::EndTurn, "stop")),
                usage: None,
            })
        );
    }

    #[test]
    fn chat_completion_in_mistrals_form() {
        // Mistral's own chat completion response: `finish_reason` and usage.
        let body = br#"{"id":"b58","object":"chat.completion","model":"mistral-large-2407","choices":[{"index":0,"message":{"role":"assistant","content":"Coca-Cola is","tool_calls":null},"finish_reason":"length"}],"usage":{"prompt_tokens":34,"total_tokens":134,"completion_tokens":100}}"#;
        assert_eq!(
            parse(body),
            Ok(Response {
                outputs: vec![Output::Text("Coca-Cola is".to_owned())],
                stop: Some(sent(StopReason::MaxTokens, "length")),
                usage: Some(Usage {
                    input_tokens: 34,
                    output_tokens: 100,
                    cache_read_tokens: None,
                    cache_write_tokens: None,
                }),
            })
        );
    }

    #[test]
    fn tool_call_as_aws_documents_it() {
        // AWS's "Mistral AI chat completion" page: a call with empty content,
        // arguments a JSON string, stop reason `tool_calls`.
        let body = br#"{"choices":[{"index":0,"message":{"role":"assistant","content":"","tool_calls":[{"id":"v6RMMiRlT7ygYkT4uULjtg","function":{"name":"shell","arguments":"{\"command\": \"ls -l\"}"}}]},"stop_reason":"tool_calls"}]}"#;
        assert_eq!(
            parse(body),
            Ok(Response {
                outputs: vec![Output::ToolCall(ToolCall {
                    id: "v6RMMiRlT7ygYkT4uULjtg".to_owned(),
                    name: "shell".to_owned(),
                    input: r#"{"command":"ls -l"}"#.to_owned(),
                })],
                stop: Some(sent(StopReason::ToolUse, "tool_calls")),
                usage: None,
            })
        );
        let bad = br#"{"choices":[{"message":{"content":"","tool_calls":[{"id":"a","function":{"name":"f","arguments":"[1]"}}]},"stop_reason":"tool_calls"}]}"#;
        assert!(matches!(
            parse(bad),
            Err(AdapterError::MalformedResponse(_))
        ));
    }

    #[test]
    fn typed_parts() {
        let parts = br#"{"choices":[{"message":{"content":[{"type":"thinking","thinking":[]},{"type":"text","text":"42"}]},"finish_reason":"stop"}]}"#;
        assert_eq!(
            parse(parts).map(|r| r.outputs),
            Ok(vec![Output::Text("42".to_owned())])
        );
        let null = br#"{"choices":[{"message":{"content":null},"finish_reason":"tool_calls"}]}"#;
        assert_eq!(parse(null).map(|r| r.outputs), Ok(Vec::new()));
    }

    #[test]
    fn malformed() {
        for body in [
            &b"not json"[..],
            b"[]",
            br#"{"generation":"x"}"#,
            br#"{"outputs":[{"stop_reason":"stop"}]}"#,
            br#"{"choices":{}}"#,
            br#"{"choices":[],"usage":{"prompt_tokens":-1}}"#,
        ] {
            assert!(
                matches!(parse(body), Err(AdapterError::MalformedResponse(_))),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }
}
