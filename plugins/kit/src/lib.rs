//! `bedrock-adapter-kit`: what a `bedrock-host` provider adapter uses beside
//! `wit-bindgen`. It owns the Rust types of the contract's `types` interface
//! (`bedrock:adapter/types@0.2.1`, generated here once, with `PartialEq`)
//! and the logic every adapter would otherwise repeat around them. An
//! adapter generates its own `provider` world and points that interface at
//! [`types`] with `wit-bindgen`'s `with` option, so the kit's functions take
//! and return the very types its exports use:
//!
//! ```text
//! wit_bindgen::generate!({
//!     world: "provider",
//!     path: "../../wit/since_v0.2.1",
//!     with: { "bedrock:adapter/types@0.2.1": bedrock_adapter_kit::types },
//! });
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
//!   checking refusals and stop tables, and running the recorded Bedrock
//!   traffic of the shared fixtures (read by `bedrock-recorded`) through an
//!   adapter.
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
        path: "../../wit/since_v0.2.1",
        with: { "bedrock:adapter/types@0.2.1": generate },
        generate_unused_types: true,
        additional_derives: [PartialEq],
    });
}

pub use bindings::bedrock::adapter::types;

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
