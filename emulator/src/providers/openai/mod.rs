//! The OpenAI family on Bedrock: the gpt-oss models, whose InvokeModel body is OpenAI's chat
//! completion (AWS's "OpenAI models" parameter page): `{"messages", "max_completion_tokens",
//! "max_tokens", "temperature", "top_p", "stop", "stream", "tools", "tool_choice",
//! "reasoning_effort", ...}` with the other fields of OpenAI's "Create chat completion", answered
//! with a `chat.completion` object (`{"id", "object", "created", "model", "choices": [{"index",
//! "message": {"role", "content", "tool_calls"}, "finish_reason"}], "usage"}`) and streamed as
//! `chat.completion.chunk` objects (`"delta"` in place of `"message"`, `finish_reason` on the
//! last, which also carries the invocation metrics).
//!
//! gpt-oss always reasons (at `reasoning_effort`, `medium` by default); as AWS's page says of
//! InvokeModel, the reasoning comes first in `content`, enclosed in `<reasoning>` tags. Streamed,
//! the opening tag and the reasoning are one chunk, the closing tag the next, then one chunk per
//! piece of the answer. Stop reasons are `stop`, `length` and `tool_calls`.
//!
//! Tools follow [`crate::providers::chat_tools`] and the rule of [`crate::providers::tools`]
//! (`tool_choice` `auto`, `none`, `required` or `{"type": "function", "function": {"name"}}`):
//! a called tool's message has the reasoning as its `content` and one `tool_calls` entry (`id`
//! `call_` and 24 alphanumerics derived from the prompt, `arguments` a JSON string); streamed,
//! the call comes as OpenAI streams it: a first fragment with `index`, `id`, `type` and the name,
//! then the arguments in fragments, then a chunk with the `tool_calls` finish reason.

use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::api_error::ApiError;
use crate::generator::{Finish, Generation, GenerationRequest, generate};
use crate::providers::chat_prompt::{self, Parts};
use crate::providers::chat_tools::{self, FunctionCall};
use crate::providers::schema::{self, Violations};
use crate::providers::tools::{ToolChoice, call_id, chosen_call, json_fragments};
use crate::providers::{InvocationMetrics, Reply, TokenUsage, chunk_per_piece, count_words};

/// One OpenAI model Bedrock serves.
#[derive(Debug)]
pub(crate) struct OpenAiModel {
    /// The Bedrock base model id.
    id: &'static str,
}

const MODELS: &[OpenAiModel] = &[
    OpenAiModel {
        id: "openai.gpt-oss-20b-1:0",
    },
    OpenAiModel {
        id: "openai.gpt-oss-120b-1:0",
    },
];

/// The fields of OpenAI's "Create chat completion" the models take.
const KEYS: &[&str] = &[
    "messages",
    "model",
    "max_completion_tokens",
    "max_tokens",
    "temperature",
    "top_p",
    "stop",
    "stream",
    "stream_options",
    "tools",
    "tool_choice",
    "parallel_tool_calls",
    "reasoning_effort",
    "frequency_penalty",
    "presence_penalty",
    "seed",
    "n",
    "logprobs",
    "top_logprobs",
    "response_format",
    "user",
];
const ROLES: &[&str] = &["system", "developer", "user", "assistant", "tool"];
const TOOL_CHOICES: &[&str] = &["auto", "none", "required"];
const EFFORTS: &[&str] = &["low", "medium", "high"];
/// The effort when the body names none.
const DEFAULT_EFFORT: &str = "medium";
/// `max_completion_tokens` when the request sets none, and the largest accepted (the context).
const DEFAULT_MAX_TOKENS: u32 = 4096;
const MAX_TOKENS: u32 = 128_000;
/// At most this many stop sequences (OpenAI's limit).
const MAX_STOP_SEQUENCES: usize = 4;
/// Alphanumerics after `call_` in a tool call id.
const TOOL_CALL_ID_LENGTH: usize = 24;
/// Characters of a call's arguments in one streamed fragment.
const ARGUMENT_FRAGMENT: usize = 16;
/// The `created` time of every answer (the emulator's answers do not depend on the clock).
const CREATED: u64 = 1_754_352_000;

/// The OpenAI model with this base id.
pub(crate) fn lookup(base_model_id: &str) -> Option<&'static OpenAiModel> {
    MODELS.iter().find(|model| model.id == base_model_id)
}

