//! Which of Anthropic's two Bedrock APIs a request goes to, by model id.
//!
//! Every Claude model on Bedrock, including Claude 2.x and Claude Instant,
//! takes the Messages API, so that is what a request uses. The legacy text
//! completions API (`prompt` + `max_tokens_to_sample`) exists only for
//! Claude 2.x and Instant, and is used only for `--raw`, the one case where
//! the user hands over a ready-made `\n\nHuman: ...\n\nAssistant:` prompt.
//! Invariant: a request for a Claude 3 or later model never gets the text
//! completions body, and `--raw` never silently becomes a chat request.

use bedrock_adapter_kit::models;
use bedrock_adapter_kit::types::{AdapterError, Capabilities, ModelSupport};

/// The body family a request is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    /// `{"anthropic_version", "max_tokens", "messages", ...}`.
    Messages,
    /// `{"prompt", "max_tokens_to_sample", ...}`: Claude 2.x and Instant.
    TextCompletion,
}

/// Base-id prefixes of the models that also take text completions: Claude
/// 1.x/2.x (`anthropic.claude-v2`, `anthropic.claude-v2:1`) and Claude
/// Instant (`anthropic.claude-instant-v1`), with any `:context` suffix.
const LEGACY_PREFIXES: &[&str] = &["anthropic.claude-v", "anthropic.claude-instant-"];

/// The image types Claude reads.
pub const IMAGE_TYPES: &[&str] = &["image/jpeg", "image/png", "image/gif", "image/webp"];

/// The largest image Claude takes: 5 MB of base64 (Anthropic's limit),
/// 3.75 MB of image (and 8000 px a side, which the host checks).
const IMAGE_MAX_BYTES: u64 = 3_750_000;

/// The most images in one request on Bedrock.
const IMAGE_MAX_COUNT: u32 = 20;

/// The largest document: Bedrock's 4.5 MB.
const DOCUMENT_MAX_BYTES: u64 = 4_500_000;

/// The most documents in one request on Bedrock.
const DOCUMENT_MAX_COUNT: u32 = 5;

/// What a Messages API model takes beyond text and images.
#[derive(Debug, Clone, Copy)]
struct Takes {
    documents: bool,
    reasoning: bool,
    caching: bool,
}

/// The Claude 3 and later models by base-id prefix, with what each takes
/// on Bedrock (AWS, "Anthropic Claude Messages API", and "Prompt caching
/// for faster model inference": PDFs from Claude 3.5, extended thinking
/// from Claude 3.7 Sonnet, prompt caching on Claude 3.5 Haiku, 3.7 Sonnet
/// and Claude 4). Every one takes tools and images. The first prefix that
/// matches wins, as the host picks patterns: specific ones come first.
const MESSAGES_MODELS: &[(&str, Takes)] = &[
    (
        "anthropic.claude-haiku-4",
        Takes {
            documents: true,
            reasoning: true,
            caching: true,
        },
    ),
    (
        "anthropic.claude-opus-4",
        Takes {
            documents: true,
            reasoning: true,
            caching: true,
        },
    ),
    (
        "anthropic.claude-sonnet-4",
        Takes {
            documents: true,
            reasoning: true,
            caching: true,
        },
    ),
    (
        "anthropic.claude-3-7-sonnet-",
        Takes {
            documents: true,
            reasoning: true,
            caching: true,
        },
    ),
    (
        "anthropic.claude-3-5-haiku-",
        Takes {
            documents: true,
            reasoning: false,
            caching: true,
        },
    ),
    (
        "anthropic.claude-3-5-",
        Takes {
            documents: true,
            reasoning: false,
            caching: false,
        },
    ),
    (
        "anthropic.claude-",
        Takes {
            documents: false,
            reasoning: false,
            caching: false,
        },
    ),
];

/// The patterns `describe` reports, with what their models can do: Claude
/// 2.x and Instant read text; Claude 3 and later take tools and images (up
/// to 20 per request, of 3.75 MB and 8000 px a side at most), and, by
/// model, documents (PDF as base64, text, Markdown, CSV and HTML as text;
/// up to 5 of 4.5 MB), extended thinking and prompt caching.
pub fn supported() -> Vec<ModelSupport> {
    let legacy = LEGACY_PREFIXES.iter().map(|prefix| ModelSupport {
        pattern: format!("{prefix}*"),
        capabilities: models::text_only(),
    });
    let documents: Vec<&str> = ["application/pdf"]
        .into_iter()
        .chain(crate::blocks::TEXT_DOCUMENT_TYPES.iter().copied())
        .collect();
    let messages = models::supports(MESSAGES_MODELS, |takes| Capabilities {
        tools: true,
        images: Some(models::limits(
            IMAGE_TYPES,
            IMAGE_MAX_BYTES,
            IMAGE_MAX_COUNT,
        )),
        documents: takes
            .documents
            .then(|| models::limits(&documents, DOCUMENT_MAX_BYTES, DOCUMENT_MAX_COUNT)),
        reasoning: takes.reasoning,
        caching: takes.caching,
        ..models::text_only()
    });
    legacy.chain(messages).collect()
}

/// The capabilities `describe` gives `model_id` (text only for an id it
/// does not claim).
pub fn capabilities(model_id: &str) -> Capabilities {
    models::capabilities_of(&supported(), model_id)
        .cloned()
        .unwrap_or_else(models::text_only)
}

/// Whether `model_id` is a Claude 2.x / Instant model.
pub fn is_legacy(model_id: &str) -> bool {
    LEGACY_PREFIXES
        .iter()
        .any(|prefix| model_id.starts_with(prefix))
}

/// Picks the API for `model_id`; `raw` asks for the prompt to go as is.
pub fn api_for(model_id: &str, raw: bool) -> Result<Api, AdapterError> {
    match (raw, is_legacy(model_id)) {
        (false, _) => Ok(Api::Messages),
        (true, true) => Ok(Api::TextCompletion),
        (true, false) => Err(AdapterError::Unsupported(format!(
            "--raw: {model_id} takes only the Messages API, which has no raw prompt \
             (only Claude 2.x and Claude Instant take a raw text-completion prompt)"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_ids() {
        for id in [
            "anthropic.claude-v2",
            "anthropic.claude-v2:1",
            "anthropic.claude-v2:1:200k",
            "anthropic.claude-instant-v1",
        ] {
            assert!(is_legacy(id), "{id}");
        }
        for id in [
            "anthropic.claude-3-sonnet-20240229-v1:0",
            "anthropic.claude-3-5-haiku-20241022-v1:0",
            "anthropic.claude-sonnet-4-20250514-v1:0",
            "anthropic.claude-opus-4-5-20251101-v1:0",
        ] {
            assert!(!is_legacy(id), "{id}");
        }
    }

    #[test]
    fn routing() {
        assert_eq!(api_for("anthropic.claude-v2", false), Ok(Api::Messages));
        assert_eq!(
            api_for("anthropic.claude-instant-v1", true),
            Ok(Api::TextCompletion)
        );
        assert!(matches!(
            api_for("anthropic.claude-3-haiku-20240307-v1:0", true),
            Err(AdapterError::Unsupported(msg)) if msg.starts_with("--raw")
        ));
    }
}
