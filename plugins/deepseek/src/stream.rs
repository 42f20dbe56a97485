//! The `stream-decoder` resource: turns the model JSON of each streamed
//! DeepSeek-R1 chunk (`{"choices": [{"text", "stop_reason"}]}`) into
//! reasoning, text and stop events.
//!
//! Invariants: the text is split as a response body's would be
//! ([`crate::thinking`]), whatever the chunks' boundaries: thinking as
//! `reasoning` events, the answer as `text` events, each given out as soon
//! as it is known to be one or the other; the stop event comes from the
//! chunk whose `stop_reason` is set, after any text still held back (from
//! `finish` when no chunk sets it, nothing is held back there); the chunks
//! carry no token counts, so there is no usage event (the host reads
//! Bedrock's invocation metrics). A chunk that is not a JSON object, or has
//! a field of the wrong type, is malformed.

use std::cell::Cell;

use bedrock_adapter_kit::types::{AdapterError, Event};
use bedrock_adapter_kit::wire::{object, read};

use crate::exports::bedrock::adapter::adapter::GuestStreamDecoder;
use crate::stop;
use crate::thinking::{Piece, Splitter};
use crate::wire::Completion;

/// Decodes one stream: the split so far, and whether the stop was given.
pub struct Decoder {
    splitter: Splitter,
    stopped: Cell<bool>,
}

impl GuestStreamDecoder for Decoder {
    fn new(_model_id: String) -> Self {
        Decoder {
            splitter: Splitter::default(),
            stopped: Cell::new(false),
        }
    }

    fn feed(&self, chunk: Vec<u8>) -> Result<Vec<Event>, AdapterError> {
        let Completion { choices } =
            read(object(&chunk, "a stream chunk")?, "a DeepSeek stream chunk")?;
        let mut events = Vec::new();
        for choice in choices.into_iter().flatten().take(1) {
            if let Some(text) = choice.text {
                events.extend(self.splitter.push(&text).into_iter().map(event));
            }
            if let Some(raw) = choice.stop_reason
                && !self.stopped.replace(true)
            {
                events.extend(self.splitter.finish().into_iter().map(event));
                events.push(Event::Stop(stop::from_deepseek(&raw)));
            }
        }
        Ok(events)
    }

    fn finish(&self) -> Result<Vec<Event>, AdapterError> {
        Ok(self.splitter.finish().into_iter().map(event).collect())
    }
}

/// The event of one piece of the split.
fn event(piece: Piece) -> Event {
    match piece {
        Piece::Reasoning(text) => Event::Reasoning(text),
        Piece::Answer(text) => Event::Text(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bedrock_adapter_kit::testing;
    use bedrock_adapter_kit::types::{Stop, StopReason};

    fn run(chunks: &[&str]) -> Result<Vec<Event>, AdapterError> {
        let decoder = Decoder::new("deepseek.r1-v1:0".to_owned());
        testing::decode(chunks, |chunk| decoder.feed(chunk), || decoder.finish())
    }

    fn chunk(text: &str, stop: Option<&str>) -> String {
        serde_json::json!({"choices": [{"text": text, "stop_reason": stop}]}).to_string()
    }

    #[test]
    fn the_boundary_across_chunks() {
        let chunks = [
            chunk("The user", None),
            chunk(" asks.\n</th", None),
            chunk("ink>\n\nIt", None),
            chunk(" prints hello.", None),
            chunk("", Some("stop")),
        ];
        let chunks: Vec<&str> = chunks.iter().map(String::as_str).collect();
        assert_eq!(
            run(&chunks),
            Ok(vec![
                Event::Reasoning("The user".to_owned()),
                Event::Reasoning(" asks.".to_owned()),
                Event::Text("It".to_owned()),
                Event::Text(" prints hello.".to_owned()),
                Event::Stop(Stop {
                    reason: StopReason::EndTurn,
                    raw: Some("stop".to_owned()),
                }),
            ])
        );
    }

    #[test]
    fn held_text_comes_before_the_stop() {
        let chunks = [chunk("Counting </", None), chunk("", Some("length"))];
        let chunks: Vec<&str> = chunks.iter().map(String::as_str).collect();
        assert_eq!(
            run(&chunks),
            Ok(vec![
                Event::Reasoning("Counting".to_owned()),
                Event::Reasoning(" </".to_owned()),
                Event::Stop(Stop {
                    reason: StopReason::MaxTokens,
                    raw: Some("length".to_owned()),
                }),
            ])
        );
    }

    #[test]
    fn malformed_chunks() {
        for chunk in [
            "not json",
            "[1]",
            r#"{"choices":[{"text":1}]}"#,
            r#"{"choices":{}}"#,
        ] {
            assert!(
                matches!(run(&[chunk]), Err(AdapterError::MalformedResponse(_))),
                "{chunk}"
            );
        }
    }
}
