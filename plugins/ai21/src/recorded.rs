//! Tests against real Bedrock traffic: every recorded AI21 response body in
//! the project's fixtures (copied into `testdata/recorded.json`, each entry
//! naming its source and licence) goes through the adapter as the host would
//! send it. All of it is Jurassic-2 (`ai21.j2-mid-v1`): no Jamba recording
//! exists, and Jamba's tests in `response` and `stream` cite the documents
//! their shapes come from. The text must equal the recorded text, and the
//! stop reason and token counts must be those the table below states (where
//! the recording kept Bedrock's token-count headers, they are these counts).

use serde::Deserialize;
use serde_json::Value;

use crate::bedrock::adapter::types::{Output, Stop, StopReason, Usage};
use crate::response;

#[derive(Deserialize)]
struct Recorded {
    bodies: Vec<RecordedBody>,
    streams: Vec<Value>,
}

#[derive(Deserialize)]
struct RecordedBody {
    fixture: String,
    body: String,
}

fn recorded() -> Recorded {
    serde_json::from_str(include_str!("../testdata/recorded.json")).expect("testdata is valid")
}

/// What each recording must come out as: a part of its fixture's name, the
/// stop reason, and the input and output token counts.
const BODIES: &[(&str, StopReason, &str, u32, u32)] = &[
    // Headers: X-Amzn-Bedrock-Input-Token-Count 26, Output 42.
    (
        "test_ai21_j2_completion_string_content",
        StopReason::EndTurn,
        "endoftext",
        26,
        42,
    ),
    // Headers: 10 and 10.
    (
        "dd-trace-py/ai21_invoke.yaml",
        StopReason::MaxTokens,
        "length",
        10,
        10,
    ),
    // New Relic kept no token-count headers.
    (
        "ai21.j2-mid-v1::What is 212",
        StopReason::EndTurn,
        "endoftext",
        7,
        10,
    ),
];

#[test]
fn every_recorded_body() {
    let recorded = recorded();
    assert!(recorded.streams.is_empty(), "Jurassic-2 never streamed");
    assert_eq!(recorded.bodies.len(), BODIES.len());
    for body in recorded.bodies {
        let found: Vec<_> = BODIES
            .iter()
            .filter(|(name, ..)| body.fixture.contains(name))
            .collect();
        assert_eq!(found.len(), 1, "{}: one table entry", body.fixture);
        let (_, reason, raw, input, output) = found[0];
        let json: Value = serde_json::from_str(&body.body).expect("recorded JSON");
        let texts: Vec<Output> = json["completions"]
            .as_array()
            .expect("recorded completions")
            .iter()
            .map(|c| Output::Text(c["data"]["text"].as_str().expect("text").to_owned()))
            .collect();
        let response = response::parse(body.body.as_bytes())
            .unwrap_or_else(|err| panic!("{}: {err:?}", body.fixture));
        assert_eq!(response.outputs, texts, "{}", body.fixture);
        assert_eq!(
            response.stop,
            Some(Stop {
                reason: *reason,
                raw: Some((*raw).to_owned())
            }),
            "{}",
            body.fixture
        );
        assert_eq!(
            response.usage,
            Some(Usage {
                input_tokens: *input,
                output_tokens: *output
            }),
            "{}",
            body.fixture
        );
    }
}
