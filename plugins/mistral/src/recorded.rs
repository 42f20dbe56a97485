//! Tests against real Bedrock traffic: every recorded Mistral response body
//! and stream in the project's fixtures (copied into
//! `testdata/recorded.json`, each entry naming its source and licence) goes
//! through the adapter as the host would send it. The text must equal the
//! recorded text and the stop reason must be the one the table below states
//! for each recording. Mistral 7B's bodies carry no token counts, so there
//! must be no usage (the host reads Bedrock's headers and metrics instead).

use serde::Deserialize;
use serde_json::Value;

use crate::bedrock::adapter::types::{Event, Output, Stop, StopReason};
use crate::exports::bedrock::adapter::adapter::GuestStreamDecoder;
use crate::{response, stream};

#[derive(Deserialize)]
struct Recorded {
    bodies: Vec<RecordedBody>,
    streams: Vec<RecordedStream>,
}

#[derive(Deserialize)]
struct RecordedBody {
    fixture: String,
    body: String,
}

#[derive(Deserialize)]
struct RecordedStream {
    fixture: String,
    model_id: String,
    chunks: Vec<String>,
}

fn recorded() -> Recorded {
    serde_json::from_str(include_str!("../testdata/recorded.json")).expect("testdata is valid")
}

/// What each recording must come out as: a part of its fixture's name and
/// the raw stop reason.
const BODIES: &[(&str, &str)] = &[
    ("test_invoke_model_no_content[mistral.mistral]", "length"),
    ("test_invoke_model_with_content[mistral.mistral]", "length"),
    ("::<s>[INST] What is 212 degrees", "length"),
];

const STREAMS: &[(&str, &str)] = &[("INST_What_is_212_degrees", "length")];

fn expected_stop(table: &[(&str, &str)], fixture: &str) -> Stop {
    let found: Vec<_> = table
        .iter()
        .filter(|(name, _)| fixture.contains(name))
        .collect();
    assert_eq!(found.len(), 1, "{fixture}: one table entry");
    Stop {
        reason: StopReason::MaxTokens,
        raw: Some(found[0].1.to_owned()),
    }
}

#[test]
fn every_recorded_body() {
    let bodies = recorded().bodies;
    assert_eq!(bodies.len(), BODIES.len());
    for recorded in bodies {
        let stop = expected_stop(BODIES, &recorded.fixture);
        let json: Value = serde_json::from_str(&recorded.body).expect("recorded JSON");
        let texts: Vec<Output> = json["outputs"]
            .as_array()
            .expect("recorded outputs")
            .iter()
            .map(|output| Output::Text(output["text"].as_str().expect("text").to_owned()))
            .collect();
        let response = response::parse(recorded.body.as_bytes())
            .unwrap_or_else(|err| panic!("{}: {err:?}", recorded.fixture));
        assert_eq!(response.outputs, texts, "{}", recorded.fixture);
        assert_eq!(response.stop, Some(stop), "{}", recorded.fixture);
        assert_eq!(response.usage, None, "{}", recorded.fixture);
    }
}

#[test]
fn every_recorded_stream() {
    let streams = recorded().streams;
    assert_eq!(streams.len(), STREAMS.len());
    for recorded in streams {
        let stop = expected_stop(STREAMS, &recorded.fixture);
        let decoder = stream::Decoder::new(recorded.model_id.clone());
        let mut events = Vec::new();
        let mut text = String::new();
        for chunk in &recorded.chunks {
            let json: Value = serde_json::from_str(chunk).expect("recorded JSON");
            text.push_str(json["outputs"][0]["text"].as_str().expect("recorded text"));
            events.extend(
                decoder
                    .feed(chunk.as_bytes().to_vec())
                    .unwrap_or_else(|err| panic!("{}: {err:?}", recorded.fixture)),
            );
        }
        events.extend(decoder.finish().expect("finish"));
        let mut decoded = String::new();
        let mut ends = Vec::new();
        for event in events {
            match event {
                Event::Text(piece) => decoded.push_str(&piece),
                other => ends.push(other),
            }
        }
        assert_eq!(decoded, text, "{}", recorded.fixture);
        assert_eq!(ends, vec![Event::Stop(stop)], "{}", recorded.fixture);
    }
}
