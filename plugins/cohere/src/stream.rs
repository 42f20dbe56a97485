//! The `stream-decoder` resource: turns the model JSON of each streamed
//! chunk into text, tool call and stop events, for both families, whose chunk shapes
//! are told apart by their keys (see [`wire::Chunk`]): Command R events
//! (`event_type`), Command token chunks (`text` / `is_finished`), and a
//! whole Command response sent as one chunk (`generations`).
//!
//! Invariants: text is emitted as it arrives and only from text chunks
//! (`stream-end`'s copy of the whole answer is not emitted again); a stream
//! yields at most one stop event, the first finish reason it gives, and no
//! usage event (Cohere's chunks carry no counts; the host reads Bedrock's
//! `amazon-bedrock-invocationMetrics`). With several generations
//! (`-o num_generations=N`), the first generation seen is shown live, and the
//! others' text is held back, per generation, until the chunk that ends the
//! stream (or `finish`) and then emitted in generation order: the events
//! carry no generation number, so this keeps each generation's text in one
//! piece, in the order `parse-response` gives them. Unknown event types are
//! ignored; a chunk that is not a JSON object is malformed.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;

use bedrock_adapter_kit::stop::sent;
use bedrock_adapter_kit::stream::{Once, ToolCalls};
use bedrock_adapter_kit::types::{AdapterError, Event, Output, StopReason};
use bedrock_adapter_kit::wire::{object, read};

use crate::exports::bedrock::adapter::adapter::GuestStreamDecoder;
use crate::response;
use crate::stop;
use crate::tools;
use crate::wire::Chunk;

/// Decodes one stream.
pub struct Decoder {
    /// The generation whose text is shown as it arrives: the first seen.
    live: Cell<Option<u32>>,
    /// The other generations' text so far, by generation.
    held: RefCell<BTreeMap<u32, String>>,
    /// Lets the first stop event through.
    stopped: Once,
    /// Command R's tool calls: how many so far, and the event model.
    calls: ToolCalls,
    called: Cell<usize>,
}

impl GuestStreamDecoder for Decoder {
    fn new(_model_id: String) -> Self {
        Decoder {
            live: Cell::new(None),
            held: RefCell::new(BTreeMap::new()),
            stopped: Once::default(),
            calls: ToolCalls::default(),
            called: Cell::new(0),
        }
    }

    fn feed(&self, chunk: Vec<u8>) -> Result<Vec<Event>, AdapterError> {
        let value = object(&chunk, "a stream chunk")?;
        let chunk: Chunk = read(value, "a Cohere stream chunk")?;
        let mut events = Vec::new();
        if let Some(generations) = chunk.generations {
            let whole = response::generations(generations);
            events.extend(whole.outputs.into_iter().filter_map(|output| match output {
                Output::Text(text) => Some(Event::Text(text)),
                _ => None,
            }));
            events.extend(
                whole
                    .stop
                    .and_then(|stop| self.stopped.first(Event::Stop(stop))),
            );
        } else if let Some(event_type) = chunk.event_type {
            match (event_type.as_str(), chunk.text, chunk.finish_reason) {
                ("text-generation", Some(text), _) if !text.is_empty() => {
                    events.push(Event::Text(text));
                }
                ("tool-calls-generation", _, _) => {
                    let calls = tools::answered_calls(chunk.tool_calls.unwrap_or_default())?;
                    for mut call in calls {
                        // Ids by position in the whole answer, as
                        // `parse-response` gives them.
                        let index = self.called.get();
                        call.id = tools::call_id(index, &call.name);
                        self.called.set(index + 1);
                        events.extend(self.calls.whole(call));
                    }
                }
                ("stream-end", _, Some(raw)) => {
                    let stop = if self.called.get() > 0 {
                        sent(StopReason::ToolUse, &raw)
                    } else {
                        stop::from_finish_reason(&raw)
                    };
                    events.extend(self.stopped.first(Event::Stop(stop)));
                }
                _ => {}
            }
        } else if chunk.is_finished == Some(true) {
            events.extend(self.release());
            events.extend(chunk.finish_reason.and_then(|raw| {
                self.stopped
                    .first(Event::Stop(stop::from_finish_reason(&raw)))
            }));
        } else if let Some(text) = chunk.text.filter(|text| !text.is_empty()) {
            let index = chunk.index.unwrap_or(0);
            let live = self.live.get().unwrap_or(index);
            self.live.set(Some(live));
            if index == live {
                events.push(Event::Text(text));
            } else {
                self.held
                    .borrow_mut()
                    .entry(index)
                    .or_default()
                    .push_str(&text);
            }
        }
        Ok(events)
    }

    fn finish(&self) -> Result<Vec<Event>, AdapterError> {
        Ok(self.release())
    }
}

