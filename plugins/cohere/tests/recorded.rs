//! The recorded Bedrock traffic of Command and Command R through the
//! Cohere adapter, called as Rust: every recorded body and stream whose model the
//! adapter describes must come out as `recorded/expected.rs` (this test's
//! `expected` module) works out from Bedrock's JSON. The end-to-end suite
//! (`tests/e2e/fixtures.rs`) holds the `.wasm` component to the very same
//! expectation, read through `bedrock-recorded`.
//!
//! Invariant: each run checks exactly the number of recordings
//! `expected::FAMILY` states, so it cannot pass by finding nothing.

#[path = "recorded/expected.rs"]
mod expected;

bedrock_adapter_kit_recorded::recorded_traffic_tests!(bedrock_plugin_cohere, expected::FAMILY);
