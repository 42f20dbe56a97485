//! The Anthropic Messages API on Bedrock: request validation and the reply shapes. Shapes follow
//! the recordings (dd-trace `anthropic_message_invoke*.yaml`, OTel and New Relic Claude streams):
//! non-streamed `{"id","type":"message","role","model","content":[{"type":"text","text"}],
//! "stop_reason","stop_sequence","usage":{"input_tokens","output_tokens"}}`; streamed
//! `message_start`, `content_block_start`, one `content_block_delta` per word,
//! `content_block_stop`, `message_delta`, `message_stop` (which carries the invocation metrics).

use serde::Serialize;
use serde_json::{Map, Value};

use crate::api_error::ApiError;
use crate::generator::{Finish, Generation, GenerationRequest, generate};
use crate::providers::schema::{self, Violations};
use crate::providers::{InvocationMetrics, Reply, TokenUsage, count_words};

/// Top-level keys Bedrock is recorded rejecting in Messages bodies (AnthropicSwiftSDK#19:
/// `#: extraneous key [stream] is not permitted#: extraneous key [model] is not permitted`).
const REJECTED_KEYS: &[&str] = &["stream", "model"];

/// Anthropic's own check after Bedrock's schema check, as reported in anomalyco/opencode#15715.
const EMPTY_TEXT_BLOCK: &str = "messages: text content blocks must be non-empty";

/// Output tokens `message_start` reports before any text is generated.
const INITIAL_OUTPUT_TOKENS: u32 = 1;

/// Validates a Messages API body and generates the reply for the model named `reported_name`.
pub(super) fn invoke(
    reported_name: &'static str,
    object: &Map<String, Value>,
) -> Result<Box<dyn Reply>, ApiError> {
    let request = MessagesRequest::parse(object)?;
    let generation = generate(&GenerationRequest {
        seed_text: &request.seed_text(),
        echo_text: request.last_user_text(),
        max_tokens: request.max_tokens,
        stop_sequences: &request.stop_sequences,
    });
    Ok(Box::new(MessagesReply {
        id: message_id(),
        model: reported_name,
        input_tokens: request.input_tokens(),
        generation,
    }))
}

/// The parts of a Messages body the emulator uses.
struct MessagesRequest {
    max_tokens: u32,
    system: String,
    turns: Vec<Turn>,
    stop_sequences: Vec<String>,
}

struct Turn {
    role: String,
    text: String,
}

impl MessagesRequest {
    fn parse(object: &Map<String, Value>) -> Result<Self, ApiError> {
        let mut violations = Violations::default();
        match object.get("anthropic_version") {
            None => violations.required_key("#", "anthropic_version"),
            Some(Value::String(_)) => {}
            Some(other) => violations.wrong_type("#/anthropic_version", "String", other),
        }
        let max_tokens = schema::positive_integer(object, "max_tokens", &mut violations);
        let turns = parse_turns(object.get("messages"), &mut violations);
        let stop_sequences = schema::stop_sequences(object, &mut violations);
        for key in REJECTED_KEYS {
            if object.contains_key(*key) {
                violations.extraneous_key("#", key);
            }
        }
        violations.into_result()?;
        // A missing or invalid max_tokens was reported as a violation above.
        let Some(max_tokens) = max_tokens else {
            return Err(ApiError::internal(
                "validated Messages body has no max_tokens",
            ));
        };
        if has_empty_text_block(object.get("messages")) {
            return Err(ApiError::validation(EMPTY_TEXT_BLOCK));
        }
        Ok(Self {
            max_tokens,
            system: object.get("system").map(content_text).unwrap_or_default(),
            turns,
            stop_sequences,
        })
    }

    /// Everything that identifies the prompt.
    fn seed_text(&self) -> String {
        let mut seed = self.system.clone();
        for turn in &self.turns {
            seed.push('\n');
            seed.push_str(&turn.role);
            seed.push_str(": ");
            seed.push_str(&turn.text);
        }
        seed
    }

    fn last_user_text(&self) -> &str {
        self.turns
            .iter()
            .rev()
            .find(|turn| turn.role == "user")
            .map_or("", |turn| turn.text.as_str())
    }

    fn input_tokens(&self) -> u32 {
        self.turns
            .iter()
            .map(|turn| count_words(&turn.text))
            .fold(count_words(&self.system), u32::saturating_add)
    }
}

