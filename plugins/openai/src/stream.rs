//! The `stream-decoder` resource: turns each streamed
//! `chat.completion.chunk` into reasoning, text, tool call, stop and usage
//! events.
//!
//! Invariants: a stream follows its first answer only (the `choices` entry
//! with index 0); reasoning (a `reasoning_content` or `reasoning` delta, or
//! the `<reasoning>` text at the start of the content, split by
//! [`crate::reasoning::Splitter`] even when a tag falls across chunks) is
//! reasoning events, the rest of the content text events, each as it is
//! decided; tool calls come in fragments (the first with `id` and name,
//! the next with arguments only) and are start, input and end events, a
//! call ending before any other content or the stop; held content is let
//! out before the stop; the stop event comes from the chunk that names a
//! `finish_reason`; usage (a chunk's `usage`) is held and emitted once by
//! `finish`, with the last counts sent. Bedrock's
//! `amazon-bedrock-invocationMetrics` is left to the host. A chunk that is
//! not a JSON object, or has a field of the wrong type, is malformed.

use bedrock_adapter_kit::functions::StreamedCalls;
use bedrock_adapter_kit::stream::HeldUsage;
use bedrock_adapter_kit::types::{AdapterError, Event};
use bedrock_adapter_kit::wire::{object, read};

use crate::exports::bedrock::adapter::adapter::GuestStreamDecoder;
use crate::reasoning::{Part, Splitter};
use crate::stop;
use crate::wire::Completion;

/// Decodes one stream. The state is the last token counts seen, whether a
/// tool call is open, and where the content's reasoning stands.
pub struct Decoder {
    usage: HeldUsage,
    calls: StreamedCalls,
    content: Splitter,
}

impl Decoder {
    /// The events of content parts, each closing an open call first.
    fn parts(&self, parts: Vec<Part>) -> Vec<Event> {
        parts
            .into_iter()
            .flat_map(|part| {
                self.calls.then(match part {
                    Part::Reasoning(text) => Event::Reasoning(text),
                    Part::Answer(text) => Event::Text(text),
                })
            })
            .collect()
    }
}

impl GuestStreamDecoder for Decoder {
    fn new(_model_id: String) -> Self {
        Decoder {
            usage: HeldUsage::default(),
            calls: StreamedCalls::default(),
            content: Splitter::default(),
        }
    }

    fn feed(&self, chunk: Vec<u8>) -> Result<Vec<Event>, AdapterError> {
        let value = object(&chunk, "a stream chunk")?;
        let Completion { choices, usage } = read(value, "an OpenAI chat completion chunk")?;
        if let Some(usage) = usage.as_ref().and_then(|counts| counts.usage()) {
            self.usage.keep(usage);
        }
        let mut events = Vec::new();
        let Some(choice) = choices.into_iter().find(|choice| choice.is_first()) else {
            return Ok(events);
        };
        if let Some(mut delta) = choice.delta.or(choice.message) {
            if let Some(reasoning) = delta.separate_reasoning() {
                events.extend(self.calls.then(Event::Reasoning(reasoning)));
            }
            if let Some(content) = delta.content.filter(|content| !content.is_empty()) {
                events.extend(self.parts(self.content.feed(&content)));
            }
            events.extend(self.calls.feed(delta.tool_calls.unwrap_or_default())?);
        }
        if let Some(raw) = choice.finish_reason {
            events.extend(self.parts(self.content.finish()));
            events.extend(self.calls.then(Event::Stop(stop::from_openai(&raw))));
        }
        Ok(events)
    }

