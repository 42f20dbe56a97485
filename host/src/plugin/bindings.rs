//! Host-side bindings for the current contract line, `bedrock:adapter@0.2`
//! (`wit/since_v0.2.0`), generated at build time. Its types are the host's
//! own vocabulary for requests and answers: a plugin of an older line is
//! adapted to them (`since_v0_1`), never the other way round.
//!
//! Every export is called asynchronously, so that WASI calls a plugin makes
//! (a write to stderr) never block the tokio runtime the host runs on.

wasmtime::component::bindgen!({
    world: "provider",
    path: "../wit/since_v0.2.0",
    exports: { default: async },
    additional_derives: [serde::Serialize, serde::Deserialize],
});

pub use bedrock::adapter::types::{
    AdapterError, AttachmentLimits, Body, CachePoints, Capabilities, Content, Document, Event,
    Image, Message, ModelSupport, Output, Params, PluginInfo, Reasoning, ReasoningConfig,
    ReasoningEffort, Request, Response, Role, Stop, StopReason, Tool, ToolCall, ToolCallStart,
    ToolChoice, ToolResult, ToolResultPart, Usage,
};

/// The contract version this host was built against: the newest it serves.
pub const CONTRACT_VERSION: &str = "0.2.0";

impl PluginInfo {
    /// The model patterns the plugin claims, in its order.
    pub fn patterns(&self) -> impl Iterator<Item = &str> {
        self.models.iter().map(|model| model.pattern.as_str())
    }
}
