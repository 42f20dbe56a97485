//! Which AI21 model family a model id names.
//!
//! Jamba (`ai21.jamba-instruct-v1:0`, `ai21.jamba-1-5-mini-v1:0`,
//! `ai21.jamba-1-5-large-v1:0`) takes a chat body (AWS, "AI21 Labs Jamba
//! models",
//! https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-jamba.html).
//! Jurassic-2 (`ai21.j2-mid-v1`, `ai21.j2-ultra-v1`) took a prompt body; it
//! is no longer in Bedrock's model list, so the adapter writes no request
//! for it, but real recorded traffic of its responses exists and is read.
//! Invariant: a Jurassic-2 id never gets a Jamba body.

use bedrock_adapter_kit::models;
use bedrock_adapter_kit::types::{AdapterError, Capabilities, ModelSupport};

/// Base-id prefix of the Jurassic-2 models.
const JURASSIC2_PREFIX: &str = "ai21.j2-";

/// The patterns `describe` reports, with what their models can do: Jamba
/// 1.5 (Mini, Large) with function tools, as AI21's Jamba chat reference
/// gives them; Jamba Instruct, text; and Jurassic-2, which Bedrock never
/// streamed. None takes attachments, reasoning or cache points here.
pub fn supported() -> Vec<ModelSupport> {
    vec![
        ModelSupport {
            pattern: "ai21.jamba-1-5-*".to_owned(),
            capabilities: Capabilities {
                tools: true,
                ..models::text_only()
            },
        },
        ModelSupport {
            pattern: "ai21.jamba-*".to_owned(),
            capabilities: models::text_only(),
        },
        ModelSupport {
            pattern: format!("{JURASSIC2_PREFIX}*"),
            capabilities: Capabilities {
                streaming: false,
                ..models::text_only()
            },
        },
    ]
}

/// Refuses to write a request for a model the adapter only reads.
pub fn check_writable(model_id: &str) -> Result<(), AdapterError> {
    if model_id.starts_with(JURASSIC2_PREFIX) {
        Err(AdapterError::Unsupported(format!(
            "{model_id}: Jurassic-2 is no longer offered on Bedrock; this adapter reads its \
             responses but writes requests for Jamba only"
        )))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jurassic2_is_read_only() {
        for id in ["ai21.j2-mid-v1", "ai21.j2-ultra-v1"] {
            assert!(matches!(
                check_writable(id),
                Err(AdapterError::Unsupported(_))
            ));
        }
        for id in [
            "ai21.jamba-instruct-v1:0",
            "ai21.jamba-1-5-mini-v1:0",
            "ai21.jamba-1-5-large-v1:0",
        ] {
            assert_eq!(check_writable(id), Ok(()), "{id}");
        }
    }
}
