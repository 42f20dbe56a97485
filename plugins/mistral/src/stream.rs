//! The `stream-decoder` resource: turns the model JSON of each streamed
//! Mistral chunk into text, tool call, stop and usage events, for both
//! shapes (text
//! completion `outputs`, chat completion `choices`), told apart per chunk by
//! its keys.
//!
//! Invariants: a stream follows its first generation or answer only (the
//! first `outputs` entry; the `choices` entry with index 0); text is emitted
//! as it arrives; tool calls (whole in one chunk, as Bedrock's Mistral
//! sends them, or in fragments) are start, input and end events, a call
//! ending before any other content or the stop; the stop event comes from
//! the chunk that names a stop reason; usage, which only chat chunks may carry, is held and emitted once
//! by `finish`, with the last counts sent. Bedrock's
//! `amazon-bedrock-invocationMetrics` is left to the host. Chunks of neither
//! shape are ignored; a chunk that is not a JSON object, or has a field of
//! the wrong type, is malformed.

use bedrock_adapter_kit::functions::StreamedCalls;
use bedrock_adapter_kit::stream::HeldUsage;
use bedrock_adapter_kit::types::{AdapterError, Event};
use bedrock_adapter_kit::wire::{object, read};

use crate::exports::bedrock::adapter::adapter::GuestStreamDecoder;
use crate::stop;
use crate::wire::{self, Chat, Completion, Shape};

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
        let (text, calls, reason) = match wire::shape(&value) {
            Shape::Completion => {
                let Completion { outputs } = read(value, "a Mistral text completion chunk")?;
                match outputs.into_iter().next() {
                    Some(output) => (Some(output.text), Vec::new(), output.stop_reason),
                    None => (None, Vec::new(), None),
                }
            }
            Shape::Chat => {
                let Chat { choices, usage } = read(value, "a Mistral chat completion chunk")?;
                if let Some(usage) = usage.as_ref().and_then(|counts| counts.usage()) {
                    self.usage.keep(usage);
                }
                match choices.into_iter().find(|choice| choice.is_first()) {
                    Some(choice) => {
                        let reason = choice.reason().map(str::to_owned);
                        let (text, calls) = choice.into_parts();
                        (text, calls, reason)
                    }
                    None => (None, Vec::new(), None),
                }
            }
            Shape::Unknown => (None, Vec::new(), None),
        };
        let mut events = Vec::new();
        if let Some(text) = text.filter(|text| !text.is_empty()) {
            events.extend(self.calls.then(Event::Text(text)));
        }
        events.extend(self.calls.feed(calls)?);
        if let Some(raw) = reason {
            events.extend(self.calls.then(Event::Stop(stop::from_mistral(&raw))));
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
    use bedrock_adapter_kit::stop::sent;
    use bedrock_adapter_kit::testing;
    use bedrock_adapter_kit::types::{StopReason, ToolCallStart, Usage};

    fn run(chunks: &[&str]) -> Result<Vec<Event>, AdapterError> {
        let decoder = Decoder::new("mistral.mistral-7b-instruct-v0:2".to_owned());
        testing::decode(chunks, |chunk| decoder.feed(chunk), || decoder.finish())
    }

    #[test]
    fn completion_stream() {
        // Shape of New Relic's recorded Mistral 7B stream, shortened.
        let events = run(&[
            r#"{"outputs":[{"text":" To","stop_reason":null}]}"#,
            r#"{"outputs":[{"text":" convert","stop_reason":null}]}"#,
            r#"{"outputs":[{"text":")","stop_reason":"length"}],"amazon-bedrock-invocationMetrics":{"inputTokenCount":25,"outputTokenCount":100,"invocationLatency":1440,"firstByteLatency":327}}"#,
        ]);
        assert_eq!(
            events,
            Ok(vec![
                Event::Text(" To".to_owned()),
                Event::Text(" convert".to_owned()),
                Event::Text(")".to_owned()),
                Event::Stop(sent(StopReason::MaxTokens, "length")),
            ])
        );
    }

    #[test]
    fn chat_stream_in_mistrals_form() {
        let events = run(&[
            r#"{"choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}"#,
            r#"{"choices":[{"index":0,"delta":{"content":"Par"},"finish_reason":null}]}"#,
            r#"{"choices":[{"index":1,"delta":{"content":"Lyon"},"finish_reason":null}]}"#,
            r#"{"choices":[{"index":0,"delta":{"content":"is."},"finish_reason":"stop"}],"usage":{"prompt_tokens":9,"completion_tokens":3,"total_tokens":12}}"#,
        ]);
        assert_eq!(
            events,
            Ok(vec![
                Event::Text("Par".to_owned()),
                Event::Text("is.".to_owned()),
                Event::Stop(sent(StopReason::EndTurn, "stop")),
                Event::Usage(Usage {
                    input_tokens: 9,
                    output_tokens: 3,
                    cache_read_tokens: None,
                    cache_write_tokens: None,
                }),
            ])
        );
    }

    #[test]
    fn chat_stream_as_aws_documents_it() {
        let events = run(&[
            r#"{"choices":[{"index":0,"message":{"role":"assistant","content":"Hi"},"stop_reason":null}]}"#,
            r#"{"choices":[{"index":0,"message":{"role":"assistant","content":""},"stop_reason":"stop"}]}"#,
        ]);
        assert_eq!(
            events,
            Ok(vec![
                Event::Text("Hi".to_owned()),
                Event::Stop(sent(StopReason::EndTurn, "stop"))
            ])
        );
    }

    #[test]
    fn tool_calls_whole_and_in_fragments() {
        // As the local Bedrock and AWS's chat completion page give it: the
        // whole call in one `message`, then the stop.
        let whole = run(&[
            r#"{"choices":[{"index":0,"message":{"role":"assistant","content":"","tool_calls":[{"id":"v6RMMiRlT7ygYkT4uULjtg","type":"function","function":{"name":"shell","arguments":"{\"command\":\"ls\"}"}}]},"stop_reason":"tool_calls"}]}"#,
        ]);
        let start = |id: &str| {
            Event::ToolCallStart(ToolCallStart {
                id: id.to_owned(),
                name: "shell".to_owned(),
            })
        };
        assert_eq!(
            whole,
            Ok(vec![
                start("v6RMMiRlT7ygYkT4uULjtg"),
                Event::ToolCallInput(r#"{"command":"ls"}"#.to_owned()),
                Event::ToolCallEnd,
                Event::Stop(sent(StopReason::ToolUse, "tool_calls")),
            ])
        );
        // Mistral's own form: text, then a call in `delta`s, then the stop.
        let fragments = run(&[
            r#"{"choices":[{"index":0,"delta":{"content":"Let me see."},"finish_reason":null}]}"#,
            r#"{"choices":[{"index":0,"delta":{"content":"","tool_calls":[{"id":"D681PevKs","function":{"name":"shell","arguments":"{\"comm"}}]},"finish_reason":null}]}"#,
            r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"function":{"arguments":"and\":\"ls\"}"}}]},"finish_reason":null}]}"#,
        ]);
        assert_eq!(
            fragments,
            Ok(vec![
                Event::Text("Let me see.".to_owned()),
                start("D681PevKs"),
                Event::ToolCallInput(r#"{"comm"#.to_owned()),
                Event::ToolCallInput(r#"and":"ls"}"#.to_owned()),
                Event::ToolCallEnd,
            ])
        );
    }

    #[test]
    fn unknown_chunks_are_ignored() {
        assert_eq!(
            run(&[r#"{"p":"abc"}"#, r#"{"outputs":[]}"#]),
            Ok(Vec::new())
        );
    }

    #[test]
    fn malformed_chunks() {
        for chunk in ["not json", "[1]", r#"{"outputs":[{"text":1}]}"#] {
            assert!(
                matches!(run(&[chunk]), Err(AdapterError::MalformedResponse(_))),
                "{chunk}"
            );
        }
    }
}
