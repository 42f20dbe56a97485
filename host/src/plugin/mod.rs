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
mod output;
mod printable;
mod registry;
mod sandbox;

pub use bindings::{
    Body, CONTRACT_VERSION, Content, Event, Image, Message, Output, Params, PluginInfo, Request,
    Response, Role, Stop, StopReason, Usage,
};
pub use cache::CompileCache;
pub use error::{AdapterRefusal, Limit, PluginError};
pub use limits::SandboxLimits;
pub use loader::{LoadedPlugin, PluginRuntime, validate_info};
pub use output::{body_size, check_output_size, describe_size, events_size, response_size};
pub use printable::printable;
pub use registry::{PLUGINS_ENV, PluginRegistry, PluginSources, RouteError};
pub use sandbox::Sandbox;
