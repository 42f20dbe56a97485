//! `parse-response`: reads a non-streamed Nova or Titan Text body, the
//! family chosen by model id.
//!
//! Invariants: a Nova answer is the message's blocks in order, a text
//! output per text block and a tool call per `toolUse` block (input as JSON
//! text) and reasoning per `reasoningContent` block; a Titan
//! answer is one text output per result. An empty text is no output. The
//! stop reason keeps the raw value (Titan's is the first result's); usage
//! is given only when the body has both counts (Titan's output count is the
//! sum over its results), else the host reads Bedrock's headers.

use bedrock_adapter_kit::tools;
use bedrock_adapter_kit::types::{AdapterError, Output, Reasoning, Response, Usage};
use bedrock_adapter_kit::wire::{json, read, text_outputs};

use crate::models::{self, Family};
use crate::stop;
use crate::wire::{NovaResponse, TitanResponse};

/// Parses the body of a successful `InvokeModel` response from `model_id`.
pub fn parse(model_id: &str, body: &[u8]) -> Result<Response, AdapterError> {
    let family = models::family_for(model_id)?;
    let value = json(body, "the body")?;
    match family {
        Family::Nova => Ok(nova(read(value, "a Nova response")?)),
        Family::Titan => Ok(titan(read(value, "a Titan Text response")?)),
    }
}

fn nova(response: NovaResponse) -> Response {
    let outputs = response
        .output
        .message
        .content
        .into_iter()
        .flat_map(|block| {
            let reasoning = block
                .reasoning_content
                .and_then(|reasoning| reasoning.reasoning_text)
                .map(|reasoning| {
                    Output::Reasoning(Reasoning {
                        text: reasoning.text,
                        signature: reasoning.signature,
                    })
                });
            let call = block.tool_use.map(|call| {
                Output::ToolCall(tools::call(call.tool_use_id, call.name, &call.input))
            });
            reasoning
                .into_iter()
                .chain(text_outputs(block.text))
                .chain(call)
        })
        .collect();
    Response {
        outputs,
        stop: response.stop_reason.as_deref().map(stop::nova),
        usage: response.usage.as_ref().and_then(|usage| usage.usage()),
    }
}

