//! `build-request`: turns a provider-neutral request into the JSON body of
//! a Nova model (`schemaVersion: "messages-v1"`) or of a Titan Text model
//! (`inputText` + `textGenerationConfig`), chosen by model id.
//!
//! Invariants: every common setting the user gave is in the body or is an
//! error naming its flag (`--seed` for both families, `--top-k` and images
//! for Titan, `--raw` for Nova); a setting the user did not give is left
//! out, so the model's own default applies, and a configuration object with
//! nothing in it is left out too. Nova's tools go in `toolConfig` (never
//! also from `-o toolConfig`), its tool calls and results in history as
//! `toolUse` / `toolResult` blocks, and each cache point as a `cachePoint`
//! block where it stands (after the system prompt and the tools for
//! `request.cache`); Nova 2's reasoning is asked for in
//! `inferenceConfig.reasoningConfig`, and reasoning in history is left out
//! (Nova returns its reasoning redacted). Titan's prompt is the user's text as is
//! with `--raw`, else the conversational template [`titan_prompt`] renders.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use bedrock_adapter_kit::request::{self, Setting, json_body};
use bedrock_adapter_kit::tools;
use bedrock_adapter_kit::types::{
    AdapterError, Body, CachePoints, Content, Image, Message, Params, ReasoningConfig,
    ReasoningEffort, Request, Role, Tool, ToolChoice, ToolResult, ToolResultPart,
};
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::models::{self, Family};
use crate::options;

/// The only Nova schema version, sent unless `-o schemaVersion=...`.
const NOVA_SCHEMA: &str = "messages-v1";

/// How Titan marks the user's turns in its conversational prompt format.
pub const TITAN_USER: &str = "User:";

/// How Titan marks its own turns; a prompt ends with it to ask for one.
pub const TITAN_BOT: &str = "Bot:";

/// Builds the request body for `req.model_id`.
pub fn build(req: Request) -> Result<Body, AdapterError> {
    let family = models::family_for(&req.model_id)?;
    request::refuse_beyond_described(&req, &models::supported())?;
    let Request {
        model_id,
        system,
        messages,
        params,
        tools,
        tool_choice,
        reasoning,
        cache,
        ..
    } = req;
    request::refuse(
        &params,
        &[Setting::Seed],
        "Amazon Nova and Titan Text models take no random seed",
    )?;
    request::check_finite(&params)?;
    let extra = options::parse(family, &params.extra)?;
    match family {
        Family::Nova => {
            let asked = NovaTools {
                tools,
                tool_choice,
                reasoning,
                cache,
            };
            json_body(&nova_body(
                &model_id, system, messages, params, asked, extra,
            )?)
        }
        Family::Titan => json_body(&titan_body(&model_id, system, messages, params, extra)?),
    }
}

// ---------------------------------------------------------------------------
// Nova: AWS, "Amazon Nova: complete request schema"
// <https://docs.aws.amazon.com/nova/latest/userguide/complete-request-schema.html>.
// `inferenceConfig` uses the key spellings of AWS's Bedrock getting-started
// notebook (`max_new_tokens`, `top_p`, `top_k`), which Nova accepts beside
// the camel-case ones, and `stopSequences` as in the schema.

/// A Nova body, fields in the order of AWS's notebook.
#[derive(Serialize)]
struct NovaBody {
    #[serde(rename = "schemaVersion")]
    schema_version: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    system: Option<Vec<NovaContent>>,
    messages: Vec<NovaMessageOut>,
    #[serde(
        rename = "inferenceConfig",
        skip_serializing_if = "NovaConfig::is_empty"
    )]
    inference_config: NovaConfig,
    #[serde(rename = "toolConfig", skip_serializing_if = "Option::is_none")]
    tool_config: Option<Value>,
    #[serde(flatten)]
    extra: Map<String, Value>,
}

/// What a Nova request asks of tools, reasoning and caching.
struct NovaTools {
    tools: Vec<Tool>,
    tool_choice: Option<ToolChoice>,
    reasoning: Option<ReasoningConfig>,
    cache: CachePoints,
}

