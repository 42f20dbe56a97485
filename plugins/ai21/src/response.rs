//! `parse-response`: reads a non-streamed AI21 body in either shape
//! (Jamba's `choices` or Jurassic-2's `completions`, told apart by its keys,
//! whatever the model id).
//!
//! Invariants: each answer or generation with text is one text output, in
//! order, followed by its tool calls (a Jamba answer that only calls tools
//! has no text output); the stop reason
//! is the first one's, with the raw value kept; usage is Jamba's `usage`
//! when it has both counts, and for Jurassic-2 the lengths of its token
//! lists ([`crate::wire::Completions::usage`]).

use bedrock_adapter_kit::functions;
use bedrock_adapter_kit::types::{AdapterError, Output, Response};
use bedrock_adapter_kit::wire::{object, read};

use crate::stop;
use crate::wire::{self, Chat, Completions, Shape};

/// Parses the body of a successful `InvokeModel` response.
pub fn parse(body: &[u8]) -> Result<Response, AdapterError> {
    let value = object(body, "the body")?;
    match wire::shape(&value) {
        Shape::Jamba => {
            let Chat { choices, usage } = read(value, "an AI21 Jamba response")?;
            let stop = choices
                .first()
                .and_then(|choice| choice.finish_reason.as_deref())
                .map(stop::from_jamba);
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
        Shape::Jurassic2 => {
            let body: Completions = read(value, "an AI21 Jurassic-2 response")?;
            let usage = body.usage();
            let stop = body
                .completions
                .first()
                .and_then(|completion| completion.finish_reason.as_ref())
                .map(|finish| stop::from_jurassic2(&finish.reason));
            Ok(Response {
                outputs: body
                    .completions
                    .into_iter()
                    .map(|completion| Output::Text(completion.data.text))
                    .collect(),
                stop,
                usage,
            })
        }
        Shape::Unknown => Err(AdapterError::MalformedResponse(
            "not an AI21 response: it has neither `choices` nor `completions`".to_owned(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bedrock_adapter_kit::types::{Stop, StopReason, ToolCall, Usage};

    #[test]
    fn jamba_as_aws_documents_it() {
        // No recording of Jamba exists; the shape is that of AWS's "AI21
        // Labs Jamba models" page (model invocation response body field)
        // and AI21's chat response reference
        // (https://docs.ai21.com/reference/jamba-api-response).
        let body = br#"{"id":"chat-1","choices":[{"index":0,"message":{"role":"assistant","content":"Strong decisions start with clear goals.","tool_calls":null},"finish_reason":"stop"}],"usage":{"prompt_tokens":22,"completion_tokens":9,"total_tokens":31},"meta":{"requestDurationMillis":540},"model":"jamba-instruct"}"#;
        assert_eq!(
            parse(body),
            Ok(Response {
                outputs: vec![Output::Text(
                    "Strong decisions start with clear goals.".to_owned()
                )],
                stop: Some(Stop {
                    reason: StopReason::EndTurn,
                    raw: Some("stop".to_owned())
                }),
                usage: Some(Usage {
                    input_tokens: 22,
                    output_tokens: 9,
                    cache_read_tokens: None,
                    cache_write_tokens: None,
                }),
            })
        );
    }

    #[test]
    fn jamba_with_several_answers() {
        let body = br#"{"choices":[{"index":0,"message":{"role":"assistant","content":"A"},"finish_reason":"length"},{"index":1,"message":{"role":"assistant","content":"B"},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":8,"total_tokens":13}}"#;
        let response = parse(body).expect("parse");
        assert_eq!(
            response.outputs,
            vec![Output::Text("A".to_owned()), Output::Text("B".to_owned())]
        );
        assert_eq!(
            response.stop.map(|stop| stop.reason),
            Some(StopReason::MaxTokens)
        );
    }

    #[test]
    fn jurassic2_counts_its_tokens() {
        // Shape of New Relic's recorded ai21.j2-mid-v1 body, tokens cut short.
        let body = br#"{"id":1234,"prompt":{"text":"What is 212?","tokens":[{"generatedToken":{"token":"What"}},{"generatedToken":{"token":"212?"}}]},"completions":[{"data":{"text":"\n100 degrees.","tokens":[{"generatedToken":{"token":"<|newline|>"}},{"generatedToken":{"token":"100"}},{"generatedToken":{"token":"degrees."}}]},"finishReason":{"reason":"endoftext"}}]}"#;
        assert_eq!(
            parse(body),
            Ok(Response {
                outputs: vec![Output::Text("\n100 degrees.".to_owned())],
                stop: Some(Stop {
                    reason: StopReason::EndTurn,
                    raw: Some("endoftext".to_owned())
                }),
                usage: Some(Usage {
                    input_tokens: 2,
                    output_tokens: 3,
                    cache_read_tokens: None,
                    cache_write_tokens: None,
                }),
            })
        );
        let untokenised = br#"{"completions":[{"data":{"text":"x"},"finishReason":{"reason":"stop","sequence":"\n"}}]}"#;
        let response = parse(untokenised).expect("parse");
        assert_eq!(response.usage, None);
        assert_eq!(
            response.stop.map(|stop| stop.reason),
            Some(StopReason::StopSequence)
        );
    }

    #[test]
    fn jamba_tool_call() {
        // AI21's chat response reference: `content` null, the call's
        // arguments a JSON string, finish reason `tool_calls`.
        let body = br#"{"id":"chat-1","choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[{"id":"call_6f2b","type":"function","function":{"name":"get_weather","arguments":"{\"city\": \"Paris\"}"}}]},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":80,"completion_tokens":12,"total_tokens":92}}"#;
        let response = parse(body).expect("parse");
        assert_eq!(
            response.outputs,
            [Output::ToolCall(ToolCall {
                id: "call_6f2b".to_owned(),
                name: "get_weather".to_owned(),
                input: r#"{"city":"Paris"}"#.to_owned(),
            })]
        );
        assert_eq!(
            response.stop.map(|stop| stop.reason),
            Some(StopReason::ToolUse)
        );
    }

    #[test]
    fn malformed() {
        for body in [
            &b"not json"[..],
            b"[]",
            br#"{"generation":"x"}"#,
            br#"{"choices":[{"message":{"content":3}}]}"#,
            br#"{"completions":[{"data":{}}]}"#,
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