/// Validates `body` for `model` and generates the reply.
pub(crate) fn invoke(model: &'static OpenAiModel, body: &[u8]) -> Result<Box<dyn Reply>, ApiError> {
    let object = schema::parse_object(body)?;
    let mut violations = Violations::default();
    schema::reject_unknown_keys(&object, "#", KEYS, &mut violations);
    let prompt = chat_prompt::read(&object, ROLES, Parts::TextOnly, &mut violations);
    if let Some(named) = schema::optional_string(&object, "#", "model", &mut violations)
        && named != model.id
    {
        violations.not_in_enum("#/model", named);
    }
    let tools = chat_tools::function_tools(&object, &mut violations);
    let tool_choice = tool_choice(&object, &mut violations);
    let max_completion_tokens = schema::optional_count(
        &object,
        "#",
        "max_completion_tokens",
        1..=MAX_TOKENS,
        &mut violations,
    );
    let max_tokens =
        schema::optional_count(&object, "#", "max_tokens", 1..=MAX_TOKENS, &mut violations);
    let stop_sequences = match object.get("stop") {
        Some(Value::String(stop)) => vec![stop.clone()],
        _ => {
            schema::optional_string_list(&object, "#", "stop", MAX_STOP_SEQUENCES, &mut violations)
        }
    };
    schema::optional_number(&object, "#", "temperature", 0.0..=2.0, &mut violations);
    schema::optional_number(&object, "#", "top_p", 0.0..=1.0, &mut violations);
    schema::optional_bool(&object, "#", "stream", &mut violations);
    let effort = schema::optional_enum(&object, "#", "reasoning_effort", EFFORTS, &mut violations)
        .unwrap_or(DEFAULT_EFFORT);
    violations.into_result()?;
    let Some(prompt) = prompt else {
        return Err(ApiError::internal("validated OpenAI body has no messages"));
    };
    chat_tools::check_tool_turns(&prompt.tool_turns)?;

    let generation = generate(&GenerationRequest {
        seed_text: &prompt.seed,
        echo_text: &prompt.user,
        max_tokens: max_completion_tokens
            .or(max_tokens)
            .unwrap_or(DEFAULT_MAX_TOKENS),
        stop_sequences: &stop_sequences,
    });
    let tool_call = chosen_call(&tools, &tool_choice, &prompt.words).map(|call| {
        let id = call_id(
            "call_",
            TOOL_CALL_ID_LENGTH,
            &format!("{}\n{}", prompt.seed, call.name),
        );
        FunctionCall::new(id, call.name, &call.input)
    });
    let reasoning = format!(
        "Reasoning at {effort} effort about: {}",
        prompt.user.split_whitespace().collect::<Vec<_>>().join(" ")
    );
    Ok(Box::new(OpenAiReply {
        model_id: model.id,
        id: call_id("chatcmpl-", 24, &prompt.seed),
        input_tokens: count_words(&prompt.seed).saturating_add(chat_prompt::tool_tokens(&tools)),
        reasoning,
        generation,
        tool_call,
    }))
}

/// Reads `tool_choice`: one of [`TOOL_CHOICES`] or a named function.
fn tool_choice(object: &Map<String, Value>, violations: &mut Violations) -> ToolChoice {
    match object.get("tool_choice") {
        Some(Value::Object(named)) => {
            let path = "#/tool_choice";
            schema::reject_unknown_keys(named, path, &["type", "function"], violations);
            schema::optional_enum(named, path, "type", &["function"], violations);
            let function = schema::optional_object(named, path, "function", violations);
            if !named.contains_key("function") {
                violations.required_key(path, "function");
            }
            function
                .and_then(|function| {
                    schema::required_string(function, "#/tool_choice/function", "name", violations)
                })
                .map_or(ToolChoice::Auto, |name| ToolChoice::Named(name.to_owned()))
        }
        _ => match schema::optional_enum(object, "#", "tool_choice", TOOL_CHOICES, violations) {
            Some("required") => ToolChoice::Any,
            Some("none") => ToolChoice::None,
            _ => ToolChoice::Auto,
        },
    }
}

struct OpenAiReply {
    model_id: &'static str,
    /// The completion's `id`.
    id: String,
    input_tokens: u32,
    /// What the model reasoned, before its answer.
    reasoning: String,
    generation: Generation,
    /// The call the model makes instead of answering with `generation`.
    tool_call: Option<FunctionCall>,
}

