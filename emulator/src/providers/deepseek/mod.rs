//! The DeepSeek family on Bedrock: DeepSeek-R1's model catalogue, request validation and reply
//! shapes, from AWS's "DeepSeek models" parameter page. The body is a text completion,
//! `{"prompt", "temperature", "top_p", "max_tokens", "stop"}` (temperature and top_p at most 1,
//! max_tokens 1..=32768, at most 10 stop strings); the reply is `{"choices": [{"text",
//! "stop_reason"}]}` with `stop_reason` `stop` or `length`; streamed, one chunk of that same
//! shape per piece, the last carrying the stop reason and the invocation metrics.
//!
//! R1 thinks before it answers, and its text says so: the thinking comes first and `</think>`
//! ends it (the prompt AWS's example writes opens it with `<think>`). The stand-in reply does
//! the same: the first half of the generated words is the thinking, then `\n</think>\n\n`, then
//! the rest is the answer; a reply of fewer than two words was stopped while thinking and has
//! no `</think>`. Streamed, that tag is cut across two chunks, as a tokenizer's pieces may cut
//! it, so that clients are held to splitting a stream wherever its chunks fall.

use serde::Serialize;

use crate::api_error::ApiError;
use crate::generator::{Finish, Generation, GenerationRequest, generate};
use crate::providers::schema::{self, Violations};
use crate::providers::{InvocationMetrics, Reply, TokenUsage, chunk_per_piece, count_words};

/// One DeepSeek model Bedrock serves through this body.
#[derive(Debug)]
pub(crate) struct DeepSeekModel {
    /// The Bedrock base model id.
    id: &'static str,
}

const MODELS: &[DeepSeekModel] = &[DeepSeekModel {
    id: "deepseek.r1-v1:0",
}];

const KEYS: &[&str] = &["prompt", "temperature", "top_p", "max_tokens", "stop"];
/// `max_tokens` when the request sets none (AWS gives no default; 8,192 is the most it
/// advises), and its ceiling.
const DEFAULT_MAX_TOKENS: u32 = 8192;
const MAX_TOKENS: u32 = 32_768;
/// The most stop strings a request may give.
const MAX_STOP: usize = 10;
/// The markers of DeepSeek's chat template around a user turn.
const USER: &str = "<｜User｜>";
const ASSISTANT: &str = "<｜Assistant｜>";
/// The end of the thinking, as streamed: the tag cut in two pieces.
const THINKING_END: [&str; 2] = ["\n</th", "ink>\n\n"];

/// The DeepSeek model with this base id.
pub(crate) fn lookup(base_model_id: &str) -> Option<&'static DeepSeekModel> {
    MODELS.iter().find(|model| model.id == base_model_id)
}

/// Validates `body` for `model` and generates the reply.
pub(crate) fn invoke(
    _model: &'static DeepSeekModel,
    body: &[u8],
) -> Result<Box<dyn Reply>, ApiError> {
    let object = schema::parse_object(body)?;
    let mut violations = Violations::default();
    schema::reject_unknown_keys(&object, "#", KEYS, &mut violations);
    let prompt = schema::required_string(&object, "#", "prompt", &mut violations);
    schema::optional_number(&object, "#", "temperature", 0.0..=1.0, &mut violations);
    schema::optional_number(&object, "#", "top_p", 0.0..=1.0, &mut violations);
    let max_tokens =
        schema::optional_count(&object, "#", "max_tokens", 1..=MAX_TOKENS, &mut violations);
    let stop = schema::optional_string_list(&object, "#", "stop", MAX_STOP, &mut violations);
    violations.into_result()?;
    let Some(prompt) = prompt else {
        return Err(ApiError::internal("validated DeepSeek body has no prompt"));
    };
    let generation = generate(&GenerationRequest {
        seed_text: prompt,
        echo_text: last_user_text(prompt),
        max_tokens: max_tokens.unwrap_or(DEFAULT_MAX_TOKENS),
        stop_sequences: &stop,
    });
    Ok(Box::new(R1Reply {
        prompt_tokens: count_words(prompt),
        generation,
    }))
}

/// The last user turn of a prompt in DeepSeek's chat template, or the whole prompt.
fn last_user_text(prompt: &str) -> &str {
    let Some(start) = prompt.rfind(USER) else {
        return prompt.trim();
    };
    let turn = &prompt[start + USER.len()..];
    turn.find(ASSISTANT).map_or(turn, |end| &turn[..end]).trim()
}

struct R1Reply {
    prompt_tokens: u32,
    generation: Generation,
}

#[derive(Serialize)]
struct Completion<'a> {
    choices: [Choice<'a>; 1],
    #[serde(
        rename = "amazon-bedrock-invocationMetrics",
        skip_serializing_if = "Option::is_none"
    )]
    invocation_metrics: Option<&'a InvocationMetrics>,
}

