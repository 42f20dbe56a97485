//! Tests against real Bedrock traffic: every recorded Mistral response body
//! and stream in the shared fixtures (read by
//! [`bedrock_adapter_kit::testing::recorded`]) goes through the adapter as
//! the host would send it. The text must equal the recorded text and the
//! stop reason must be the one the table below states for each recording.
//! Mistral 7B's bodies carry no token counts, so there must be no usage
//! (the host reads Bedrock's headers and metrics instead).

use bedrock_adapter_kit::stop::sent;
use bedrock_adapter_kit::testing;
use bedrock_adapter_kit::testing::recorded;
use bedrock_adapter_kit::types::{Event, Output, Stop, StopReason};
use serde_json::Value;

use crate::exports::bedrock::adapter::adapter::GuestStreamDecoder;
use crate::{response, stream};

/// What each recording must come out as: a part of its origin (fixture
/// file or key) and the raw stop reason.
const BODIES: &[(&str, &str)] = &[
    ("test_invoke_model_no_content[mistral.mistral]", "length"),
    ("test_invoke_model_with_content[mistral.mistral]", "length"),
    ("::<s>[INST] What is 212 degrees", "length"),
];

const STREAMS: &[(&str, &str)] = &[("INST_What_is_212_degrees", "length")];

fn expected_stop(table: &[(&str, &str)], origin: &str) -> Stop {
    let found: Vec<_> = table
        .iter()
        .filter(|(name, _)| origin.contains(name))
        .collect();
    assert_eq!(found.len(), 1, "{origin}: one table entry");
    sent(StopReason::MaxTokens, found[0].1)
}

#[test]
fn every_recorded_body() {
    let bodies = recorded::bodies("mistral.");
    assert_eq!(bodies.len(), BODIES.len());
    for recorded in bodies {
        let stop = expected_stop(BODIES, &recorded.origin);
        let json: Value = serde_json::from_slice(&recorded.recorded).expect("recorded JSON");
        let texts: Vec<Output> = json["outputs"]
            .as_array()
            .expect("recorded outputs")
            .iter()
            .map(|output| Output::Text(output["text"].as_str().expect("text").to_owned()))
            .collect();
        let response = response::parse(&recorded.recorded)
            .unwrap_or_else(|err| panic!("{}: {err:?}", recorded.origin));
        assert_eq!(response.outputs, texts, "{}", recorded.origin);
        assert_eq!(response.stop, Some(stop), "{}", recorded.origin);
        assert_eq!(response.usage, None, "{}", recorded.origin);
    }
}

#[test]
fn every_recorded_stream() {
    let streams = recorded::streams("mistral.");
    assert_eq!(streams.len(), STREAMS.len());
    for recorded in streams {
        let stop = expected_stop(STREAMS, &recorded.origin);
        let text: String = recorded
            .recorded
            .iter()
            .map(|chunk| {
                let json: Value = serde_json::from_slice(chunk).expect("recorded JSON");
                json["outputs"][0]["text"]
                    .as_str()
                    .expect("recorded text")
                    .to_owned()
            })
            .collect();
        let decoder = stream::Decoder::new(recorded.model_id.clone());
        let events = testing::decode(
            &recorded.recorded,
            |chunk| decoder.feed(chunk),
            || decoder.finish(),
        )
        .unwrap_or_else(|err| panic!("{}: {err:?}", recorded.origin));
        let mut decoded = String::new();
        let mut ends = Vec::new();
        for event in events {
            match event {
                Event::Text(piece) => decoded.push_str(&piece),
                other => ends.push(other),
            }
        }
        assert_eq!(decoded, text, "{}", recorded.origin);
        assert_eq!(ends, vec![Event::Stop(stop)], "{}", recorded.origin);
    }
}
