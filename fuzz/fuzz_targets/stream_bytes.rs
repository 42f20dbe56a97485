//! Arbitrary bytes as the body of an `InvokeModelWithResponseStream`
//! answer, read by the host's stream loop through the SDK's event-stream
//! decoder: it must end or fail cleanly, never panic, hang or grow.
#![no_main]

libfuzzer_sys::fuzz_target!(|body: &[u8]| {
    bedrock_fuzz::read_stream(body);
});
