//! Which model ids the adapter claims, and what those models can take.
//!
//! Palmyra X4 (`writer.palmyra-x4-v1:0`) and X5 (`writer.palmyra-x5-v1:0`)
//! take the same InvokeModel body (AWS, "Writer Palmyra X4",
//! https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-palmyra-x4.html,
//! and "Writer Palmyra X5"). AWS documents text messages only for that
//! body: no tools, images, documents or reasoning setting (Writer's own API
//! has tools, but AWS's InvokeModel pages do not list them), so none is
//! claimed. Palmyra Vision takes another body and is not claimed. Invariant:
//! the patterns `describe` reports and the capabilities checked before a
//! request is built come from this one table.

use bedrock_adapter_kit::models;
use bedrock_adapter_kit::types::ModelSupport;

/// The patterns `describe` reports: text, a system prompt and streaming.
pub fn supported() -> Vec<ModelSupport> {
    ["writer.palmyra-x4-*", "writer.palmyra-x5-*"]
        .into_iter()
        .map(|pattern| ModelSupport {
            pattern: pattern.to_owned(),
            capabilities: models::text_only(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn x4_and_x5_only() {
        let models = supported();
        for id in ["writer.palmyra-x4-v1:0", "writer.palmyra-x5-v1:0"] {
            assert_eq!(
                models::capabilities_of(&models, id),
                Some(&models::text_only())
            );
        }
        assert!(models::capabilities_of(&models, "writer.palmyra-vision-7b").is_none());
    }
}