    fn finish(&self) -> Result<Vec<Event>, AdapterError> {
        let mut events = self.parts(self.content.finish());
        events.extend(self.calls.close());
        events.extend(self.usage.take().map(Event::Usage));
        Ok(events)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bedrock_adapter_kit::stop::sent;
    use bedrock_adapter_kit::testing;
    use bedrock_adapter_kit::types::{StopReason, ToolCallStart, Usage};

    fn run(chunks: &[&str]) -> Result<Vec<Event>, AdapterError> {
        let decoder = Decoder::new("openai.gpt-oss-20b-1:0".to_owned());
        testing::decode(chunks, |chunk| decoder.feed(chunk), || decoder.finish())
    }

    #[test]
    fn reasoning_split_across_chunks_then_text() {
        let events = run(&[
            r#"{"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}"#,
            r#"{"object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"<reason"},"finish_reason":null}]}"#,
            r#"{"object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"ing>Greeting.</reas"},"finish_reason":null}]}"#,
            r#"{"object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"oning>Hel"},"finish_reason":null}]}"#,
            r#"{"object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"lo!"},"finish_reason":"stop"}],"usage":{"prompt_tokens":9,"completion_tokens":4,"total_tokens":13},"amazon-bedrock-invocationMetrics":{"inputTokenCount":9,"outputTokenCount":4,"invocationLatency":300,"firstByteLatency":100}}"#,
        ]);
        assert_eq!(
            events,
            Ok(vec![
                Event::Reasoning("Greeting.".to_owned()),
                Event::Text("Hel".to_owned()),
                Event::Text("lo!".to_owned()),
                Event::Stop(sent(StopReason::EndTurn, "stop")),
                Event::Usage(Usage {
                    input_tokens: 9,
                    output_tokens: 4,
                    cache_read_tokens: None,
                    cache_write_tokens: None,
                }),
            ])
        );
    }

    #[test]
    fn reasoning_content_deltas() {
        let events = run(&[
            r#"{"choices":[{"index":0,"delta":{"reasoning_content":"Think"},"finish_reason":null}]}"#,
            r#"{"choices":[{"index":0,"delta":{"content":"Done"},"finish_reason":null}]}"#,
            r#"{"choices":[{"index":1,"delta":{"content":"other"},"finish_reason":null}]}"#,
            r#"{"choices":[{"index":0,"delta":{},"finish_reason":"length"}]}"#,
        ]);
        assert_eq!(
            events,
            Ok(vec![
                Event::Reasoning("Think".to_owned()),
                Event::Text("Done".to_owned()),
                Event::Stop(sent(StopReason::MaxTokens, "length")),
            ])
        );
    }

    #[test]
    fn streamed_tool_calls_in_fragments() {
        let events = run(&[
            r#"{"choices":[{"index":0,"delta":{"content":"<reasoning>Weather.</reasoning>"},"finish_reason":null}]}"#,
            r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"get_weather","arguments":""}}]},"finish_reason":null}]}"#,
            r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"city\":"}}]},"finish_reason":null}]}"#,
            r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"\"Paris\"}"}}]},"finish_reason":null}]}"#,
            r#"{"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}"#,
        ]);
        assert_eq!(
            events,
            Ok(vec![
                Event::Reasoning("Weather.".to_owned()),
                Event::ToolCallStart(ToolCallStart {
                    id: "call_1".to_owned(),
                    name: "get_weather".to_owned(),
                }),
                Event::ToolCallInput(r#"{"city":"#.to_owned()),
                Event::ToolCallInput(r#""Paris"}"#.to_owned()),
                Event::ToolCallEnd,
                Event::Stop(sent(StopReason::ToolUse, "tool_calls")),
            ])
        );
    }

    #[test]
    fn held_content_comes_out_at_the_end() {
        assert_eq!(
            run(&[r#"{"choices":[{"index":0,"delta":{"content":"<rea"},"finish_reason":null}]}"#]),
            Ok(vec![Event::Text("<rea".to_owned())])
        );
        assert_eq!(
            run(&[r#"{"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2}}"#]),
            Ok(vec![Event::Usage(Usage {
                input_tokens: 1,
                output_tokens: 2,
                cache_read_tokens: None,
                cache_write_tokens: None,
            })])
        );
    }

    #[test]
    fn malformed_chunks() {
        for chunk in [
            "not json",
            "[1]",
            r#"{"choices":[{"delta":{"content":1}}]}"#,
            r#"{"choices":[{"delta":{"tool_calls":[{"function":{"arguments":"x"}}]}}]}"#,
        ] {
            assert!(
                matches!(run(&[chunk]), Err(AdapterError::MalformedResponse(_))),
                "{chunk}"
            );
        }
    }
}