#[derive(Serialize)]
struct Choice<'a> {
    text: &'a str,
    stop_reason: Option<&'static str>,
}

impl R1Reply {
    fn stop_reason(&self) -> &'static str {
        match self.generation.finish {
            Finish::MaxTokens => "length",
            Finish::Natural | Finish::StopSequence(_) => "stop",
        }
    }

    /// The reply's pieces as streamed: the thinking's words, the end of the thinking in two
    /// pieces, the answer's words (the first without its leading space).
    fn pieces(&self) -> Vec<&str> {
        let words = &self.generation.pieces;
        if words.len() < 2 {
            return words.iter().map(String::as_str).collect();
        }
        let (thinking, answer) = words.split_at(words.len() / 2);
        let mut pieces: Vec<&str> = thinking.iter().map(String::as_str).collect();
        pieces.extend(THINKING_END);
        pieces.extend(
            answer
                .iter()
                .enumerate()
                .map(|(index, word)| if index == 0 { word.trim_start() } else { word }),
        );
        pieces
    }
}

impl Reply for R1Reply {
    fn usage(&self) -> Option<TokenUsage> {
        Some(TokenUsage::of(self.prompt_tokens, &self.generation))
    }

    fn response_body(&self) -> Result<Vec<u8>, serde_json::Error> {
        serde_json::to_vec(&Completion {
            choices: [Choice {
                text: &self.pieces().concat(),
                stop_reason: Some(self.stop_reason()),
            }],
            invocation_metrics: None,
        })
    }

    fn stream_chunks(
        &self,
        metrics: &InvocationMetrics,
    ) -> Result<Vec<Vec<u8>>, serde_json::Error> {
        chunk_per_piece(&self.pieces(), |piece| {
            serde_json::to_vec(&Completion {
                choices: [Choice {
                    text: piece.text,
                    stop_reason: piece.is_last.then(|| self.stop_reason()),
                }],
                invocation_metrics: piece.is_last.then_some(metrics),
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::testing::{assert_catalogue, chunks_json, metrics, reply, response_json};
    use serde_json::json;

    const R1: &str = "deepseek.r1-v1:0";

    #[test]
    fn catalogue_ids_are_unique_and_deepseek() {
        assert_catalogue(MODELS.iter().map(|model| model.id), "deepseek.r1");
    }

    #[test]
    fn every_violation_is_reported() {
        let error = reply(
            R1,
            &json!({"max_tokens": 40000, "temperature": 1.5, "stop": vec!["a"; 11], "top_k": 5}),
        )
        .err()
        .expect("invalid");
        assert_eq!(
            error.message(),
            "Malformed input request: #: extraneous key [top_k] is not permitted#: required key \
             [prompt] not found#/temperature: 1.5 is not less or equal to 1#/max_tokens: 40000 \
             is not less or equal to 32768#/stop: expected maximum item count: 10, found: 11, \
             please reformat your input and try again."
        );
    }

    #[test]
    fn the_answer_follows_the_thinking() {
        let prompt = "<｜begin▁of▁sentence｜><｜User｜>Say hello<｜Assistant｜><think>\n";
        let reply = reply(R1, &json!({"prompt": prompt, "max_tokens": 6})).expect("valid");
        let body = response_json(reply.as_ref());
        let text = body["choices"][0]["text"].as_str().expect("text");
        let (thinking, answer) = text.split_once("\n</think>\n\n").expect("the tag");
        assert!(thinking.starts_with("Say hello"), "{text}");
        assert!(!answer.is_empty() && !answer.starts_with(' '), "{text}");
        assert_eq!(body["choices"][0]["stop_reason"], "length");

        let chunks = chunks_json(reply.as_ref(), &metrics(5, 6, 7, 2));
        let streamed: String = chunks
            .iter()
            .map(|chunk| chunk["choices"][0]["text"].as_str().expect("text"))
            .collect();
        assert_eq!(streamed, text);
        assert!(chunks.iter().all(|chunk| {
            !chunk["choices"][0]["text"]
                .as_str()
                .is_some_and(|piece| piece.contains("</think>"))
        }));
        let last = chunks.last().expect("a chunk");
        assert_eq!(last["choices"][0]["stop_reason"], "length");
        assert_eq!(
            last["amazon-bedrock-invocationMetrics"]["outputTokenCount"],
            6
        );
        assert!(
            chunks[..chunks.len() - 1]
                .iter()
                .all(|chunk| chunk["choices"][0]["stop_reason"].is_null())
        );
    }

    #[test]
    fn a_reply_stopped_at_once_has_no_answer() {
        let reply = reply(R1, &json!({"prompt": "Hi", "max_tokens": 1})).expect("valid");
        let body = response_json(reply.as_ref());
        assert!(
            !body["choices"][0]["text"]
                .as_str()
                .expect("text")
                .contains("</think>")
        );
        assert_eq!(last_user_text("plain"), "plain");
    }
}
