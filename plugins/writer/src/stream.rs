//! The `stream-decoder` resource: turns the model JSON of each streamed
//! Palmyra chunk (`{"choices": [{"delta": {"content", "reasoning_content"},
//! "finish_reason"}], "usage"}`) into reasoning, text, stop and usage
//! events.
//!
//! Invariants: a stream follows its first choice only; reasoning and text
//! are emitted as they arrive; the stop event comes from the chunk that
//! names a `finish_reason`, once; usage, when a chunk carries it, is held
//! and emitted once by `finish`, with the last counts sent. Bedrock's
//! `amazon-bedrock-invocationMetrics` is left to the host. A chunk that is
//! not a JSON object, or has a field of the wrong type, is malformed.

use bedrock_adapter_kit::stream::{HeldUsage, Once};
use bedrock_adapter_kit::types::{AdapterError, Event};
use bedrock_adapter_kit::wire::{object, read};

use crate::exports::bedrock::adapter::adapter::GuestStreamDecoder;
use crate::stop;
use crate::wire::{Chat, Said};

/// Decodes one stream: the counts seen, and whether the stop was given.
pub struct Decoder {
    usage: HeldUsage,
    stop: Once,
}

impl GuestStreamDecoder for Decoder {
    fn new(_model_id: String) -> Self {
        Decoder {
            usage: HeldUsage::default(),
            stop: Once::default(),
        }
    }

    fn feed(&self, chunk: Vec<u8>) -> Result<Vec<Event>, AdapterError> {
        let chat: Chat = read(object(&chunk, "a stream chunk")?, "a Writer stream chunk")?;
        if let Some(usage) = chat.usage.as_ref().and_then(|usage| usage.usage()) {
            self.usage.keep(usage);
        }
        let mut events = Vec::new();
        if let Some(choice) = chat.first() {
            if let Some(Said {
                content,
                reasoning_content,
            }) = choice.delta
            {
                events.extend(
                    reasoning_content
                        .filter(|t| !t.is_empty())
                        .map(Event::Reasoning),
                );
                events.extend(content.filter(|t| !t.is_empty()).map(Event::Text));
            }
            if let Some(raw) = choice.finish_reason {
                events.extend(self.stop.first(Event::Stop(stop::from_writer(&raw))));
            }
        }
        Ok(events)
    }

    fn finish(&self) -> Result<Vec<Event>, AdapterError> {
        Ok(self.usage.take().map(Event::Usage).into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bedrock_adapter_kit::stop::sent;
    use bedrock_adapter_kit::testing;
    use bedrock_adapter_kit::types::{StopReason, Usage};

    fn run(chunks: &[&str]) -> Result<Vec<Event>, AdapterError> {
        let decoder = Decoder::new("writer.palmyra-x5-v1:0".to_owned());
        testing::decode(chunks, |chunk| decoder.feed(chunk), || decoder.finish())
    }

    #[test]
    fn chat_completion_chunks() {
        let events = run(&[
            r#"{"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}"#,
            r#"{"choices":[{"index":0,"delta":{"content":"Quantum"},"finish_reason":null}]}"#,
            r#"{"choices":[{"index":0,"delta":{"content":" computing"},"finish_reason":null}]}"#,
            r#"{"choices":[{"index":0,"delta":{"content":""},"finish_reason":"length"}],"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7},"amazon-bedrock-invocationMetrics":{"inputTokenCount":5,"outputTokenCount":2,"invocationLatency":9,"firstByteLatency":3}}"#,
        ]);
        assert_eq!(
            events,
            Ok(vec![
                Event::Text("Quantum".to_owned()),
                Event::Text(" computing".to_owned()),
                Event::Stop(sent(StopReason::MaxTokens, "length")),
                Event::Usage(Usage {
                    input_tokens: 5,
                    output_tokens: 2,
                    cache_read_tokens: None,
                    cache_write_tokens: None,
                }),
            ])
        );
    }

    #[test]
    fn reasoning_deltas_and_one_stop() {
        let events = run(&[
            r#"{"choices":[{"index":0,"delta":{"reasoning_content":"Hmm."},"finish_reason":null}]}"#,
            r#"{"choices":[{"index":0,"delta":{"content":"Yes."},"finish_reason":"stop"}]}"#,
            r#"{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"#,
        ]);
        assert_eq!(
            events,
            Ok(vec![
                Event::Reasoning("Hmm.".to_owned()),
                Event::Text("Yes.".to_owned()),
                Event::Stop(sent(StopReason::EndTurn, "stop")),
            ])
        );
    }

    #[test]
    fn malformed_chunks() {
        for chunk in [
            "not json",
            "[1]",
            r#"{"choices":[{"index":0,"delta":{"content":1}}]}"#,
        ] {
            assert!(
                matches!(run(&[chunk]), Err(AdapterError::MalformedResponse(_))),
                "{chunk}"
            );
        }
    }
}
