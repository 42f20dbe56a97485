//! Amazon Titan Text on Bedrock: request validation and reply shapes. The request is
//! `{"inputText", "textGenerationConfig": {"temperature", "topP", "maxTokenCount",
//! "stopSequences"}}` with the ranges of AWS's Titan Text parameter page (temperature and topP in
//! 0..=1, maxTokenCount in 0..=the model's ceiling, default 512). Replies follow the recordings
//! (dd-trace `amazon_invoke*.yaml`, OTel and openllmetry Titan cassettes, New Relic streams):
//! `{"inputTextTokenCount","results":[{"tokenCount","outputText","completionReason"}]}`, and
//! streamed chunks of several words each `{"outputText","index":0}`, the first also carrying
//! `inputTextTokenCount` and the last `totalOutputTextTokenCount`, `completionReason` and the
//! invocation metrics (a short reply is one chunk with all of them, as recorded).

use serde::Serialize;
use serde_json::{Map, Value};

use crate::api_error::ApiError;
use crate::generator::{Finish, Generation, GenerationRequest, generate};
use crate::providers::prompt::last_user_text;
use crate::providers::schema::{self, Violations};
use crate::providers::{InvocationMetrics, Reply, TokenUsage, chunk_per_piece, count_words};

const KEYS: &[&str] = &["inputText", "textGenerationConfig"];
const CONFIG: &str = "#/textGenerationConfig";
const CONFIG_KEYS: &[&str] = &["temperature", "topP", "maxTokenCount", "stopSequences"];
/// `maxTokenCount` when the request sets none.
const DEFAULT_MAX_TOKEN_COUNT: u32 = 512;
/// Words per streamed chunk (Titan streams several words at a time, unlike the token-per-chunk
/// families).
const WORDS_PER_CHUNK: usize = 16;

/// Validates a Titan Text body and generates the reply.
pub(super) fn invoke(
    object: &Map<String, Value>,
    max_token_count: u32,
) -> Result<Box<dyn Reply>, ApiError> {
    let mut violations = Violations::default();
    schema::reject_unknown_keys(object, "#", KEYS, &mut violations);
    let input_text = schema::required_string(object, "#", "inputText", &mut violations);
    let mut max_tokens = DEFAULT_MAX_TOKEN_COUNT;
    let mut stop_sequences = Vec::new();
    if let Some(config) =
        schema::optional_object(object, "#", "textGenerationConfig", &mut violations)
    {
        schema::reject_unknown_keys(config, CONFIG, CONFIG_KEYS, &mut violations);
        schema::optional_number(config, CONFIG, "temperature", 0.0..=1.0, &mut violations);
        schema::optional_number(config, CONFIG, "topP", 0.0..=1.0, &mut violations);
        let limit = 0..=max_token_count;
        if let Some(count) =
            schema::optional_count(config, CONFIG, "maxTokenCount", limit, &mut violations)
        {
            max_tokens = count;
        }
        stop_sequences = schema::optional_string_list(
            config,
            CONFIG,
            "stopSequences",
            usize::MAX,
            &mut violations,
        );
    }
    violations.into_result()?;
    let Some(input_text) = input_text else {
        return Err(ApiError::internal("validated Titan body has no inputText"));
    };

    let generation = generate(&GenerationRequest {
        seed_text: input_text,
        echo_text: last_user_text(input_text),
        max_tokens,
        stop_sequences: &stop_sequences,
    });
    Ok(Box::new(TitanReply {
        input_tokens: count_words(input_text),
        generation,
    }))
}

struct TitanReply {
    input_tokens: u32,
    generation: Generation,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TitanResponse {
    input_text_token_count: u32,
    results: [TitanResult; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TitanResult {
    token_count: u32,
    output_text: String,
    completion_reason: &'static str,
}

/// One streamed chunk; the optional members appear only where the recordings have them.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TitanChunk<'a> {
    output_text: &'a str,
    index: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    total_output_text_token_count: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    completion_reason: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    input_text_token_count: Option<u32>,
    #[serde(
        rename = "amazon-bedrock-invocationMetrics",
        skip_serializing_if = "Option::is_none"
    )]
    invocation_metrics: Option<&'a InvocationMetrics>,
}

impl TitanReply {
    fn completion_reason(&self) -> &'static str {
        match self.generation.finish {
            Finish::Natural => "FINISH",
            Finish::MaxTokens => "LENGTH",
            Finish::StopSequence(_) => "STOP_CRITERIA_MET",
        }
    }
}

