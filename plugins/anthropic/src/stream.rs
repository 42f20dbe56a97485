//! The `stream-decoder` resource: turns the model JSON of each streamed
//! chunk into events, for both shapes Claude streams in (Messages API
//! events, and text completions chunks from Claude 2.x and Instant), told
//! apart per chunk by its keys.
//!
//! Invariants: text and thinking are emitted as they arrive, from text and
//! thinking blocks and their deltas; a signature delta signs the thinking
//! block before it; a redacted thinking block is one event; a `tool_use`
//! block is a tool call, started at `content_block_start`, its input from
//! `input_json_delta`, ended at `content_block_stop` (or before any other
//! content, or at `finish`: no call is left open); the stop event comes
//! from `message_delta` or the completion chunk naming a stop reason; the
//! one usage event is emitted at `message_delta`, pairing the input and
//! cache counts of `message_start` with the output count of
//! `message_delta`. Bedrock's `amazon-bedrock-invocationMetrics` is left to
//! the host. Unknown event types are ignored; a chunk that is not a JSON
//! object is malformed.

use std::cell::Cell;

use bedrock_adapter_kit::stream::ToolCalls;
use bedrock_adapter_kit::types::{AdapterError, Event};
use bedrock_adapter_kit::wire::{object, read};

use crate::exports::bedrock::adapter::adapter::GuestStreamDecoder;
use crate::stop;
use crate::wire::{self, Completion, ContentBlock, Delta, StreamEvent, TokenCounts};

/// Decodes one stream: the counts of `message_start`, held until
/// `message_delta` reports the output count, and the open tool call.
pub struct Decoder {
    input_tokens: Cell<Option<u32>>,
    cache_read_tokens: Cell<Option<u32>>,
    cache_write_tokens: Cell<Option<u32>>,
    calls: ToolCalls,
}

impl GuestStreamDecoder for Decoder {
    fn new(_model_id: String) -> Self {
        Decoder {
            input_tokens: Cell::new(None),
            cache_read_tokens: Cell::new(None),
            cache_write_tokens: Cell::new(None),
            calls: ToolCalls::default(),
        }
    }

    fn feed(&self, chunk: Vec<u8>) -> Result<Vec<Event>, AdapterError> {
        let value = object(&chunk, "a stream chunk")?;
        if wire::is_completion(&value) {
            completion_events(read(value, "a Claude text completion chunk")?)
        } else if value.get("type").is_some() {
            self.message_events(read(value, "a Claude stream event")?)
        } else {
            Ok(Vec::new())
        }
    }

    fn finish(&self) -> Result<Vec<Event>, AdapterError> {
        Ok(self.calls.close().into_iter().collect())
    }
}

impl Decoder {
    fn message_events(&self, event: StreamEvent) -> Result<Vec<Event>, AdapterError> {
        let events = match event {
            StreamEvent::MessageStart { message } => {
                if let Some(counts) = message.usage {
                    self.input_tokens.set(counts.input_tokens);
                    self.cache_read_tokens.set(counts.cache_read_input_tokens);
                    self.cache_write_tokens
                        .set(counts.cache_creation_input_tokens);
                }
                Vec::new()
            }
            StreamEvent::ContentBlockStart { content_block } => self.block_start(content_block),
            StreamEvent::ContentBlockDelta { delta } => self.delta(delta),
            StreamEvent::ContentBlockStop => self.calls.close().into_iter().collect(),
            StreamEvent::MessageDelta { delta, usage } => {
                let stop = delta
                    .stop_reason
                    .as_deref()
                    .map(|raw| Event::Stop(stop::from_messages(raw)));
                let usage = usage.and_then(|counts| {
                    TokenCounts {
                        input_tokens: counts.input_tokens.or(self.input_tokens.get()),
                        output_tokens: counts.output_tokens,
                        cache_read_input_tokens: counts
                            .cache_read_input_tokens
                            .or(self.cache_read_tokens.get()),
                        cache_creation_input_tokens: counts
                            .cache_creation_input_tokens
                            .or(self.cache_write_tokens.get()),
                    }
                    .usage()
                    .map(Event::Usage)
                });
                let mut events: Vec<Event> = self.calls.close().into_iter().collect();
                events.extend(stop.into_iter().chain(usage));
                events
            }
            StreamEvent::Error { error } => {
                return Err(AdapterError::MalformedResponse(format!(
                    "the stream reported an error ({}): {}",
                    error.kind.as_deref().unwrap_or("unknown type"),
                    error.message.as_deref().unwrap_or("no message")
                )));
            }
            StreamEvent::Other => Vec::new(),
        };
        Ok(events)
    }