fn parse_turns(messages: Option<&Value>, violations: &mut Violations) -> Vec<Turn> {
    let items = match messages {
        None => {
            violations.required_key("#", "messages");
            return Vec::new();
        }
        Some(Value::Array(items)) => items,
        Some(other) => {
            violations.wrong_type("#/messages", "JSONArray", other);
            return Vec::new();
        }
    };
    if items.is_empty() {
        violations.too_few_items("#/messages", 1, 0);
    }
    items
        .iter()
        .enumerate()
        .filter_map(|(index, item)| parse_turn(index, item, violations))
        .collect()
}

fn parse_turn(index: usize, item: &Value, violations: &mut Violations) -> Option<Turn> {
    let path = format!("#/messages/{index}");
    let Value::Object(message) = item else {
        violations.wrong_type(&path, "JSONObject", item);
        return None;
    };
    let role = match message.get("role") {
        None => {
            violations.required_key(&path, "role");
            None
        }
        Some(Value::String(role)) if role == "user" || role == "assistant" => Some(role.clone()),
        Some(Value::String(role)) => {
            violations.not_in_enum(&format!("{path}/role"), role);
            None
        }
        Some(other) => {
            violations.wrong_type(&format!("{path}/role"), "String", other);
            None
        }
    };
    let text = match message.get("content") {
        None => {
            violations.required_key(&path, "content");
            None
        }
        Some(content @ (Value::String(_) | Value::Array(_))) => Some(content_text(content)),
        Some(other) => {
            violations.wrong_type(&format!("{path}/content"), "JSONArray", other);
            None
        }
    };
    Some(Turn {
        role: role?,
        text: text?,
    })
}

/// Whether any message has a `{"type":"text"}` block whose text is empty.
fn has_empty_text_block(messages: Option<&Value>) -> bool {
    messages
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|message| message.get("content").and_then(Value::as_array))
        .flatten()
        .any(|block| {
            block.get("type").and_then(Value::as_str) == Some("text")
                && block
                    .get("text")
                    .and_then(Value::as_str)
                    .is_none_or(str::is_empty)
        })
}

/// The text of a `content` or `system` value: a string, or the text of its text blocks and of
/// the content of its tool results, joined by newlines.
fn content_text(content: &Value) -> String {
    match content {
        Value::String(text) => text.clone(),
        Value::Array(blocks) => blocks
            .iter()
            .filter_map(|block| match block.get("type").and_then(Value::as_str) {
                Some("text") => block.get("text").and_then(Value::as_str).map(str::to_owned),
                Some("tool_result") => block.get("content").map(content_text),
                _ => None,
            })
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    }
}

/// A fresh message id in Bedrock's `msg_bdrk_` + 24 alphanumerics form.
fn message_id() -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let random = uuid::Uuid::new_v4().as_u128();
    let suffix: String = (0..24)
        .map(|position| {
            let index = (random >> (position * 5)) as usize % ALPHABET.len();
            char::from(ALPHABET[index])
        })
        .collect();
    format!("msg_bdrk_{suffix}")
}

struct MessagesReply {
    id: String,
    model: &'static str,
    input_tokens: u32,
    generation: Generation,
}

#[derive(Serialize)]
struct MessageBody<'a> {
    id: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    role: &'static str,
    model: &'a str,
    content: Vec<TextBlock>,
    stop_reason: Option<&'static str>,
    stop_sequence: Option<&'a str>,
    usage: Usage,
}

#[derive(Serialize)]
struct TextBlock {
    #[serde(rename = "type")]
    kind: &'static str,
    text: String,
}

#[derive(Serialize)]
struct TextDelta<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    text: &'a str,
}

#[derive(Serialize)]
struct Usage {
    input_tokens: u32,
    output_tokens: u32,
}

#[derive(Serialize)]
struct StopDelta<'a> {
    stop_reason: &'static str,
    stop_sequence: Option<&'a str>,
}

