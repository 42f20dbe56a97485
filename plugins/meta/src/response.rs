//! `parse-response`: reads a non-streamed Llama body, `{"generation",
//! "prompt_token_count", "generation_token_count", "stop_reason"}`.
//!
//! Invariants: the answer is one text output, the generation as sent; the
//! stop reason keeps the raw value; usage is given only when the body has
//! both counts (the host falls back to Bedrock's headers otherwise).

use bedrock_adapter_kit::types::{AdapterError, Output, Response};
use bedrock_adapter_kit::wire::{object, read, usage};

use crate::stop;
use crate::wire::Generation;

/// Parses the body of a successful `InvokeModel` response.
pub fn parse(body: &[u8]) -> Result<Response, AdapterError> {
    let Generation {
        generation,
        prompt_token_count,
        generation_token_count,
        stop_reason,
    } = read(object(body, "the body")?, "a Llama response")?;
    let generation = generation.ok_or_else(|| {
        AdapterError::MalformedResponse("not a Llama response: no `generation`".to_owned())
    })?;
    Ok(Response {
        outputs: vec![Output::Text(generation)],
        stop: stop_reason.as_deref().map(stop::from_llama),
        usage: usage(prompt_token_count, generation_token_count),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use bedrock_adapter_kit::types::{Stop, StopReason, Usage};

    #[test]
    fn body() {
        // openllmetry test_meta_llama3_completion.yaml (Llama 3 70B).
        let body = br#"{"generation":"\nWhy did the opentelemetry span go to therapy?","prompt_token_count":8,"generation_token_count":35,"stop_reason":"stop"}"#;
        assert_eq!(
            parse(body),
            Ok(Response {
                outputs: vec![Output::Text(
                    "\nWhy did the opentelemetry span go to therapy?".to_owned()
                )],
                stop: Some(Stop {
                    reason: StopReason::EndTurn,
                    raw: Some("stop".to_owned())
                }),
                usage: Some(Usage {
                    input_tokens: 8,
                    output_tokens: 35,
                    cache_read_tokens: None,
                    cache_write_tokens: None,
                }),
            })
        );
    }

    #[test]
    fn body_without_counts() {
        let response = parse(br#"{"generation":"x","stop_reason":null}"#).expect("parse");
        assert_eq!(response.stop, None);
        assert_eq!(response.usage, None);
    }

    #[test]
    fn malformed() {
        for body in [
            &b"not json"[..],
            b"[]",
            br#"{"outputs":[]}"#,
            br#"{"generation":3}"#,
            br#"{"generation":"x","prompt_token_count":-1}"#,
        ] {
            assert!(
                matches!(parse(body), Err(AdapterError::MalformedResponse(_))),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }
}