#[derive(Serialize)]
struct Completion<'a> {
    id: &'a str,
    object: &'static str,
    created: u64,
    model: &'static str,
    choices: [Choice; 1],
    #[serde(skip_serializing_if = "Option::is_none")]
    usage: Option<Usage>,
    #[serde(
        rename = "amazon-bedrock-invocationMetrics",
        skip_serializing_if = "Option::is_none"
    )]
    invocation_metrics: Option<&'a InvocationMetrics>,
}

#[derive(Serialize)]
struct Choice {
    index: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    delta: Option<Value>,
    finish_reason: Option<&'static str>,
}

#[derive(Serialize)]
struct Usage {
    prompt_tokens: u32,
    completion_tokens: u32,
    total_tokens: u32,
}

impl OpenAiReply {
    fn finish_reason(&self) -> &'static str {
        if self.tool_call.is_some() {
            return "tool_calls";
        }
        match self.generation.finish {
            Finish::MaxTokens => "length",
            Finish::Natural | Finish::StopSequence(_) => "stop",
        }
    }

    fn output_tokens(&self) -> u32 {
        let answer = match &self.tool_call {
            Some(call) => count_words(&call.function.arguments).max(1),
            None => self.generation.output_tokens,
        };
        answer.saturating_add(count_words(&self.reasoning))
    }

    /// The reasoning as the content begins with it.
    fn tagged_reasoning(&self) -> String {
        format!("<reasoning>{}</reasoning>", self.reasoning)
    }

    /// A body or chunk with one choice.
    fn completion<'a>(
        &'a self,
        object: &'static str,
        choice: Choice,
        invocation_metrics: Option<&'a InvocationMetrics>,
    ) -> Completion<'a> {
        Completion {
            id: &self.id,
            object,
            created: CREATED,
            model: self.model_id,
            choices: [choice],
            usage: None,
            invocation_metrics,
        }
    }

    /// A chunk whose delta is `delta`, ending the stream when `finish_reason` is given.
    fn chunk(
        &self,
        delta: Value,
        finish_reason: Option<&'static str>,
        metrics: Option<&InvocationMetrics>,
    ) -> Result<Vec<u8>, serde_json::Error> {
        serde_json::to_vec(&self.completion(
            "chat.completion.chunk",
            Choice {
                index: 0,
                message: None,
                delta: Some(delta),
                finish_reason,
            },
            metrics,
        ))
    }
}

impl Reply for OpenAiReply {
    fn usage(&self) -> Option<TokenUsage> {
        Some(TokenUsage {
            input_tokens: self.input_tokens,
            output_tokens: self.output_tokens(),
            cache: None,
        })
    }

    fn response_body(&self) -> Result<Vec<u8>, serde_json::Error> {
        let mut message = json!({"role": "assistant"});
        match &self.tool_call {
            Some(call) => {
                message["content"] = json!(self.tagged_reasoning());
                message["tool_calls"] = json!([call]);
            }
            None => {
                message["content"] = json!(format!(
                    "{}{}",
                    self.tagged_reasoning(),
                    self.generation.text()
                ));
            }
        }
        let mut body = self.completion(
            "chat.completion",
            Choice {
                index: 0,
                message: Some(message),
                delta: None,
                finish_reason: Some(self.finish_reason()),
            },
            None,
        );
        let output_tokens = self.output_tokens();
        body.usage = Some(Usage {
            prompt_tokens: self.input_tokens,
            completion_tokens: output_tokens,
            total_tokens: self.input_tokens.saturating_add(output_tokens),
        });
        serde_json::to_vec(&body)
    }