#[derive(Serialize)]
struct OutputUsage {
    output_tokens: u32,
}

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum StreamEvent<'a> {
    MessageStart {
        message: MessageBody<'a>,
    },
    ContentBlockStart {
        index: u32,
        content_block: TextBlock,
    },
    ContentBlockDelta {
        index: u32,
        delta: TextDelta<'a>,
    },
    ContentBlockStop {
        index: u32,
    },
    MessageDelta {
        delta: StopDelta<'a>,
        usage: OutputUsage,
    },
    MessageStop {
        #[serde(rename = "amazon-bedrock-invocationMetrics")]
        invocation_metrics: &'a InvocationMetrics,
    },
}

fn text_block(text: String) -> TextBlock {
    TextBlock { kind: "text", text }
}

impl MessagesReply {
    fn stop(&self) -> (&'static str, Option<&str>) {
        match &self.generation.finish {
            Finish::Natural => ("end_turn", None),
            Finish::MaxTokens => ("max_tokens", None),
            Finish::StopSequence(sequence) => ("stop_sequence", Some(sequence.as_str())),
        }
    }
}

impl Reply for MessagesReply {
    fn usage(&self) -> Option<TokenUsage> {
        Some(TokenUsage::of(self.input_tokens, &self.generation))
    }

    fn response_body(&self) -> Result<Vec<u8>, serde_json::Error> {
        let (stop_reason, stop_sequence) = self.stop();
        serde_json::to_vec(&MessageBody {
            id: &self.id,
            kind: "message",
            role: "assistant",
            model: self.model,
            content: vec![text_block(self.generation.text())],
            stop_reason: Some(stop_reason),
            stop_sequence,
            usage: Usage {
                input_tokens: self.input_tokens,
                output_tokens: self.generation.output_tokens,
            },
        })
    }

