//! The Writer family on Bedrock: Palmyra X4 and X5, their request validation and reply shapes,
//! from AWS's "Writer Palmyra X4" and "Writer Palmyra X5" parameter pages. The body is a chat
//! completion: `messages` (required, at least one), `temperature` (0..=2), `top_p` (0..=1),
//! `max_tokens` (1..=8192, default 16), `min_tokens` (0..=max_tokens), `stop` (at most 4),
//! `seed` (an integer), `presence_penalty` and `frequency_penalty` (-2..=2); nothing else (AWS
//! documents no tools for this body). A message is `{"role": "system" | "user" | "assistant",
//! "content"}` whose content is a string, `{"text"}` (as AWS's request example writes it) or a
//! list of `{"type": "text", "text"}` parts.
//!
//! The reply is AWS's response example: `{"id", "object": "chat.completion", "created",
//! "model", "choices": [{"index": 0, "message": {"role": "assistant", "reasoning_content": null,
//! "content", "tool_calls": []}, "logprobs": null, "finish_reason", "stop_reason": null}],
//! "usage": {"prompt_tokens", "total_tokens", "completion_tokens", "prompt_tokens_details":
//! null}, "prompt_logprobs": null}`, `finish_reason` `stop` or `length`. Streamed (AWS shows no
//! chunk), one `chat.completion.chunk` per piece in OpenAI's form, `delta` in place of
//! `message`; the last names the finish reason and carries the usage and the invocation metrics.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::api_error::ApiError;
use crate::generator::{Finish, Generation, GenerationRequest, generate};
use crate::providers::schema::{self, Violations};
use crate::providers::{InvocationMetrics, Reply, TokenUsage, chunk_per_piece, count_words};

/// One Palmyra model Bedrock serves.
#[derive(Debug)]
pub(crate) struct WriterModel {
    /// The Bedrock base model id.
    id: &'static str,
}

const MODELS: &[WriterModel] = &[
    WriterModel {
        id: "writer.palmyra-x4-v1:0",
    },
    WriterModel {
        id: "writer.palmyra-x5-v1:0",
    },
];

const KEYS: &[&str] = &[
    "messages",
    "temperature",
    "top_p",
    "max_tokens",
    "min_tokens",
    "stop",
    "seed",
    "presence_penalty",
    "frequency_penalty",
];
const MESSAGE_KEYS: &[&str] = &["role", "content"];
const ROLES: &[&str] = &["system", "user", "assistant"];
/// `max_tokens` when the request sets none, and its ceiling.
const DEFAULT_MAX_TOKENS: u32 = 16;
const MAX_TOKENS: u32 = 8192;
/// The most stop strings a request may give.
const MAX_STOP: usize = 4;

/// The Palmyra model with this base id.
pub(crate) fn lookup(base_model_id: &str) -> Option<&'static WriterModel> {
    MODELS.iter().find(|model| model.id == base_model_id)
}

/// Validates `body` for `model` and generates the reply.
pub(crate) fn invoke(model: &'static WriterModel, body: &[u8]) -> Result<Box<dyn Reply>, ApiError> {
    let object = schema::parse_object(body)?;
    let mut violations = Violations::default();
    schema::reject_unknown_keys(&object, "#", KEYS, &mut violations);
    let messages = schema::required_array(&object, "#", "messages", 1, &mut violations)
        .map(|messages| read_messages(messages, &mut violations))
        .unwrap_or_default();
    schema::optional_number(&object, "#", "temperature", 0.0..=2.0, &mut violations);
    schema::optional_number(&object, "#", "top_p", 0.0..=1.0, &mut violations);
    let max_tokens =
        schema::optional_count(&object, "#", "max_tokens", 1..=MAX_TOKENS, &mut violations)
            .unwrap_or(DEFAULT_MAX_TOKENS);
    schema::optional_count(&object, "#", "min_tokens", 0..=max_tokens, &mut violations);
    let stop = schema::optional_string_list(&object, "#", "stop", MAX_STOP, &mut violations);
    schema::optional_integer(&object, "#", "seed", i64::MIN..=i64::MAX, &mut violations);
    for penalty in ["presence_penalty", "frequency_penalty"] {
        schema::optional_number(&object, "#", penalty, -2.0..=2.0, &mut violations);
    }
    violations.into_result()?;

    let seed: String = messages
        .iter()
        .map(|(role, text)| format!("{role}: {text}\n"))
        .collect();
    let last_user = messages
        .iter()
        .rev()
        .find(|(role, _)| role == "user")
        .map_or("", |(_, text)| text.as_str());
    let generation = generate(&GenerationRequest {
        seed_text: &seed,
        echo_text: last_user,
        max_tokens,
        stop_sequences: &stop,
    });
    Ok(Box::new(PalmyraReply {
        model: model.id,
        id: format!("chatcmpl-{:032x}", fingerprint(&seed)),
        prompt_tokens: count_words(&seed),
        generation,
    }))
}

