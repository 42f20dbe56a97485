//! Host-side bindings for the `bedrock:adapter` contract, generated from
//! `wit/` at build time.
//!
//! Every export is called asynchronously, so that WASI calls a plugin makes
//! (a write to stderr) never block the tokio runtime the host runs on.

wasmtime::component::bindgen!({
    world: "provider",
    path: "../wit/since_v0.1.0",
    exports: { default: async },
});

pub use bedrock::adapter::types::{
    AdapterError, Body, Content, Event, Image, Message, Output, Params, PluginInfo, Request,
    Response, Role, Stop, StopReason, Usage,
};

/// The contract version this host was built against and serves.
pub const CONTRACT_VERSION: &str = "0.1.0";
