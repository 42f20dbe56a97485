//! Cohere Command R and R+ on Bedrock: request validation and reply shapes. The request follows
//! AWS's Command R parameter page (`message` required; `chat_history` of `{"role","message"}`
//! with roles `USER`, `CHATBOT`, `SYSTEM`, `TOOL`; `preamble`, `documents`, `max_tokens`,
//! `temperature` 0..=1, `p` 0.01..=0.99, `k` 0..=500, up to four `stop_sequences`, and the other
//! documented keys). The reply follows the OTel Command R cassettes: `{"response_id","text",
//! "generation_id","chat_history","finish_reason"}` with the new turns appended to the history
//! and finish reasons `COMPLETE`, `MAX_TOKENS` and `STOP_SEQUENCE`. No Command R stream was
//! recorded; streams follow Cohere's chat streaming events (`stream-start`, one
//! `text-generation` per piece, `stream-end` carrying the whole `response`, the `finish_reason`
//! and the invocation metrics).
//!
//! Tools follow Cohere's single-step tool use on the same page: `tools` of `{"name",
//! "description", "parameter_definitions": {name: {"description", "type", "required"}}}`, and
//! `tool_results` of `{"call": {"name", "parameters"}, "outputs": [objects]}` answering calls of
//! those tools. A tool named in `message` (when the request carries no tool results) is called
//! under the rule of [`crate::providers::tools`], its parameter definitions read as a schema
//! (`str`, `int`, `float`, `bool`, `List[...]`, `Dict`): the reply's `text` is empty and
//! `tool_calls` holds `{"name", "parameters"}`, finish reason `COMPLETE`; streamed, a
//! `tool-calls-generation` event carries the calls before `stream-end`.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::api_error::ApiError;
use crate::generator::{Finish, Generation, GenerationRequest, generate};
use crate::providers::cohere::fresh_id;
use crate::providers::schema::{self, Violations};
use crate::providers::tools::{ToolCall, ToolChoice, ToolDefinition, chosen_call};
use crate::providers::{InvocationMetrics, Reply, TokenUsage, count_words};

const KEYS: &[&str] = &[
    "message",
    "chat_history",
    "documents",
    "search_queries_only",
    "preamble",
    "max_tokens",
    "temperature",
    "p",
    "k",
    "prompt_truncation",
    "frequency_penalty",
    "presence_penalty",
    "seed",
    "return_prompt",
    "tools",
    "tool_results",
    "stop_sequences",
    "raw_prompting",
];
const ROLES: &[&str] = &["USER", "CHATBOT", "SYSTEM", "TOOL"];
const TRUNCATIONS: &[&str] = &["OFF", "AUTO_PRESERVE_ORDER"];
/// Output tokens when the request sets no limit.
const DEFAULT_MAX_TOKENS: u32 = 4000;
const MAX_STOP_SEQUENCES: usize = 4;

/// Validates a Command R body and generates the reply.
pub(super) fn invoke(object: &Map<String, Value>) -> Result<Box<dyn Reply>, ApiError> {
    let mut violations = Violations::default();
    schema::reject_unknown_keys(object, "#", KEYS, &mut violations);
    let message = schema::required_string(object, "#", "message", &mut violations);
    let tools = parse_tools(object.get("tools"), &mut violations);
    let results = parse_tool_results(object.get("tool_results"), &mut violations);
    let history = parse_history(object.get("chat_history"), &mut violations);
    let preamble = schema::optional_string(object, "#", "preamble", &mut violations);
    let max_tokens =
        schema::optional_count(object, "#", "max_tokens", 1..=u32::MAX, &mut violations);
    schema::optional_number(object, "#", "temperature", 0.0..=1.0, &mut violations);
    schema::optional_number(object, "#", "p", 0.01..=0.99, &mut violations);
    schema::optional_integer(object, "#", "k", 0..=500, &mut violations);
    schema::optional_enum(
        object,
        "#",
        "prompt_truncation",
        TRUNCATIONS,
        &mut violations,
    );
    for key in ["search_queries_only", "return_prompt", "raw_prompting"] {
        schema::optional_bool(object, "#", key, &mut violations);
    }
    let stop_sequences = schema::optional_string_list(
        object,
        "#",
        "stop_sequences",
        MAX_STOP_SEQUENCES,
        &mut violations,
    );
    violations.into_result()?;
    let Some(message) = message else {
        return Err(ApiError::internal(
            "validated Command R body has no message",
        ));
    };
    if let Some(unknown) = results
        .iter()
        .find(|result| !tools.iter().any(|tool| tool.name == result.name))
    {
        return Err(ApiError::validation(format!(
            "tool_results: the call of {} names no tool in tools",
            unknown.name
        )));
    }

    let mut seed = preamble.unwrap_or_default().to_owned();
    for turn in &history {
        seed.push('\n');
        seed.push_str(&turn.role);
        seed.push_str(": ");
        seed.push_str(&turn.message);
    }
    seed.push_str("\nUSER: ");
    seed.push_str(message);
    let mut echo = message.to_owned();
    for result in &results {
        seed.push('\n');
        seed.push_str(&result.outputs);
        if !echo.is_empty() {
            echo.push('\n');
        }
        echo.push_str(&result.outputs);
    }
    let generation = generate(&GenerationRequest {
        seed_text: &seed,
        echo_text: &echo,
        max_tokens: max_tokens.unwrap_or(DEFAULT_MAX_TOKENS),
        stop_sequences: &stop_sequences,
    });
    let words = if results.is_empty() { message } else { "" };
    let tool_tokens = tools
        .iter()
        .map(|tool| {
            count_words(&tool.name).saturating_add(count_words(&tool.input_schema.to_string()))
        })
        .fold(0, u32::saturating_add);
    Ok(Box::new(ChatReply {
        response_id: fresh_id(),
        generation_id: fresh_id(),
        input_tokens: count_words(&seed).saturating_add(tool_tokens),
        message: message.to_owned(),
        history,
        generation,
        tool_call: chosen_call(&tools, &ToolChoice::Auto, words).map(CohereCall::from),
    }))
}

