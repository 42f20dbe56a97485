//! The `stream-decoder` resource: turns the model JSON of each streamed
//! chunk into text, stop and usage events, for Nova streams (one event key
//! per chunk: `contentBlockDelta`, `messageStop`, `metadata`, ...) and Titan
//! Text streams (`outputText` chunks), the family chosen by model id.
//!
//! Invariants: text is emitted as it arrives, and only answer text (Nova's
//! tool-call and reasoning deltas are not); a stream yields at most one stop
//! and one usage event. Nova's stop comes from `messageStop` and its usage
//! from `metadata`. Titan's stop comes from the first chunk naming a
//! `completionReason`; its usage is emitted by `finish`, pairing the
//! `inputTextTokenCount` and the last `totalOutputTextTokenCount` seen,
//! since the two arrive on different chunks (openllmetry
//! `test_titan_invoke_stream`). Bedrock's own keys
//! (`amazon-bedrock-invocationMetrics`, `amazon-bedrock-guardrailAction`)
//! are left to the host. A chunk that is not a JSON object, or a Nova chunk
//! reporting an exception, is malformed.

use std::cell::Cell;

use serde_json::{Map, Value};

use crate::bedrock::adapter::types::{AdapterError, Event, Stop, Usage};
use crate::exports::bedrock::adapter::adapter::GuestStreamDecoder;
use crate::models::{self, Family};
use crate::stop;
use crate::wire::{self, NovaChunk, TitanChunk};

/// Decodes one stream.
pub struct Decoder {
    /// The model the stream comes from.
    model_id: String,
    /// Whether the stop event has been emitted.
    stopped: Cell<bool>,
    /// Whether the usage event has been emitted.
    counted: Cell<bool>,
    /// Titan's prompt token count, once a chunk has given it.
    input_tokens: Cell<Option<u32>>,
    /// Titan's latest generated token count.
    output_tokens: Cell<Option<u32>>,
}

impl GuestStreamDecoder for Decoder {
    fn new(model_id: String) -> Self {
        Decoder {
            model_id,
            stopped: Cell::new(false),
            counted: Cell::new(false),
            input_tokens: Cell::new(None),
            output_tokens: Cell::new(None),
        }
    }

    fn feed(&self, chunk: Vec<u8>) -> Result<Vec<Event>, AdapterError> {
        let family = models::family_for(&self.model_id)?;
        let value: Value = serde_json::from_slice(&chunk).map_err(|err| {
            AdapterError::MalformedResponse(format!("a stream chunk is not JSON: {err}"))
        })?;
        let Value::Object(object) = value else {
            return Err(AdapterError::MalformedResponse(format!(
                "a stream chunk is not a JSON object: {value}"
            )));
        };
        match family {
            Family::Nova => self.nova(object),
            Family::Titan => self.titan(wire::read(Value::Object(object), "Titan Text chunk")?),
        }
    }

    fn finish(&self) -> Result<Vec<Event>, AdapterError> {
        let usage = self
            .input_tokens
            .get()
            .zip(self.output_tokens.get())
            .and_then(|(input_tokens, output_tokens)| {
                self.usage(Usage {
                    input_tokens,
                    output_tokens,
                })
            });
        Ok(usage.into_iter().collect())
    }
}

impl Decoder {
    fn nova(&self, object: Map<String, Value>) -> Result<Vec<Event>, AdapterError> {
        if let Some((name, exception)) = object.iter().find(|(key, _)| key.ends_with("Exception")) {
            let message = exception
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or("no message");
            return Err(AdapterError::MalformedResponse(format!(
                "the stream reported {name}: {message}"
            )));
        }
        let chunk: NovaChunk = wire::read(Value::Object(object), "Nova stream chunk")?;
        let text = chunk
            .content_block_delta
            .and_then(|block| block.delta.text)
            .filter(|text| !text.is_empty())
            .map(Event::Text);
        let stop = chunk
            .message_stop
            .and_then(|message_stop| message_stop.stop_reason)
            .and_then(|raw| self.stop(stop::nova(&raw)));
        let usage = chunk
            .metadata
            .and_then(|metadata| metadata.usage)
            .and_then(|usage| usage.usage())
            .and_then(|usage| self.usage(usage));
        Ok(text.into_iter().chain(stop).chain(usage).collect())
    }

