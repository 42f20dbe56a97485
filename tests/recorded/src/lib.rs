//! `bedrock-recorded`: the project's one reader of the Bedrock traffic
//! recorded in `tests/fixtures/bedrock` (see its README and SOURCES), and
//! the expected answer of each plugin family, written once beside its
//! plugin and read here so that both suites that check a plugin against
//! the recordings use the same one:
//! - the plugin's native test (`plugins/<family>/tests/recorded.rs`, through
//!   `bedrock_adapter_kit_recorded`, `plugins/kit/recorded`), which calls the adapter as
//!   Rust;
//! - the end-to-end suite (`tests/e2e/fixtures.rs`), which runs the same
//!   recordings through the real `.wasm` components.
//!
//! The modules: [`read`] finds the recorded exchanges (bodies as recorded,
//! streams as the decoded chunks the host feeds); [`answer`] is the one
//! comparable shape of what a plugin made of an exchange; [`json`] and
//! [`shapes`] are what the expectations read the recorded JSON with;
//! [`families`] lists each family's expectation (its file lives at
//! `plugins/<family>/tests/recorded/expected.rs`); [`tally`] checks a whole
//! run and its counts.
//!
//! Invariant: an expectation is worked out from the recorded Bedrock JSON
//! alone, never by running a plugin, and every family states how many
//! recordings it checks, so no test passes by finding nothing.

// The expectation files are compiled both here and in their plugin's
// native test; in both they name this crate `bedrock_recorded`.
extern crate self as bedrock_recorded;

pub mod answer;
pub mod families;
pub mod json;
pub mod read;
pub mod shapes;
pub mod tally;

pub use answer::{Answer, Counts, Ending, StopReason};
pub use families::{FAMILIES, Family, family};
pub use read::{Exchange, bodies, streams};
pub use tally::{Kind, Tally};
