//! Tests against real Bedrock traffic: every recorded Llama response body
//! and stream in the project's fixtures (copied into
//! `testdata/recorded.json`, each entry naming its source and licence) goes
//! through the adapter as the host would send it. The text must equal the
//! recorded text, and the stop reason and token counts must be those the
//! table below states for each recording (for streams, also those of
//! Bedrock's invocation metrics in the last chunk).

use serde::Deserialize;
use serde_json::Value;

use crate::bedrock::adapter::types::{Event, Output, Stop, StopReason, Usage};
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
    model_id: String,
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

/// What each recording must come out as: a part of its fixture's name, the
/// raw stop reason, and the input and output token counts.
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
    fixture: &str,
) -> &'a (&'a str, &'a str, u32, u32) {
    let found: Vec<_> = table
        .iter()
        .filter(|(name, ..)| fixture.contains(name))
        .collect();
    assert_eq!(found.len(), 1, "{fixture}: one table entry");
    found[0]
}

fn stop(raw: &str) -> Stop {
    Stop {
        reason: match raw {
            "stop" => StopReason::EndTurn,
            _ => StopReason::MaxTokens,
        },
        raw: Some(raw.to_owned()),
    }
}

#[test]
fn every_recorded_body() {
    let bodies = recorded().bodies;
    assert_eq!(bodies.len(), BODIES.len());
    for recorded in bodies {
        let (_, raw, input, output) = *expected(BODIES, &recorded.fixture);
        let json: Value = serde_json::from_str(&recorded.body).expect("recorded JSON");
        let text = json["generation"].as_str().expect("recorded text");
        assert!(recorded.model_id.contains("meta.llama"));
        let response = response::parse(recorded.body.as_bytes())
            .unwrap_or_else(|err| panic!("{}: {err:?}", recorded.fixture));
        assert_eq!(
            response.outputs,
            vec![Output::Text(text.to_owned())],
            "{}",
            recorded.fixture
        );
        assert_eq!(response.stop, Some(stop(raw)), "{}", recorded.fixture);
        assert_eq!(
            response.usage,
            Some(Usage {
                input_tokens: input,
                output_tokens: output
            }),
            "{}",
            recorded.fixture
        );
    }
}

#[test]
fn every_recorded_stream() {
    let streams = recorded().streams;
    assert_eq!(streams.len(), STREAMS.len());
    for recorded in streams {
        let (_, raw, input, output) = *expected(STREAMS, &recorded.fixture);
        let decoder = stream::Decoder::new(recorded.model_id.clone());
        let mut events = Vec::new();
        let mut text = String::new();
        for chunk in &recorded.chunks {
            let json: Value = serde_json::from_str(chunk).expect("recorded JSON");
            text.push_str(json["generation"].as_str().expect("recorded text"));
            events.extend(
                decoder
                    .feed(chunk.as_bytes().to_vec())
                    .unwrap_or_else(|err| panic!("{}: {err:?}", recorded.fixture)),
            );
        }
        events.extend(decoder.finish().expect("finish"));
        let last: Value =
            serde_json::from_str(recorded.chunks.last().expect("chunks")).expect("JSON");
        let metrics = &last["amazon-bedrock-invocationMetrics"];
        assert_eq!(metrics["inputTokenCount"], input, "{}", recorded.fixture);
        assert_eq!(metrics["outputTokenCount"], output, "{}", recorded.fixture);
        let mut decoded = String::new();
        let mut ends = Vec::new();
        for event in events {
            match event {
                Event::Text(piece) => decoded.push_str(&piece),
                other => ends.push(other),
            }
        }
        assert_eq!(decoded, text, "{}", recorded.fixture);
        assert_eq!(
            ends,
            vec![
                Event::Stop(stop(raw)),
                Event::Usage(Usage {
                    input_tokens: input,
                    output_tokens: output
                })
            ],
            "{}",
            recorded.fixture
        );
    }
}
