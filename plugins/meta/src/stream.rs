//! The `stream-decoder` resource: turns the model JSON of each streamed
//! Llama chunk (`{"generation", "prompt_token_count",
//! "generation_token_count", "stop_reason"}`) into text, stop and usage
//! events.
//!
//! Invariants: text is emitted as it arrives; the stop event comes from the
//! chunk whose `stop_reason` is set (the last); the one usage event is
//! emitted by `finish`, pairing the input count of the first chunk with the
//! last (cumulative) output count, and only when both were sent. Bedrock's
//! `amazon-bedrock-invocationMetrics` is left to the host. A chunk that is
//! not a JSON object, or has a field of the wrong type, is malformed.

use bedrock_adapter_kit::stream::HeldUsage;
use bedrock_adapter_kit::types::{AdapterError, Event};
use bedrock_adapter_kit::wire::{object, read};

use crate::exports::bedrock::adapter::adapter::GuestStreamDecoder;
use crate::stop;
use crate::wire::Generation;

/// Decodes one stream. The only state is the token counts seen so far.
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
        let Generation {
            generation,
            prompt_token_count,
            generation_token_count,
            stop_reason,
        } = read(object(&chunk, "a stream chunk")?, "a Llama stream chunk")?;
        self.usage
            .update(prompt_token_count, generation_token_count);
        let text = generation.filter(|text| !text.is_empty()).map(Event::Text);
        let stop = stop_reason.map(|raw| Event::Stop(stop::from_llama(&raw)));
        Ok(text.into_iter().chain(stop).collect())
    }

    fn finish(&self) -> Result<Vec<Event>, AdapterError> {
        Ok(self.usage.take().map(Event::Usage).into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bedrock_adapter_kit::testing;
    use bedrock_adapter_kit::types::{Stop, StopReason, Usage};

    fn run(chunks: &[&str]) -> Result<Vec<Event>, AdapterError> {
        let decoder = Decoder::new("meta.llama2-13b-chat-v1".to_owned());
        testing::decode(chunks, |chunk| decoder.feed(chunk), || decoder.finish())
    }

    #[test]
    fn stream() {
        // Shape of dd-trace-py meta_invoke_stream.yaml, shortened.
        let events = run(&[
            r#"{"generation":"\n","prompt_token_count":10,"generation_token_count":1,"stop_reason":null}"#,
            r#"{"generation":"The","prompt_token_count":null,"generation_token_count":2,"stop_reason":null}"#,
            r#"{"generation":"","prompt_token_count":null,"generation_token_count":3,"stop_reason":"length","amazon-bedrock-invocationMetrics":{"inputTokenCount":10,"outputTokenCount":3,"invocationLatency":1686,"firstByteLatency":294}}"#,
        ]);
        assert_eq!(
            events,
            Ok(vec![
                Event::Text("\n".to_owned()),
                Event::Text("The".to_owned()),
                Event::Stop(Stop {
                    reason: StopReason::MaxTokens,
                    raw: Some("length".to_owned())
                }),
                Event::Usage(Usage {
                    input_tokens: 10,
                    output_tokens: 3,
                    cache_read_tokens: None,
                    cache_write_tokens: None,
                }),
            ])
        );
    }

    #[test]
    fn no_counts_no_usage() {
        assert_eq!(
            run(&[r#"{"generation":"a"}"#, r#"{"p":"abc"}"#]),
            Ok(vec![Event::Text("a".to_owned())])
        );
    }

    #[test]
    fn malformed_chunks() {
        for chunk in ["not json", "[1]", r#"{"generation":1}"#] {
            assert!(
                matches!(run(&[chunk]), Err(AdapterError::MalformedResponse(_))),
                "{chunk}"
            );
        }
    }
}
