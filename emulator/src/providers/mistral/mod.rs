//! The Mistral AI family on Bedrock: its model catalogue, request validation and reply shapes.
//! Two body shapes exist (AWS's Mistral parameter pages): text completion, `{"prompt",
//! "max_tokens", "stop", "temperature", "top_p", "top_k"}` answered with `{"outputs":[{"text",
//! "stop_reason"}]}` (Mistral 7B, Mixtral, Large and Small 24.02; recorded by OTel and New
//! Relic), and chat completion, `{"messages", "max_tokens", "stop", "temperature", "top_p",
//! "tools", "tool_choice"}` answered with `{"choices":[{"index","message":{"role","content"},
//! "stop_reason"}]}` (Large 24.02 and later; documented only). Both stream one chunk per piece in
//! their own shape, the last carrying the stop reason and the invocation metrics. Stop reasons are
//! `stop` (natural end or stop sequence), `length` and, in chat, `tool_calls`.
//!
//! Chat bodies may carry function `tools` and `tool_choice` (`auto`, `any`, `none`), assistant
//! turns with `tool_calls` and `tool` turns answering them (see [`crate::providers::chat_tools`]).
//! A tool named in the last turn, when it is the user's, or forced by `any`, is called under the
//! rule of [`crate::providers::tools`]: the answer's message has empty `content` and one
//! `tool_calls` entry (`id` of 22 alphanumerics derived from the prompt, `arguments` a JSON
//! string), stop reason `tool_calls`; streamed, that message comes whole in one chunk.

use serde::Serialize;

use crate::api_error::ApiError;
use crate::generator::{Finish, Generation, GenerationRequest, generate};
use crate::providers::chat_prompt::{self, ChatPrompt, Parts};
use crate::providers::chat_tools::{self, FunctionCall};
use crate::providers::prompt::last_user_text;
use crate::providers::schema::{self, Violations};
use crate::providers::tools::{ToolChoice, call_id, chosen_call};
use crate::providers::{InvocationMetrics, Reply, TokenUsage, chunk_per_piece, count_words};

/// One Mistral model Bedrock serves.
#[derive(Debug)]
pub(crate) struct MistralModel {
    /// The Bedrock base model id.
    id: &'static str,
    /// Which body shapes the model takes.
    api: Api,
    /// `max_tokens` when the request sets none.
    default_max_tokens: u32,
    /// The largest accepted `max_tokens`.
    max_tokens: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Api {
    TextCompletion,
    Both,
    Chat,
}

const MODELS: &[MistralModel] = &[
    MistralModel {
        id: "mistral.mistral-7b-instruct-v0:2",
        api: Api::TextCompletion,
        default_max_tokens: 512,
        max_tokens: 8192,
    },
    MistralModel {
        id: "mistral.mixtral-8x7b-instruct-v0:1",
        api: Api::TextCompletion,
        default_max_tokens: 512,
        max_tokens: 4096,
    },
    MistralModel {
        id: "mistral.mistral-large-2402-v1:0",
        api: Api::Both,
        default_max_tokens: 8192,
        max_tokens: 8192,
    },
    MistralModel {
        id: "mistral.mistral-small-2402-v1:0",
        api: Api::Both,
        default_max_tokens: 8192,
        max_tokens: 8192,
    },
    MistralModel {
        id: "mistral.mistral-large-2407-v1:0",
        api: Api::Chat,
        default_max_tokens: 8192,
        max_tokens: 8192,
    },
    MistralModel {
        id: "mistral.pixtral-large-2502-v1:0",
        api: Api::Chat,
        default_max_tokens: 8192,
        max_tokens: 8192,
    },
];

const TEXT_KEYS: &[&str] = &[
    "prompt",
    "max_tokens",
    "stop",
    "temperature",
    "top_p",
    "top_k",
];
const CHAT_KEYS: &[&str] = &[
    "messages",
    "max_tokens",
    "stop",
    "temperature",
    "top_p",
    "tools",
    "tool_choice",
    "response_format",
];
const ROLES: &[&str] = &["system", "user", "assistant", "tool"];
const TOOL_CHOICES: &[&str] = &["auto", "any", "none"];
/// Characters of a tool call id (AWS's example: `v6RMMiRlT7ygYkT4uULjtg`).
const TOOL_CALL_ID_LENGTH: usize = 22;
/// At most this many stop sequences.
const MAX_STOP_SEQUENCES: usize = 10;

/// The Mistral model with this base id.
pub(crate) fn lookup(base_model_id: &str) -> Option<&'static MistralModel> {
    MODELS.iter().find(|model| model.id == base_model_id)
}