impl Reply for TitanReply {
    fn usage(&self) -> Option<TokenUsage> {
        Some(TokenUsage::of(self.input_tokens, &self.generation))
    }

    fn response_body(&self) -> Result<Vec<u8>, serde_json::Error> {
        serde_json::to_vec(&TitanResponse {
            input_text_token_count: self.input_tokens,
            results: [TitanResult {
                token_count: self.generation.output_tokens,
                output_text: self.generation.text(),
                completion_reason: self.completion_reason(),
            }],
        })
    }

    fn stream_chunks(
        &self,
        metrics: &InvocationMetrics,
    ) -> Result<Vec<Vec<u8>>, serde_json::Error> {
        let texts: Vec<String> = self
            .generation
            .pieces
            .chunks(WORDS_PER_CHUNK)
            .map(<[String]>::concat)
            .collect();
        chunk_per_piece(&texts, |piece| {
            serde_json::to_vec(&TitanChunk {
                output_text: piece.text,
                index: 0,
                total_output_text_token_count: piece
                    .is_last
                    .then_some(self.generation.output_tokens),
                completion_reason: piece.is_last.then(|| self.completion_reason()),
                input_text_token_count: (piece.position == 0).then_some(self.input_tokens),
                invocation_metrics: piece.is_last.then_some(metrics),
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::testing::{chunks_json, metrics, object, response_json};
    use serde_json::json;

    fn reply(value: Value) -> Result<Box<dyn Reply>, ApiError> {
        invoke(&object(value), 8192)
    }

    fn chunks(reply: &dyn Reply) -> Vec<Value> {
        chunks_json(reply, &metrics(1, 2, 3, 4))
    }

    #[test]
    fn every_violation_is_reported_with_its_path() {
        let error = reply(json!({
            "prompt": "hi",
            "textGenerationConfig": {"maxTokenCount": 9000, "temperature": "hot", "topK": 3}
        }))
        .err()
        .expect("invalid");
        assert_eq!(
            error.message(),
            "Malformed input request: #: extraneous key [prompt] is not permitted#: required key \
             [inputText] not found#/textGenerationConfig: extraneous key [topK] is not permitted\
             #/textGenerationConfig/temperature: expected type: Number, found: String\
             #/textGenerationConfig/maxTokenCount: 9000 is not less or equal to 8192, please \
             reformat your input and try again."
        );
    }

    #[test]
    fn completion_reasons_follow_the_finish() {
        let cut =
            reply(json!({"inputText": "a b c d", "textGenerationConfig": {"maxTokenCount": 2}}))
                .expect("valid");
        let body = response_json(cut.as_ref());
        assert_eq!(body["results"][0]["completionReason"], "LENGTH");
        assert_eq!(body["results"][0]["outputText"], "a b");
        assert_eq!(body["inputTextTokenCount"], 4);

        let stopped = reply(
            json!({"inputText": "a b c d", "textGenerationConfig": {"stopSequences": ["c"]}}),
        )
        .expect("valid");
        let body = response_json(stopped.as_ref());
        assert_eq!(body["results"][0]["completionReason"], "STOP_CRITERIA_MET");
        assert_eq!(body["results"][0]["tokenCount"], 2);

        let natural = reply(json!({"inputText": "a b c d"})).expect("valid");
        let body = response_json(natural.as_ref());
        assert_eq!(body["results"][0]["completionReason"], "FINISH");
    }

    #[test]
    fn a_long_stream_spreads_its_counts_over_first_and_last_chunks() {
        let reply = reply(
            json!({"inputText": "tell me a story", "textGenerationConfig": {"maxTokenCount": 40}}),
        )
        .expect("valid");
        let chunks = chunks(reply.as_ref());
        assert_eq!(chunks.len(), 3);
        assert_eq!(chunks[0]["inputTextTokenCount"], 4);
        assert!(chunks[0].get("completionReason").is_none());
        assert_eq!(
            chunks[1].as_object().map(|chunk| chunk.len()),
            Some(2),
            "{}",
            chunks[1]
        );
        assert_eq!(chunks[2]["totalOutputTextTokenCount"], 40);
        assert_eq!(chunks[2]["completionReason"], "LENGTH");
        assert_eq!(
            chunks[2]["amazon-bedrock-invocationMetrics"]["firstByteLatency"],
            4
        );
        let text: String = chunks
            .iter()
            .filter_map(|chunk| chunk["outputText"].as_str())
            .collect();
        let body = response_json(reply.as_ref());
        assert_eq!(body["results"][0]["outputText"], text.as_str());
    }
}