    fn stream_chunks(
        &self,
        metrics: &InvocationMetrics,
    ) -> Result<Vec<Vec<u8>>, serde_json::Error> {
        let (stop_reason, stop_sequence) = self.stop();
        let mut events = vec![
            StreamEvent::MessageStart {
                message: MessageBody {
                    id: &self.id,
                    kind: "message",
                    role: "assistant",
                    model: self.model,
                    content: Vec::new(),
                    stop_reason: None,
                    stop_sequence: None,
                    usage: Usage {
                        input_tokens: self.input_tokens,
                        output_tokens: INITIAL_OUTPUT_TOKENS,
                    },
                },
            },
            StreamEvent::ContentBlockStart {
                index: 0,
                content_block: text_block(String::new()),
            },
        ];
        events.extend(
            self.generation
                .pieces
                .iter()
                .map(|piece| StreamEvent::ContentBlockDelta {
                    index: 0,
                    delta: TextDelta {
                        kind: "text_delta",
                        text: piece,
                    },
                }),
        );
        events.extend([
            StreamEvent::ContentBlockStop { index: 0 },
            StreamEvent::MessageDelta {
                delta: StopDelta {
                    stop_reason,
                    stop_sequence,
                },
                usage: OutputUsage {
                    output_tokens: self.generation.output_tokens,
                },
            },
            StreamEvent::MessageStop {
                invocation_metrics: metrics,
            },
        ]);
        events.iter().map(serde_json::to_vec).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::testing::{chunks_json, metrics, object};
    use serde_json::json;

    fn reply(value: Value) -> Result<Box<dyn Reply>, ApiError> {
        invoke("claude-test", &object(value))
    }

    /// Where each key first appears in the raw JSON (serde_json's `Value` sorts keys).
    fn key_positions(raw: &str, keys: &[&str]) -> Vec<usize> {
        keys.iter()
            .filter_map(|key| raw.find(&format!("\"{key}\":")))
            .collect()
    }

    #[test]
    fn missing_max_tokens_gets_bedrocks_message() {
        let error = reply(json!({
            "anthropic_version": "bedrock-2023-05-31",
            "messages": [{"role": "user", "content": "hi"}]
        }))
        .err()
        .expect("invalid");
        assert_eq!(
            error.message(),
            "Malformed input request: #: required key [max_tokens] not found, please reformat \
             your input and try again."
        );
    }

    #[test]
    fn every_violation_is_reported() {
        let error = reply(json!({"messages": [], "stream": true}))
            .err()
            .expect("invalid");
        assert_eq!(
            error.message(),
            "Malformed input request: #: required key [anthropic_version] not found#: required \
             key [max_tokens] not found#/messages: expected minimum item count: 1, found: 0#: \
             extraneous key [stream] is not permitted, please reformat your input and try again."
        );
    }

    #[test]
    fn a_bad_turn_is_reported_with_its_path() {
        let error = reply(json!({
            "anthropic_version": "bedrock-2023-05-31", "max_tokens": 10,
            "messages": [{"role": "system", "content": "hi"}, {"role": "user"}]
        }))
        .err()
        .expect("invalid");
        assert_eq!(
            error.message(),
            "Malformed input request: #/messages/0/role: system is not a valid enum value\
             #/messages/1: required key [content] not found, please reformat your input and try \
             again."
        );
    }

    #[test]
    fn an_empty_text_block_is_refused_like_anthropic_does() {
        let error = reply(json!({
            "anthropic_version": "bedrock-2023-05-31", "max_tokens": 10,
            "messages": [{"role": "user", "content": [{"type": "text", "text": ""}]}]
        }))
        .err()
        .expect("invalid");
        assert_eq!(error.message(), EMPTY_TEXT_BLOCK);
    }

    #[test]
    fn the_response_body_has_the_recorded_shape() {
        let reply = reply(json!({
            "anthropic_version": "bedrock-2023-05-31", "max_tokens": 50,
            "system": "You know all about AI.",
            "messages": [{"role": "user", "content": [{"type": "text", "text": "Explain AI briefly."}]}]
        }))
        .expect("valid");
        let raw = reply.response_body().expect("renders");
        let body: Value = serde_json::from_slice(&raw).expect("JSON");
        let recorded_order = [
            "id",
            "type",
            "role",
            "model",
            "content",
            "stop_reason",
            "stop_sequence",
            "usage",
        ];
        let positions = key_positions(&String::from_utf8_lossy(&raw), &recorded_order);
        assert_eq!(positions.len(), recorded_order.len());
        assert!(
            positions.is_sorted(),
            "keys out of the recorded order: {positions:?}"
        );
        assert_eq!(
            body.as_object().map(|object| object.len()),
            Some(recorded_order.len())
        );
        assert!(
            body["id"]
                .as_str()
                .is_some_and(|id| id.starts_with("msg_bdrk_") && id.len() == 33)
        );
        assert_eq!(body["type"], "message");
        assert_eq!(body["role"], "assistant");
        assert_eq!(body["content"][0]["type"], "text");
        assert!(
            body["content"][0]["text"]
                .as_str()
                .is_some_and(|text| text.starts_with("Explain AI briefly."))
        );
        assert_eq!(body["usage"]["input_tokens"], 8);
        assert_eq!(
            body["usage"]["output_tokens"],
            reply
                .usage()
                .map(|usage| usage.output_tokens)
                .unwrap_or_default()
        );
    }

    #[test]
    fn the_stream_has_the_recorded_event_sequence() {
        let reply = reply(json!({
            "anthropic_version": "bedrock-2023-05-31", "max_tokens": 4,
            "messages": [{"role": "user", "content": "one two three four five six"}]
        }))
        .expect("valid");
        let chunks = chunks_json(reply.as_ref(), &metrics(6, 4, 20, 10));
        let types: Vec<&str> = chunks
            .iter()
            .filter_map(|chunk| chunk["type"].as_str())
            .collect();
        assert_eq!(
            types,
            [
                "message_start",
                "content_block_start",
                "content_block_delta",
                "content_block_delta",
                "content_block_delta",
                "content_block_delta",
                "content_block_stop",
                "message_delta",
                "message_stop"
            ]
        );
        assert_eq!(
            chunks[1],
            json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}})
        );
        assert_eq!(
            chunks[3],
            json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": " two"}})
        );
        assert_eq!(
            chunks[7],
            json!({"type": "message_delta", "delta": {"stop_reason": "max_tokens", "stop_sequence": null}, "usage": {"output_tokens": 4}})
        );
        assert_eq!(
            chunks[8],
            json!({"type": "message_stop", "amazon-bedrock-invocationMetrics": {"inputTokenCount": 6, "outputTokenCount": 4, "invocationLatency": 20, "firstByteLatency": 10}})
        );
        assert_eq!(chunks[0]["message"]["content"], json!([]));
        assert_eq!(chunks[0]["message"]["stop_reason"], Value::Null);
    }
}
