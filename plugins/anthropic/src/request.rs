//! `build-request`: turns a provider-neutral request into the JSON body of
//! Anthropic's Messages API, or of its text completions API for `--raw` on
//! Claude 2.x / Instant (see [`crate::models`]). The messages' content
//! blocks are [`crate::blocks`]'; this module owns the body around them:
//! settings, the system prompt, tools and tool choice, extended thinking,
//! and cache control outside the messages.
//!
//! Invariants: every common setting the user gave is in the body or is an
//! error (`--seed` is `unsupported`: Claude takes no seed; with extended
//! thinking, `--temperature` and `--top-k` are too, and `--top-p` must be
//! within 0.95 to 1, as AWS documents); a setting the user did not give is
//! left out, except `max_tokens`, which Bedrock requires and which defaults
//! to [`DEFAULT_MAX_TOKENS`] (plus the thinking budget when thinking is
//! on). A request's tools, tool choice and reasoning are never also taken
//! from `-o` (the same key twice is refused). Cache points are sent only to
//! models that take them, as `cache_control` on the system prompt, on the
//! last tool and on the block before each `cache-point`.

use bedrock_adapter_kit::request::{self, Setting, json_body};
use bedrock_adapter_kit::tools;
use bedrock_adapter_kit::types::{
    AdapterError, Body, CachePoints, Message, Params, ReasoningConfig, ReasoningEffort, Request,
    Tool, ToolChoice,
};
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::blocks::{self, Block, CacheControl, EPHEMERAL, Features, MessageOut};
use crate::models::{self, Api};
use crate::options;

/// `max_tokens` (or `max_tokens_to_sample`) when `--max-tokens` is not given.
/// Bedrock requires the field; 1024 is within every Claude model's output
/// limit (4096 for the oldest) and long enough for an ordinary answer.
pub const DEFAULT_MAX_TOKENS: u32 = 1024;

/// The only `anthropic_version` Bedrock accepts for the Messages API.
const ANTHROPIC_VERSION: &str = "bedrock-2023-05-31";

/// The smallest thinking budget Claude takes.
pub const MIN_THINKING_BUDGET: u32 = 1024;

/// The thinking budget of each reasoning effort.
pub const EFFORT_BUDGETS: [(ReasoningEffort, u32); 3] = [
    (ReasoningEffort::Low, 1024),
    (ReasoningEffort::Medium, 4096),
    (ReasoningEffort::High, 16384),
];

/// Builds the request body for `req.model_id`.
pub fn build(req: Request) -> Result<Body, AdapterError> {
    request::refuse_beyond_described(&req, &models::supported())?;
    let capabilities = models::capabilities(&req.model_id);
    let Request {
        model_id,
        system,
        messages,
        params,
        tools,
        tool_choice,
        reasoning,
        cache,
        streamed: _,
    } = req;
    request::refuse(
        &params,
        &[Setting::Seed],
        "Claude models take no random seed",
    )?;
    request::check_finite(&params)?;
    let extra = options::parse(&params.extra)?;
    match models::api_for(&model_id, params.raw)? {
        Api::Messages => {
            let features = Features {
                images: capabilities.images.is_some(),
                reasoning: capabilities.reasoning,
                caching: capabilities.caching,
            };
            let cache = if features.caching {
                cache
            } else {
                CachePoints {
                    system: false,
                    tools: false,
                }
            };
            let asked = Asked {
                tools,
                tool_choice,
                reasoning,
                cache,
            };
            json_body(&messages_body(
                &model_id, system, messages, params, asked, features, extra,
            )?)
        }
        Api::TextCompletion => json_body(&completion_body(
            &model_id, system, messages, params, extra,
        )?),
    }
}

/// What a request asks beyond messages and settings.
struct Asked {
    tools: Vec<Tool>,
    tool_choice: Option<ToolChoice>,
    reasoning: Option<ReasoningConfig>,
    cache: CachePoints,
}