/// Reads `#/tools`, each definition's parameters as a JSON schema.
fn parse_tools(tools: Option<&Value>, violations: &mut Violations) -> Vec<ToolDefinition> {
    let items = match tools {
        None | Some(Value::Null) => return Vec::new(),
        Some(Value::Array(items)) => items,
        Some(other) => {
            violations.wrong_type("#/tools", "JSONArray", other);
            return Vec::new();
        }
    };
    let mut definitions = Vec::new();
    for (index, tool) in items.iter().enumerate() {
        let path = format!("#/tools/{index}");
        let Some(tool) = schema::as_object(tool, &path, violations) else {
            continue;
        };
        schema::reject_unknown_keys(
            tool,
            &path,
            &["name", "description", "parameter_definitions"],
            violations,
        );
        let name = schema::required_string(tool, &path, "name", violations);
        schema::required_string(tool, &path, "description", violations);
        let mut properties = Map::new();
        let mut required = Vec::new();
        if let Some(parameters) =
            schema::optional_object(tool, &path, "parameter_definitions", violations)
        {
            for (parameter, definition) in parameters {
                let parameter_path = format!("{path}/parameter_definitions/{parameter}");
                let Some(definition) = schema::as_object(definition, &parameter_path, violations)
                else {
                    continue;
                };
                let kind = schema::required_string(definition, &parameter_path, "type", violations);
                schema::optional_string(definition, &parameter_path, "description", violations);
                if schema::optional_bool(definition, &parameter_path, "required", violations)
                    == Some(true)
                {
                    required.push(Value::String(parameter.clone()));
                }
                properties.insert(
                    parameter.clone(),
                    serde_json::json!({"type": json_type(kind.unwrap_or_default())}),
                );
            }
        }
        if let Some(name) = name {
            definitions.push(ToolDefinition {
                name: name.to_owned(),
                input_schema: serde_json::json!({
                    "type": "object", "properties": properties, "required": required
                }),
            });
        }
    }
    definitions
}

/// The JSON Schema type of a Cohere parameter type (Python-style names).
fn json_type(cohere_type: &str) -> &'static str {
    match cohere_type {
        "str" => "string",
        "int" => "integer",
        "float" => "number",
        "bool" => "boolean",
        kind if kind.starts_with("List") || kind.starts_with("list") => "array",
        kind if kind.starts_with("Dict") || kind.starts_with("dict") => "object",
        _ => "string",
    }
}

/// A tool result as the reply needs it: the tool it answers and its outputs as text.
struct ToolResult {
    name: String,
    outputs: String,
}

/// Reads `#/tool_results`.
fn parse_tool_results(results: Option<&Value>, violations: &mut Violations) -> Vec<ToolResult> {
    let items = match results {
        None | Some(Value::Null) => return Vec::new(),
        Some(Value::Array(items)) => items,
        Some(other) => {
            violations.wrong_type("#/tool_results", "JSONArray", other);
            return Vec::new();
        }
    };
    let mut parsed = Vec::new();
    for (index, result) in items.iter().enumerate() {
        let path = format!("#/tool_results/{index}");
        let Some(result) = schema::as_object(result, &path, violations) else {
            continue;
        };
        schema::reject_unknown_keys(result, &path, &["call", "outputs"], violations);
        let name = match result.get("call") {
            None => {
                violations.required_key(&path, "call");
                None
            }
            Some(call) => {
                schema::as_object(call, &format!("{path}/call"), violations).and_then(|call| {
                    schema::optional_object(
                        call,
                        &format!("{path}/call"),
                        "parameters",
                        violations,
                    );
                    schema::required_string(call, &format!("{path}/call"), "name", violations)
                })
            }
        };
        let outputs = schema::required_array(result, &path, "outputs", 0, violations);
        for (position, output) in outputs.into_iter().flatten().enumerate() {
            schema::as_object(output, &format!("{path}/outputs/{position}"), violations);
        }
        if let (Some(name), Some(outputs)) = (name, outputs) {
            parsed.push(ToolResult {
                name: name.to_owned(),
                outputs: Value::Array(outputs.to_vec()).to_string(),
            });
        }
    }
    parsed
}