/// Each message's role and text, reporting what is not a message.
fn read_messages(messages: &[Value], violations: &mut Violations) -> Vec<(String, String)> {
    messages
        .iter()
        .enumerate()
        .filter_map(|(index, message)| {
            let path = format!("#/messages/{index}");
            let message = schema::as_object(message, &path, violations)?;
            schema::reject_unknown_keys(message, &path, MESSAGE_KEYS, violations);
            let role = schema::optional_enum(message, &path, "role", ROLES, violations);
            if !message.contains_key("role") {
                violations.required_key(&path, "role");
            }
            let text = content_text(message, &path, violations);
            Some((role?.to_owned(), text?))
        })
        .collect()
}

/// The text of a message's `content`: a string, `{"text"}`, or a list of text parts.
fn content_text(
    message: &Map<String, Value>,
    path: &str,
    violations: &mut Violations,
) -> Option<String> {
    let content_path = schema::child_path(path, "content");
    match message.get("content") {
        None => {
            violations.required_key(path, "content");
            None
        }
        Some(Value::String(text)) => Some(text.clone()),
        Some(Value::Object(part)) => {
            schema::required_string(part, &content_path, "text", violations).map(str::to_owned)
        }
        Some(Value::Array(parts)) => {
            let mut text = String::new();
            for (index, part) in parts.iter().enumerate() {
                let part_path = format!("{content_path}/{index}");
                let part = schema::as_object(part, &part_path, violations)?;
                schema::optional_enum(part, &part_path, "type", &["text"], violations);
                text.push_str(schema::required_string(
                    part, &part_path, "text", violations,
                )?);
            }
            Some(text)
        }
        Some(other) => {
            violations.wrong_type(&content_path, "String", other);
            None
        }
    }
}

/// A stable number for `text` (FNV-1a), for the reply's id.
fn fingerprint(text: &str) -> u128 {
    text.bytes()
        .fold(0x6c62_272e_07bb_0142_62b8_2175_6295_c58d, |hash, byte| {
            (hash ^ u128::from(byte)).wrapping_mul(0x0000_0000_0100_0000_0000_0000_0000_013b)
        })
}

struct PalmyraReply {
    model: &'static str,
    id: String,
    prompt_tokens: u32,
    generation: Generation,
}

/// The `created` time of every reply: replies are deterministic, so it is AWS's example's.
const CREATED: u64 = 1_745_854_231;

#[derive(Serialize)]
struct Completion<'a> {
    id: &'a str,
    object: &'static str,
    created: u64,
    model: &'a str,
    choices: [CompletionChoice<'a>; 1],
    usage: Usage,
    prompt_logprobs: Option<()>,
}

#[derive(Serialize)]
struct CompletionChoice<'a> {
    index: u32,
    message: Message<'a>,
    logprobs: Option<()>,
    finish_reason: &'static str,
    stop_reason: Option<()>,
}

#[derive(Serialize)]
struct Message<'a> {
    role: &'static str,
    reasoning_content: Option<()>,
    content: &'a str,
    tool_calls: [(); 0],
}

#[derive(Serialize)]
struct Usage {
    prompt_tokens: u32,
    total_tokens: u32,
    completion_tokens: u32,
    prompt_tokens_details: Option<()>,
}

#[derive(Serialize)]
struct Chunk<'a> {
    id: &'a str,
    object: &'static str,
    created: u64,
    model: &'a str,
    choices: [ChunkChoice<'a>; 1],
    #[serde(skip_serializing_if = "Option::is_none")]
    usage: Option<Usage>,
    #[serde(
        rename = "amazon-bedrock-invocationMetrics",
        skip_serializing_if = "Option::is_none"
    )]
    invocation_metrics: Option<&'a InvocationMetrics>,
}

#[derive(Serialize)]
struct ChunkChoice<'a> {
    index: u32,
    delta: Delta<'a>,
    logprobs: Option<()>,
    finish_reason: Option<&'static str>,
    stop_reason: Option<()>,
}

#[derive(Serialize)]
struct Delta<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    role: Option<&'static str>,
    content: &'a str,
}

impl PalmyraReply {
    fn finish_reason(&self) -> &'static str {
        match self.generation.finish {
            Finish::MaxTokens => "length",
            Finish::Natural | Finish::StopSequence(_) => "stop",
        }
    }

    fn usage(&self) -> Usage {
        Usage {
            prompt_tokens: self.prompt_tokens,
            total_tokens: self
                .prompt_tokens
                .saturating_add(self.generation.output_tokens),
            completion_tokens: self.generation.output_tokens,
            prompt_tokens_details: None,
        }
    }
}