/// A Messages API body, fields in the order of AWS's documentation.
#[derive(Serialize)]
struct MessagesBody {
    anthropic_version: Value,
    max_tokens: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    system: Option<SystemOut>,
    messages: Vec<MessageOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    top_p: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    top_k: Option<u32>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    stop_sequences: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tools: Vec<ToolOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tool_choice: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    thinking: Option<Value>,
    #[serde(flatten)]
    extra: Map<String, Value>,
}

/// The system prompt: a string, or one cached text block.
#[derive(Serialize)]
#[serde(untagged)]
enum SystemOut {
    Text(String),
    Blocks([Block; 1]),
}

/// A tool definition.
#[derive(Serialize)]
struct ToolOut {
    name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    description: String,
    input_schema: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    cache_control: Option<CacheControl>,
}

fn messages_body(
    model_id: &str,
    system: Option<String>,
    messages: Vec<Message>,
    params: Params,
    asked: Asked,
    features: Features,
    mut extra: Map<String, Value>,
) -> Result<MessagesBody, AdapterError> {
    let Asked {
        tools,
        tool_choice,
        reasoning,
        cache,
    } = asked;
    for (key, given) in [
        ("tools", !tools.is_empty()),
        ("tool_choice", tool_choice.is_some()),
        ("thinking", reasoning.is_some()),
    ] {
        if given && extra.contains_key(key) {
            return Err(AdapterError::InvalidRequest(format!(
                "-o {key}: the request already sets {key}; give it one way"
            )));
        }
    }
    let thinking = reasoning
        .map(|config| budget(config, &params))
        .transpose()?;
    let tool_choice = tool_choice_out(tool_choice, tools.is_empty(), thinking.is_some())?;
    let mut tools = tools
        .iter()
        .map(|tool| {
            Ok(ToolOut {
                name: tool.name.clone(),
                description: tool.description.clone(),
                input_schema: tools::schema(tool)?,
                cache_control: None,
            })
        })
        .collect::<Result<Vec<_>, AdapterError>>()?;
    if let Some(last) = tools.last_mut().filter(|_| cache.tools) {
        last.cache_control = Some(EPHEMERAL);
    }
    let system = system.map(|text| {
        if cache.system {
            SystemOut::Blocks([Block::Text {
                text,
                cache_control: Some(EPHEMERAL),
            }])
        } else {
            SystemOut::Text(text)
        }
    });
    let max_tokens = match (params.max_tokens, thinking) {
        (Some(max), Some(budget)) if max <= budget => {
            return Err(AdapterError::InvalidRequest(format!(
                "--max-tokens: {max} leaves nothing for the answer after a thinking budget \
                 of {budget}; give more than {budget}"
            )));
        }
        (Some(max), _) => max,
        (None, Some(budget)) => budget.saturating_add(DEFAULT_MAX_TOKENS),
        (None, None) => DEFAULT_MAX_TOKENS,
    };
    Ok(MessagesBody {
        anthropic_version: extra
            .remove("anthropic_version")
            .unwrap_or_else(|| Value::String(ANTHROPIC_VERSION.to_owned())),
        max_tokens,
        system,
        messages: blocks::messages(messages, model_id, features)?,
        temperature: params.temperature,
        top_p: params.top_p,
        top_k: params.top_k,
        stop_sequences: params.stop_sequences,
        tools,
        tool_choice,
        thinking: thinking.map(|budget| json!({"type": "enabled", "budget_tokens": budget})),
        extra,
    })
}

/// The thinking budget of `config`, checking the settings thinking rules
/// out: no `--temperature` or `--top-k`, and `--top-p` within 0.95 to 1.
fn budget(config: ReasoningConfig, params: &Params) -> Result<u32, AdapterError> {
    request::refuse(
        params,
        &[Setting::Temperature, Setting::TopK],
        "extended thinking takes no temperature or top-k on Claude",
    )?;
    if let Some(top_p) = params.top_p.filter(|top_p| !(0.95..=1.0).contains(top_p)) {
        return Err(AdapterError::InvalidRequest(format!(
            "--top-p: {top_p} with extended thinking; Claude takes 0.95 to 1 then"
        )));
    }
    let budget = match config {
        ReasoningConfig::BudgetTokens(budget) => budget,
        ReasoningConfig::Effort(effort) => EFFORT_BUDGETS
            .iter()
            .find(|(level, _)| *level == effort)
            .map_or(MIN_THINKING_BUDGET, |(_, budget)| *budget),
    };
    if budget < MIN_THINKING_BUDGET {
        return Err(AdapterError::InvalidRequest(format!(
            "--reasoning-budget: {budget} is under the {MIN_THINKING_BUDGET} tokens Claude \
             thinks with at least"
        )));
    }
    Ok(budget)
}

