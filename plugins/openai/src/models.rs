//! The models this adapter claims and what they can do.
//!
//! AWS's "OpenAI models" page documents `openai.gpt-oss-20b-1:0` and
//! `openai.gpt-oss-120b-1:0`: text in, text out (no images or documents),
//! the request body of OpenAI's "Create chat completion", served by
//! InvokeModel and (as ListFoundationModels says,
//! `responseStreamingSupported: true`) InvokeModelWithResponseStream. The
//! chat completion body has function tools and gpt-oss takes a
//! `reasoning_effort`. Invariant: one pattern, `openai.gpt-oss-*`, claims
//! every gpt-oss id (the safeguard variants too: same family, same body),
//! and its capabilities are exactly what the request builder sends: a system
//! prompt, tools, reasoning, streaming; no attachments, no cache points.

use bedrock_adapter_kit::models;
use bedrock_adapter_kit::types::{Capabilities, ModelSupport};

/// The one pattern claimed.
pub const GPT_OSS: &str = "openai.gpt-oss-*";

/// The patterns `describe` reports, with what their models can do.
pub fn supported() -> Vec<ModelSupport> {
    vec![ModelSupport {
        pattern: GPT_OSS.to_owned(),
        capabilities: Capabilities {
            tools: true,
            reasoning: true,
            ..models::text_only()
        },
    }]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gpt_oss_only_with_tools_and_reasoning() {
        let models = supported();
        for id in [
            "openai.gpt-oss-20b-1:0",
            "openai.gpt-oss-120b-1:0",
            "openai.gpt-oss-safeguard-20b",
        ] {
            let capabilities = models::capabilities_of(&models, id).expect(id);
            assert!(capabilities.tools && capabilities.reasoning && capabilities.streaming);
            assert!(capabilities.images.is_none() && capabilities.documents.is_none());
            assert!(!capabilities.caching);
        }
        for id in ["deepseek.r1-v1:0", "qwen.qwen3-32b-v1:0", "openai.gpt-5.4"] {
            assert!(models::capabilities_of(&models, id).is_none(), "{id}");
        }
    }
}