    fn titan(&self, chunk: TitanChunk) -> Result<Vec<Event>, AdapterError> {
        if let Some(count) = chunk.input_text_token_count {
            self.input_tokens.set(Some(count.0));
        }
        if let Some(count) = chunk.total_output_text_token_count {
            self.output_tokens.set(Some(count.0));
        }
        let text = chunk
            .output_text
            .filter(|text| !text.is_empty())
            .map(Event::Text);
        let stop = chunk
            .completion_reason
            .and_then(|raw| self.stop(stop::titan(&raw)));
        Ok(text.into_iter().chain(stop).collect())
    }

    /// The stop event, unless one has been emitted already.
    fn stop(&self, stop: Stop) -> Option<Event> {
        (!self.stopped.replace(true)).then_some(Event::Stop(stop))
    }

    /// The usage event, unless one has been emitted already.
    fn usage(&self, usage: Usage) -> Option<Event> {
        (!self.counted.replace(true)).then_some(Event::Usage(usage))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bedrock::adapter::types::StopReason;

    fn run(model_id: &str, chunks: &[&str]) -> Result<Vec<Event>, AdapterError> {
        let decoder = Decoder::new(model_id.to_owned());
        let mut events = Vec::new();
        for chunk in chunks {
            events.extend(decoder.feed(chunk.as_bytes().to_vec())?);
        }
        events.extend(decoder.finish()?);
        Ok(events)
    }

    fn stop(reason: StopReason, raw: &str) -> Event {
        Event::Stop(Stop {
            reason,
            raw: Some(raw.to_owned()),
        })
    }

    fn usage(input_tokens: u32, output_tokens: u32) -> Event {
        Event::Usage(Usage {
            input_tokens,
            output_tokens,
        })
    }

    #[test]
    fn nova_stream_with_tool_call() {
        // Shape of otel-python-contrib test_invoke_model_with_response_stream
        // _with_content_tool_call[amazon.nova], shortened.
        let events = run(
            "amazon.nova-micro-v1:0",
            &[
                r#"{"messageStart":{"role":"assistant"}}"#,
                r#"{"contentBlockDelta":{"delta":{"text":"<thinking"},"contentBlockIndex":0}}"#,
                r#"{"contentBlockStop":{"contentBlockIndex":0}}"#,
                r#"{"contentBlockDelta":{"delta":{"text":">\n"},"contentBlockIndex":1}}"#,
                r#"{"contentBlockStart":{"start":{"toolUse":{"toolUseId":"3cd5","name":"get_current_weather"}},"contentBlockIndex":22}}"#,
                r#"{"contentBlockDelta":{"delta":{"toolUse":{"input":"{\"location\":\"Seattle\"}"}},"contentBlockIndex":22}}"#,
                r#"{"contentBlockStop":{"contentBlockIndex":22}}"#,
                r#"{"messageStop":{"stopReason":"tool_use"}}"#,
                r#"{"metadata":{"usage":{"inputTokens":427,"outputTokens":156,"cacheReadInputTokenCount":0,"cacheWriteInputTokenCount":0},"metrics":{},"trace":{}},"amazon-bedrock-invocationMetrics":{"inputTokenCount":427,"outputTokenCount":156,"invocationLatency":433,"firstByteLatency":61}}"#,
            ],
        );
        assert_eq!(
            events,
            Ok(vec![
                Event::Text("<thinking".to_owned()),
                Event::Text(">\n".to_owned()),
                stop(StopReason::ToolUse, "tool_use"),
                usage(427, 156),
            ])
        );
    }

    #[test]
    fn nova_guardrail_and_empty_deltas() {
        // Shape of openllmetry test_nova_invoke_stream: every delta carries
        // Bedrock's guardrail key, some are empty.
        let events = run(
            "amazon.nova-lite-v1:0",
            &[
                r#"{"contentBlockDelta":{"delta":{"text":"On"},"contentBlockIndex":0},"amazon-bedrock-guardrailAction":"INTERVENED"}"#,
                r#"{"contentBlockDelta":{"delta":{"text":""},"contentBlockIndex":1},"amazon-bedrock-guardrailAction":"INTERVENED"}"#,
                r#"{"messageStop":{"stopReason":"end_turn"},"amazon-bedrock-guardrailAction":"INTERVENED"}"#,
            ],
        );
        assert_eq!(
            events,
            Ok(vec![
                Event::Text("On".to_owned()),
                stop(StopReason::EndTurn, "end_turn"),
            ])
        );
    }

    #[test]
    fn titan_counts_from_different_chunks() {
        // Shape of openllmetry test_titan_invoke_stream: floats, the input
        // count on the first chunk, the output count on the last.
        let events = run(
            "amazon.titan-text-express-v1",
            &[
                r#"{"outputText":"\nOnce upon","index":0.0,"inputTextTokenCount":28.0,"amazon-bedrock-guardrailAction":"INTERVENED"}"#,
                r#"{"outputText":" a time","index":0.0,"completionReason":null}"#,
                r#"{"outputText":".","index":0.0,"totalOutputTextTokenCount":188.0,"completionReason":"FINISH","amazon-bedrock-invocationMetrics":{"inputTokenCount":28,"outputTokenCount":188,"invocationLatency":9289,"firstByteLatency":9288}}"#,
            ],
        );
        assert_eq!(
            events,
            Ok(vec![
                Event::Text("\nOnce upon".to_owned()),
                Event::Text(" a time".to_owned()),
                Event::Text(".".to_owned()),
                stop(StopReason::EndTurn, "FINISH"),
                usage(28, 188),
            ])
        );
    }

    #[test]
    fn titan_blocked_by_a_guardrail() {
        // openllmetry test_guardrail_invoke_stream: no completionReason.
        let events = run(
            "amazon.titan-text-express-v1",
            &[
                r#"{"outputText":"Input blocked","index":0.0,"totalOutputTextTokenCount":3.0,"inputTextTokenCount":6.0,"amazon-bedrock-guardrailAction":"INTERVENED"}"#,
            ],
        );
        assert_eq!(
            events,
            Ok(vec![Event::Text("Input blocked".to_owned()), usage(6, 3)])
        );
    }

    #[test]
    fn one_stop_only() {
        let events = run(
            "amazon.titan-text-lite-v1",
            &[
                r#"{"outputText":"a","completionReason":"LENGTH"}"#,
                r#"{"outputText":"","completionReason":"FINISH"}"#,
            ],
        );
        assert_eq!(
            events,
            Ok(vec![
                Event::Text("a".to_owned()),
                stop(StopReason::MaxTokens, "LENGTH"),
            ])
        );
    }

    #[test]
    fn malformed_chunks() {
        for (model, chunk) in [
            ("amazon.nova-lite-v1:0", "not json"),
            ("amazon.nova-lite-v1:0", "[1]"),
            (
                "amazon.nova-lite-v1:0",
                r#"{"contentBlockDelta":{"delta":{"text":1}}}"#,
            ),
            (
                "amazon.nova-lite-v1:0",
                r#"{"modelStreamErrorException":{"message":"boom","originalStatusCode":500}}"#,
            ),
            ("amazon.titan-text-lite-v1", r#"{"outputText":["a"]}"#),
            (
                "amazon.titan-text-lite-v1",
                r#"{"totalOutputTextTokenCount":-3}"#,
            ),
        ] {
            assert!(
                matches!(
                    run(model, &[chunk]),
                    Err(AdapterError::MalformedResponse(_))
                ),
                "{chunk}"
            );
        }
        assert!(matches!(
            run("amazon.titan-embed-text-v1", &["{}"]),
            Err(AdapterError::Unsupported(_))
        ));
    }
}
