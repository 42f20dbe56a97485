//! Which of Mistral's two Bedrock APIs a model id takes.
//!
//! AWS documents a text completion API (`prompt`, `max_tokens`, `stop`,
//! `temperature`, `top_p`, `top_k`; "Mistral AI text completion",
//! https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-mistral-text-completion.html)
//! for Mistral 7B Instruct, Mixtral 8x7B Instruct, Mistral Large (24.02) and
//! Mistral Small (24.02), and a chat completion API (`messages`,
//! `max_tokens`, `temperature`, `top_p`, `tools`, `tool_choice`; "Mistral AI
//! chat completion",
//! https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-mistral-chat-completion.html)
//! for Mistral Large (24.02, which takes both) and Large 2 (24.07), with
//! function tools. Invariant: the four text completion models are named
//! here by id and sent the completion shape, except Mistral Large 24.02
//! when the request uses tools (its chat shape has them); every other
//! `mistral.*` model (Large 2, Pixtral Large and the later ones) is sent
//! the chat shape, which is the one Mistral's models since 24.07 take.
//! Tools are claimed for the Mistral Large models only, the ones AWS's
//! chat completion page documents them for.

use bedrock_adapter_kit::models;
use bedrock_adapter_kit::types::{Capabilities, ModelSupport};

/// The body family a request is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    /// `{"prompt", "max_tokens", "stop", "temperature", "top_p", "top_k"}`.
    Completion,
    /// `{"messages", "max_tokens", "temperature", "top_p"}`.
    Chat,
}

/// Base-id prefixes of the text completion models
/// (`mistral.mistral-7b-instruct-v0:2`, `mistral.mixtral-8x7b-instruct-v0:1`,
/// `mistral.mistral-large-2402-v1:0`, `mistral.mistral-small-2402-v1:0`).
const COMPLETION_PREFIXES: &[&str] = &[
    "mistral.mistral-7b-instruct-",
    "mistral.mixtral-8x7b-instruct-",
    "mistral.mistral-large-2402-",
    "mistral.mistral-small-2402-",
];

/// Base-id prefix of Mistral Large 24.02, which takes both APIs.
const LARGE_2402_PREFIX: &str = "mistral.mistral-large-2402-";

/// The API for `model_id`, for a request that uses tools or not.
pub fn api_for(model_id: &str, uses_tools: bool) -> Api {
    if uses_tools && model_id.starts_with(LARGE_2402_PREFIX) {
        Api::Chat
    } else if COMPLETION_PREFIXES
        .iter()
        .any(|prefix| model_id.starts_with(prefix))
    {
        Api::Completion
    } else {
        Api::Chat
    }
}

/// The patterns `describe` reports, with what their models can do: each
/// text completion model (Mistral Large 24.02 with tools), Mistral Large 2
/// and later (`mistral-large-`, with tools), and every other `mistral.*`
/// model (text). None takes images, documents, reasoning or cache points
/// here.
pub fn supported() -> Vec<ModelSupport> {
    let with_tools = Capabilities {
        tools: true,
        ..models::text_only()
    };
    COMPLETION_PREFIXES
        .iter()
        .map(|prefix| format!("{prefix}*"))
        .chain(["mistral.mistral-large-*".to_owned(), "mistral.*".to_owned()])
        .map(|pattern| {
            let capabilities = if pattern.starts_with("mistral.mistral-large-") {
                with_tools.clone()
            } else {
                models::text_only()
            };
            ModelSupport {
                pattern,
                capabilities,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apis_by_id() {
        for id in [
            "mistral.mistral-7b-instruct-v0:2",
            "mistral.mixtral-8x7b-instruct-v0:1",
            "mistral.mistral-large-2402-v1:0",
            "mistral.mistral-small-2402-v1:0",
        ] {
            assert_eq!(api_for(id, false), Api::Completion, "{id}");
        }
        for id in [
            "mistral.mistral-large-2407-v1:0",
            "mistral.pixtral-large-2502-v1:0",
            "mistral.mistral-large-3-675b-instruct",
            "mistral.ministral-3-8b-instruct",
        ] {
            assert_eq!(api_for(id, false), Api::Chat, "{id}");
        }
        assert_eq!(api_for("mistral.mistral-large-2402-v1:0", true), Api::Chat);
        assert_eq!(
            api_for("mistral.mixtral-8x7b-instruct-v0:1", true),
            Api::Completion
        );
    }

    #[test]
    fn tools_for_mistral_large_only() {
        let models = supported();
        let tools = |id| models::capabilities_of(&models, id).map(|c| c.tools);
        assert_eq!(tools("mistral.mistral-large-2402-v1:0"), Some(true));
        assert_eq!(tools("mistral.mistral-large-2407-v1:0"), Some(true));
        assert_eq!(tools("mistral.mistral-small-2402-v1:0"), Some(false));
        assert_eq!(tools("mistral.mixtral-8x7b-instruct-v0:1"), Some(false));
        assert_eq!(tools("mistral.pixtral-large-2502-v1:0"), Some(false));
    }
}
