//! The plugin runtime: loading provider adapters from `.wasm` components and
//! running each request in a fresh, limited sandbox.
//!
//! `PluginRuntime` owns the engine, WASI linker and compile cache (whose
//! entries, compiled code and `describe` answers, are authenticated);
//! `PluginRegistry` finds and loads plugins and routes model ids to them
//! (the rule is `routing`'s);
//! a `LoadedPlugin` is compiled at its first sandbox and hands out one
//! `Sandbox` per request, whichever contract line it was built against
//! (`bindings` is the current line, `since_v0_1` adapts the older one;
//! `event_model` holds both to the contract's rules). `PluginLock` pins
//! each plugin's bytes, and `inspect` reads a file without running it.
//! `source` fetches an adapter to install, `signature` and `trust_file` say
//! who signed it and what its publisher may claim, and `installed` records
//! what `plugins install` placed.

mod bindings;
mod budget;
mod cache;
mod cache_entry;
mod cache_key;
mod cached_answer;
mod capabilities;
mod describe_check;
mod engine;
mod error;
mod event_model;
mod inspect;
mod installed;
mod limits;
mod loader;
mod lock;
mod log;
mod output;
mod printable;
pub(crate) mod private_fs;
mod registry;
mod routing;
mod sandbox;
mod signature;
mod since_v0_1;
mod source;
mod trust_file;

pub use bindings::embedding;
pub use bindings::{
    AttachmentLimits, Body, CONTRACT_VERSION, CachePoints, Capabilities, Content, Document, Event,
    Image, Message, ModelSupport, Output, Params, PluginInfo, Reasoning, ReasoningConfig,
    ReasoningEffort, Request, Response, Role, Stop, StopReason, Tool, ToolCall, ToolCallStart,
    ToolChoice, ToolResult, ToolResultPart, Usage,
};
pub use budget::{RequestBudget, RequestLimits};
pub use cache::CompileCache;
pub use capabilities::{AttachmentSort, Subject, Unsupported};
pub use describe_check::{DescribeRefusal, validate_info};
pub use engine::InstanceAllocation;
pub use error::{AdapterRefusal, Limit, PluginError};
pub use inspect::{InspectError, Inspection, Item, WasmKind, inspect};
pub use installed::{
    INSTALLED_FILE_NAME, InstalledError, InstalledPlugin, InstalledPlugins, PREVIOUS_DIR_NAME,
};
pub use limits::SandboxLimits;
pub use loader::{LoadedPlugin, Pin, PluginRuntime, served_contracts};
pub use lock::{LOCK_FILE_NAME, LockError, PluginLock, sha256_hex};
pub use output::{body_size, check_output_size, describe_size, events_size, response_size};
pub use printable::{printable, terminal_text};
pub use registry::{
    DuplicateName, PLUGINS_ENV, PluginRegistry, PluginSources, Routed, file_name, file_stem,
    wasm_files,
};
pub use routing::{
    Candidate, Decision, Grant, Reason, RouteError, RoutingRule, RoutingTable, UserChoice,
    pattern_matches,
};
pub use sandbox::{PluginCode, Sandbox};
pub use signature::{
    SignatureError, Signer, TrustedKey, generate_key_pair, key_id, parse_public_key,
    parse_secret_key, public_key_of, sign, verify,
};
pub use source::{
    Fetched, Source, SourceError, WASM_CONFIG_MEDIA_TYPE, WASM_LAYER_MEDIA_TYPE, is_loopback,
    oci_client,
};
pub use trust_file::{Publisher, TRUST_ENV, TRUST_FILE_NAME, TrustFile, TrustFileError};