#[derive(Serialize)]
struct NovaMessageOut {
    role: &'static str,
    content: Vec<NovaContent>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum NovaContent {
    Text {
        text: String,
    },
    Image {
        image: NovaImage,
    },
    ToolUse {
        #[serde(rename = "toolUse")]
        tool_use: Value,
    },
    ToolResult {
        #[serde(rename = "toolResult")]
        tool_result: NovaToolResult,
    },
    CachePoint {
        #[serde(rename = "cachePoint")]
        cache_point: Value,
    },
}

/// A `toolResult` block.
#[derive(Serialize)]
struct NovaToolResult {
    #[serde(rename = "toolUseId")]
    tool_use_id: String,
    content: Vec<NovaResultPart>,
    /// `error` when the tool failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<&'static str>,
}

/// One part of a tool result: `{"text"}`, `{"json"}` or `{"image"}`.
#[derive(Serialize)]
#[serde(rename_all = "lowercase")]
enum NovaResultPart {
    Text(String),
    Json(Value),
    Image(NovaImage),
}

impl NovaContent {
    /// `{"cachePoint": {"type": "default"}}`.
    fn cache_point() -> Self {
        NovaContent::CachePoint {
            cache_point: json!({"type": "default"}),
        }
    }
}

#[derive(Serialize)]
struct NovaImage {
    format: &'static str,
    source: NovaSource,
}

#[derive(Serialize)]
struct NovaSource {
    /// Base64, as the Invoke API wants it.
    bytes: String,
}

#[derive(Serialize)]
struct NovaConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    max_new_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    top_p: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    top_k: Option<u32>,
    #[serde(rename = "stopSequences", skip_serializing_if = "Vec::is_empty")]
    stop_sequences: Vec<String>,
    #[serde(rename = "reasoningConfig", skip_serializing_if = "Option::is_none")]
    reasoning_config: Option<Value>,
}

impl NovaConfig {
    fn is_empty(&self) -> bool {
        self.max_new_tokens.is_none()
            && self.temperature.is_none()
            && self.top_p.is_none()
            && self.top_k.is_none()
            && self.stop_sequences.is_empty()
            && self.reasoning_config.is_none()
    }
}

/// The largest reasoning budget each Nova 2 reasoning effort stands for: a
/// `--reasoning-budget` is sent as the smallest effort whose bound it is
/// within (`high` above the last).
pub const EFFORT_BUDGETS: [(ReasoningEffort, u32); 2] = [
    (ReasoningEffort::Low, 4096),
    (ReasoningEffort::Medium, 16384),
];

/// Nova 2's `inferenceConfig.reasoningConfig`: `{"type": "enabled",
/// "maxReasoningEffort"}`, the effort as asked or mapped from a budget.
fn reasoning_config(config: ReasoningConfig) -> Value {
    let effort = match config {
        ReasoningConfig::Effort(effort) => effort,
        ReasoningConfig::BudgetTokens(budget) => EFFORT_BUDGETS
            .iter()
            .find(|(_, bound)| budget <= *bound)
            .map_or(ReasoningEffort::High, |(effort, _)| *effort),
    };
    let effort = match effort {
        ReasoningEffort::Low => "low",
        ReasoningEffort::Medium => "medium",
        ReasoningEffort::High => "high",
    };
    json!({"type": "enabled", "maxReasoningEffort": effort})
}

/// The image types Nova reads, with the `format` it names them by.
const NOVA_IMAGE_FORMATS: &[(&str, &str)] = &[
    ("image/jpeg", "jpeg"),
    ("image/png", "png"),
    ("image/gif", "gif"),
    ("image/webp", "webp"),
];

