//! Tests against real Bedrock traffic: every recorded Llama response body
//! and stream in the shared fixtures (read by
//! [`bedrock_adapter_kit::testing::recorded`]) goes through the adapter as
//! the host would send it. The text must equal the recorded text, and the
//! stop reason and token counts must be those the table below states for
//! each recording (for streams, also those of Bedrock's invocation metrics
//! in the last chunk).

use bedrock_adapter_kit::stop::sent;
use bedrock_adapter_kit::testing;
use bedrock_adapter_kit::testing::recorded;
use bedrock_adapter_kit::types::{Event, Output, Stop, StopReason, Usage};
use serde_json::Value;

use crate::exports::bedrock::adapter::adapter::GuestStreamDecoder;
use crate::{response, stream};

/// What each recording must come out as: a part of its origin (fixture
/// file, key or record), the raw stop reason, and the input and output
/// token counts.
const BODIES: &[(&str, &str, u32, u32)] = &[
    ("test_invoke_model_no_content[meta.llama]", "length", 5, 10),
    (
        "test_invoke_model_with_content[meta.llama]",
        "length",
        5,
        10,
    ),
    (
        "test_meta_llama2_completion_string_content",
        "length",
        158,
        128,
    ),
    ("test_meta_llama3_completion", "stop", 8, 35),
    ("dd-trace-py/meta_invoke.yaml", "length", 10, 60),
    ("::[INST] The following is a friendly", "stop", 76, 86),
    ("::What is 212 degrees", "stop", 17, 69),
    ("records[4]", "stop", 23, 10),
    ("records[5]", "stop", 23, 12),
];

const STREAMS: &[(&str, &str, u32, u32)] = &[
    ("meta_invoke_stream", "length", 10, 60),
    ("INST_The_following_is_a_friendly", "stop", 76, 83),
    ("What_is_212_degrees", "length", 17, 100),
];

fn expected<'a>(
    table: &'a [(&str, &str, u32, u32)],
    origin: &str,
) -> &'a (&'a str, &'a str, u32, u32) {
    let found: Vec<_> = table
        .iter()
        .filter(|(name, ..)| origin.contains(name))
        .collect();
    assert_eq!(found.len(), 1, "{origin}: one table entry");
    found[0]
}

fn stop(raw: &str) -> Stop {
    let reason = match raw {
        "stop" => StopReason::EndTurn,
        _ => StopReason::MaxTokens,
    };
    sent(reason, raw)
}

#[test]
fn every_recorded_body() {
    let bodies = recorded::bodies("meta.");
    assert_eq!(bodies.len(), BODIES.len());
    for recorded in bodies {
        let (_, raw, input, output) = *expected(BODIES, &recorded.origin);
        let json: Value = serde_json::from_slice(&recorded.recorded).expect("recorded JSON");
        let text = json["generation"].as_str().expect("recorded text");
        assert!(recorded.model_id.contains("meta.llama"));
        let response = response::parse(&recorded.recorded)
            .unwrap_or_else(|err| panic!("{}: {err:?}", recorded.origin));
        assert_eq!(
            response.outputs,
            vec![Output::Text(text.to_owned())],
            "{}",
            recorded.origin
        );
        assert_eq!(response.stop, Some(stop(raw)), "{}", recorded.origin);
        assert_eq!(
            response.usage,
            Some(Usage {
                input_tokens: input,
                output_tokens: output
            }),
            "{}",
            recorded.origin
        );
    }
}

#[test]
fn every_recorded_stream() {
    let streams = recorded::streams("meta.");
    assert_eq!(streams.len(), STREAMS.len());
    for recorded in streams {
        let (_, raw, input, output) = *expected(STREAMS, &recorded.origin);
        let chunks: Vec<Value> = recorded
            .recorded
            .iter()
            .map(|chunk| serde_json::from_slice(chunk).expect("recorded JSON"))
            .collect();
        let text: String = chunks
            .iter()
            .map(|chunk| chunk["generation"].as_str().expect("recorded text"))
            .collect();
        let decoder = stream::Decoder::new(recorded.model_id.clone());
        let events = testing::decode(
            &recorded.recorded,
            |chunk| decoder.feed(chunk),
            || decoder.finish(),
        )
        .unwrap_or_else(|err| panic!("{}: {err:?}", recorded.origin));
        let usage = Usage {
            input_tokens: input,
            output_tokens: output,
        };
        let metrics = &chunks.last().expect("chunks")["amazon-bedrock-invocationMetrics"];
        assert_eq!(metrics["inputTokenCount"], input, "{}", recorded.origin);
        assert_eq!(metrics["outputTokenCount"], output, "{}", recorded.origin);
        let mut decoded = String::new();
        let mut ends = Vec::new();
        for event in events {
            match event {
                Event::Text(piece) => decoded.push_str(&piece),
                other => ends.push(other),
            }
        }
        assert_eq!(decoded, text, "{}", recorded.origin);
        assert_eq!(
            ends,
            vec![Event::Stop(stop(raw)), Event::Usage(usage)],
            "{}",
            recorded.origin
        );
    }
}