    fn stream_chunks(
        &self,
        metrics: &InvocationMetrics,
    ) -> Result<Vec<Vec<u8>>, serde_json::Error> {
        let mut chunks = vec![
            self.chunk(
                json!({"role": "assistant", "content": format!("<reasoning>{}", self.reasoning)}),
                None,
                None,
            )?,
            self.chunk(json!({"content": "</reasoning>"}), None, None)?,
        ];
        match &self.tool_call {
            Some(call) => {
                let mut fragments = json_fragments(&call.function.arguments, ARGUMENT_FRAGMENT);
                let first = if fragments.is_empty() {
                    String::new()
                } else {
                    fragments.remove(0)
                };
                chunks.push(self.chunk(
                    json!({"tool_calls": [{"index": 0, "id": call.id, "type": "function",
                                           "function": {"name": call.function.name,
                                                        "arguments": first}}]}),
                    None,
                    None,
                )?);
                for fragment in fragments {
                    chunks.push(self.chunk(
                        json!({"tool_calls": [{"index": 0, "function": {"arguments": fragment}}]}),
                        None,
                        None,
                    )?);
                }
                chunks.push(self.chunk(json!({}), Some(self.finish_reason()), Some(metrics))?);
            }
            None => {
                chunks.extend(chunk_per_piece(&self.generation.pieces, |piece| {
                    self.chunk(
                        json!({"content": piece.text}),
                        piece.is_last.then(|| self.finish_reason()),
                        piece.is_last.then_some(metrics),
                    )
                })?);
            }
        }
        Ok(chunks)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::testing::{assert_catalogue, chunks_json, metrics, reply, response_json};

    const GPT_OSS: &str = "openai.gpt-oss-20b-1:0";

    #[test]
    fn catalogue_ids_are_unique_and_openai() {
        assert_catalogue(MODELS.iter().map(|model| model.id), "openai.");
    }

    #[test]
    fn violations_name_the_field() {
        let error = reply(
            GPT_OSS,
            &json!({"prompt": "hi", "max_completion_tokens": 0, "reasoning_effort": "max",
                    "stop": ["a", "b", "c", "d", "e"], "model": "openai.gpt-oss-120b-1:0"}),
        )
        .err()
        .expect("invalid");
        let message = error.message();
        for field in [
            "extraneous key [prompt]",
            "required key [messages] not found",
            "#/max_completion_tokens",
            "#/reasoning_effort",
            "#/stop",
            "#/model",
        ] {
            assert!(message.contains(field), "{field}: {message}");
        }
    }

    #[test]
    fn answer_with_reasoning_first() {
        let reply = reply(
            GPT_OSS,
            &json!({"messages": [{"role": "developer", "content": "Be brief."},
                                 {"role": "user", "content": "one two three"}],
                    "max_completion_tokens": 2, "reasoning_effort": "low"}),
        )
        .expect("valid");
        let body = response_json(reply.as_ref());
        assert_eq!(body["object"], json!("chat.completion"));
        assert_eq!(
            body["choices"],
            json!([{"index": 0, "message": {"role": "assistant",
                    "content": "<reasoning>Reasoning at low effort about: one two three</reasoning>one two"},
                    "finish_reason": "length"}])
        );
        assert_eq!(body["usage"]["completion_tokens"], json!(10));
    }

    #[test]
    fn streamed_tool_call_in_fragments() {
        let reply = reply(
            GPT_OSS,
            &json!({"messages": [{"role": "user", "content": "Use get_weather for Paris"}],
                    "tools": [{"type": "function", "function": {"name": "get_weather",
                        "parameters": {"type": "object", "required": ["city"],
                                       "properties": {"city": {"type": "string"}}}}}],
                    "stream": true}),
        )
        .expect("valid");
        let chunks = chunks_json(reply.as_ref(), &metrics(1, 2, 3, 4));
        let last = chunks.last().expect("chunks");
        assert_eq!(last["choices"][0]["finish_reason"], json!("tool_calls"));
        assert!(last.get("amazon-bedrock-invocationMetrics").is_some());
        let arguments: String = chunks
            .iter()
            .filter_map(|chunk| {
                chunk["choices"][0]["delta"]["tool_calls"][0]["function"]["arguments"].as_str()
            })
            .collect();
        assert_eq!(arguments, r#"{"city":"example"}"#);
        assert_eq!(
            chunks[2]["choices"][0]["delta"]["tool_calls"][0]["function"]["name"],
            json!("get_weather")
        );
    }

    #[test]
    fn named_tool_choice_and_unanswered_calls() {
        let tools = json!([{"type": "function", "function": {"name": "a"}},
                           {"type": "function", "function": {"name": "b"}}]);
        let named = reply(
            GPT_OSS,
            &json!({"messages": [{"role": "user", "content": "hi"}], "tools": tools,
                    "tool_choice": {"type": "function", "function": {"name": "b"}}}),
        )
        .expect("valid");
        assert_eq!(
            response_json(named.as_ref())["choices"][0]["message"]["tool_calls"][0]["function"]["name"],
            json!("b")
        );
        let unanswered = reply(
            GPT_OSS,
            &json!({"messages": [
                {"role": "user", "content": "hi"},
                {"role": "assistant", "content": "", "tool_calls": [
                    {"id": "call_1", "type": "function", "function": {"name": "a", "arguments": "{}"}}]},
                {"role": "tool", "tool_call_id": "call_2", "content": "x"}]}),
        );
        assert!(unanswered.is_err());
    }
}
