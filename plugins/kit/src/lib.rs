//! `bedrock-adapter-kit`: what a `bedrock-host` provider adapter uses beside
//! `wit-bindgen`. It owns the contract an adapter is built against (the
//! WIT of `bedrock:adapter@0.2.1`, carried in the crate as
//! `wit/adapter.wit`, a copy of the repository's
//! `wit/since_v0.2.1/adapter.wit` that a test of `kit/recorded` keeps
//! identical), the Rust types of its `types` interface (generated here
//! once, with `PartialEq`) and the logic every adapter would otherwise
//! repeat around them. An adapter generates its own world with [`generate!`],
//! which points that interface at [`types`], so the kit's functions take and
//! return the very types its exports use:
//!
//! ```text
//! bedrock_adapter_kit::generate!();   // or generate!("embedding-provider")
//!
//! struct Component;
//! impl exports::bedrock::adapter::adapter::Guest for Component { ... }
//! export!(Component);
//! ```
//!
//! The modules follow the adapter's steps:
//! - [`models`]: routing a model id by prefix tables, the patterns and
//!   capabilities `describe` claims, and the capabilities of one id;
//! - [`options`]: the `-o key=value` options (owned keys refused, JSON
//!   parsed, known keys type-checked);
//! - [`request`]: refusing settings and features a family lacks, the text
//!   of messages, `--raw`'s one prompt, chat messages, the JSON body;
//! - [`tools`]: tool schemas and inputs as JSON, tool results as text;
//! - [`functions`]: function tools, calls and results in the OpenAI-like
//!   chat form (Mistral's chat completion, Jamba);
//! - [`wire`] and [`stop`]: reading bodies and chunks, token counts, stop
//!   reasons mapped with the raw value kept;
//! - [`stream`]: what a stream decoder holds between chunks, and tool calls
//!   as the event model wants them (start, input, end);
//! - `testing` (feature `testing`, for native tests only): building inputs,
//!   checking refusals and stop tables, driving a stream decoder.
//!
//! Invariant: the kit decides nothing a model family decides. Which keys an
//! option may have, which settings a body takes, what a stop value means:
//! each adapter says; the kit does the same thing the same way, with the
//! same error messages, everywhere.

#![warn(missing_docs)]

#[allow(missing_docs)]
mod bindings {
    wit_bindgen::generate!({
        inline: "package bedrock:adapter-kit;

                 world types {
                     import bedrock:adapter/types@0.2.1;
                 }",
        path: "wit",
        with: { "bedrock:adapter/types@0.2.1": generate },
        generate_unused_types: true,
        additional_derives: [PartialEq],
    });
}

pub use bindings::bedrock::adapter::types;

/// The `wit-bindgen` the kit's types and [`generate!`] were made with, so
/// an adapter's bindings use the same runtime without a dependency of its own.
pub use wit_bindgen;

include!(concat!(env!("OUT_DIR"), "/generate.rs"));

pub mod functions;
pub mod models;
pub mod options;
pub mod request;
pub mod stop;
pub mod stream;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod tools;
pub mod wire;