/// Claude's `tool_choice`: `auto`, `any`, `tool` with a name, or `none`. A
/// choice that forces a tool is refused with thinking, as AWS documents;
/// one with no tools is refused, except `none`, which is left out.
fn tool_choice_out(
    choice: Option<ToolChoice>,
    no_tools: bool,
    thinking: bool,
) -> Result<Option<Value>, AdapterError> {
    let Some(choice) = choice else {
        return Ok(None);
    };
    if no_tools {
        return match choice {
            ToolChoice::None => Ok(None),
            _ => Err(AdapterError::InvalidRequest(
                "--tool-choice: the request has no tools to choose from".to_owned(),
            )),
        };
    }
    if thinking && matches!(choice, ToolChoice::Any | ToolChoice::Named(_)) {
        return Err(AdapterError::Unsupported(
            "--tool-choice: Claude cannot be made to call a tool while thinking; use auto or none"
                .to_owned(),
        ));
    }
    Ok(Some(match choice {
        ToolChoice::Auto => json!({"type": "auto"}),
        ToolChoice::Any => json!({"type": "any"}),
        ToolChoice::None => json!({"type": "none"}),
        ToolChoice::Named(name) => json!({"type": "tool", "name": name}),
    }))
}

/// A text completions body (Claude 2.x / Instant with `--raw`).
#[derive(Serialize)]
struct CompletionBody {
    prompt: String,
    max_tokens_to_sample: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    top_p: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    top_k: Option<u32>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    stop_sequences: Vec<String>,
    #[serde(flatten)]
    extra: Map<String, Value>,
}