    /// The events of a block's start: its text or thinking so far, a whole
    /// redacted block, or the start of a tool call.
    fn block_start(&self, block: ContentBlock) -> Vec<Event> {
        match block {
            ContentBlock::Text { text } if !text.is_empty() => self.calls.then(Event::Text(text)),
            ContentBlock::Thinking { thinking, .. } if !thinking.is_empty() => {
                self.calls.then(Event::Reasoning(thinking))
            }
            ContentBlock::RedactedThinking { data } => {
                self.calls.then(Event::RedactedReasoning(data))
            }
            ContentBlock::ToolUse { id, name, .. } => self.calls.start(id, name),
            ContentBlock::Text { .. } | ContentBlock::Thinking { .. } | ContentBlock::Other => {
                Vec::new()
            }
        }
    }

    /// The events of a block's delta.
    fn delta(&self, delta: Delta) -> Vec<Event> {
        match delta {
            Delta::Text { text } if !text.is_empty() => self.calls.then(Event::Text(text)),
            Delta::Thinking { thinking } if !thinking.is_empty() => {
                self.calls.then(Event::Reasoning(thinking))
            }
            Delta::Signature { signature } => self.calls.then(Event::ReasoningSignature(signature)),
            Delta::InputJson { partial_json } => {
                self.calls.input(partial_json).into_iter().collect()
            }
            Delta::Text { .. } | Delta::Thinking { .. } | Delta::Other => Vec::new(),
        }
    }
}

