//! `bedrock-host`: a command-line host for Amazon Bedrock whose provider
//! adapters are sandboxed WebAssembly components.
//!
//! The host owns everything that talks to AWS (credentials, region, SigV4,
//! retries, the event-stream loop); each model family's JSON lives in a
//! plugin that conforms to the `bedrock:adapter` contract in `wit/`. Nothing
//! in this crate names a provider.

pub mod aws;
pub mod cli;
pub mod config;
pub mod history;
pub mod invocation;
pub mod lifecycle;
pub mod model_id;
pub mod paths;
pub mod plugin;
