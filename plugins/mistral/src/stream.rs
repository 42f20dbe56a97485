//! The `stream-decoder` resource: turns the model JSON of each streamed
//! Mistral chunk into text, stop and usage events, for both shapes (text
//! completion `outputs`, chat completion `choices`), told apart per chunk by
//! its keys.
//!
//! Invariants: a stream follows its first generation or answer only (the
//! first `outputs` entry; the `choices` entry with index 0); text is emitted
//! as it arrives; the stop event comes from the chunk that names a stop
//! reason; usage, which only chat chunks may carry, is held and emitted once
//! by `finish`, with the last counts sent. Bedrock's
//! `amazon-bedrock-invocationMetrics` is left to the host. Chunks of neither
//! shape are ignored; a chunk that is not a JSON object, or has a field of
//! the wrong type, is malformed.

use bedrock_adapter_kit::stream::HeldUsage;
use bedrock_adapter_kit::types::{AdapterError, Event};
use bedrock_adapter_kit::wire::{object, read};

use crate::exports::bedrock::adapter::adapter::GuestStreamDecoder;
use crate::stop;
use crate::wire::{self, Chat, Completion, Shape};

/// Decodes one stream. The only state is the last token counts seen.
pub struct Decoder {
    usage: HeldUsage,
}

impl GuestStreamDecoder for Decoder {
    fn new(_model_id: String) -> Self {
        Decoder {
            usage: HeldUsage::default(),
        }
    }

    fn feed(&self, chunk: Vec<u8>) -> Result<Vec<Event>, AdapterError> {
        let value = object(&chunk, "a stream chunk")?;
        let (text, reason) = match wire::shape(&value) {
            Shape::Completion => {
                let Completion { outputs } = read(value, "a Mistral text completion chunk")?;
                match outputs.into_iter().next() {
                    Some(output) => (Some(output.text), output.stop_reason),
                    None => (None, None),
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
                        (choice.text(), reason)
                    }
                    None => (None, None),
                }
            }
            Shape::Unknown => (None, None),
        };
        let text = text.filter(|text| !text.is_empty()).map(Event::Text);
        let stop = reason.map(|raw| Event::Stop(stop::from_mistral(&raw)));
        Ok(text.into_iter().chain(stop).collect())
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
