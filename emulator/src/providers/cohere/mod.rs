//! The Cohere family on Bedrock: its text model catalogue and the choice between its two body
//! shapes, Command's `prompt` / `generations` (`command.rs`: Command and Command Light) and
//! Command R's `message` / `chat_history` (`command_r.rs`: Command R and R+). Model ids come from
//! the recordings (OTel, dd-trace, New Relic) and the notebook.

mod command;
mod command_r;
pub(crate) mod embed;

use crate::api_error::ApiError;
use crate::providers::{Reply, schema};

/// One Cohere text model.
#[derive(Debug)]
pub(crate) struct CohereModel {
    /// The Bedrock base model id.
    id: &'static str,
    /// Whether the model speaks the Command R chat body.
    chat: bool,
}

const MODELS: &[CohereModel] = &[
    CohereModel {
        id: "cohere.command-text-v14",
        chat: false,
    },
    CohereModel {
        id: "cohere.command-light-text-v14",
        chat: false,
    },
    CohereModel {
        id: "cohere.command-r-v1:0",
        chat: true,
    },
    CohereModel {
        id: "cohere.command-r-plus-v1:0",
        chat: true,
    },
];

/// The Cohere text model with this base id.
pub(crate) fn lookup(base_model_id: &str) -> Option<&'static CohereModel> {
    MODELS.iter().find(|model| model.id == base_model_id)
}

/// Validates `body` for `model` and generates the reply in the model's shape.
pub(crate) fn invoke(model: &'static CohereModel, body: &[u8]) -> Result<Box<dyn Reply>, ApiError> {
    let object = schema::parse_object(body)?;
    if model.chat {
        command_r::invoke(&object)
    } else {
        command::invoke(&object)
    }
}

/// A fresh Cohere-style id (a UUID).
fn fresh_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::testing::assert_catalogue;

    #[test]
    fn catalogue_ids_are_unique_and_cohere() {
        assert_catalogue(MODELS.iter().map(|model| model.id), "cohere.command");
    }

    #[test]
    fn command_r_does_not_take_command_bodies() {
        let model = lookup("cohere.command-r-v1:0").expect("catalogued");
        let error = invoke(model, br#"{"prompt": "hi", "max_tokens": 5}"#)
            .err()
            .expect("a chat body is required");
        assert!(
            error
                .message()
                .contains("#: required key [message] not found"),
            "{}",
            error.message()
        );
    }
}