impl Reply for PalmyraReply {
    fn usage(&self) -> Option<TokenUsage> {
        Some(TokenUsage::of(self.prompt_tokens, &self.generation))
    }

    fn response_body(&self) -> Result<Vec<u8>, serde_json::Error> {
        serde_json::to_vec(&Completion {
            id: &self.id,
            object: "chat.completion",
            created: CREATED,
            model: self.model,
            choices: [CompletionChoice {
                index: 0,
                message: Message {
                    role: "assistant",
                    reasoning_content: None,
                    content: &self.generation.text(),
                    tool_calls: [],
                },
                logprobs: None,
                finish_reason: self.finish_reason(),
                stop_reason: None,
            }],
            usage: PalmyraReply::usage(self),
            prompt_logprobs: None,
        })
    }

    fn stream_chunks(
        &self,
        metrics: &InvocationMetrics,
    ) -> Result<Vec<Vec<u8>>, serde_json::Error> {
        chunk_per_piece(&self.generation.pieces, |piece| {
            serde_json::to_vec(&Chunk {
                id: &self.id,
                object: "chat.completion.chunk",
                created: CREATED,
                model: self.model,
                choices: [ChunkChoice {
                    index: 0,
                    delta: Delta {
                        role: (piece.position == 0).then_some("assistant"),
                        content: piece.text,
                    },
                    logprobs: None,
                    finish_reason: piece.is_last.then(|| self.finish_reason()),
                    stop_reason: None,
                }],
                usage: piece.is_last.then(|| PalmyraReply::usage(self)),
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

    const X5: &str = "writer.palmyra-x5-v1:0";

    #[test]
    fn catalogue_ids_are_unique_and_writer() {
        assert_catalogue(MODELS.iter().map(|model| model.id), "writer.palmyra-");
    }

    #[test]
    fn every_violation_is_reported() {
        let error = reply(
            X5,
            &json!({"messages": [{"role": "tool", "content": 1}], "max_tokens": 9000,
                    "stop": ["a", "b", "c", "d", "e"], "tools": []}),
        )
        .err()
        .expect("invalid");
        assert_eq!(
            error.message(),
            "Malformed input request: #: extraneous key [tools] is not permitted\
             #/messages/0/role: tool is not a valid enum value\
             #/messages/0/content: expected type: String, found: Integer\
             #/max_tokens: 9000 is not less or equal to 8192\
             #/stop: expected maximum item count: 4, found: 5, please reformat your input and \
             try again."
        );
        assert!(reply(X5, &json!({"messages": []})).is_err());
    }

    #[test]
    fn aws_example_shapes() {
        let body = json!({"messages": [{"role": "user", "content": {"text": "Explain quantum computing"}}]});
        let reply = reply(X5, &body).expect("valid");
        let answer = response_json(reply.as_ref());
        assert_eq!(answer["object"], "chat.completion");
        assert_eq!(answer["model"], X5);
        let message = &answer["choices"][0]["message"];
        assert!(
            message["content"]
                .as_str()
                .is_some_and(|text| text.starts_with("Explain quantum computing"))
        );
        assert_eq!(message["tool_calls"], json!([]));
        assert_eq!(
            answer["choices"][0]["finish_reason"], "length",
            "16 tokens by default"
        );
        assert_eq!(answer["usage"]["completion_tokens"], 16);

        let chunks = chunks_json(reply.as_ref(), &metrics(3, 16, 7, 2));
        assert_eq!(chunks.len(), 16);
        assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
        let last = chunks.last().expect("a chunk");
        assert_eq!(last["choices"][0]["finish_reason"], "length");
        assert_eq!(last["usage"]["completion_tokens"], 16);
        assert!(chunks[0]["usage"].is_null() && chunks[0]["choices"][0]["finish_reason"].is_null());
        let streamed: String = chunks
            .iter()
            .map(|chunk| {
                chunk["choices"][0]["delta"]["content"]
                    .as_str()
                    .expect("text")
            })
            .collect();
        assert_eq!(streamed, message["content"].as_str().expect("text"));
    }

    #[test]
    fn content_as_parts_and_a_system_prompt() {
        let body = json!({"messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": [{"type": "text", "text": "Name a river"}]},
        ], "max_tokens": 100, "min_tokens": 1, "seed": 3, "temperature": 1.5});
        let answer = response_json(reply(X5, &body).expect("valid").as_ref());
        assert!(
            answer["choices"][0]["message"]["content"]
                .as_str()
                .is_some_and(|text| text.starts_with("Name a river"))
        );
    }
}
