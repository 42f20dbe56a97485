//! The recorded Bedrock traffic of Mistral AI through the
//! Mistral adapter, called as Rust: every recorded body and stream whose model the
//! adapter describes must come out as `recorded/expected.rs` (this test's
//! `expected` module) works out from Bedrock's JSON. The end-to-end suite
//! (`tests/e2e/fixtures.rs`) holds the `.wasm` component to the very same
//! expectation, read through `bedrock-recorded`.
//!
//! Invariant: each run checks exactly the number of recordings
//! `expected::FAMILY` states, so it cannot pass by finding nothing.

#[path = "recorded/expected.rs"]
mod expected;

use bedrock_adapter_kit::testing::{self, recorded};
use bedrock_plugin_mistral::Component;
use bedrock_plugin_mistral::exports::bedrock::adapter::adapter::{Guest, GuestStreamDecoder};

type Decoder = <Component as Guest>::StreamDecoder;

#[test]
fn every_recorded_body_parses_as_recorded() {
    recorded::check_bodies(
        &expected::FAMILY,
        &Component::describe().models,
        Component::parse_response,
    );
}

#[test]
fn every_recorded_stream_decodes_as_recorded() {
    recorded::check_streams(
        &expected::FAMILY,
        &Component::describe().models,
        |model_id, chunks| {
            let decoder = Decoder::new(model_id);
            testing::decode(chunks, |chunk| decoder.feed(chunk), || decoder.finish())
        },
    );
}