fn titan(response: TitanResponse) -> Response {
    let stop = response
        .results
        .first()
        .and_then(|result| result.completion_reason.as_deref())
        .map(stop::titan);
    let output_tokens = response
        .results
        .iter()
        .map(|result| result.token_count.map(|count| count.0))
        .try_fold(0u32, |sum, count| sum.checked_add(count?));
    let usage = response
        .input_text_token_count
        .zip(output_tokens)
        .map(|(input, output)| Usage {
            input_tokens: input.0,
            output_tokens: output,
            cache_read_tokens: None,
            cache_write_tokens: None,
        });
    Response {
        outputs: text_outputs(response.results.into_iter().map(|r| r.output_text)),
        stop,
        usage,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bedrock_adapter_kit::stop::sent;
    use bedrock_adapter_kit::types::{StopReason, ToolCall};

    const NOVA: &str = "amazon.nova-micro-v1:0";
    const TITAN: &str = "amazon.titan-text-express-v1";

    #[test]
    fn nova_with_tool_calls() {
        // Shape of otel-python-contrib test_invoke_model_with_content_tool_call
        // [amazon.nova], shortened.
        let body = br#"{"output":{"message":{"content":[{"text":"<thinking> I will call the tool.</thinking>\n"},{"toolUse":{"name":"get_current_weather","toolUseId":"a385","input":{"location":"Seattle"}}}],"role":"assistant"}},"stopReason":"tool_use","usage":{"inputTokens":427,"outputTokens":162,"totalTokens":589,"cacheReadInputTokenCount":0,"cacheWriteInputTokenCount":0}}"#;
        assert_eq!(
            parse(NOVA, body),
            Ok(Response {
                outputs: vec![
                    Output::Text("<thinking> I will call the tool.</thinking>\n".to_owned()),
                    Output::ToolCall(ToolCall {
                        id: "a385".to_owned(),
                        name: "get_current_weather".to_owned(),
                        input: r#"{"location":"Seattle"}"#.to_owned(),
                    }),
                ],
                stop: Some(sent(StopReason::ToolUse, "tool_use")),
                usage: Some(Usage {
                    input_tokens: 427,
                    output_tokens: 162,
                    cache_read_tokens: Some(0),
                    cache_write_tokens: Some(0),
                }),
            })
        );
    }

    #[test]
    fn nova_2_reasoning() {
        // Nova 2 Lite with reasoningConfig: its reasoning comes redacted.
        let body = br#"{"output":{"message":{"content":[{"reasoningContent":{"reasoningText":{"text":"[REDACTED]"}}},{"text":"4"}],"role":"assistant"}},"stopReason":"end_turn"}"#;
        assert_eq!(
            parse("amazon.nova-2-lite-v1:0", body).map(|response| response.outputs),
            Ok(vec![
                Output::Reasoning(Reasoning {
                    text: "[REDACTED]".to_owned(),
                    signature: None,
                }),
                Output::Text("4".to_owned()),
            ])
        );
    }

    #[test]
    fn nova_without_output_count() {
        // openllmetry test_nova_completion: a guardrail rewrote the body,
        // whose usage kept only the input count.
        let body = br#"{"output":{"message":{"role":"assistant","content":[{"text":"We set off."}]}},"stopReason":"end_turn","usage":{"inputTokens":30},"amazon-bedrock-trace":{"guardrail":{}}}"#;
        let response = parse("amazon.nova-lite-v1:0", body).expect("parse");
        assert_eq!(
            response.outputs,
            vec![Output::Text("We set off.".to_owned())]
        );
        assert_eq!(response.stop, Some(sent(StopReason::EndTurn, "end_turn")));
        assert_eq!(response.usage, None);
    }

    #[test]
    fn titan_with_float_counts() {
        // openllmetry test_guardrail_invoke: counts written as floats.
        let body = br#"{"inputTextTokenCount":28.0,"results":[{"tokenCount":197.0,"outputText":"\nOnce upon a time","completionReason":"FINISH"}],"amazon-bedrock-trace":{}}"#;
        assert_eq!(
            parse(TITAN, body),
            Ok(Response {
                outputs: vec![Output::Text("\nOnce upon a time".to_owned())],
                stop: Some(sent(StopReason::EndTurn, "FINISH")),
                usage: Some(Usage {
                    input_tokens: 28,
                    output_tokens: 197,
                    cache_read_tokens: None,
                    cache_write_tokens: None,
                }),
            })
        );
    }

    #[test]
    fn titan_length() {
        // otel-python-contrib test_invoke_model_with_content[amazon.titan].
        let body = br#"{"inputTextTokenCount":5,"results":[{"tokenCount":10,"outputText":" comment\nHello! I am writing this as a","completionReason":"LENGTH"}]}"#;
        let response = parse("amazon.titan-text-lite-v1", body).expect("parse");
        assert_eq!(response.stop, Some(sent(StopReason::MaxTokens, "LENGTH")));
        assert_eq!(
            response.usage,
            Some(Usage {
                input_tokens: 5,
                output_tokens: 10,
                cache_read_tokens: None,
                cache_write_tokens: None,
            })
        );
    }

    #[test]
    fn malformed() {
        for (model, body) in [
            (NOVA, &b"not json"[..]),
            (NOVA, b"[]"),
            (NOVA, br#"{"output":{}}"#),
            (NOVA, br#"{"output":{"message":{"content":[{"text":3}]}}}"#),
            (
                NOVA,
                br#"{"output":{"message":{"content":[]}},"usage":{"inputTokens":-1}}"#,
            ),
            // A Titan body is not a Nova one, and the other way round.
            (NOVA, br#"{"inputTextTokenCount":1,"results":[]}"#),
            (TITAN, br#"{"output":{"message":{"content":[]}}}"#),
            (TITAN, br#"{"results":[{"outputText":null}]}"#),
            (
                TITAN,
                br#"{"results":[{"outputText":"","tokenCount":1.5}]}"#,
            ),
        ] {
            assert!(
                matches!(parse(model, body), Err(AdapterError::MalformedResponse(_))),
                "{model}: {}",
                String::from_utf8_lossy(body)
            );
        }
    }
}