/// Validates `body` for `model` and generates the reply in the matching shape.
pub(crate) fn invoke(
    model: &'static MistralModel,
    body: &[u8],
) -> Result<Box<dyn Reply>, ApiError> {
    let object = schema::parse_object(body)?;
    let chat = match model.api {
        Api::TextCompletion => false,
        Api::Chat => true,
        Api::Both => object.contains_key("messages") || !object.contains_key("prompt"),
    };
    let mut violations = Violations::default();
    let keys = if chat { CHAT_KEYS } else { TEXT_KEYS };
    schema::reject_unknown_keys(&object, "#", keys, &mut violations);
    let prompt = if chat {
        chat_prompt::read(&object, ROLES, Parts::TextOfAny, &mut violations)
    } else {
        schema::required_string(&object, "#", "prompt", &mut violations).map(|prompt| ChatPrompt {
            seed: prompt.to_owned(),
            user: last_user_text(prompt).to_owned(),
            words: String::new(),
            tool_turns: Vec::new(),
        })
    };
    let tools = if chat {
        chat_tools::function_tools(&object, &mut violations)
    } else {
        Vec::new()
    };
    let tool_choice =
        match schema::optional_enum(&object, "#", "tool_choice", TOOL_CHOICES, &mut violations) {
            Some("any") => ToolChoice::Any,
            Some("none") => ToolChoice::None,
            _ => ToolChoice::Auto,
        };
    let max_tokens = schema::optional_count(
        &object,
        "#",
        "max_tokens",
        1..=model.max_tokens,
        &mut violations,
    );
    let stop_sequences =
        schema::optional_string_list(&object, "#", "stop", MAX_STOP_SEQUENCES, &mut violations);
    schema::optional_number(&object, "#", "temperature", 0.0..=1.0, &mut violations);
    schema::optional_number(&object, "#", "top_p", 0.0..=1.0, &mut violations);
    if !chat {
        schema::optional_integer(&object, "#", "top_k", 1..=200, &mut violations);
    }
    violations.into_result()?;
    let Some(prompt) = prompt else {
        return Err(ApiError::internal("validated Mistral body has no prompt"));
    };
    chat_tools::check_tool_turns(&prompt.tool_turns)?;

    let generation = generate(&GenerationRequest {
        seed_text: &prompt.seed,
        echo_text: &prompt.user,
        max_tokens: max_tokens.unwrap_or(model.default_max_tokens),
        stop_sequences: &stop_sequences,
    });
    let tool_call = chosen_call(&tools, &tool_choice, &prompt.words).map(|call| {
        let id = call_id(
            "",
            TOOL_CALL_ID_LENGTH,
            &format!("{}\n{}", prompt.seed, call.name),
        );
        FunctionCall::new(id, call.name, &call.input)
    });
    Ok(Box::new(MistralReply {
        chat,
        input_tokens: count_words(&prompt.seed).saturating_add(chat_prompt::tool_tokens(&tools)),
        generation,
        tool_call,
    }))
}

struct MistralReply {
    chat: bool,
    input_tokens: u32,
    generation: Generation,
    /// The call the model makes instead of answering with `generation`.
    tool_call: Option<FunctionCall>,
}

#[derive(Serialize)]
struct Output<'a> {
    text: &'a str,
    stop_reason: Option<&'static str>,
}

#[derive(Serialize)]
struct Choice<'a> {
    index: u32,
    message: ChatMessage<'a>,
    stop_reason: Option<&'static str>,
}

#[derive(Serialize)]
struct ChatMessage<'a> {
    role: &'static str,
    content: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    tool_calls: Option<[&'a FunctionCall; 1]>,
}

/// A reply body or stream chunk in either shape.
#[derive(Serialize)]
#[serde(untagged)]
enum Body<'a> {
    TextCompletion {
        outputs: [Output<'a>; 1],
        #[serde(
            rename = "amazon-bedrock-invocationMetrics",
            skip_serializing_if = "Option::is_none"
        )]
        invocation_metrics: Option<&'a InvocationMetrics>,
    },
    Chat {
        choices: [Choice<'a>; 1],
        #[serde(
            rename = "amazon-bedrock-invocationMetrics",
            skip_serializing_if = "Option::is_none"
        )]
        invocation_metrics: Option<&'a InvocationMetrics>,
    },
}