/// The raw prompt is the text of the one user message, sent as is: the user
/// writes the `\n\nHuman: ...\n\nAssistant:` turns themselves.
fn completion_body(
    model_id: &str,
    system: Option<String>,
    messages: Vec<Message>,
    params: Params,
    extra: Map<String, Value>,
) -> Result<CompletionBody, AdapterError> {
    let message = request::raw_prompt(system.is_some(), messages)?;
    let prompt = request::text_only(message.content, model_id)?;
    Ok(CompletionBody {
        prompt,
        max_tokens_to_sample: params.max_tokens.unwrap_or(DEFAULT_MAX_TOKENS),
        temperature: params.temperature,
        top_p: params.top_p,
        top_k: params.top_k,
        stop_sequences: params.stop_sequences,
        extra,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use bedrock_adapter_kit::testing::{
        self, assert_refuses_malformed, image, message, params, request, text,
    };
    use bedrock_adapter_kit::types::{Content, Image, Role};

    const CLAUDE_4: &str = "anthropic.claude-sonnet-4-5-20250929-v1:0";

    fn body_json(req: Request) -> Value {
        testing::body_json(build(req))
    }

    #[test]
    fn notebook_body() {
        // The body of AWS's Bedrock notebook for Claude, field for field.
        let prompt = "Human: Write me a blog about making strong business decisions as a leader.\n\nAssistant:\n";
        let req = request(
            "anthropic.claude-v2",
            vec![text(Role::User, prompt)],
            Params {
                max_tokens: Some(250),
                ..params()
            },
        );
        let expected = serde_json::json!({
            "anthropic_version": "bedrock-2023-05-31",
            "max_tokens": 250,
            "messages": [{"role": "user", "content": prompt}],
        });
        assert_eq!(body_json(req), expected);
    }

    #[test]
    fn every_setting() {
        let req = Request {
            system: Some("Be brief.".to_owned()),
            ..request(
                "anthropic.claude-3-5-sonnet-20240620-v1:0",
                vec![
                    text(Role::User, "Hi"),
                    text(Role::Assistant, "Hello"),
                    message(
                        Role::User,
                        vec![
                            Content::Text("What is this?".to_owned()),
                            Content::Image(Image {
                                media_type: "image/png".to_owned(),
                                data: vec![1, 2, 3],
                            }),
                        ],
                    ),
                ],
                Params {
                    max_tokens: Some(10),
                    temperature: Some(0.8),
                    top_p: Some(1.0),
                    top_k: Some(250),
                    stop_sequences: vec!["|".to_owned()],
                    extra: vec![("anthropic_beta".to_owned(), "[\"x\"]".to_owned())],
                    ..params()
                },
            )
        };
        let body = build(req).expect("build");
        let text = String::from_utf8(body.bytes).expect("UTF-8");
        // f32 settings are written as the user typed them, not widened.
        assert!(text.contains("\"temperature\":0.8,"), "{text}");
        let json: Value = serde_json::from_str(&text).expect("JSON");
        assert_eq!(
            json,
            serde_json::json!({
                "anthropic_version": "bedrock-2023-05-31",
                "anthropic_beta": ["x"],
                "max_tokens": 10,
                "system": "Be brief.",
                "messages": [
                    {"role": "user", "content": "Hi"},
                    {"role": "assistant", "content": "Hello"},
                    {"role": "user", "content": [
                        {"type": "text", "text": "What is this?"},
                        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "AQID"}},
                    ]},
                ],
                "temperature": 0.8,
                "top_p": 1.0,
                "top_k": 250,
                "stop_sequences": ["|"],
            })
        );
    }

    fn weather_tool() -> Tool {
        Tool {
            name: "get_current_weather".to_owned(),
            description: "Get the current weather in a given location.".to_owned(),
            input_schema: r#"{"type":"object","properties":{"location":{"type":"string","description":"The name of the city"}},"required":["location"]}"#.to_owned(),
        }
    }

    #[test]
    fn recorded_tool_call_request() {
        // The first request of otel-python-contrib
        // test_invoke_model_with_content_tool_call[anthropic.claude],
        // rebuilt from the provider-neutral request (the recording sends its
        // one text as a block; a string is the same message to Claude).
        let question = "What is the weather in Seattle and San Francisco today? Please expect one tool call for Seattle and one for San Francisco";
        let req = Request {
            tools: vec![weather_tool()],
            ..request(
                "anthropic.claude-3-5-sonnet-20240620-v1:0",
                vec![text(Role::User, question)],
                Params {
                    max_tokens: Some(1000),
                    ..params()
                },
            )
        };
        assert_eq!(
            body_json(req),
            serde_json::json!({
                "messages": [{"role": "user", "content": question}],
                "anthropic_version": "bedrock-2023-05-31",
                "tools": [{
                    "name": "get_current_weather",
                    "description": "Get the current weather in a given location.",
                    "input_schema": {
                        "type": "object",
                        "properties": {"location": {"type": "string", "description": "The name of the city"}},
                        "required": ["location"],
                    },
                }],
                "max_tokens": 1000,
            })
        );
    }

    #[test]
    fn tool_choices() {
        let with = |choice: ToolChoice, tools: Vec<Tool>| {
            build(Request {
                tools,
                tool_choice: Some(choice),
                ..request(CLAUDE_4, vec![text(Role::User, "Hi")], params())
            })
            .map(|body| {
                serde_json::from_slice::<Value>(&body.bytes).expect("JSON")["tool_choice"].clone()
            })
        };
        for (choice, expected) in [
            (ToolChoice::Auto, serde_json::json!({"type": "auto"})),
            (ToolChoice::Any, serde_json::json!({"type": "any"})),
            (ToolChoice::None, serde_json::json!({"type": "none"})),
            (
                ToolChoice::Named("get_current_weather".to_owned()),
                serde_json::json!({"type": "tool", "name": "get_current_weather"}),
            ),
        ] {
            assert_eq!(with(choice, vec![weather_tool()]), Ok(expected));
        }
        assert_eq!(with(ToolChoice::None, Vec::new()), Ok(Value::Null));
        assert!(matches!(
            with(ToolChoice::Any, Vec::new()),
            Err(AdapterError::InvalidRequest(_))
        ));
        let twice = build(Request {
            tools: vec![weather_tool()],
            ..request(
                CLAUDE_4,
                vec![text(Role::User, "Hi")],
                Params {
                    extra: vec![("tools".to_owned(), "[]".to_owned())],
                    ..params()
                },
            )
        });
        assert!(matches!(twice, Err(AdapterError::InvalidRequest(m)) if m.starts_with("-o tools")));
        // Claude 2 takes no tools: the request is refused by name.
        let v2 = build(Request {
            tools: vec![weather_tool()],
            ..request(
                "anthropic.claude-v2",
                vec![text(Role::User, "Hi")],
                params(),
            )
        });
        assert_eq!(
            v2,
            Err(AdapterError::Unsupported(
                "tools are not supported by anthropic.claude-v2".to_owned()
            ))
        );
    }

    #[test]
    fn extended_thinking() {
        let thinking = |reasoning: ReasoningConfig, params: Params| {
            build(Request {
                reasoning: Some(reasoning),
                ..request(CLAUDE_4, vec![text(Role::User, "Hi")], params)
            })
        };
        let json = testing::body_json(thinking(
            ReasoningConfig::Effort(ReasoningEffort::Medium),
            params(),
        ));
        assert_eq!(
            json["thinking"],
            serde_json::json!({"type": "enabled", "budget_tokens": 4096})
        );
        assert_eq!(json["max_tokens"], 4096 + DEFAULT_MAX_TOKENS);
        let json = testing::body_json(thinking(
            ReasoningConfig::BudgetTokens(2000),
            Params {
                max_tokens: Some(3000),
                top_p: Some(0.95),
                ..params()
            },
        ));
        assert_eq!(json["thinking"]["budget_tokens"], 2000);
        assert_eq!(json["max_tokens"], 3000);
        for (params, flag) in [
            (
                Params {
                    temperature: Some(0.5),
                    ..params()
                },
                "--temperature",
            ),
            (
                Params {
                    top_k: Some(5),
                    ..params()
                },
                "--top-k",
            ),
            (
                Params {
                    top_p: Some(0.5),
                    ..params()
                },
                "--top-p",
            ),
            (
                Params {
                    max_tokens: Some(2000),
                    ..params()
                },
                "--max-tokens",
            ),
        ] {
            let refused = thinking(ReasoningConfig::BudgetTokens(2000), params);
            assert!(
                matches!(&refused, Err(AdapterError::Unsupported(m) | AdapterError::InvalidRequest(m)) if m.starts_with(flag)),
                "{flag}: {refused:?}"
            );
        }
        let small = thinking(ReasoningConfig::BudgetTokens(100), params());
        assert!(matches!(small, Err(AdapterError::InvalidRequest(m)) if m.contains("1024")));
        let forced = build(Request {
            reasoning: Some(ReasoningConfig::BudgetTokens(2000)),
            tools: vec![weather_tool()],
            tool_choice: Some(ToolChoice::Any),
            ..request(CLAUDE_4, vec![text(Role::User, "Hi")], params())
        });
        assert!(
            matches!(forced, Err(AdapterError::Unsupported(m)) if m.starts_with("--tool-choice"))
        );
        // Claude 3.5 Sonnet has no extended thinking.
        let old = build(Request {
            reasoning: Some(ReasoningConfig::BudgetTokens(2000)),
            ..request(
                "anthropic.claude-3-5-sonnet-20240620-v1:0",
                vec![text(Role::User, "Hi")],
                params(),
            )
        });
        assert!(matches!(old, Err(AdapterError::Unsupported(m)) if m.starts_with("reasoning")));
    }

    #[test]
    fn cache_control_where_the_model_caches() {
        let cached = |model: &str| {
            body_json(Request {
                system: Some("Be brief.".to_owned()),
                tools: vec![
                    Tool {
                        name: "a".to_owned(),
                        ..weather_tool()
                    },
                    weather_tool(),
                ],
                cache: CachePoints {
                    system: true,
                    tools: true,
                },
                ..request(
                    model,
                    vec![message(
                        Role::User,
                        vec![Content::Text("Hi".to_owned()), Content::CachePoint],
                    )],
                    params(),
                )
            })
        };
        let json = cached("anthropic.claude-3-5-haiku-20241022-v1:0");
        let ephemeral = serde_json::json!({"type": "ephemeral"});
        assert_eq!(
            json["system"],
            serde_json::json!([{"type": "text", "text": "Be brief.", "cache_control": ephemeral}])
        );
        assert_eq!(json["tools"][0].get("cache_control"), None);
        assert_eq!(json["tools"][1]["cache_control"], ephemeral);
        assert_eq!(
            json["messages"][0]["content"],
            serde_json::json!([{"type": "text", "text": "Hi", "cache_control": ephemeral}])
        );
        // Claude 3 Haiku has no prompt caching: the same request, uncached.
        let json = cached("anthropic.claude-3-haiku-20240307-v1:0");
        assert_eq!(json["system"], "Be brief.");
        assert_eq!(json["tools"][1].get("cache_control"), None);
        assert_eq!(json["messages"][0]["content"], "Hi");
    }

    #[test]
    fn default_max_tokens_and_version_override() {
        let req = request(
            "anthropic.claude-3-haiku-20240307-v1:0",
            vec![text(Role::User, "Hi")],
            Params {
                extra: vec![("anthropic_version".to_owned(), "\"v\"".to_owned())],
                ..params()
            },
        );
        let json = body_json(req);
        assert_eq!(json["max_tokens"], DEFAULT_MAX_TOKENS);
        assert_eq!(json["anthropic_version"], "v");
    }

    #[test]
    fn raw_text_completion() {
        let prompt = "\n\nHuman: What makes you better than Chat-GPT or LLAMA?\n\nAssistant:";
        let req = request(
            "anthropic.claude-instant-v1",
            vec![text(Role::User, prompt)],
            Params {
                max_tokens: Some(50),
                temperature: Some(0.9),
                top_p: Some(1.0),
                top_k: Some(250),
                stop_sequences: vec!["\n\nHuman:".to_owned()],
                raw: true,
                ..params()
            },
        );
        // dd-trace-py anthropic_invoke.yaml sends this body.
        assert_eq!(
            body_json(req),
            serde_json::json!({
                "prompt": prompt, "temperature": 0.9, "top_p": 1.0, "top_k": 250,
                "max_tokens_to_sample": 50, "stop_sequences": ["\n\nHuman:"],
            })
        );
    }

    #[test]
    fn refusals() {
        let hi = || vec![text(Role::User, "Hi")];
        let claude3 = "anthropic.claude-3-haiku-20240307-v1:0";
        let seed = build(request(
            claude3,
            hi(),
            Params {
                seed: Some(1),
                ..params()
            },
        ));
        assert!(matches!(seed, Err(AdapterError::Unsupported(m)) if m.starts_with("--seed")));
        let raw = build(request(
            claude3,
            hi(),
            Params {
                raw: true,
                ..params()
            },
        ));
        assert!(matches!(raw, Err(AdapterError::Unsupported(m)) if m.starts_with("--raw")));
        assert_refuses_malformed(claude3, build);
        testing::assert_text_only("anthropic.claude-v2:1", build);
        let image = |media_type: &str| vec![message(Role::User, vec![image(media_type)])];
        let bmp = build(request(claude3, image("image/bmp"), params()));
        assert!(matches!(bmp, Err(AdapterError::Unsupported(_))));
        let v2 = build(request("anthropic.claude-v2", image("image/png"), params()));
        assert!(matches!(v2, Err(AdapterError::Unsupported(_))));
        let raw_system = build(Request {
            system: Some("s".to_owned()),
            ..request(
                "anthropic.claude-v2",
                hi(),
                Params {
                    raw: true,
                    ..params()
                },
            )
        });
        assert!(matches!(raw_system, Err(AdapterError::InvalidRequest(_))));
    }
}