/// A call in Cohere's shape: `{"name", "parameters"}`.
#[derive(Serialize)]
struct CohereCall {
    name: String,
    parameters: Value,
}

impl From<ToolCall> for CohereCall {
    fn from(call: ToolCall) -> Self {
        Self {
            name: call.name,
            parameters: call.input,
        }
    }
}

#[derive(Serialize)]
struct Turn {
    role: String,
    message: String,
}

fn parse_history(history: Option<&Value>, violations: &mut Violations) -> Vec<Turn> {
    let items = match history {
        None | Some(Value::Null) => return Vec::new(),
        Some(Value::Array(items)) => items,
        Some(other) => {
            violations.wrong_type("#/chat_history", "JSONArray", other);
            return Vec::new();
        }
    };
    items
        .iter()
        .enumerate()
        .filter_map(|(index, item)| {
            let path = format!("#/chat_history/{index}");
            let turn = schema::as_object(item, &path, violations)?;
            if !turn.contains_key("role") {
                violations.required_key(&path, "role");
            }
            let role = schema::optional_enum(turn, &path, "role", ROLES, violations);
            let message = schema::optional_string(turn, &path, "message", violations);
            Some(Turn {
                role: role?.to_owned(),
                message: message.unwrap_or_default().to_owned(),
            })
        })
        .collect()
}

struct ChatReply {
    response_id: String,
    generation_id: String,
    input_tokens: u32,
    message: String,
    history: Vec<Turn>,
    generation: Generation,
    /// The call the model makes instead of answering with `generation`.
    tool_call: Option<CohereCall>,
}

#[derive(Serialize)]
struct ChatResponse<'a> {
    response_id: &'a str,
    text: String,
    generation_id: &'a str,
    chat_history: Vec<&'a Turn>,
    finish_reason: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    tool_calls: Option<[&'a CohereCall; 1]>,
}

#[derive(Serialize)]
#[serde(tag = "event_type", rename_all = "kebab-case")]
enum StreamEvent<'a> {
    StreamStart {
        is_finished: bool,
        generation_id: &'a str,
    },
    TextGeneration {
        is_finished: bool,
        text: &'a str,
    },
    ToolCallsGeneration {
        is_finished: bool,
        tool_calls: [&'a CohereCall; 1],
    },
    StreamEnd {
        is_finished: bool,
        response: ChatResponse<'a>,
        finish_reason: &'static str,
        #[serde(rename = "amazon-bedrock-invocationMetrics")]
        invocation_metrics: &'a InvocationMetrics,
    },
}

impl ChatReply {
    fn finish_reason(&self) -> &'static str {
        if self.tool_call.is_some() {
            return "COMPLETE";
        }
        match self.generation.finish {
            Finish::Natural => "COMPLETE",
            Finish::MaxTokens => "MAX_TOKENS",
            Finish::StopSequence(_) => "STOP_SEQUENCE",
        }
    }

    fn response<'a>(&'a self, turns: &'a [Turn; 2]) -> ChatResponse<'a> {
        ChatResponse {
            response_id: &self.response_id,
            text: self.text(),
            generation_id: &self.generation_id,
            chat_history: self.history.iter().chain(turns).collect(),
            finish_reason: self.finish_reason(),
            tool_calls: self.tool_call.as_ref().map(|call| [call]),
        }
    }

    /// The reply text: empty when the model calls a tool.
    fn text(&self) -> String {
        match self.tool_call {
            Some(_) => String::new(),
            None => self.generation.text(),
        }
    }

    fn output_tokens(&self) -> u32 {
        match &self.tool_call {
            Some(call) => count_words(&call.parameters.to_string()).max(1),
            None => self.generation.output_tokens,
        }
    }

    /// The user's message and the reply, as the history reports them.
    fn new_turns(&self) -> [Turn; 2] {
        [
            Turn {
                role: "USER".to_owned(),
                message: self.message.clone(),
            },
            Turn {
                role: "CHATBOT".to_owned(),
                message: self.text(),
            },
        ]
    }
}