impl MistralReply {
    fn stop_reason(&self) -> &'static str {
        if self.tool_call.is_some() {
            return "tool_calls";
        }
        match self.generation.finish {
            Finish::MaxTokens => "length",
            Finish::Natural | Finish::StopSequence(_) => "stop",
        }
    }

    fn output_tokens(&self) -> u32 {
        match &self.tool_call {
            Some(call) => count_words(&call.function.arguments).max(1),
            None => self.generation.output_tokens,
        }
    }

    fn body<'a>(
        &'a self,
        text: &'a str,
        stop_reason: Option<&'static str>,
        invocation_metrics: Option<&'a InvocationMetrics>,
    ) -> Body<'a> {
        if self.chat {
            Body::Chat {
                choices: [Choice {
                    index: 0,
                    message: ChatMessage {
                        role: "assistant",
                        content: text,
                        tool_calls: self.tool_call.as_ref().map(|call| [call]),
                    },
                    stop_reason,
                }],
                invocation_metrics,
            }
        } else {
            Body::TextCompletion {
                outputs: [Output { text, stop_reason }],
                invocation_metrics,
            }
        }
    }
}

impl Reply for MistralReply {
    fn usage(&self) -> Option<TokenUsage> {
        Some(TokenUsage {
            input_tokens: self.input_tokens,
            output_tokens: self.output_tokens(),
            cache: None,
        })
    }

    fn response_body(&self) -> Result<Vec<u8>, serde_json::Error> {
        let text = match self.tool_call {
            Some(_) => String::new(),
            None => self.generation.text(),
        };
        serde_json::to_vec(&self.body(&text, Some(self.stop_reason()), None))
    }

    fn stream_chunks(
        &self,
        metrics: &InvocationMetrics,
    ) -> Result<Vec<Vec<u8>>, serde_json::Error> {
        if self.tool_call.is_some() {
            return Ok(vec![serde_json::to_vec(&self.body(
                "",
                Some(self.stop_reason()),
                Some(metrics),
            ))?]);
        }
        chunk_per_piece(&self.generation.pieces, |piece| {
            serde_json::to_vec(&self.body(
                piece.text,
                piece.is_last.then(|| self.stop_reason()),
                piece.is_last.then_some(metrics),
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::testing::{assert_catalogue, reply, response_json};
    use serde_json::json;

    #[test]
    fn catalogue_ids_are_unique_and_mistral() {
        assert_catalogue(MODELS.iter().map(|model| model.id), "mistral.");
    }

    #[test]
    fn text_completion_violations_are_reported() {
        let error = reply(
            "mistral.mixtral-8x7b-instruct-v0:1",
            &json!({"messages": [], "max_tokens": 5000, "top_k": 0, "stop": "x"}),
        )
        .err()
        .expect("invalid");
        assert_eq!(
            error.message(),
            "Malformed input request: #: extraneous key [messages] is not permitted#: required \
             key [prompt] not found#/max_tokens: 5000 is not less or equal to 4096#/stop: \
             expected type: JSONArray, found: String#/top_k: 0 is not greater or equal to 1, \
             please reformat your input and try again."
        );
    }

    #[test]
    fn large_2402_takes_both_shapes_and_2407_only_chat() {
        let text = reply(
            "mistral.mistral-large-2402-v1:0",
            &json!({"prompt": "<s>[INST] one two three [/INST]", "max_tokens": 2}),
        )
        .expect("text completion");
        assert_eq!(
            response_json(text.as_ref()),
            json!({"outputs": [{"text": "one two", "stop_reason": "length"}]})
        );
        let chat = reply(
            "mistral.mistral-large-2402-v1:0",
            &json!({"messages": [{"role": "user", "content": "one two three"}], "stop": ["three"]}),
        )
        .expect("chat");
        assert_eq!(
            response_json(chat.as_ref()),
            json!({"choices": [{"index": 0, "message": {"role": "assistant", "content": "one two "}, "stop_reason": "stop"}]})
        );
        let error = reply("mistral.mistral-large-2407-v1:0", &json!({"prompt": "hi"}))
            .err()
            .expect("chat only");
        assert!(
            error
                .message()
                .contains("#: required key [messages] not found")
        );
    }
}
