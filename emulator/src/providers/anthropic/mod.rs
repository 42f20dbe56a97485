//! The Anthropic Claude family: its model catalogue and the choice between its two body shapes,
//! the Messages API (`messages.rs`, every Claude model) and the legacy Text Completions API
//! (`text_completion.rs`, `prompt`/`completion`, only Claude Instant and Claude 2.x). Model ids
//! come from the fixtures' ListFoundationModels data; the `model` names Claude reports come from
//! recordings where one exists (e.g. `claude-3-sonnet-28k-20240229`, `claude-2.0`).

mod messages;
mod messages_reply;
mod messages_request;
mod text_completion;

use crate::api_error::ApiError;
use crate::providers::prompt_cache::PromptCache;
use crate::providers::{Reply, schema};

/// One Claude model Bedrock serves.
#[derive(Debug)]
pub(crate) struct AnthropicModel {
    /// The Bedrock base model id.
    id: &'static str,
    /// The `model` field of Messages API replies.
    reported_name: &'static str,
    /// Whether the model also accepts legacy Text Completions bodies.
    accepts_text_completions: bool,
}

const fn model(id: &'static str, reported_name: &'static str) -> AnthropicModel {
    AnthropicModel {
        id,
        reported_name,
        accepts_text_completions: false,
    }
}

const fn legacy_model(id: &'static str, reported_name: &'static str) -> AnthropicModel {
    AnthropicModel {
        id,
        reported_name,
        accepts_text_completions: true,
    }
}

const MODELS: &[AnthropicModel] = &[
    legacy_model("anthropic.claude-instant-v1", "claude-instant-1.2"),
    legacy_model("anthropic.claude-v2", "claude-2.0"),
    legacy_model("anthropic.claude-v2:1", "claude-2.1"),
    model(
        "anthropic.claude-3-haiku-20240307-v1:0",
        "claude-3-haiku-20240307",
    ),
    model(
        "anthropic.claude-3-sonnet-20240229-v1:0",
        "claude-3-sonnet-28k-20240229",
    ),
    model(
        "anthropic.claude-3-opus-20240229-v1:0",
        "claude-3-opus-20240229",
    ),
    model(
        "anthropic.claude-3-5-haiku-20241022-v1:0",
        "claude-3-5-haiku-20241022",
    ),
    model(
        "anthropic.claude-3-5-sonnet-20240620-v1:0",
        "claude-3-5-sonnet-20240620",
    ),
    model(
        "anthropic.claude-3-5-sonnet-20241022-v2:0",
        "claude-3-5-sonnet-20241022",
    ),
    model(
        "anthropic.claude-3-7-sonnet-20250219-v1:0",
        "claude-3-7-sonnet-20250219",
    ),
    model(
        "anthropic.claude-sonnet-4-20250514-v1:0",
        "claude-sonnet-4-20250514",
    ),
    model(
        "anthropic.claude-opus-4-20250514-v1:0",
        "claude-opus-4-20250514",
    ),
    model(
        "anthropic.claude-opus-4-1-20250805-v1:0",
        "claude-opus-4-1-20250805",
    ),
    model(
        "anthropic.claude-sonnet-4-5-20250929-v1:0",
        "claude-sonnet-4-5-20250929",
    ),
    model(
        "anthropic.claude-haiku-4-5-20251001-v1:0",
        "claude-haiku-4-5-20251001",
    ),
    model(
        "anthropic.claude-opus-4-5-20251101-v1:0",
        "claude-opus-4-5-20251101",
    ),
    model("anthropic.claude-haiku-4-5", "claude-haiku-4-5"),
    model("anthropic.claude-sonnet-4-6", "claude-sonnet-4-6"),
    model("anthropic.claude-opus-4-6-v1", "claude-opus-4-6"),
    model("anthropic.claude-opus-4-7", "claude-opus-4-7"),
    model("anthropic.claude-opus-4-8", "claude-opus-4-8"),
    model("anthropic.claude-sonnet-5", "claude-sonnet-5"),
    model("anthropic.claude-opus-5", "claude-opus-5"),
    model("anthropic.claude-fable-5", "claude-fable-5"),
];

/// The Claude model with this base id.
pub(crate) fn lookup(base_model_id: &str) -> Option<&'static AnthropicModel> {
    MODELS.iter().find(|model| model.id == base_model_id)
}

/// Validates `body` for `model` and generates the reply in the matching shape.
pub(crate) fn invoke(
    model: &'static AnthropicModel,
    body: &[u8],
    cache: &PromptCache,
) -> Result<Box<dyn Reply>, ApiError> {
    let object = schema::parse_object(body)?;
    let is_text_completion = model.accepts_text_completions
        && object.contains_key("prompt")
        && !object.contains_key("messages");
    if is_text_completion {
        text_completion::invoke(&object)
    } else {
        messages::invoke(model.reported_name, &object, cache)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::testing::{assert_catalogue, response_json};

    #[test]
    fn catalogue_ids_are_unique_and_anthropic() {
        assert_catalogue(MODELS.iter().map(|model| model.id), "anthropic.claude-");
    }

    #[test]
    fn claude_3_does_not_take_text_completion_bodies() {
        let model = lookup("anthropic.claude-3-haiku-20240307-v1:0").expect("catalogued");
        let error = invoke(
            model,
            br#"{"prompt": "\n\nHuman: hi\n\nAssistant:", "max_tokens_to_sample": 5}"#,
            &PromptCache::default(),
        )
        .err()
        .expect("a Messages body is required");
        assert!(
            error
                .message()
                .contains("#: required key [messages] not found"),
            "{}",
            error.message()
        );
    }

    #[test]
    fn claude_2_takes_both_shapes() {
        let model = lookup("anthropic.claude-v2").expect("catalogued");
        let legacy = invoke(
            model,
            br#"{"prompt": "\n\nHuman: hi\n\nAssistant:", "max_tokens_to_sample": 5}"#,
            &PromptCache::default(),
        )
        .expect("text completion body");
        let body = response_json(legacy.as_ref());
        assert!(body.get("completion").is_some());
        let messages = invoke(
            model,
            br#"{"anthropic_version": "bedrock-2023-05-31", "max_tokens": 5,
                 "messages": [{"role": "user", "content": "hi"}]}"#,
            &PromptCache::default(),
        )
        .expect("messages body");
        let body = response_json(messages.as_ref());
        assert_eq!(body["model"], "claude-2.0");
    }
}
