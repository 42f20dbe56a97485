//! The legacy Anthropic Text Completions API on Bedrock (`prompt` / `max_tokens_to_sample`):
//! request validation and reply shapes, as recorded in dd-trace `anthropic_invoke*.yaml` and the
//! New Relic Claude Instant streams. Non-streamed `{"completion","stop_reason","stop"}`; streamed,
//! one `{"completion":" word","stop_reason":null,"stop":null}` chunk per word and a final
//! `{"completion":"","stop_reason",...,"stop",...,"amazon-bedrock-invocationMetrics":{...}}`. A
//! reply that ends naturally reports `stop_sequence` with the `"\n\nHuman:"` turn marker, as Claude
//! does.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::api_error::ApiError;
use crate::generator::{Finish, Generation, GenerationRequest, generate};
use crate::providers::schema::{self, Violations};
use crate::providers::{InvocationMetrics, Reply, TokenUsage, count_words};

/// The turn marker Claude stops at when it finishes on its own.
const HUMAN_TURN: &str = "\n\nHuman:";
/// The marker that ends the prompt's last human turn.
const ASSISTANT_TURN: &str = "\n\nAssistant:";

/// Validates a Text Completions body and generates the reply.
pub(super) fn invoke(object: &Map<String, Value>) -> Result<Box<dyn Reply>, ApiError> {
    let mut violations = Violations::default();
    let prompt = match object.get("prompt") {
        None => {
            violations.required_key("#", "prompt");
            None
        }
        Some(Value::String(prompt)) => Some(prompt.as_str()),
        Some(other) => {
            violations.wrong_type("#/prompt", "String", other);
            None
        }
    };
    let max_tokens = schema::positive_integer(object, "max_tokens_to_sample", &mut violations);
    let stop_sequences = schema::stop_sequences(object, &mut violations);
    violations.into_result()?;
    // Both were reported as violations above when absent.
    let (Some(prompt), Some(max_tokens)) = (prompt, max_tokens) else {
        return Err(ApiError::internal(
            "validated text completion is incomplete",
        ));
    };

    let generation = generate(&GenerationRequest {
        seed_text: prompt,
        echo_text: last_human_turn(prompt),
        max_tokens,
        stop_sequences: &stop_sequences,
    });
    Ok(Box::new(TextCompletionReply {
        input_tokens: count_words(prompt),
        generation,
    }))
}

/// The text of the prompt's last `Human:` turn, without the `Assistant:` cue.
fn last_human_turn(prompt: &str) -> &str {
    let turn = prompt
        .rfind(HUMAN_TURN)
        .map_or(prompt, |at| &prompt[at + HUMAN_TURN.len()..]);
    turn.find(ASSISTANT_TURN).map_or(turn, |at| &turn[..at])
}

struct TextCompletionReply {
    input_tokens: u32,
    generation: Generation,
}

#[derive(Serialize)]
struct Completion<'a> {
    completion: &'a str,
    stop_reason: Option<&'static str>,
    stop: Option<&'a str>,
}

#[derive(Serialize)]
struct FinalChunk<'a> {
    #[serde(flatten)]
    completion: Completion<'a>,
    #[serde(rename = "amazon-bedrock-invocationMetrics")]
    invocation_metrics: &'a InvocationMetrics,
}

impl TextCompletionReply {
    fn stop(&self) -> (&'static str, Option<&str>) {
        match &self.generation.finish {
            Finish::Natural => ("stop_sequence", Some(HUMAN_TURN)),
            Finish::MaxTokens => ("max_tokens", None),
            Finish::StopSequence(sequence) => ("stop_sequence", Some(sequence.as_str())),
        }
    }

    /// The streamed pieces; Claude's completions start with a space, so every piece does.
    fn pieces(&self) -> impl Iterator<Item = String> + '_ {
        self.generation
            .pieces
            .iter()
            .enumerate()
            .map(|(index, piece)| {
                if index == 0 {
                    format!(" {piece}")
                } else {
                    piece.clone()
                }
            })
    }
}

impl Reply for TextCompletionReply {
    fn usage(&self) -> Option<TokenUsage> {
        Some(TokenUsage::of(self.input_tokens, &self.generation))
    }

    fn response_body(&self) -> Result<Vec<u8>, serde_json::Error> {
        let (stop_reason, stop) = self.stop();
        serde_json::to_vec(&Completion {
            completion: &self.pieces().collect::<String>(),
            stop_reason: Some(stop_reason),
            stop,
        })
    }

    fn stream_chunks(
        &self,
        metrics: &InvocationMetrics,
    ) -> Result<Vec<Vec<u8>>, serde_json::Error> {
        let mut chunks = self
            .pieces()
            .map(|piece| {
                serde_json::to_vec(&Completion {
                    completion: &piece,
                    stop_reason: None,
                    stop: None,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let (stop_reason, stop) = self.stop();
        chunks.push(serde_json::to_vec(&FinalChunk {
            completion: Completion {
                completion: "",
                stop_reason: Some(stop_reason),
                stop,
            },
            invocation_metrics: metrics,
        })?);
        Ok(chunks)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::testing::{chunks_json, metrics, object, response_json};
    use serde_json::json;

    fn reply(value: Value) -> Result<Box<dyn Reply>, ApiError> {
        invoke(&object(value))
    }

    #[test]
    fn missing_keys_get_bedrocks_message() {
        let error = reply(json!({"texts": ["a"]})).err().expect("invalid");
        assert_eq!(
            error.message(),
            "Malformed input request: #: required key [prompt] not found#: required key \
             [max_tokens_to_sample] not found, please reformat your input and try again."
        );
    }

    #[test]
    fn a_natural_end_reports_the_human_turn_marker() {
        let reply = reply(json!({
            "prompt": "\n\nHuman: What makes you better?\n\nAssistant:",
            "max_tokens_to_sample": 500
        }))
        .expect("valid");
        let body = response_json(reply.as_ref());
        assert!(
            body["completion"]
                .as_str()
                .is_some_and(|text| text.starts_with(" What makes you better?"))
        );
        assert_eq!(body["stop_reason"], "stop_sequence");
        assert_eq!(body["stop"], "\n\nHuman:");
        assert_eq!(reply.usage().map(|usage| usage.input_tokens), Some(6));
    }

    #[test]
    fn the_stream_ends_with_an_empty_completion_carrying_the_metrics() {
        let reply =
            reply(json!({"prompt": "\n\nHuman: a b c\n\nAssistant:", "max_tokens_to_sample": 2}))
                .expect("valid");
        let chunks = chunks_json(reply.as_ref(), &metrics(5, 2, 3, 1));
        assert_eq!(
            chunks,
            [
                json!({"completion": " a", "stop_reason": null, "stop": null}),
                json!({"completion": " b", "stop_reason": null, "stop": null}),
                json!({"completion": "", "stop_reason": "max_tokens", "stop": null,
                       "amazon-bedrock-invocationMetrics": {"inputTokenCount": 5, "outputTokenCount": 2,
                                                             "invocationLatency": 3, "firstByteLatency": 1}}),
            ]
        );
    }
}
