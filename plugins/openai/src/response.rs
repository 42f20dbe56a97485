//! `parse-response`: reads a non-streamed chat completion body.
//!
//! Invariants: the first answer (`choices` entry with index 0) is the
//! answer: its reasoning (given apart, or in `<reasoning>` tags at the start
//! of `content`, [`crate::reasoning`]) is one reasoning output, its answer
//! text one text output, then each tool call, in that order; an empty text
//! or reasoning is no output; the stop reason is its `finish_reason`, with
//! the raw value kept; usage is given only when the body has both counts.

use bedrock_adapter_kit::functions;
use bedrock_adapter_kit::types::{AdapterError, Output, Reasoning, Response};
use bedrock_adapter_kit::wire::{object, read};

use crate::reasoning::{self, Part};
use crate::stop;
use crate::wire::Completion;

/// Parses the body of a successful `InvokeModel` response.
pub fn parse(body: &[u8]) -> Result<Response, AdapterError> {
    let value = object(body, "the body")?;
    if value.get("choices").is_none() {
        return Err(AdapterError::MalformedResponse(
            "not an OpenAI chat completion: it has no `choices`".to_owned(),
        ));
    }
    let Completion { choices, usage } = read(value, "an OpenAI chat completion")?;
    let usage = usage.as_ref().and_then(|counts| counts.usage());
    let Some(choice) = choices.into_iter().find(|choice| choice.is_first()) else {
        return Ok(Response {
            outputs: Vec::new(),
            stop: None,
            usage,
        });
    };
    let stop = choice.finish_reason.as_deref().map(stop::from_openai);
    let mut outputs = Vec::new();
    if let Some(mut message) = choice.message {
        let mut reasoning_text = message.separate_reasoning().unwrap_or_default();
        let mut answer = String::new();
        for part in reasoning::split(message.content.as_deref().unwrap_or_default()) {
            match part {
                Part::Reasoning(text) => reasoning_text.push_str(&text),
                Part::Answer(text) => answer.push_str(&text),
            }
        }
        if !reasoning_text.is_empty() {
            outputs.push(Output::Reasoning(Reasoning {
                text: reasoning_text,
                signature: None,
            }));
        }
        if !answer.is_empty() {
            outputs.push(Output::Text(answer));
        }
        for call in message.tool_calls.unwrap_or_default() {
            outputs.push(Output::ToolCall(functions::answered_call(call)?));
        }
    }
    Ok(Response {
        outputs,
        stop,
        usage,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use bedrock_adapter_kit::stop::sent;
    use bedrock_adapter_kit::types::{StopReason, ToolCall, Usage};

    fn reasoning(text: &str) -> Output {
        Output::Reasoning(Reasoning {
            text: text.to_owned(),
            signature: None,
        })
    }

    #[test]
    fn reasoning_in_tags_before_the_answer() {
        // The chat completion object, with the <reasoning> AWS's page says
        // InvokeModel puts before the answer.
        let body = br#"{"id":"chatcmpl-1","object":"chat.completion","created":1754400000,"model":"openai.gpt-oss-20b-1:0","choices":[{"index":0,"message":{"role":"assistant","content":"<reasoning>The user says hello.</reasoning>Hello! How can I help?"},"finish_reason":"stop"}],"usage":{"prompt_tokens":21,"completion_tokens":17,"total_tokens":38}}"#;
        assert_eq!(
            parse(body),
            Ok(Response {
                outputs: vec![
                    reasoning("The user says hello."),
                    Output::Text("Hello! How can I help?".to_owned()),
                ],
                stop: Some(sent(StopReason::EndTurn, "stop")),
                usage: Some(Usage {
                    input_tokens: 21,
                    output_tokens: 17,
                    cache_read_tokens: None,
                    cache_write_tokens: None,
                }),
            })
        );
    }

    #[test]
    fn reasoning_content_apart() {
        let body = br#"{"choices":[{"index":0,"message":{"role":"assistant","content":"4","reasoning_content":"2+2"},"finish_reason":"length"}]}"#;
        assert_eq!(
            parse(body),
            Ok(Response {
                outputs: vec![reasoning("2+2"), Output::Text("4".to_owned())],
                stop: Some(sent(StopReason::MaxTokens, "length")),
                usage: None,
            })
        );
    }

    #[test]
    fn tool_calls() {
        let body = br#"{"choices":[{"index":0,"message":{"role":"assistant","content":"<reasoning>Need the weather.</reasoning>","tool_calls":[{"id":"call_abc","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},"finish_reason":"tool_calls"}]}"#;
        assert_eq!(
            parse(body),
            Ok(Response {
                outputs: vec![
                    reasoning("Need the weather."),
                    Output::ToolCall(ToolCall {
                        id: "call_abc".to_owned(),
                        name: "get_weather".to_owned(),
                        input: r#"{"city":"Paris"}"#.to_owned(),
                    }),
                ],
                stop: Some(sent(StopReason::ToolUse, "tool_calls")),
                usage: None,
            })
        );
    }

    #[test]
    fn other_answers_and_empty_content() {
        let body = br#"{"choices":[{"index":1,"message":{"content":"second"},"finish_reason":"stop"},{"index":0,"message":{"content":null},"finish_reason":"content_filter"}]}"#;
        assert_eq!(
            parse(body),
            Ok(Response {
                outputs: Vec::new(),
                stop: Some(sent(StopReason::ContentFiltered, "content_filter")),
                usage: None,
            })
        );
    }

    #[test]
    fn malformed() {
        for body in [
            &b"not json"[..],
            b"[]",
            br#"{"outputs":[]}"#,
            br#"{"choices":{}}"#,
            br#"{"choices":[{"message":{"content":5}}]}"#,
            br#"{"choices":[{"message":{"content":"","tool_calls":[{"id":"a","function":{"name":"f","arguments":"[1]"}}]}}]}"#,
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
