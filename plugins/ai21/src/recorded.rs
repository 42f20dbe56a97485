//! Tests against real Bedrock traffic: every recorded AI21 response body in
//! the shared fixtures (read by [`bedrock_adapter_kit::testing::recorded`])
//! goes through the adapter as the host would send it. All of it is
//! Jurassic-2 (`ai21.j2-mid-v1`): no Jamba recording exists, and Jamba's
//! tests in `response` and `stream` cite the documents their shapes come
//! from. The text must equal the recorded text, and the stop reason and
//! token counts must be those the table below states (where the recording
//! kept Bedrock's token-count headers, they are these counts).

use bedrock_adapter_kit::stop::sent;
use bedrock_adapter_kit::testing::recorded;
use bedrock_adapter_kit::types::{Output, StopReason, Usage};
use serde_json::Value;

use crate::response;

/// What each recording must come out as: a part of its origin (fixture
/// file or key), the stop reason, and the input and output token counts.
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
    assert!(
        recorded::streams("ai21.").is_empty(),
        "Jurassic-2 never streamed"
    );
    let bodies = recorded::bodies("ai21.");
    assert_eq!(bodies.len(), BODIES.len());
    for body in bodies {
        let found: Vec<_> = BODIES
            .iter()
            .filter(|(name, ..)| body.origin.contains(name))
            .collect();
        assert_eq!(found.len(), 1, "{}: one table entry", body.origin);
        let (_, reason, raw, input, output) = found[0];
        let json: Value = serde_json::from_slice(&body.recorded).expect("recorded JSON");
        let texts: Vec<Output> = json["completions"]
            .as_array()
            .expect("recorded completions")
            .iter()
            .map(|c| Output::Text(c["data"]["text"].as_str().expect("text").to_owned()))
            .collect();
        let response = response::parse(&body.recorded)
            .unwrap_or_else(|err| panic!("{}: {err:?}", body.origin));
        assert_eq!(response.outputs, texts, "{}", body.origin);
        assert_eq!(response.stop, Some(sent(*reason, raw)), "{}", body.origin);
        assert_eq!(
            response.usage,
            Some(Usage {
                input_tokens: *input,
                output_tokens: *output
            }),
            "{}",
            body.origin
        );
    }
}
