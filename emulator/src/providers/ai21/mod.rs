//! The AI21 Labs Jamba family on Bedrock: its model catalogue, request validation and reply
//! shapes. No Jamba traffic was recorded, so everything here follows AWS's Jamba parameter page:
//! the request is `{"messages":[{"role","content"}], "max_tokens", "temperature", "top_p",
//! "stop", "n", "frequency_penalty", "presence_penalty"}` (roles `user`, `assistant`, `system`;
//! max_tokens 0..=4096 default 4096, temperature 0..=2, top_p 0..=1, n 1..=16, stop a string or
//! a list of strings); the reply is the OpenAI-like `{"id","choices":[{"index","message":
//! {"role","content"},"finish_reason"}],"usage":{"prompt_tokens","completion_tokens",
//! "total_tokens"}}`. Streams are OpenAI-style chunks: a `delta` with the role, one
//! `delta.content` per piece, then an empty `delta` with the `finish_reason`, the `usage` and the
//! invocation metrics. Finish reasons are `stop` (natural end or stop sequence), `length` and
//! `tool_calls`.
//!
//! Function `tools`, assistant turns with `tool_calls` and `tool` turns (AI21's Jamba chat
//! reference; see [`crate::providers::chat_tools`]) are taken too. A tool named in the last turn,
//! when it is the user's, is called under the rule of [`crate::providers::tools`] (Jamba has no
//! tool choice): the one choice's message has `content: null` and one `tool_calls` entry (a
//! UUID-shaped `id` derived from the prompt, `arguments` a JSON string), finish reason
//! `tool_calls`; streamed, the call comes whole in one `delta.tool_calls` chunk.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::api_error::ApiError;
use crate::generator::{Finish, Generation, GenerationRequest, generate};
use crate::providers::chat_tools::{self, FunctionCall, ToolTurn};
use crate::providers::schema::{self, Violations};
use crate::providers::tools::{ToolChoice, chosen_call, uuid_like_id};
use crate::providers::{InvocationMetrics, Reply, TokenUsage, count_words};

/// One Jamba model Bedrock serves.
#[derive(Debug)]
pub(crate) struct Ai21Model {
    /// The Bedrock base model id.
    id: &'static str,
}

const MODELS: &[Ai21Model] = &[
    Ai21Model {
        id: "ai21.jamba-instruct-v1:0",
    },
    Ai21Model {
        id: "ai21.jamba-1-5-mini-v1:0",
    },
    Ai21Model {
        id: "ai21.jamba-1-5-large-v1:0",
    },
];

const KEYS: &[&str] = &[
    "messages",
    "max_tokens",
    "temperature",
    "top_p",
    "stop",
    "n",
    "frequency_penalty",
    "presence_penalty",
    "tools",
    "response_format",
    "documents",
];
const ROLES: &[&str] = &["user", "assistant", "system", "tool"];
/// `max_tokens` when the request sets none, and its ceiling.
const MAX_TOKENS: u32 = 4096;
const MAX_CHOICES: i64 = 16;

/// The Jamba model with this base id.
pub(crate) fn lookup(base_model_id: &str) -> Option<&'static Ai21Model> {
    MODELS.iter().find(|model| model.id == base_model_id)
}

/// Validates `body` as a Jamba request and generates the reply.
pub(crate) fn invoke(_model: &'static Ai21Model, body: &[u8]) -> Result<Box<dyn Reply>, ApiError> {
    let object = schema::parse_object(body)?;
    let mut violations = Violations::default();
    schema::reject_unknown_keys(&object, "#", KEYS, &mut violations);
    let turns = parse_messages(&object, &mut violations);
    let tools = chat_tools::function_tools(&object, &mut violations);
    let max_tokens =
        schema::optional_count(&object, "#", "max_tokens", 0..=MAX_TOKENS, &mut violations);
    schema::optional_number(&object, "#", "temperature", 0.0..=2.0, &mut violations);
    schema::optional_number(&object, "#", "top_p", 0.0..=1.0, &mut violations);
    for key in ["frequency_penalty", "presence_penalty"] {
        schema::optional_number(&object, "#", key, f64::MIN..=f64::MAX, &mut violations);
    }
    let choices = schema::optional_integer(&object, "#", "n", 1..=MAX_CHOICES, &mut violations);
    let stop_sequences = match object.get("stop") {
        Some(Value::String(stop)) => vec![stop.clone()],
        _ => schema::optional_string_list(&object, "#", "stop", usize::MAX, &mut violations),
    };
    violations.into_result()?;
    let Some((turns, tool_turns)) = turns else {
        return Err(ApiError::internal("validated Jamba body has no messages"));
    };
    chat_tools::check_tool_turns(&tool_turns)?;

    let mut seed = String::new();
    for (role, content) in &turns {
        seed.push_str(role);
        seed.push_str(": ");
        seed.push_str(content);
        seed.push('\n');
    }
    let user = turns
        .iter()
        .rev()
        .find(|(role, _)| role == "user" || role == "tool")
        .map_or("", |(_, content)| content.as_str());
    let last_user_words = turns
        .last()
        .filter(|(role, _)| role == "user")
        .map_or("", |(_, content)| content.as_str());
    let tool_call = chosen_call(&tools, &ToolChoice::Auto, last_user_words).map(|call| {
        let id = uuid_like_id(&format!("{seed}\n{}", call.name));
        FunctionCall::new(id, call.name, &call.input)
    });
    let tool_tokens = tools
        .iter()
        .map(|tool| {
            count_words(&tool.name).saturating_add(count_words(&tool.input_schema.to_string()))
        })
        .fold(0, u32::saturating_add);
    let count = if tool_call.is_some() {
        1
    } else {
        usize::try_from(choices.unwrap_or(1)).unwrap_or(1)
    };
    let generations = (0..count)
        .map(|index| {
            let seed = if index == 0 {
                seed.clone()
            } else {
                format!("{seed}\u{0}{index}")
            };
            generate(&GenerationRequest {
                seed_text: &seed,
                echo_text: user,
                max_tokens: max_tokens.unwrap_or(MAX_TOKENS),
                stop_sequences: &stop_sequences,
            })
        })
        .collect();
    Ok(Box::new(JambaReply {
        id: format!("chatcmpl-{}", uuid::Uuid::new_v4().simple()),
        prompt_tokens: count_words(&seed).saturating_add(tool_tokens),
        generations,
        tool_call,
    }))
}

