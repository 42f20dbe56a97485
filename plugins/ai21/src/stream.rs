//! The `stream-decoder` resource: turns the model JSON of each streamed
//! Jamba chunk (`{"choices": [{"delta": {"content", "tool_calls"},
//! "finish_reason"}], "usage"}`) into text, tool call, stop and usage
//! events. Jurassic-2 never streamed
//! on Bedrock.
//!
//! Invariants: a stream follows its first answer (the `choices` entry with
//! index 0); text is emitted as it arrives; tool calls (whole or in
//! fragments) are start, input and end events, a call ending before any
//! other content or the stop; the stop event comes from the
//! chunk that names a finish reason; usage is held and emitted once by
//! `finish`, with the last counts sent (the last chunk carries them).
//! Bedrock's `amazon-bedrock-invocationMetrics` is left to the host. Chunks
//! without `choices` are ignored; a chunk that is not a JSON object, or has
//! a field of the wrong type, is malformed.

use bedrock_adapter_kit::functions::StreamedCalls;
use bedrock_adapter_kit::stream::HeldUsage;
use bedrock_adapter_kit::types::{AdapterError, Event};
use bedrock_adapter_kit::wire::{object, read};

use crate::exports::bedrock::adapter::adapter::GuestStreamDecoder;
use crate::stop;
use crate::wire::{self, Chat, Shape};

/// Decodes one stream. The state is the last token counts seen and
/// whether a tool call is open.
pub struct Decoder {
    usage: HeldUsage,
    calls: StreamedCalls,
}

impl GuestStreamDecoder for Decoder {
    fn new(_model_id: String) -> Self {
        Decoder {
            usage: HeldUsage::default(),
            calls: StreamedCalls::default(),
        }
    }

    fn feed(&self, chunk: Vec<u8>) -> Result<Vec<Event>, AdapterError> {
        let value = object(&chunk, "a stream chunk")?;
        if wire::shape(&value) != Shape::Jamba {
            return Ok(Vec::new());
        }
        let Chat { choices, usage } = read(value, "an AI21 Jamba stream chunk")?;
        if let Some(usage) = usage.as_ref().and_then(|counts| counts.usage()) {
            self.usage.keep(usage);
        }
        let Some(choice) = choices.into_iter().find(|choice| choice.is_first()) else {
            return Ok(Vec::new());
        };
        let stop = choice
            .finish_reason
            .as_deref()
            .map(|raw| Event::Stop(stop::from_jamba(raw)));
        let (text, calls) = choice.into_parts();
        let mut events = Vec::new();
        if let Some(text) = text.filter(|text| !text.is_empty()) {
            events.extend(self.calls.then(Event::Text(text)));
        }
        events.extend(self.calls.feed(calls)?);
        if let Some(stop) = stop {
            events.extend(self.calls.then(stop));
        }
        Ok(events)
    }

    fn finish(&self) -> Result<Vec<Event>, AdapterError> {
        let end = self.calls.close();
        Ok(end
            .into_iter()
            .chain(self.usage.take().map(Event::Usage))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bedrock_adapter_kit::testing;
    use bedrock_adapter_kit::types::{Stop, StopReason, ToolCallStart, Usage};

    fn run(chunks: &[&str]) -> Result<Vec<Event>, AdapterError> {
        let decoder = Decoder::new("ai21.jamba-1-5-mini-v1:0".to_owned());
        testing::decode(chunks, |chunk| decoder.feed(chunk), || decoder.finish())
    }

    #[test]
    fn stream_as_ai21_documents_it() {
        // No recording of a Jamba stream exists; the shape is that of AI21's
        // chat response reference, streamed results
        // (https://docs.ai21.com/reference/jamba-api-response): a first
        // delta naming the role, content deltas, and a last chunk with the
        // finish reason and usage, here with Bedrock's metrics added.
        let events = run(&[
            r#"{"id":"chat-1","choices":[{"index":0,"delta":{"role":"assistant"},"finish_reason":null}],"usage":null}"#,
            r#"{"id":"chat-1","choices":[{"index":0,"delta":{"content":"Strong"},"finish_reason":null}],"usage":null}"#,
            r#"{"id":"chat-1","choices":[{"index":0,"delta":{"content":" decisions"},"finish_reason":null}],"usage":null}"#,
            r#"{"id":"chat-1","choices":[{"index":0,"delta":{"content":""},"finish_reason":"length"}],"usage":{"prompt_tokens":22,"total_tokens":24,"completion_tokens":2},"amazon-bedrock-invocationMetrics":{"inputTokenCount":22,"outputTokenCount":2,"invocationLatency":300,"firstByteLatency":120}}"#,
        ]);
        assert_eq!(
            events,
            Ok(vec![
                Event::Text("Strong".to_owned()),
                Event::Text(" decisions".to_owned()),
                Event::Stop(Stop {
                    reason: StopReason::MaxTokens,
                    raw: Some("length".to_owned())
                }),
                Event::Usage(Usage {
                    input_tokens: 22,
                    output_tokens: 2,
                    cache_read_tokens: None,
                    cache_write_tokens: None,
                }),
            ])
        );
    }

    #[test]
    fn tool_call_stream() {
        // As the local Bedrock streams a Jamba call: the role, the whole call
        // in one `delta.tool_calls`, then the finish reason and usage.
        let events = run(&[
            r#"{"choices":[{"index":0,"delta":{"role":"assistant"},"finish_reason":null}]}"#,
            r#"{"choices":[{"index":0,"delta":{"content":null,"tool_calls":[{"id":"call_6f2b","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},"finish_reason":null}]}"#,
            r#"{"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":80,"completion_tokens":12,"total_tokens":92}}"#,
        ]);
        assert_eq!(
            events,
            Ok(vec![
                Event::ToolCallStart(ToolCallStart {
                    id: "call_6f2b".to_owned(),
                    name: "get_weather".to_owned(),
                }),
                Event::ToolCallInput(r#"{"city":"Paris"}"#.to_owned()),
                Event::ToolCallEnd,
                Event::Stop(Stop {
                    reason: StopReason::ToolUse,
                    raw: Some("tool_calls".to_owned()),
                }),
                Event::Usage(Usage {
                    input_tokens: 80,
                    output_tokens: 12,
                    cache_read_tokens: None,
                    cache_write_tokens: None,
                }),
            ])
        );
    }

    #[test]
    fn other_answers_and_chunks_are_ignored() {
        assert_eq!(
            run(&[
                r#"{"choices":[{"index":1,"delta":{"content":"B"},"finish_reason":"stop"}]}"#,
                r#"{"p":"abc"}"#,
                r#"{"choices":[]}"#,
            ]),
            Ok(Vec::new())
        );
    }

    #[test]
    fn malformed_chunks() {
        for chunk in [
            "not json",
            "[1]",
            r#"{"choices":[{"delta":{"content":1}}]}"#,
        ] {
            assert!(
                matches!(run(&[chunk]), Err(AdapterError::MalformedResponse(_))),
                "{chunk}"
            );
        }
    }
}