impl Reply for ChatReply {
    fn usage(&self) -> Option<TokenUsage> {
        Some(TokenUsage {
            input_tokens: self.input_tokens,
            output_tokens: self.output_tokens(),
            cache: None,
        })
    }

    fn response_body(&self) -> Result<Vec<u8>, serde_json::Error> {
        serde_json::to_vec(&self.response(&self.new_turns()))
    }

    fn stream_chunks(
        &self,
        metrics: &InvocationMetrics,
    ) -> Result<Vec<Vec<u8>>, serde_json::Error> {
        let turns = self.new_turns();
        let mut events = vec![StreamEvent::StreamStart {
            is_finished: false,
            generation_id: &self.generation_id,
        }];
        match &self.tool_call {
            Some(call) => events.push(StreamEvent::ToolCallsGeneration {
                is_finished: false,
                tool_calls: [call],
            }),
            None => events.extend(self.generation.pieces.iter().map(|piece| {
                StreamEvent::TextGeneration {
                    is_finished: false,
                    text: piece,
                }
            })),
        }
        events.push(StreamEvent::StreamEnd {
            is_finished: true,
            response: self.response(&turns),
            finish_reason: self.finish_reason(),
            invocation_metrics: metrics,
        });
        events.iter().map(serde_json::to_vec).collect()
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
    fn every_violation_is_reported() {
        let error = reply(json!({
            "prompt": "hi", "chat_history": [{"role": "HUMAN", "message": "x"}], "p": 1
        }))
        .err()
        .expect("invalid");
        assert_eq!(
            error.message(),
            "Malformed input request: #: extraneous key [prompt] is not permitted#: required \
             key [message] not found#/chat_history/0/role: HUMAN is not a valid enum value#/p: 1 \
             is not less or equal to 0.99, please reformat your input and try again."
        );
    }

    #[test]
    fn the_history_grows_by_the_new_turns_and_stop_sequences_are_reported() {
        let reply = reply(json!({
            "message": "one two three",
            "chat_history": [{"role": "USER", "message": "hello"}, {"role": "CHATBOT", "message": "hi"}],
            "stop_sequences": ["three"]
        }))
        .expect("valid");
        let body = response_json(reply.as_ref());
        assert_eq!(body["text"], "one two ");
        assert_eq!(body["finish_reason"], "STOP_SEQUENCE");
        assert_eq!(
            body["chat_history"],
            json!([
                {"role": "USER", "message": "hello"}, {"role": "CHATBOT", "message": "hi"},
                {"role": "USER", "message": "one two three"}, {"role": "CHATBOT", "message": "one two "}
            ])
        );
    }

    #[test]
    fn the_stream_starts_generates_and_ends() {
        let reply = reply(json!({"message": "a b c", "max_tokens": 2})).expect("valid");
        let chunks = chunks_json(reply.as_ref(), &metrics(3, 2, 5, 1));
        assert_eq!(chunks.len(), 4);
        assert_eq!(chunks[0]["event_type"], "stream-start");
        assert_eq!(
            chunks[1],
            json!({"event_type": "text-generation", "is_finished": false, "text": "a"})
        );
        assert_eq!(chunks[3]["event_type"], "stream-end");
        assert_eq!(chunks[3]["finish_reason"], "MAX_TOKENS");
        assert_eq!(chunks[3]["response"]["text"], "a b");
        assert_eq!(
            chunks[3]["amazon-bedrock-invocationMetrics"]["outputTokenCount"],
            2
        );
    }

    #[test]
    fn tool_definitions_and_results_are_checked_against_the_schema() {
        let error = reply(json!({
            "message": "hi",
            "tools": [{"name": "get_weather", "parameter_definitions": {"city": {"required": true}}}],
            "tool_results": [{"outputs": [{"weather": "sunny"}]}]
        }))
        .err()
        .expect("invalid");
        assert_eq!(
            error.message(),
            "Malformed input request: #/tools/0: required key [description] not found\
             #/tools/0/parameter_definitions/city: required key [type] not found\
             #/tool_results/0: required key [call] not found, please reformat your input and \
             try again."
        );
    }

    #[test]
    fn parameter_types_become_a_schema_for_the_call() {
        let called = reply(json!({
            "message": "Use lookup now.",
            "tools": [{"name": "lookup", "description": "Looks up.", "parameter_definitions": {
                "count": {"type": "int", "required": true},
                "tags": {"type": "List[str]", "required": true},
                "note": {"type": "str", "required": false}}}]
        }))
        .expect("valid");
        let body = response_json(called.as_ref());
        assert_eq!(
            body["tool_calls"],
            json!([{"name": "lookup", "parameters": {"count": 1, "tags": []}}])
        );
        assert_eq!(body["chat_history"][1]["message"], "");
    }
}