/// A chat's turns as `(role, content)` and as the tool checks see them.
type Turns = (Vec<(String, String)>, Vec<ToolTurn>);

/// The `(role, content)` of every message (an assistant turn that only calls tools may have a
/// null or missing content), and every turn as the tool checks see it.
fn parse_messages(object: &Map<String, Value>, violations: &mut Violations) -> Option<Turns> {
    let messages = schema::required_array(object, "#", "messages", 1, violations)?;
    let mut turns = Vec::new();
    let mut tool_turns = Vec::new();
    for (index, message) in messages.iter().enumerate() {
        let path = format!("#/messages/{index}");
        let Some(message) = schema::as_object(message, &path, violations) else {
            continue;
        };
        if !message.contains_key("role") {
            violations.required_key(&path, "role");
        }
        let role = schema::optional_enum(message, &path, "role", ROLES, violations);
        let calls = message.contains_key("tool_calls");
        let content = match message.get("content") {
            None | Some(Value::Null) if calls => Some(""),
            None => {
                violations.required_key(&path, "content");
                None
            }
            Some(_) => schema::optional_string(message, &path, "content", violations),
        };
        tool_turns.push(match role {
            Some("assistant") => {
                ToolTurn::Calls(chat_tools::tool_calls_of(message, &path, violations))
            }
            Some("tool") => schema::required_string(message, &path, "tool_call_id", violations)
                .map_or(ToolTurn::Other, |id| ToolTurn::Answer(id.to_owned())),
            _ => ToolTurn::Other,
        });
        if let (Some(role), Some(content)) = (role, content) {
            turns.push((role.to_owned(), content.to_owned()));
        }
    }
    Some((turns, tool_turns))
}

struct JambaReply {
    id: String,
    prompt_tokens: u32,
    generations: Vec<Generation>,
    /// The call the model makes instead of answering with its one generation.
    tool_call: Option<FunctionCall>,
}

#[derive(Serialize)]
struct JambaResponse<'a> {
    id: &'a str,
    choices: Vec<Choice<'a>>,
    usage: Usage,
}

#[derive(Serialize)]
struct Choice<'a> {
    index: usize,
    message: Message<'a>,
    finish_reason: &'static str,
}

#[derive(Serialize)]
struct Message<'a> {
    role: &'static str,
    /// `null` when the message calls a tool.
    content: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tool_calls: Option<[&'a FunctionCall; 1]>,
}

#[derive(Serialize)]
struct Usage {
    prompt_tokens: u32,
    completion_tokens: u32,
    total_tokens: u32,
}

#[derive(Serialize)]
struct StreamChunk<'a> {
    id: &'a str,
    choices: [DeltaChoice<'a>; 1],
    #[serde(skip_serializing_if = "Option::is_none")]
    usage: Option<Usage>,
    #[serde(
        rename = "amazon-bedrock-invocationMetrics",
        skip_serializing_if = "Option::is_none"
    )]
    invocation_metrics: Option<&'a InvocationMetrics>,
}

#[derive(Serialize)]
struct DeltaChoice<'a> {
    index: usize,
    delta: Delta<'a>,
    finish_reason: Option<&'static str>,
}

#[derive(Serialize, Default)]
struct Delta<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    role: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    content: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tool_calls: Option<[StreamedCall<'a>; 1]>,
}

/// A tool call in a stream delta: the call with its position among the message's calls.
#[derive(Serialize)]
struct StreamedCall<'a> {
    index: usize,
    #[serde(flatten)]
    call: &'a FunctionCall,
}

