//! Cohere Command and Command Light on Bedrock: request validation and reply shapes. The request
//! follows AWS's Cohere Command parameter page (`prompt` required; `temperature` 0..=5, `p`
//! 0..=1, `k` 0..=500, `max_tokens` 1..=4096 default 20, up to four `stop_sequences`,
//! `num_generations` 1..=5, `return_likelihoods`, `truncate`, `logit_bias`, `stream`). Replies
//! follow the recordings: `{"generations":[{"finish_reason","id","text"}],"id","prompt"}`
//! (dd-trace, OTel, New Relic), with input tokens counted once per generation as dd-trace's
//! multi-output cassette shows. Streamed with `"stream": true`, one `{"is_finished":false,"text"}`
//! chunk per piece (`index` first when several generations are asked for, each generation in turn,
//! as in dd-trace's multi-output stream) and a final `{"finish_reason","is_finished":true}` with
//! the metrics; without it, one chunk holding the whole reply and the metrics (New Relic).
//! Finish reasons are `COMPLETE` (natural end or stop sequence) and `MAX_TOKENS`.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::api_error::ApiError;
use crate::generator::{Finish, Generation, GenerationRequest, generate};
use crate::providers::cohere::fresh_id;
use crate::providers::prompt::last_user_text;
use crate::providers::schema::{self, Violations};
use crate::providers::{InvocationMetrics, Reply, TokenUsage, count_words};

const KEYS: &[&str] = &[
    "prompt",
    "temperature",
    "p",
    "k",
    "max_tokens",
    "stop_sequences",
    "return_likelihoods",
    "stream",
    "num_generations",
    "logit_bias",
    "truncate",
];
const LIKELIHOODS: &[&str] = &["GENERATION", "ALL", "NONE"];
const TRUNCATIONS: &[&str] = &["NONE", "START", "END"];
/// `max_tokens` when the request sets none, and its ceiling.
const DEFAULT_MAX_TOKENS: u32 = 20;
const MAX_TOKENS: u32 = 4096;
const MAX_STOP_SEQUENCES: usize = 4;
const MAX_GENERATIONS: i64 = 5;

/// Validates a Command body and generates the reply.
pub(super) fn invoke(object: &Map<String, Value>) -> Result<Box<dyn Reply>, ApiError> {
    let mut violations = Violations::default();
    schema::reject_unknown_keys(object, "#", KEYS, &mut violations);
    let prompt = schema::required_string(object, "#", "prompt", &mut violations);
    schema::optional_number(object, "#", "temperature", 0.0..=5.0, &mut violations);
    schema::optional_number(object, "#", "p", 0.0..=1.0, &mut violations);
    schema::optional_integer(object, "#", "k", 0..=500, &mut violations);
    let max_tokens =
        schema::optional_count(object, "#", "max_tokens", 1..=MAX_TOKENS, &mut violations);
    let stop_sequences = schema::optional_string_list(
        object,
        "#",
        "stop_sequences",
        MAX_STOP_SEQUENCES,
        &mut violations,
    );
    schema::optional_enum(
        object,
        "#",
        "return_likelihoods",
        LIKELIHOODS,
        &mut violations,
    );
    let stream = schema::optional_bool(object, "#", "stream", &mut violations);
    let generations = schema::optional_integer(
        object,
        "#",
        "num_generations",
        1..=MAX_GENERATIONS,
        &mut violations,
    );
    schema::optional_object(object, "#", "logit_bias", &mut violations);
    schema::optional_enum(object, "#", "truncate", TRUNCATIONS, &mut violations);
    violations.into_result()?;
    let Some(prompt) = prompt else {
        return Err(ApiError::internal("validated Command body has no prompt"));
    };

    let count = usize::try_from(generations.unwrap_or(1)).unwrap_or(1);
    let generations = (0..count)
        .map(|index| {
            // The first generation is the plain prompt's reply; the others differ from it.
            let seed = if index == 0 {
                prompt.to_owned()
            } else {
                format!("{prompt}\u{0}{index}")
            };
            generate(&GenerationRequest {
                seed_text: &seed,
                echo_text: last_user_text(prompt),
                max_tokens: max_tokens.unwrap_or(DEFAULT_MAX_TOKENS),
                stop_sequences: &stop_sequences,
            })
        })
        .map(|generation| (fresh_id(), generation))
        .collect();
    Ok(Box::new(CommandReply {
        id: fresh_id(),
        prompt: prompt.to_owned(),
        stream_pieces: stream == Some(true),
        input_tokens: count_words(prompt).saturating_mul(u32::try_from(count).unwrap_or(1)),
        generations,
    }))
}

struct CommandReply {
    id: String,
    prompt: String,
    /// Whether the request asked for token-by-token streaming.
    stream_pieces: bool,
    input_tokens: u32,
    generations: Vec<(String, Generation)>,
}

#[derive(Serialize)]
struct CommandResponse<'a> {
    generations: Vec<GenerationBody<'a>>,
    id: &'a str,
    prompt: &'a str,
    #[serde(
        rename = "amazon-bedrock-invocationMetrics",
        skip_serializing_if = "Option::is_none"
    )]
    invocation_metrics: Option<&'a InvocationMetrics>,
}

#[derive(Serialize)]
struct GenerationBody<'a> {
    finish_reason: &'static str,
    id: &'a str,
    text: String,
}