fn nova_body(
    model_id: &str,
    system: Option<String>,
    messages: Vec<Message>,
    params: Params,
    asked: NovaTools,
    mut extra: Map<String, Value>,
) -> Result<NovaBody, AdapterError> {
    request::refuse(
        &params,
        &[Setting::Raw],
        &format!("{model_id} takes messages only; Nova has no raw prompt"),
    )?;
    request::require_messages(&messages)?;
    let NovaTools {
        tools,
        tool_choice,
        reasoning,
        cache,
    } = asked;
    if (!tools.is_empty() || tool_choice.is_some()) && extra.contains_key("toolConfig") {
        return Err(AdapterError::InvalidRequest(
            "-o toolConfig: the request already sets its tools; give them one way".to_owned(),
        ));
    }
    if reasoning.is_some() && extra.contains_key("reasoningConfig") {
        return Err(AdapterError::InvalidRequest(
            "-o reasoningConfig: the request already sets its reasoning; give it one way"
                .to_owned(),
        ));
    }
    let tool_config = tool_config(&tools, tool_choice, cache.tools)?;
    let messages = messages
        .into_iter()
        .enumerate()
        .map(|(index, message)| nova_message(index, message, model_id))
        .collect::<Result<_, _>>()?;
    Ok(NovaBody {
        schema_version: extra
            .remove("schemaVersion")
            .unwrap_or_else(|| Value::String(NOVA_SCHEMA.to_owned())),
        system: system.map(|text| {
            let cached = cache.system.then(NovaContent::cache_point);
            [NovaContent::Text { text }]
                .into_iter()
                .chain(cached)
                .collect()
        }),
        messages,
        inference_config: NovaConfig {
            max_new_tokens: params.max_tokens,
            temperature: params.temperature,
            top_p: params.top_p,
            top_k: params.top_k,
            stop_sequences: params.stop_sequences,
            reasoning_config: reasoning.map(reasoning_config),
        },
        tool_config,
        extra,
    })
}

/// `toolConfig`: each tool as a `toolSpec` (its schema under
/// `inputSchema.json`), a `cachePoint` after them when asked, and
/// `toolChoice` (`auto`, `any`, `tool`). A choice of `none` leaves the
/// tools out, which is how a Nova request says no tool may be called.
fn tool_config(
    tools: &[Tool],
    choice: Option<ToolChoice>,
    cache: bool,
) -> Result<Option<Value>, AdapterError> {
    if tools.is_empty() || choice == Some(ToolChoice::None) {
        return match choice {
            None | Some(ToolChoice::None) => Ok(None),
            Some(_) => Err(AdapterError::InvalidRequest(
                "--tool-choice: the request has no tools to choose from".to_owned(),
            )),
        };
    }
    let mut specs = tools
        .iter()
        .map(|tool| {
            Ok(json!({"toolSpec": {
                "name": tool.name,
                "description": tool.description,
                "inputSchema": {"json": tools::schema(tool)?},
            }}))
        })
        .collect::<Result<Vec<_>, AdapterError>>()?;
    if cache {
        specs.push(json!({"cachePoint": {"type": "default"}}));
    }
    let mut config = json!({ "tools": specs });
    let choice = match choice {
        None | Some(ToolChoice::None) => None,
        Some(ToolChoice::Auto) => Some(json!({"auto": {}})),
        Some(ToolChoice::Any) => Some(json!({"any": {}})),
        Some(ToolChoice::Named(name)) => Some(json!({"tool": {"name": name}})),
    };
    if let Some(choice) = choice {
        config["toolChoice"] = choice;
    }
    Ok(Some(config))
}

fn nova_message(
    index: usize,
    message: Message,
    model_id: &str,
) -> Result<NovaMessageOut, AdapterError> {
    request::require_content(index + 1, &message)?;
    let role = request::role_name(message.role);
    let content = message
        .content
        .into_iter()
        .filter_map(|part| match part {
            Content::Text(text) => Some(Ok(NovaContent::Text { text })),
            Content::Image(image) => {
                Some(nova_image(image, model_id).map(|image| NovaContent::Image { image }))
            }
            Content::Document(_) => Some(Err(request::unsupported("documents", model_id))),
            Content::ToolCall(call) => {
                Some(tools::input(&call).map(|input| NovaContent::ToolUse {
                    tool_use: json!({"toolUseId": call.id, "name": call.name, "input": input}),
                }))
            }
            Content::ToolResult(result) => Some(nova_tool_result(result, model_id)),
            Content::CachePoint => Some(Ok(NovaContent::cache_point())),
            Content::Reasoning(_) | Content::RedactedReasoning(_) => None,
        })
        .collect::<Result<_, _>>()?;
    Ok(NovaMessageOut { role, content })
}

