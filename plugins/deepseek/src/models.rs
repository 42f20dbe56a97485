//! Which model ids the adapter claims, and what those models can take.
//!
//! Only DeepSeek-R1 (`deepseek.r1-v1:0`, usually called through an
//! inference profile such as `us.deepseek.r1-v1:0`) reads the prompt-string
//! body this adapter writes (AWS, "DeepSeek models",
//! https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-deepseek.html).
//! DeepSeek V3.x takes another body and is not claimed here. Invariant: the
//! pattern `describe` reports and the capabilities checked before a request
//! is built come from this one table.

use bedrock_adapter_kit::models;
use bedrock_adapter_kit::types::{Capabilities, ModelSupport};

/// The patterns `describe` reports, with what their models can do:
/// DeepSeek-R1 takes text and a system prompt, streams, and always reasons
/// (`reasoning` is true because its answers carry reasoning; its body has
/// no setting for how much, so a reasoning setting is refused by name when
/// the request is built). It takes no tools, attachments or cache points.
pub fn supported() -> Vec<ModelSupport> {
    vec![ModelSupport {
        pattern: "deepseek.r1-*".to_owned(),
        capabilities: Capabilities {
            reasoning: true,
            ..models::text_only()
        },
    }]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_r1_is_claimed() {
        let models = supported();
        assert!(models::capabilities_of(&models, "deepseek.r1-v1:0").is_some_and(|c| c.reasoning));
        assert!(models::capabilities_of(&models, "deepseek.v3-v1:0").is_none());
        assert!(models::capabilities_of(&models, "deepseek.v3.1").is_none());
    }
}
