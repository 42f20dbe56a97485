//! The plugin runtime: loading provider adapters from `.wasm` components and
//! running each request in a fresh, limited sandbox.
//!
//! `PluginRuntime` owns the engine, WASI linker and compile cache;
//! `PluginRegistry` finds and loads plugins and routes model ids to them;
//! a `LoadedPlugin` hands out one `Sandbox` per request.

mod bindings;
mod cache;
mod engine;
mod error;
mod limits;
mod loader;
mod log;
mod registry;
mod sandbox;

pub use bindings::{
    Body, CONTRACT_VERSION, Content, Event, Image, Message, Output, Params, PluginInfo, Request,
    Response, Role, Stop, StopReason, Usage,
};
pub use cache::CompileCache;
pub use engine::InstanceAllocation;
pub use error::{AdapterRefusal, Limit, PluginError};
pub use limits::SandboxLimits;
pub use loader::{LoadedPlugin, PluginRuntime};
pub use registry::{PLUGINS_ENV, PluginRegistry, PluginSources, RouteError};
pub use sandbox::Sandbox;
