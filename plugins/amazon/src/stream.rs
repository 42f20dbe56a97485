//! The `stream-decoder` resource: turns the model JSON of each streamed
//! chunk into text, stop and usage events, for Nova streams (one event key
//! per chunk: `contentBlockDelta`, `messageStop`, `metadata`, ...) and Titan
//! Text streams (`outputText` chunks), the family chosen by model id.
//!
//! Invariants: text and Nova 2's reasoning are emitted as they arrive; a
//! Nova tool call is started by its
//! `contentBlockStart`, its input comes from `toolUse` deltas, and it ends
//! at `contentBlockStop` (or before any other content, or at `finish`: none
//! is left open); a stream yields at most one stop and one usage event.
//! Nova's stop comes from `messageStop` and its usage (with cache counts)
//! from `metadata`. Titan's stop comes from the first chunk naming a
//! `completionReason`; its usage is emitted by `finish`, pairing the
//! `inputTextTokenCount` and the last `totalOutputTextTokenCount` seen,
//! since the two arrive on different chunks (openllmetry
//! `test_titan_invoke_stream`). Bedrock's own keys
//! (`amazon-bedrock-invocationMetrics`, `amazon-bedrock-guardrailAction`)
//! are left to the host. A chunk that is not a JSON object, or a Nova chunk
//! reporting an exception, is malformed.

use bedrock_adapter_kit::stream::{HeldUsage, Once, ToolCalls};
use bedrock_adapter_kit::types::{AdapterError, Event};
use bedrock_adapter_kit::wire::{object, read};
use serde_json::Value;

use crate::exports::bedrock::adapter::adapter::GuestStreamDecoder;
use crate::models::{self, Family};
use crate::stop;
use crate::wire::{NovaChunk, TitanChunk};

/// Decodes one stream.
pub struct Decoder {
    /// The model the stream comes from.
    model_id: String,
    /// Lets the first stop event through.
    stopped: Once,
    /// Lets the first usage event through.
    counted: Once,
    /// Titan's prompt token count and latest generated token count.
    titan_usage: HeldUsage,
    /// Nova's open tool call.
    calls: ToolCalls,
}

impl GuestStreamDecoder for Decoder {
    fn new(model_id: String) -> Self {
        Decoder {
            model_id,
            stopped: Once::default(),
            counted: Once::default(),
            titan_usage: HeldUsage::default(),
            calls: ToolCalls::default(),
        }
    }

    fn feed(&self, chunk: Vec<u8>) -> Result<Vec<Event>, AdapterError> {
        let family = models::family_for(&self.model_id)?;
        let value = object(&chunk, "a stream chunk")?;
        match family {
            Family::Nova => self.nova(value),
            Family::Titan => self.titan(read(value, "a Titan Text chunk")?),
        }
    }

    fn finish(&self) -> Result<Vec<Event>, AdapterError> {
        let usage = self
            .titan_usage
            .take()
            .and_then(|usage| self.counted.first(Event::Usage(usage)));
        Ok(self.calls.close().into_iter().chain(usage).collect())
    }
}

impl Decoder {
    fn nova(&self, value: Value) -> Result<Vec<Event>, AdapterError> {
        let exception = value
            .as_object()
            .and_then(|object| object.iter().find(|(key, _)| key.ends_with("Exception")));
        if let Some((name, exception)) = exception {
            let message = exception
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or("no message");
            return Err(AdapterError::MalformedResponse(format!(
                "the stream reported {name}: {message}"
            )));
        }
        let chunk: NovaChunk = read(value, "a Nova stream chunk")?;
        let mut events = Vec::new();
        if let Some(call) = chunk
            .content_block_start
            .and_then(|block| block.start.tool_use)
        {
            events.extend(self.calls.start(call.tool_use_id, call.name));
        }
        if let Some(delta) = chunk.content_block_delta.map(|block| block.delta) {
            if let Some(text) = delta.text.filter(|text| !text.is_empty()) {
                events.extend(self.calls.then(Event::Text(text)));
            }
            let reasoning = delta.reasoning_content.and_then(|reasoning| reasoning.text);
            if let Some(text) = reasoning.filter(|text| !text.is_empty()) {
                events.extend(self.calls.then(Event::Reasoning(text)));
            }
            events.extend(delta.tool_use.and_then(|call| self.calls.input(call.input)));
        }
        if chunk.content_block_stop.is_some() || chunk.message_stop.is_some() {
            events.extend(self.calls.close());
        }
        events.extend(
            chunk
                .message_stop
                .and_then(|message_stop| message_stop.stop_reason)
                .and_then(|raw| self.stopped.first(Event::Stop(stop::nova(&raw)))),
        );
        events.extend(
            chunk
                .metadata
                .and_then(|metadata| metadata.usage)
                .and_then(|usage| usage.usage())
                .and_then(|usage| self.counted.first(Event::Usage(usage))),
        );
        Ok(events)
    }

    fn titan(&self, chunk: TitanChunk) -> Result<Vec<Event>, AdapterError> {
        self.titan_usage.update(
            chunk.input_text_token_count.map(|count| count.0),
            chunk.total_output_text_token_count.map(|count| count.0),
        );
        let text = chunk
            .output_text
            .filter(|text| !text.is_empty())
            .map(Event::Text);
        let stop = chunk
            .completion_reason
            .and_then(|raw| self.stopped.first(Event::Stop(stop::titan(&raw))));
        Ok(text.into_iter().chain(stop).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bedrock_adapter_kit::stop::sent;
    use bedrock_adapter_kit::testing;
    use bedrock_adapter_kit::types::{StopReason, ToolCallStart, Usage};

    fn run(model_id: &str, chunks: &[&str]) -> Result<Vec<Event>, AdapterError> {
        let decoder = Decoder::new(model_id.to_owned());
        testing::decode(chunks, |chunk| decoder.feed(chunk), || decoder.finish())
    }

    fn counts(input_tokens: u32, output_tokens: u32) -> Usage {
        Usage {
            input_tokens,
            output_tokens,
            cache_read_tokens: None,
            cache_write_tokens: None,
        }
    }

    fn usage(input_tokens: u32, output_tokens: u32) -> Event {
        Event::Usage(counts(input_tokens, output_tokens))
    }

    #[test]
    fn nova_2_reasoning_stream() {
        let events = run(
            "amazon.nova-2-lite-v1:0",
            &[
                r#"{"contentBlockDelta":{"delta":{"reasoningContent":{"text":"[REDACTED]"}},"contentBlockIndex":0}}"#,
                r#"{"contentBlockStop":{"contentBlockIndex":0}}"#,
                r#"{"contentBlockDelta":{"delta":{"text":"4"},"contentBlockIndex":1}}"#,
            ],
        );
        assert_eq!(
            events,
            Ok(vec![
                Event::Reasoning("[REDACTED]".to_owned()),
                Event::Text("4".to_owned()),
            ])
        );
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
                Event::ToolCallStart(ToolCallStart {
                    id: "3cd5".to_owned(),
                    name: "get_current_weather".to_owned(),
                }),
                Event::ToolCallInput(r#"{"location":"Seattle"}"#.to_owned()),
                Event::ToolCallEnd,
                Event::Stop(sent(StopReason::ToolUse, "tool_use")),
                Event::Usage(Usage {
                    cache_read_tokens: Some(0),
                    cache_write_tokens: Some(0),
                    ..counts(427, 156)
                }),
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
                Event::Stop(sent(StopReason::EndTurn, "end_turn")),
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
                Event::Stop(sent(StopReason::EndTurn, "FINISH")),
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
                Event::Stop(sent(StopReason::MaxTokens, "LENGTH")),
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