impl Decoder {
    /// The held-back text of the other generations, in generation order.
    fn release(&self) -> Vec<Event> {
        std::mem::take(&mut *self.held.borrow_mut())
            .into_values()
            .map(Event::Text)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bedrock_adapter_kit::testing;
    use bedrock_adapter_kit::types::ToolCallStart;

    fn run(chunks: &[&str]) -> Result<Vec<Event>, AdapterError> {
        let decoder = Decoder::new("cohere.command-light-text-v14".to_owned());
        testing::decode(chunks, |chunk| decoder.feed(chunk), || decoder.finish())
    }

    fn text(text: &str) -> Event {
        Event::Text(text.to_owned())
    }

    #[test]
    fn one_generation() {
        // Shape of dd-trace-py cohere_invoke_stream_single_output.yaml.
        let events = run(&[
            r#"{"is_finished":false,"text":" I"}"#,
            r#"{"is_finished":false,"text":" am"}"#,
            r#"{"finish_reason":"MAX_TOKENS","is_finished":true,"amazon-bedrock-invocationMetrics":{"inputTokenCount":20,"outputTokenCount":10,"invocationLatency":347,"firstByteLatency":194}}"#,
        ]);
        assert_eq!(
            events,
            Ok(vec![
                text(" I"),
                text(" am"),
                Event::Stop(sent(StopReason::MaxTokens, "MAX_TOKENS"))
            ])
        );
    }

    #[test]
    fn token_by_token_with_the_whole_response_last() {
        // Command asked to stream (`"stream": true`, as a streamed request's
        // body does) sends token chunks, then a last chunk that repeats the
        // whole answer under `response`: it is not shown twice.
        let events = run(&[
            r#"{"text":"Hello","is_finished":false}"#,
            r#"{"text":" there","is_finished":false}"#,
            r#"{"is_finished":true,"finish_reason":"COMPLETE","response":{"id":"1","generations":[{"id":"g","text":"Hello there","finish_reason":"COMPLETE"}],"prompt":"Hi"}}"#,
        ]);
        assert_eq!(
            events,
            Ok(vec![
                text("Hello"),
                text(" there"),
                Event::Stop(sent(StopReason::EndTurn, "COMPLETE"))
            ])
        );
    }

    #[test]
    fn several_generations_interleaved() {
        // dd-trace-py cohere_invoke_stream_multi_output.yaml sends all of
        // generation 0, then all of 1; interleaved chunks keep each whole.
        let events = run(&[
            r#"{"index":0,"is_finished":false,"text":" In"}"#,
            r#"{"index":1,"is_finished":false,"text":" A"}"#,
            r#"{"index":0,"is_finished":false,"text":" machine"}"#,
            r#"{"index":2,"is_finished":false,"text":" C"}"#,
            r#"{"index":1,"is_finished":false,"text":" large"}"#,
            r#"{"finish_reason":"MAX_TOKENS","is_finished":true}"#,
        ]);
        assert_eq!(
            events,
            Ok(vec![
                text(" In"),
                text(" machine"),
                text(" A large"),
                text(" C"),
                Event::Stop(sent(StopReason::MaxTokens, "MAX_TOKENS")),
            ])
        );
    }

    #[test]
    fn held_text_is_released_by_finish() {
        let events = run(&[r#"{"index":0,"text":"a"}"#, r#"{"index":1,"text":"b"}"#]);
        assert_eq!(events, Ok(vec![text("a"), text("b")]));
    }

    #[test]
    fn whole_response_in_one_chunk() {
        // New Relic's cohere.command-text-v14 stream (no `stream: true`).
        let events = run(&[
            r#"{"generations":[{"finish_reason":"COMPLETE","id":"be72","text":" To convert"}],"id":"4f8a","prompt":"What is 212 degrees Fahrenheit converted to Celsius?","amazon-bedrock-invocationMetrics":{"inputTokenCount":9,"outputTokenCount":91,"invocationLatency":2972,"firstByteLatency":2972}}"#,
        ]);
        assert_eq!(
            events,
            Ok(vec![
                text(" To convert"),
                Event::Stop(sent(StopReason::EndTurn, "COMPLETE"))
            ])
        );
    }

    #[test]
    fn command_r_events() {
        // The event shapes of Cohere's chat stream (AWS, "Cohere Command R
        // and Command R+ models"): no recording of one on Bedrock exists.
        let events = run(&[
            r#"{"is_finished":false,"event_type":"stream-start","generation_id":"586a"}"#,
            r#"{"is_finished":false,"event_type":"text-generation","text":"Hel"}"#,
            r#"{"is_finished":false,"event_type":"text-generation","text":"lo"}"#,
            r#"{"is_finished":false,"event_type":"citation-generation","citations":[]}"#,
            r#"{"is_finished":true,"event_type":"stream-end","response":{"response_id":"ac6d","text":"Hello","generation_id":"586a","finish_reason":"COMPLETE"},"finish_reason":"COMPLETE"}"#,
        ]);
        assert_eq!(
            events,
            Ok(vec![
                text("Hel"),
                text("lo"),
                Event::Stop(sent(StopReason::EndTurn, "COMPLETE"))
            ])
        );
    }

    #[test]
    fn malformed_chunks() {
        for chunk in [
            "not json",
            "[1]",
            r#"{"text":3}"#,
            r#"{"generations":[{"finish_reason":"COMPLETE"}]}"#,
            r#"{"index":-1,"text":"a"}"#,
        ] {
            assert!(
                matches!(run(&[chunk]), Err(AdapterError::MalformedResponse(_))),
                "{chunk}"
            );
        }
    }

    #[test]
    fn command_r_tool_calls() {
        let events = run(&[
            r#"{"event_type":"stream-start","is_finished":false,"generation_id":"g1"}"#,
            r#"{"event_type":"tool-calls-generation","is_finished":false,"tool_calls":[{"name":"query_daily_sales_report","parameters":{"day":"2023-09-29"}}]}"#,
            r#"{"event_type":"stream-end","is_finished":true,"finish_reason":"COMPLETE","response":{"text":"","tool_calls":[{"name":"query_daily_sales_report","parameters":{"day":"2023-09-29"}}]}}"#,
        ]);
        assert_eq!(
            events,
            Ok(vec![
                Event::ToolCallStart(ToolCallStart {
                    id: "cohere-call-0-query_daily_sales_report".to_owned(),
                    name: "query_daily_sales_report".to_owned(),
                }),
                Event::ToolCallInput(r#"{"day":"2023-09-29"}"#.to_owned()),
                Event::ToolCallEnd,
                Event::Stop(sent(StopReason::ToolUse, "COMPLETE")),
            ])
        );
    }
}
