//! The `stream-decoder` resource: turns the model JSON of each streamed
//! chunk into text, stop and usage events, for both shapes Claude streams in
//! (Messages API events, and text completions chunks from Claude 2.x and
//! Instant), told apart per chunk by its keys.
//!
//! Invariants: text is emitted as it arrives and only from text blocks and
//! text deltas (tool-call JSON and thinking are not answer text); the stop
//! event comes from `message_delta` or the completion chunk naming a stop
//! reason; the one usage event is emitted at `message_delta`, pairing the
//! input count of `message_start` with the output count of `message_delta`.
//! Bedrock's `amazon-bedrock-invocationMetrics` is left to the host. Unknown
//! event types are ignored; a chunk that is not a JSON object is malformed.

use std::cell::Cell;

use bedrock_adapter_kit::types::{AdapterError, Event};
use bedrock_adapter_kit::wire::{object, read};

use crate::exports::bedrock::adapter::adapter::GuestStreamDecoder;
use crate::stop;
use crate::wire::{self, Completion, ContentBlock, Delta, StreamEvent};

/// Decodes one stream. The only state is the input token count, held from
/// `message_start` until `message_delta` reports the output count.
pub struct Decoder {
    input_tokens: Cell<Option<u32>>,
}

impl GuestStreamDecoder for Decoder {
    fn new(_model_id: String) -> Self {
        Decoder {
            input_tokens: Cell::new(None),
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
        Ok(Vec::new())
    }
}

impl Decoder {
    fn message_events(&self, event: StreamEvent) -> Result<Vec<Event>, AdapterError> {
        let events = match event {
            StreamEvent::MessageStart { message } => {
                let input = message.usage.and_then(|counts| counts.input_tokens);
                self.input_tokens.set(input);
                Vec::new()
            }
            StreamEvent::ContentBlockStart {
                content_block: ContentBlock::Text { text },
            }
            | StreamEvent::ContentBlockDelta {
                delta: Delta::TextDelta { text },
            } if !text.is_empty() => vec![Event::Text(text)],
            StreamEvent::MessageDelta { delta, usage } => {
                let stop = delta
                    .stop_reason
                    .as_deref()
                    .map(|raw| Event::Stop(stop::from_messages(raw)));
                let usage = usage.and_then(|counts| {
                    let input = counts.input_tokens.or(self.input_tokens.get());
                    wire::TokenCounts {
                        input_tokens: input,
                        output_tokens: counts.output_tokens,
                    }
                    .usage()
                    .map(Event::Usage)
                });
                stop.into_iter().chain(usage).collect()
            }
            StreamEvent::Error { error } => {
                return Err(AdapterError::MalformedResponse(format!(
                    "the stream reported an error ({}): {}",
                    error.kind.as_deref().unwrap_or("unknown type"),
                    error.message.as_deref().unwrap_or("no message")
                )));
            }
            StreamEvent::ContentBlockStart { .. }
            | StreamEvent::ContentBlockDelta { .. }
            | StreamEvent::Other => Vec::new(),
        };
        Ok(events)
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
    use bedrock_adapter_kit::types::{Stop, StopReason, Usage};

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
