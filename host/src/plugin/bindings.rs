//! Host-side bindings for the current contract line, `bedrock:adapter@0.2`
//! (`wit/since_v0.2.1`), generated at build time. Its types are the host's
//! own vocabulary for requests and answers: a plugin of an older line is
//! adapted to them (`since_v0_1`), never the other way round.
//!
//! The `embedder` interface (0.2.1) is optional: [`embedding`] holds its
//! bindings, over the same `types`, and the host loads it from an instance
//! only when the component exports it.
//!
//! Every export is called asynchronously, so that WASI calls a plugin makes
//! (a write to stderr) never block the tokio runtime the host runs on.

wasmtime::component::bindgen!({
    world: "provider",
    path: "../wit/since_v0.2.1",
    exports: { default: async },
    additional_derives: [serde::Serialize, serde::Deserialize],
});

pub use bedrock::adapter::types::{
    AdapterError, AttachmentLimits, Body, CachePoints, Capabilities, Content, Document, Event,
    Image, Message, ModelSupport, Output, Params, PluginInfo, Reasoning, ReasoningConfig,
    ReasoningEffort, Request, Response, Role, Stop, StopReason, Tool, ToolCall, ToolCallStart,
    ToolChoice, ToolResult, ToolResultPart, Usage,
};

/// The bindings of the `embedding-provider` world, of which the host uses
/// the `embedder` interface.
pub mod embedding {
    wasmtime::component::bindgen!({
        world: "embedding-provider",
        path: "../wit/since_v0.2.1",
        exports: { default: async },
        with: { "bedrock:adapter/types": super::bedrock::adapter::types },
        additional_derives: [serde::Serialize, serde::Deserialize],
    });

    pub use exports::bedrock::adapter::embedder::{
        EmbedderInfo, EmbeddingFormat, EmbeddingInput, EmbeddingModel, EmbeddingRequest,
        EmbeddingSet, Embeddings, Guest as Embedder, GuestIndices as EmbedderIndices, InputPurpose,
        Ranked, RerankModel, RerankRequest,
    };
}

impl embedding::EmbeddingFormat {
    /// The format's name, as `--embedding-type` and the JSON output spell it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Float => "float",
            Self::Int8 => "int8",
            Self::Uint8 => "uint8",
            Self::Binary => "binary",
            Self::Ubinary => "ubinary",
        }
    }
}

/// The contract version this host was built against: the newest it serves.
pub const CONTRACT_VERSION: &str = "0.2.1";

impl PluginInfo {
    /// The model patterns the plugin claims, in its order.
    pub fn patterns(&self) -> impl Iterator<Item = &str> {
        self.models.iter().map(|model| model.pattern.as_str())
    }
}
