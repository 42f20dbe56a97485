//! End-to-end tests: the `bedrock-host` binary, the real plugin `.wasm`
//! components from `target/plugins`, the real AWS SDK over HTTP, and the
//! local Bedrock. Nothing of our own is mocked.
//!
//! Run through `cargo xtask test`, which builds the plugins first.

mod attachments;
mod authoring;
mod batch;
mod boto3;
mod cache;
mod cli;
mod config;
mod credentials;
mod embeddings;
mod embeddings_amazon;
mod endpoints;
mod errors;
mod examples;
mod families;
mod families_new;
mod families_openai;
mod families_v0_2;
mod faults;
mod fixtures;
mod history;
mod install;
mod lifecycle;
mod output;
mod reasoning;
mod replayed;
mod sandbox;
mod serve_local;
mod support;
mod tools;
mod tour;
mod trust;
