//! The recorded Bedrock traffic of Claude, Messages API and text completions through the
//! Anthropic adapter, called as Rust: every recorded body and stream whose model the
//! adapter describes must come out as `recorded/expected.rs` (this test's
//! `expected` module) works out from Bedrock's JSON. The end-to-end suite
//! (`tests/e2e/fixtures.rs`) holds the `.wasm` component to the very same
//! expectation, read through `bedrock-recorded`.
//!
//! Invariant: each run checks exactly the number of recordings
//! `expected::FAMILY` states, so it cannot pass by finding nothing.

#[path = "recorded/expected.rs"]
mod expected;

bedrock_adapter_kit_recorded::recorded_traffic_tests!(bedrock_plugin_anthropic, expected::FAMILY);

/// Every recorded Claude tool call (otel-python-contrib's invoked and
/// streamed `*tool_call*` exchanges: 2 bodies, 2 streams; langchaingo's
/// Anthropic tool calling was answered in text) comes out of the adapter
/// with the recorded tool names and inputs, in order, and its streamed
/// calls as the contract's start, input, end events.
#[test]
fn every_recorded_tool_call_is_read_as_recorded() {
    use bedrock_adapter_kit_recorded::{ToolCallFamily, check_tool_calls};
    use bedrock_plugin_anthropic::exports::bedrock::adapter::adapter::{
        Guest, GuestStreamDecoder as _,
    };
    type Adapter = bedrock_plugin_anthropic::Component;
    let family = ToolCallFamily {
        provider: expected::FAMILY.provider,
        body: expected::body_tool_calls,
        stream: expected::stream_tool_calls,
    };
    let checked = check_tool_calls(
        &family,
        &Adapter::describe().models,
        Adapter::parse_response,
        |model_id, chunks| {
            let decoder = <Adapter as Guest>::StreamDecoder::new(model_id);
            bedrock_adapter_kit::testing::decode(
                chunks,
                |chunk| decoder.feed(chunk),
                || decoder.finish(),
            )
        },
    );
    assert_eq!(checked, (2, 2));
}