fn completion_events(chunk: Completion) -> Result<Vec<Event>, AdapterError> {
    let Completion {
        completion,
        stop_reason,
        stop,
    } = chunk;
    let text = (!completion.is_empty()).then_some(Event::Text(completion));
    let stop = stop_reason.map(|raw| Event::Stop(stop::from_completion(&raw, stop.as_deref())));
    Ok(text.into_iter().chain(stop).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use bedrock_adapter_kit::testing;
    use bedrock_adapter_kit::types::{Stop, StopReason, ToolCallStart, Usage};

    fn run(chunks: &[&str]) -> Result<Vec<Event>, AdapterError> {
        let decoder = Decoder::new("anthropic.claude-3-sonnet-20240229-v1:0".to_owned());
        testing::decode(chunks, |chunk| decoder.feed(chunk), || decoder.finish())
    }

    #[test]
    fn messages_stream() {
        // Shape of dd-trace-py anthropic_message_invoke_stream.yaml, shortened,
        // with a tool call from otel-python-contrib's tool_call stream.
        let events = run(&[
            r#"{"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","content":[],"model":"claude-3-sonnet-28k-20240229","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":21,"output_tokens":1}}}"#,
            r#"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#,
            r#"{"type":"ping"}"#,
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Ho"}}"#,
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"bbits"}}"#,
            r#"{"type":"content_block_stop","index":0}"#,
            r#"{"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_1","name":"f","input":{}}}"#,
            r#"{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"a\""}}"#,
            r#"{"type":"content_block_stop","index":1}"#,
            r#"{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":22}}"#,
            r#"{"type":"message_stop","amazon-bedrock-invocationMetrics":{"inputTokenCount":21,"outputTokenCount":22,"invocationLatency":2033,"firstByteLatency":1229}}"#,
        ]);
        assert_eq!(
            events,
            Ok(vec![
                Event::Text("Ho".to_owned()),
                Event::Text("bbits".to_owned()),
                Event::ToolCallStart(ToolCallStart {
                    id: "toolu_1".to_owned(),
                    name: "f".to_owned()
                }),
                Event::ToolCallInput("{\"a\"".to_owned()),
                Event::ToolCallEnd,
                Event::Stop(Stop {
                    reason: StopReason::EndTurn,
                    raw: Some("end_turn".to_owned())
                }),
                Event::Usage(Usage {
                    input_tokens: 21,
                    output_tokens: 22,
                    cache_read_tokens: None,
                    cache_write_tokens: None,
                }),
            ])
        );
    }

    #[test]
    fn thinking_stream_with_cache_counts() {
        // Shape of Anthropic's extended-thinking stream, with the cache
        // counts of a prompt-cache exchange.
        let events = run(&[
            r#"{"type":"message_start","message":{"usage":{"input_tokens":4,"cache_creation_input_tokens":0,"cache_read_input_tokens":18131,"output_tokens":1}}}"#,
            r#"{"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":""}}"#,
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"Two plus two"}}"#,
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"EqQB"}}"#,
            r#"{"type":"content_block_stop","index":0}"#,
            r#"{"type":"content_block_start","index":1,"content_block":{"type":"redacted_thinking","data":"EmwK"}}"#,
            r#"{"type":"content_block_stop","index":1}"#,
            r#"{"type":"content_block_start","index":2,"content_block":{"type":"text","text":""}}"#,
            r#"{"type":"content_block_delta","index":2,"delta":{"type":"text_delta","text":"4"}}"#,
            r#"{"type":"content_block_stop","index":2}"#,
            r#"{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":9}}"#,
        ]);
        assert_eq!(
            events,
            Ok(vec![
                Event::Reasoning("Two plus two".to_owned()),
                Event::ReasoningSignature("EqQB".to_owned()),
                Event::RedactedReasoning("EmwK".to_owned()),
                Event::Text("4".to_owned()),
                Event::Stop(Stop {
                    reason: StopReason::EndTurn,
                    raw: Some("end_turn".to_owned())
                }),
                Event::Usage(Usage {
                    input_tokens: 4,
                    output_tokens: 9,
                    cache_read_tokens: Some(18131),
                    cache_write_tokens: Some(0),
                }),
            ])
        );
    }

    #[test]
    fn a_tool_call_cut_short_is_closed_at_finish() {
        let events = run(&[
            r#"{"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"toolu_2","name":"f","input":{}}}"#,
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"{}"}}"#,
        ]);
        assert_eq!(
            events.map(|events| events.last().cloned()),
            Ok(Some(Event::ToolCallEnd))
        );
    }

    #[test]
    fn completion_stream() {
        // Shape of newrelic's claude-instant-v1 stream.
        let events = run(&[
            r#"{"completion":" Here","stop_reason":null,"stop":null}"#,
            r#"{"completion":" are","stop_reason":null,"stop":null}"#,
            r#"{"completion":"","stop_reason":"stop_sequence","stop":"\n\nHuman:","amazon-bedrock-invocationMetrics":{"inputTokenCount":19,"outputTokenCount":99,"invocationLatency":1570,"firstByteLatency":411}}"#,
        ]);
        assert_eq!(
            events,
            Ok(vec![
                Event::Text(" Here".to_owned()),
                Event::Text(" are".to_owned()),
                Event::Stop(Stop {
                    reason: StopReason::EndTurn,
                    raw: Some("stop_sequence".to_owned())
                }),
            ])
        );
    }

    #[test]
    fn unknown_events_are_ignored() {
        assert_eq!(
            run(&[r#"{"type":"something_new","x":1}"#, r#"{"p":"abc"}"#]),
            Ok(Vec::new())
        );
    }

    #[test]
    fn malformed_chunks() {
        for chunk in [
            "not json",
            "[1]",
            r#"{"type":"content_block_delta","delta":{"type":"text_delta"}}"#,
            r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#,
        ] {
            assert!(
                matches!(run(&[chunk]), Err(AdapterError::MalformedResponse(_))),
                "{chunk}"
            );
        }
    }
}
