//! `parse-response`: reads a non-streamed Palmyra chat completion body.
//!
//! Invariants: the answer is the first choice's message: its
//! `reasoning_content`, when there is any, one reasoning output, then its
//! `content` one text output; the stop reason keeps the raw value; usage is
//! given when the body has both counts (the host falls back to Bedrock's
//! headers otherwise).

use bedrock_adapter_kit::types::{AdapterError, Output, Reasoning, Response};
use bedrock_adapter_kit::wire::{object, read};

use crate::stop;
use crate::wire::{Chat, Choice, Said};

/// Parses the body of a successful `InvokeModel` response.
pub fn parse(body: &[u8]) -> Result<Response, AdapterError> {
    let chat: Chat = read(object(body, "the body")?, "a Writer chat completion")?;
    let usage = chat.usage.as_ref().and_then(|usage| usage.usage());
    let Some(Choice {
        message: Some(Said {
            content,
            reasoning_content,
        }),
        finish_reason,
        ..
    }) = chat.first()
    else {
        return Err(AdapterError::MalformedResponse(
            "not a Writer chat completion: no `choices` with a `message`".to_owned(),
        ));
    };
    let reasoning = reasoning_content
        .filter(|text| !text.is_empty())
        .map(|text| {
            Output::Reasoning(Reasoning {
                text,
                signature: None,
            })
        });
    let text = content.filter(|text| !text.is_empty()).map(Output::Text);
    Ok(Response {
        outputs: reasoning.into_iter().chain(text).collect(),
        stop: finish_reason.as_deref().map(stop::from_writer),
        usage,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use bedrock_adapter_kit::types::{Stop, StopReason, Usage};

    #[test]
    fn aws_example() {
        // AWS's Palmyra X5 response example, its content shortened.
        let body = br#"{"id":"chatcmpl-a689a6e150b048ca8814890d3d904d41","object":"chat.completion","created":1745854231,"model":"writer.palmyra-x5-v1:0","choices":[{"index":0,"message":{"role":"assistant","reasoning_content":null,"content":"Quantum computing harnesses quantum mechanics.","tool_calls":[]},"logprobs":null,"finish_reason":"stop","stop_reason":null}],"usage":{"prompt_tokens":43,"total_tokens":186,"completion_tokens":143,"prompt_tokens_details":null},"prompt_logprobs":null}"#;
        assert_eq!(
            parse(body),
            Ok(Response {
                outputs: vec![Output::Text(
                    "Quantum computing harnesses quantum mechanics.".to_owned()
                )],
                stop: Some(Stop {
                    reason: StopReason::EndTurn,
                    raw: Some("stop".to_owned()),
                }),
                usage: Some(Usage {
                    input_tokens: 43,
                    output_tokens: 143,
                    cache_read_tokens: None,
                    cache_write_tokens: None,
                }),
            })
        );
    }

    #[test]
    fn reasoning_comes_apart() {
        let body = br#"{"choices":[{"index":0,"message":{"reasoning_content":"Think.","content":"Answer."},"finish_reason":"length"}]}"#;
        let response = parse(body).expect("parses");
        assert_eq!(
            response.outputs,
            [
                Output::Reasoning(Reasoning {
                    text: "Think.".to_owned(),
                    signature: None
                }),
                Output::Text("Answer.".to_owned())
            ]
        );
        assert_eq!(response.usage, None);
    }

    #[test]
    fn malformed() {
        for body in [
            &b"not json"[..],
            b"[]",
            br#"{"choices":[]}"#,
            br#"{"choices":[{"index":0}]}"#,
            br#"{"choices":[{"index":0,"message":{"content":3}}]}"#,
        ] {
            assert!(
                matches!(parse(body), Err(AdapterError::MalformedResponse(_))),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }
}
