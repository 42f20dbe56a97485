//! `parse-response`: reads a non-streamed DeepSeek-R1 body,
//! `{"choices": [{"text", "stop_reason"}]}`.
//!
//! Invariants: the text of the first choice is split as a stream's would
//! be ([`crate::thinking`]): the thinking is one reasoning output, the rest
//! one text output, in that order; the stop reason keeps the raw value; the
//! body carries no token counts, so usage is left to Bedrock's headers.

use bedrock_adapter_kit::types::{AdapterError, Output, Reasoning, Response};
use bedrock_adapter_kit::wire::{object, read};

use crate::stop;
use crate::thinking::{Piece, Splitter};
use crate::wire::{Choice, Completion};

/// Parses the body of a successful `InvokeModel` response.
pub fn parse(body: &[u8]) -> Result<Response, AdapterError> {
    let Completion { choices } = read(object(body, "the body")?, "a DeepSeek response")?;
    let Some(Choice { text, stop_reason }) = choices.and_then(|choices| choices.into_iter().next())
    else {
        return Err(AdapterError::MalformedResponse(
            "not a DeepSeek response: no `choices`".to_owned(),
        ));
    };
    let text = text.ok_or_else(|| {
        AdapterError::MalformedResponse("not a DeepSeek response: no `text`".to_owned())
    })?;
    let mut reasoning = String::new();
    let mut answer = String::new();
    for piece in Splitter::whole(&text) {
        match piece {
            Piece::Reasoning(part) => reasoning.push_str(&part),
            Piece::Answer(part) => answer.push_str(&part),
        }
    }
    let reasoning = (!reasoning.is_empty()).then_some(Output::Reasoning(Reasoning {
        text: reasoning,
        signature: None,
    }));
    let answer = (!answer.is_empty()).then_some(Output::Text(answer));
    Ok(Response {
        outputs: reasoning.into_iter().chain(answer).collect(),
        stop: stop_reason.as_deref().map(stop::from_deepseek),
        usage: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use bedrock_adapter_kit::types::{Stop, StopReason};

    #[test]
    fn thinking_and_answer_apart() {
        let body = br#"{"choices":[{"text":"The user wants one line.\n</think>\n\nIt prints a greeting.","stop_reason":"stop"}]}"#;
        assert_eq!(
            parse(body),
            Ok(Response {
                outputs: vec![
                    Output::Reasoning(Reasoning {
                        text: "The user wants one line.".to_owned(),
                        signature: None,
                    }),
                    Output::Text("It prints a greeting.".to_owned()),
                ],
                stop: Some(Stop {
                    reason: StopReason::EndTurn,
                    raw: Some("stop".to_owned()),
                }),
                usage: None,
            })
        );
    }

    #[test]
    fn stopped_while_thinking() {
        let response =
            parse(br#"{"choices":[{"text":"Let me count","stop_reason":"length"}]}"#).expect("ok");
        assert_eq!(
            response.outputs,
            [Output::Reasoning(Reasoning {
                text: "Let me count".to_owned(),
                signature: None,
            })]
        );
        assert_eq!(
            response.stop.map(|stop| stop.reason),
            Some(StopReason::MaxTokens)
        );
    }

    #[test]
    fn malformed() {
        for body in [
            &b"not json"[..],
            b"[]",
            br#"{"generation":"x"}"#,
            br#"{"choices":[]}"#,
            br#"{"choices":[{"stop_reason":"stop"}]}"#,
            br#"{"choices":[{"text":3}]}"#,
        ] {
            assert!(
                matches!(parse(body), Err(AdapterError::MalformedResponse(_))),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }
}