fn finish_reason(generation: &Generation, calls_tool: bool) -> &'static str {
    if calls_tool {
        return "tool_calls";
    }
    match generation.finish {
        Finish::MaxTokens => "length",
        Finish::Natural | Finish::StopSequence(_) => "stop",
    }
}

impl JambaReply {
    fn completion_tokens(&self) -> u32 {
        if let Some(call) = &self.tool_call {
            return count_words(&call.function.arguments).max(1);
        }
        self.generations
            .iter()
            .map(|generation| generation.output_tokens)
            .fold(0, u32::saturating_add)
    }

    fn usage_counts(&self) -> Usage {
        let completion_tokens = self.completion_tokens();
        Usage {
            prompt_tokens: self.prompt_tokens,
            completion_tokens,
            total_tokens: self.prompt_tokens.saturating_add(completion_tokens),
        }
    }

    fn chunk<'a>(
        &'a self,
        index: usize,
        delta: Delta<'a>,
        finish_reason: Option<&'static str>,
        metrics: Option<&'a InvocationMetrics>,
    ) -> Result<Vec<u8>, serde_json::Error> {
        serde_json::to_vec(&StreamChunk {
            id: &self.id,
            choices: [DeltaChoice {
                index,
                delta,
                finish_reason,
            }],
            usage: metrics.map(|_| self.usage_counts()),
            invocation_metrics: metrics,
        })
    }
}

impl Reply for JambaReply {
    fn usage(&self) -> Option<TokenUsage> {
        Some(TokenUsage {
            input_tokens: self.prompt_tokens,
            output_tokens: self.completion_tokens(),
            cache: None,
        })
    }

    fn response_body(&self) -> Result<Vec<u8>, serde_json::Error> {
        serde_json::to_vec(&JambaResponse {
            id: &self.id,
            choices: self
                .generations
                .iter()
                .enumerate()
                .map(|(index, generation)| Choice {
                    index,
                    message: Message {
                        role: "assistant",
                        content: self.tool_call.is_none().then(|| generation.text()),
                        tool_calls: self.tool_call.as_ref().map(|call| [call]),
                    },
                    finish_reason: finish_reason(generation, self.tool_call.is_some()),
                })
                .collect(),
            usage: self.usage_counts(),
        })
    }

    fn stream_chunks(
        &self,
        metrics: &InvocationMetrics,
    ) -> Result<Vec<Vec<u8>>, serde_json::Error> {
        let mut chunks = Vec::new();
        let last = self.generations.len().saturating_sub(1);
        for (index, generation) in self.generations.iter().enumerate() {
            let role = Delta {
                role: Some("assistant"),
                ..Delta::default()
            };
            chunks.push(self.chunk(index, role, None, None)?);
            if let Some(call) = &self.tool_call {
                let call = Delta {
                    tool_calls: Some([StreamedCall { index: 0, call }]),
                    ..Delta::default()
                };
                chunks.push(self.chunk(index, call, None, None)?);
            } else {
                for piece in &generation.pieces {
                    let content = Delta {
                        content: Some(piece),
                        ..Delta::default()
                    };
                    chunks.push(self.chunk(index, content, None, None)?);
                }
            }
            let metrics = (index == last).then_some(metrics);
            let reason = finish_reason(generation, self.tool_call.is_some());
            chunks.push(self.chunk(index, Delta::default(), Some(reason), metrics)?);
        }
        Ok(chunks)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::testing::{assert_catalogue, reply, response_json};
    use serde_json::json;

    const JAMBA: &str = "ai21.jamba-instruct-v1:0";

    #[test]
    fn catalogue_ids_are_unique_and_ai21() {
        assert_catalogue(MODELS.iter().map(|model| model.id), "ai21.jamba");
    }

    #[test]
    fn every_violation_is_reported() {
        let error = reply(
            JAMBA,
            &json!({
                "messages": [{"role": "bot", "content": "x"}, {"role": "user"}],
                "max_tokens": 5000, "n": 0, "temperature": 2.5
            }),
        )
        .err()
        .expect("invalid");
        assert_eq!(
            error.message(),
            "Malformed input request: #/messages/0/role: bot is not a valid enum value\
             #/messages/1: required key [content] not found#/max_tokens: 5000 is not less or \
             equal to 4096#/temperature: 2.5 is not less or equal to 2#/n: 0 is not greater or \
             equal to 1, please reformat your input and try again."
        );
    }

    #[test]
    fn a_single_stop_string_and_several_choices() {
        let reply = reply(JAMBA, &json!({
            "messages": [{"role": "system", "content": "be brief"}, {"role": "user", "content": "one two three"}],
            "stop": "three", "n": 2
        }))
        .expect("valid");
        let body = response_json(reply.as_ref());
        assert_eq!(body["choices"][0]["message"]["content"], "one two ");
        assert_eq!(body["choices"][1]["index"], 1);
        assert_eq!(body["choices"][0]["finish_reason"], "stop");
        assert_eq!(body["usage"]["completion_tokens"], 4);
        assert_eq!(body["usage"]["total_tokens"], 11);
    }
}