#[derive(Serialize)]
struct PieceChunk<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    index: Option<usize>,
    is_finished: bool,
    text: &'a str,
}

#[derive(Serialize)]
struct FinalChunk<'a> {
    finish_reason: &'static str,
    is_finished: bool,
    #[serde(rename = "amazon-bedrock-invocationMetrics")]
    invocation_metrics: &'a InvocationMetrics,
}

fn finish_reason(generation: &Generation) -> &'static str {
    match generation.finish {
        Finish::MaxTokens => "MAX_TOKENS",
        Finish::Natural | Finish::StopSequence(_) => "COMPLETE",
    }
}

impl CommandReply {
    fn response(
        &self,
        invocation_metrics: Option<&InvocationMetrics>,
    ) -> Result<Vec<u8>, serde_json::Error> {
        serde_json::to_vec(&CommandResponse {
            generations: self
                .generations
                .iter()
                .map(|(id, generation)| GenerationBody {
                    finish_reason: finish_reason(generation),
                    id,
                    text: generation.text(),
                })
                .collect(),
            id: &self.id,
            prompt: &self.prompt,
            invocation_metrics,
        })
    }
}

impl Reply for CommandReply {
    fn usage(&self) -> Option<TokenUsage> {
        Some(TokenUsage {
            input_tokens: self.input_tokens,
            output_tokens: self
                .generations
                .iter()
                .map(|(_, generation)| generation.output_tokens)
                .fold(0, u32::saturating_add),
            cache: None,
        })
    }

    fn response_body(&self) -> Result<Vec<u8>, serde_json::Error> {
        self.response(None)
    }

    fn stream_chunks(
        &self,
        metrics: &InvocationMetrics,
    ) -> Result<Vec<Vec<u8>>, serde_json::Error> {
        if !self.stream_pieces {
            return Ok(vec![self.response(Some(metrics))?]);
        }
        let several = self.generations.len() > 1;
        let mut chunks = Vec::new();
        for (index, (_, generation)) in self.generations.iter().enumerate() {
            for piece in &generation.pieces {
                chunks.push(serde_json::to_vec(&PieceChunk {
                    index: several.then_some(index),
                    is_finished: false,
                    text: piece,
                })?);
            }
        }
        let finish = self
            .generations
            .last()
            .map_or("COMPLETE", |(_, generation)| finish_reason(generation));
        chunks.push(serde_json::to_vec(&FinalChunk {
            finish_reason: finish,
            is_finished: true,
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

    fn chunks(reply: &dyn Reply) -> Vec<Value> {
        chunks_json(reply, &metrics(1, 1, 1, 1))
    }

    #[test]
    fn every_violation_is_reported() {
        let error = reply(json!({
            "message": "hi", "max_tokens": 0, "stop_sequences": ["a", "b", "c", "d", "e"],
            "num_generations": 6, "truncate": "MIDDLE", "stream": "yes"
        }))
        .err()
        .expect("invalid");
        assert_eq!(
            error.message(),
            "Malformed input request: #: extraneous key [message] is not permitted#: required \
             key [prompt] not found#/max_tokens: 0 is not greater or equal to 1\
             #/stop_sequences: expected maximum item count: 4, found: 5#/stream: expected type: \
             Boolean, found: String#/num_generations: 6 is not less or equal to 5#/truncate: \
             MIDDLE is not a valid enum value, please reformat your input and try again."
        );
    }

    #[test]
    fn the_default_is_twenty_tokens_and_several_generations_differ() {
        let reply = reply(json!({"prompt": "tell me a long story please", "num_generations": 2}))
            .expect("valid");
        let body = response_json(reply.as_ref());
        let generations = body["generations"].as_array().expect("generations");
        assert_eq!(generations.len(), 2);
        assert_ne!(generations[0]["text"], generations[1]["text"]);
        assert!(
            generations
                .iter()
                .all(|generation| generation["finish_reason"] == "MAX_TOKENS")
        );
        assert_eq!(
            reply
                .usage()
                .map(|usage| (usage.input_tokens, usage.output_tokens)),
            Some((12, 40))
        );
    }

    #[test]
    fn stream_true_sends_pieces_by_generation_and_a_final_chunk() {
        let reply =
            reply(json!({"prompt": "a b", "max_tokens": 2, "num_generations": 2, "stream": true}))
                .expect("valid");
        let chunks = chunks(reply.as_ref());
        assert_eq!(chunks.len(), 5);
        assert_eq!(
            chunks[0],
            json!({"index": 0, "is_finished": false, "text": "a"})
        );
        assert_eq!(chunks[2]["index"], 1);
        assert_eq!(chunks[4]["finish_reason"], "MAX_TOKENS");
        assert_eq!(chunks[4]["is_finished"], true);
    }

    #[test]
    fn without_stream_true_the_stream_is_one_whole_reply() {
        let reply = reply(json!({"prompt": "a b c", "stop_sequences": ["c"]})).expect("valid");
        let chunks = chunks(reply.as_ref());
        assert_eq!(chunks.len(), 1);
        assert_eq!(chunks[0]["generations"][0]["text"], "a b ");
        assert_eq!(chunks[0]["generations"][0]["finish_reason"], "COMPLETE");
        assert!(chunks[0].get("amazon-bedrock-invocationMetrics").is_some());
    }
}