/// A `toolResult` block: text parts as `{"text"}`, JSON parts as
/// `{"json"}` (parsed), images as `{"image"}`; `status: "error"` when the
/// tool failed.
fn nova_tool_result(result: ToolResult, model_id: &str) -> Result<NovaContent, AdapterError> {
    let ToolResult {
        call_id,
        content,
        is_error,
    } = result;
    let content = content
        .into_iter()
        .map(|part| match part {
            ToolResultPart::Text(text) => Ok(NovaResultPart::Text(text)),
            ToolResultPart::Json(text) => serde_json::from_str::<Value>(&text)
                .map(NovaResultPart::Json)
                .map_err(|err| {
                    AdapterError::InvalidRequest(format!(
                        "the result of call {call_id} is not JSON: {err}"
                    ))
                }),
            ToolResultPart::Image(image) => nova_image(image, model_id).map(NovaResultPart::Image),
        })
        .collect::<Result<Vec<_>, AdapterError>>()?;
    Ok(NovaContent::ToolResult {
        tool_result: NovaToolResult {
            tool_use_id: call_id,
            content,
            status: is_error.then_some("error"),
        },
    })
}

fn nova_image(image: Image, model_id: &str) -> Result<NovaImage, AdapterError> {
    if !models::reads_images(model_id) {
        return Err(AdapterError::Unsupported(format!(
            "images: {model_id} reads text only (Nova Lite, Pro and Premier read images)"
        )));
    }
    let Image { media_type, data } = image;
    let format = NOVA_IMAGE_FORMATS
        .iter()
        .find(|(known, _)| *known == media_type)
        .map(|(_, format)| *format)
        .ok_or_else(|| {
            AdapterError::Unsupported(format!(
                "images of type {media_type}: Nova reads {}",
                NOVA_IMAGE_FORMATS
                    .iter()
                    .map(|(known, _)| *known)
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?;
    Ok(NovaImage {
        format,
        source: NovaSource {
            bytes: BASE64.encode(data),
        },
    })
}

// ---------------------------------------------------------------------------
// Titan Text: AWS, "Amazon Titan Text models"
// <https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-titan-text.html>.

/// A Titan Text body.
#[derive(Serialize)]
struct TitanBody {
    #[serde(rename = "inputText")]
    input_text: String,
    #[serde(
        rename = "textGenerationConfig",
        skip_serializing_if = "TitanConfig::is_empty"
    )]
    config: TitanConfig,
    #[serde(flatten)]
    extra: Map<String, Value>,
}

/// `textGenerationConfig`, fields in the order of AWS's page.
#[derive(Serialize)]
struct TitanConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f32>,
    #[serde(rename = "topP", skip_serializing_if = "Option::is_none")]
    top_p: Option<f32>,
    #[serde(rename = "maxTokenCount", skip_serializing_if = "Option::is_none")]
    max_token_count: Option<u32>,
    #[serde(rename = "stopSequences", skip_serializing_if = "Vec::is_empty")]
    stop_sequences: Vec<String>,
}

impl TitanConfig {
    fn is_empty(&self) -> bool {
        self.temperature.is_none()
            && self.top_p.is_none()
            && self.max_token_count.is_none()
            && self.stop_sequences.is_empty()
    }
}

fn titan_body(
    model_id: &str,
    system: Option<String>,
    messages: Vec<Message>,
    params: Params,
    extra: Map<String, Value>,
) -> Result<TitanBody, AdapterError> {
    request::refuse(
        &params,
        &[Setting::TopK],
        "Titan Text has no top-k (its textGenerationConfig takes temperature, topP, \
         maxTokenCount and stopSequences)",
    )?;
    let input_text = if params.raw {
        raw_prompt(system, messages, model_id)?
    } else {
        titan_prompt(system, messages, model_id)?
    };
    Ok(TitanBody {
        input_text,
        config: TitanConfig {
            temperature: params.temperature,
            top_p: params.top_p,
            max_token_count: params.max_tokens,
            stop_sequences: params.stop_sequences,
        },
        extra,
    })
}

/// `--raw`: the text of the one user message, sent as is.
fn raw_prompt(
    system: Option<String>,
    messages: Vec<Message>,
    model_id: &str,
) -> Result<String, AdapterError> {
    text_of(request::raw_prompt(system.is_some(), messages)?, model_id)
}

/// Renders a conversation in the format AWS's Titan Text page gives for
/// conversational answers, `"User: <prompt>\nBot:"`, one line per turn:
///
/// ```text
/// <system prompt>          (when there is one, then a blank line)
/// User: <message 1>
/// Bot: <message 2>
/// User: <message 3>
/// Bot:
/// ```
///
/// The final `Bot:` asks for the answer; when the conversation ends with
/// the assistant's message, its text is left for Titan to continue.
pub fn titan_prompt(
    system: Option<String>,
    messages: Vec<Message>,
    model_id: &str,
) -> Result<String, AdapterError> {
    request::require_messages(&messages)?;
    let ends_with_user = messages.last().is_some_and(|m| m.role == Role::User);
    let mut turns = Vec::with_capacity(messages.len() + 1);
    for (index, message) in messages.into_iter().enumerate() {
        let marker = match message.role {
            Role::User => TITAN_USER,
            Role::Assistant => TITAN_BOT,
        };
        request::require_content(index + 1, &message)?;
        turns.push(format!("{marker} {}", text_of(message, model_id)?));
    }
    if ends_with_user {
        turns.push(TITAN_BOT.to_owned());
    }
    let conversation = turns.join("\n");
    Ok(match system {
        Some(system) => format!("{system}\n\n{conversation}"),
        None => conversation,
    })
}

/// The text parts of a message to `model_id`, joined; Titan reads text
/// only.
fn text_of(message: Message, model_id: &str) -> Result<String, AdapterError> {
    request::text_only(message.content, model_id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bedrock_adapter_kit::testing::{
        self, assert_refuses_malformed, image, message, params, request, text,
    };
    use bedrock_adapter_kit::types::ToolCall;

    /// The prompt of AWS's notebook "How to work with Amazon Bedrock APIs -
    /// Getting Started" (`shared/seed/bedrock-getting-started-notebook.md`).
    const NOTEBOOK_PROMPT: &str =
        "Command: Write me a blog about making strong business decisions as a leader.\n\nBlog:\n";

    fn body_json(req: Request) -> Value {
        testing::body_json(build(req))
    }

    #[test]
    fn notebook_nova_cell() {
        // The notebook's "Amazon Nova" cell, field for field.
        let req = request(
            "amazon.nova-lite-v1:0",
            vec![text(Role::User, NOTEBOOK_PROMPT)],
            Params {
                max_tokens: Some(250),
                top_p: Some(0.9),
                top_k: Some(20),
                temperature: Some(0.7),
                ..params()
            },
        );
        assert_eq!(
            body_json(req),
            serde_json::json!({
                "schemaVersion": "messages-v1",
                "messages": [{"role": "user", "content": [{"text": NOTEBOOK_PROMPT}]}],
                "inferenceConfig": {"max_new_tokens": 250, "top_p": 0.9, "top_k": 20, "temperature": 0.7},
            })
        );
    }

    #[test]
    fn nova_conversation_with_system_and_image() {
        // Shape of otel-python-contrib test_invoke_model_with_content_different_events
        // [amazon.nova], with an image added.
        let req = Request {
            system: Some("You are a friendly model".to_owned()),
            ..request(
                "amazon.nova-pro-v1:0",
                vec![
                    text(Role::User, "Say this is a test"),
                    text(Role::Assistant, "This is a test"),
                    message(
                        Role::User,
                        vec![
                            Content::Text("Say again this is a test".to_owned()),
                            Content::Image(Image {
                                media_type: "image/png".to_owned(),
                                data: vec![1, 2, 3],
                            }),
                        ],
                    ),
                ],
                Params {
                    max_tokens: Some(10),
                    stop_sequences: vec!["|".to_owned()],
                    extra: vec![("toolConfig".to_owned(), r#"{"tools":[]}"#.to_owned())],
                    ..params()
                },
            )
        };
        assert_eq!(
            body_json(req),
            serde_json::json!({
                "schemaVersion": "messages-v1",
                "system": [{"text": "You are a friendly model"}],
                "messages": [
                    {"role": "user", "content": [{"text": "Say this is a test"}]},
                    {"role": "assistant", "content": [{"text": "This is a test"}]},
                    {"role": "user", "content": [
                        {"text": "Say again this is a test"},
                        {"image": {"format": "png", "source": {"bytes": "AQID"}}},
                    ]},
                ],
                "inferenceConfig": {"max_new_tokens": 10, "stopSequences": ["|"]},
                "toolConfig": {"tools": []},
            })
        );
    }

    #[test]
    fn nova_without_settings_has_no_config() {
        let json = body_json(request(
            "amazon.nova-2-lite-v1:0",
            vec![text(Role::User, "Hi")],
            Params {
                extra: vec![("schemaVersion".to_owned(), "\"v\"".to_owned())],
                ..params()
            },
        ));
        assert_eq!(
            json,
            serde_json::json!({
                "schemaVersion": "v",
                "messages": [{"role": "user", "content": [{"text": "Hi"}]}],
            })
        );
    }

    #[test]
    fn titan_every_setting() {
        // The body of dd-trace-py amazon_invoke.yaml, with a stop sequence
        // where it sent an empty list (an unset --stop is left out).
        let prompt =
            "Command: can you explain what Datadog is to someone not in the tech industry?";
        let req = request(
            "amazon.titan-tg1-large",
            vec![text(Role::User, prompt)],
            Params {
                max_tokens: Some(50),
                temperature: Some(0.0),
                top_p: Some(0.9),
                stop_sequences: vec!["|".to_owned()],
                raw: true,
                ..params()
            },
        );
        assert_eq!(
            body_json(req),
            serde_json::json!({
                "inputText": prompt,
                "textGenerationConfig": {
                    "maxTokenCount": 50, "stopSequences": ["|"], "temperature": 0.0, "topP": 0.9,
                },
            })
        );
    }

    #[test]
    fn titan_template() {
        let one = body_json(request(
            "amazon.titan-text-express-v1",
            vec![text(Role::User, "Say this is a test")],
            params(),
        ));
        assert_eq!(
            one,
            serde_json::json!({"inputText": "User: Say this is a test\nBot:"})
        );
        let prompt = titan_prompt(
            Some("Be brief.".to_owned()),
            vec![
                text(Role::User, "Hi"),
                text(Role::Assistant, "Hello."),
                text(Role::User, "Who are you?"),
            ],
            "amazon.titan-text-express-v1",
        );
        assert_eq!(
            prompt,
            Ok("Be brief.\n\nUser: Hi\nBot: Hello.\nUser: Who are you?\nBot:".to_owned())
        );
        let prefilled = titan_prompt(
            None,
            vec![text(Role::User, "Count"), text(Role::Assistant, "1, 2,")],
            "amazon.titan-text-express-v1",
        );
        assert_eq!(prefilled, Ok("User: Count\nBot: 1, 2,".to_owned()));
    }

    #[test]
    fn refusals_name_the_flag() {
        let hi = || vec![text(Role::User, "Hi")];
        let cases = [
            (
                "amazon.nova-lite-v1:0",
                Params {
                    seed: Some(1),
                    ..params()
                },
                "--seed",
            ),
            (
                "amazon.titan-text-lite-v1",
                Params {
                    seed: Some(1),
                    ..params()
                },
                "--seed",
            ),
            (
                "amazon.nova-lite-v1:0",
                Params {
                    raw: true,
                    ..params()
                },
                "--raw",
            ),
            (
                "amazon.titan-text-lite-v1",
                Params {
                    top_k: Some(5),
                    ..params()
                },
                "--top-k",
            ),
        ];
        for (model, params, flag) in cases {
            let err = build(request(model, hi(), params));
            assert!(
                matches!(&err, Err(AdapterError::Unsupported(m)) if m.starts_with(flag)),
                "{model} {flag}: {err:?}"
            );
        }
        assert_refuses_malformed("amazon.nova-lite-v1:0", build);
    }

    fn weather_tool() -> Tool {
        Tool {
            name: "get_current_weather".to_owned(),
            description: "Get the current weather in a given location.".to_owned(),
            input_schema: r#"{"type":"object","properties":{"location":{"type":"string","description":"The name of the city"}},"required":["location"]}"#.to_owned(),
        }
    }

    #[test]
    fn recorded_tool_call_requests() {
        // Both requests of otel-python-contrib
        // test_invoke_model_with_content_tool_call[amazon.nova], rebuilt
        // from the provider-neutral conversation.
        let question = "What is the weather in Seattle and San Francisco today? Please expect one tool call for Seattle and one for San Francisco";
        let thought = "<thinking> To provide the current weather in both Seattle and San Francisco, I will use the `get_current_weather` tool for each city separately. I will start with Seattle and then proceed to San Francisco.</thinking>\n";
        let (seattle, sf) = (
            "a385bacb-2011-4f60-b0d3-1455602f4438",
            "9b02c6fa-4676-4ab5-b2e4-015e86994df7",
        );
        let call = |id: &str, city: &str| {
            Content::ToolCall(ToolCall {
                id: id.to_owned(),
                name: "get_current_weather".to_owned(),
                input: format!(r#"{{"location": "{city}"}}"#),
            })
        };
        let result = |id: &str, weather: &str| {
            Content::ToolResult(ToolResult {
                call_id: id.to_owned(),
                content: vec![ToolResultPart::Json(format!(
                    r#"{{"weather": "{weather}"}}"#
                ))],
                is_error: false,
            })
        };
        let conversation = vec![
            text(Role::User, question),
            message(
                Role::Assistant,
                vec![
                    Content::Text(thought.to_owned()),
                    call(seattle, "Seattle"),
                    call(sf, "San Francisco"),
                ],
            ),
            message(
                Role::User,
                vec![
                    result(seattle, "50 degrees and raining"),
                    result(sf, "70 degrees and sunny"),
                ],
            ),
        ];
        let req = |messages: Vec<Message>| Request {
            tools: vec![weather_tool()],
            ..request(
                "amazon.nova-micro-v1:0",
                messages,
                Params {
                    max_tokens: Some(1000),
                    ..params()
                },
            )
        };
        let tool_config = serde_json::json!({"tools": [{"toolSpec": {
            "name": "get_current_weather",
            "description": "Get the current weather in a given location.",
            "inputSchema": {"json": {"type": "object", "properties": {"location": {"type": "string", "description": "The name of the city"}}, "required": ["location"]}},
        }}]});
        let user = serde_json::json!({"role": "user", "content": [{"text": question}]});
        assert_eq!(
            body_json(req(conversation[..1].to_vec())),
            serde_json::json!({
                "messages": [user],
                "inferenceConfig": {"max_new_tokens": 1000},
                "schemaVersion": "messages-v1",
                "toolConfig": tool_config,
            })
        );
        assert_eq!(
            body_json(req(conversation)),
            serde_json::json!({
                "messages": [
                    user,
                    {"content": [
                        {"text": thought},
                        {"toolUse": {"name": "get_current_weather", "toolUseId": seattle, "input": {"location": "Seattle"}}},
                        {"toolUse": {"name": "get_current_weather", "toolUseId": sf, "input": {"location": "San Francisco"}}},
                    ], "role": "assistant"},
                    {"role": "user", "content": [
                        {"toolResult": {"toolUseId": seattle, "content": [{"json": {"weather": "50 degrees and raining"}}]}},
                        {"toolResult": {"toolUseId": sf, "content": [{"json": {"weather": "70 degrees and sunny"}}]}},
                    ]},
                ],
                "inferenceConfig": {"max_new_tokens": 1000},
                "schemaVersion": "messages-v1",
                "toolConfig": tool_config,
            })
        );
    }

    #[test]
    fn tool_choice_errors_and_cache_points() {
        let nova = "amazon.nova-lite-v1:0";
        let with = |tool_choice: Option<ToolChoice>, tools: Vec<Tool>| {
            build(Request {
                tools,
                tool_choice,
                ..request(nova, vec![text(Role::User, "Hi")], params())
            })
            .map(|body| {
                serde_json::from_slice::<Value>(&body.bytes).expect("JSON")["toolConfig"].clone()
            })
        };
        for (choice, expected) in [
            (ToolChoice::Auto, serde_json::json!({"auto": {}})),
            (ToolChoice::Any, serde_json::json!({"any": {}})),
            (
                ToolChoice::Named("get_current_weather".to_owned()),
                serde_json::json!({"tool": {"name": "get_current_weather"}}),
            ),
        ] {
            let config = with(Some(choice), vec![weather_tool()]).expect("builds");
            assert_eq!(config["toolChoice"], expected);
        }
        assert_eq!(
            with(Some(ToolChoice::None), vec![weather_tool()]),
            Ok(Value::Null)
        );
        assert!(matches!(
            with(Some(ToolChoice::Any), Vec::new()),
            Err(AdapterError::InvalidRequest(_))
        ));
        let failed = build(request(
            nova,
            vec![message(
                Role::User,
                vec![testing::tool_result("no such city", true)],
            )],
            params(),
        ));
        assert_eq!(
            testing::body_json(failed)["messages"][0]["content"][0],
            serde_json::json!({"toolResult": {"toolUseId": "call_1", "content": [{"text": "no such city"}], "status": "error"}})
        );
        let cached = body_json(Request {
            system: Some("Be brief.".to_owned()),
            tools: vec![weather_tool()],
            cache: CachePoints {
                system: true,
                tools: true,
            },
            ..request(
                nova,
                vec![message(
                    Role::User,
                    vec![Content::Text("Hi".to_owned()), Content::CachePoint],
                )],
                params(),
            )
        });
        let point = serde_json::json!({"cachePoint": {"type": "default"}});
        assert_eq!(
            cached["system"],
            serde_json::json!([{"text": "Be brief."}, point])
        );
        assert_eq!(cached["toolConfig"]["tools"][1], point);
        assert_eq!(cached["messages"][0]["content"][1], point);
        let titan_tools = build(Request {
            tools: vec![weather_tool()],
            ..request(
                "amazon.titan-text-express-v1",
                vec![text(Role::User, "Hi")],
                params(),
            )
        });
        assert_eq!(
            titan_tools,
            Err(AdapterError::Unsupported(
                "tools are not supported by amazon.titan-text-express-v1".to_owned()
            ))
        );
    }

    #[test]
    fn nova_2_reasoning_effort() {
        let reasoned = |model: &str, reasoning: ReasoningConfig| {
            build(Request {
                reasoning: Some(reasoning),
                ..request(model, vec![text(Role::User, "Hi")], params())
            })
        };
        for (reasoning, effort) in [
            (ReasoningConfig::Effort(ReasoningEffort::Medium), "medium"),
            (ReasoningConfig::BudgetTokens(1024), "low"),
            (ReasoningConfig::BudgetTokens(4097), "medium"),
            (ReasoningConfig::BudgetTokens(20000), "high"),
        ] {
            let json = testing::body_json(reasoned("amazon.nova-2-lite-v1:0", reasoning));
            assert_eq!(
                json["inferenceConfig"]["reasoningConfig"],
                serde_json::json!({"type": "enabled", "maxReasoningEffort": effort})
            );
        }
        assert_eq!(
            reasoned(
                "amazon.nova-pro-v1:0",
                ReasoningConfig::Effort(ReasoningEffort::Low)
            ),
            Err(AdapterError::Unsupported(
                "reasoning is not supported by amazon.nova-pro-v1:0".to_owned()
            ))
        );
    }

    #[test]
    fn refusals_of_content() {
        let image = |media_type: &str| message(Role::User, vec![image(media_type)]);
        for (model, message) in [
            ("amazon.nova-micro-v1:0", image("image/png")),
            ("amazon.nova-lite-v1:0", image("image/bmp")),
            ("amazon.titan-text-express-v1", image("image/png")),
        ] {
            let err = build(request(model, vec![message], params()));
            assert!(matches!(err, Err(AdapterError::Unsupported(_))), "{model}");
        }
        for model in ["amazon.nova-lite-v1:0", "amazon.titan-text-express-v1"] {
            assert_refuses_malformed(model, build);
        }
        testing::assert_text_only("amazon.titan-text-express-v1", build);
        let raw = || Params {
            raw: true,
            ..params()
        };
        let titan = "amazon.titan-text-lite-v1";
        let conversation = build(request(
            titan,
            vec![
                text(Role::User, "a"),
                text(Role::Assistant, "b"),
                text(Role::User, "c"),
            ],
            raw(),
        ));
        assert!(matches!(conversation, Err(AdapterError::InvalidRequest(_))));
        let with_system = build(Request {
            system: Some("s".to_owned()),
            ..request(titan, vec![text(Role::User, "a")], raw())
        });
        assert!(matches!(with_system, Err(AdapterError::InvalidRequest(_))));
        let unknown = build(request(
            "amazon.titan-embed-text-v1",
            vec![text(Role::User, "a")],
            params(),
        ));
        assert!(matches!(unknown, Err(AdapterError::Unsupported(_))));
    }
}
