//! Tests against real Bedrock traffic: every recorded 200 response and
//! stream of a Nova or Titan Text model in the shared fixtures (read by
//! [`bedrock_adapter_kit::testing::recorded`]) is parsed natively, and what
//! the adapter made of it is compared with what the raw JSON says: the text,
//! the raw stop reason, and the token counts, which must also equal
//! Bedrock's own (the `X-Amzn-Bedrock-*-Token-Count` headers of a body, the
//! `amazon-bedrock-invocationMetrics` of a stream's last chunk).
//!
//! Invariant: the test cannot pass by finding nothing. It counts what it
//! checked against the number of recordings there were when it was written,
//! and every recorded stop reason must map to something other than `other`.

use bedrock_adapter_kit::testing::recorded::{
    self, Answer, check_all, count_at, invocation_metrics, text_at, with_family,
};
use bedrock_adapter_kit::types::{StopReason, Usage};
use serde_json::Value;

use crate::exports::bedrock::adapter::adapter::GuestStreamDecoder;
use crate::models::{self, Family};
use crate::stream::Decoder;
use crate::{response, stop};

/// How many Nova and Titan bodies and streams were recorded when this test
/// was written.
const RECORDED_BODIES: usize = 21;
const RECORDED_STREAMS: usize = 19;

fn expected_body(family: Family, body: &Value) -> Answer {
    match family {
        Family::Nova => Answer {
            text: body["output"]["message"]["content"]
                .as_array()
                .expect("content")
                .iter()
                .map(|block| text_at(block, "/text"))
                .collect(),
            stop: body["stopReason"].as_str().map(str::to_owned),
            usage: usage(
                count_at(body, "/usage/inputTokens"),
                count_at(body, "/usage/outputTokens"),
            ),
        },
        Family::Titan => {
            let results = body["results"].as_array().expect("results");
            let output: Option<u32> = results.iter().map(|r| count_at(r, "/tokenCount")).sum();
            Answer {
                text: results.iter().map(|r| text_at(r, "/outputText")).collect(),
                stop: results[0]["completionReason"].as_str().map(str::to_owned),
                usage: usage(count_at(body, "/inputTextTokenCount"), output),
            }
        }
    }
}

fn expected_stream(family: Family, chunks: &[Value]) -> Answer {
    let mut answer = Answer::default();
    match family {
        Family::Nova => {
            for chunk in chunks {
                answer.text += &text_at(chunk, "/contentBlockDelta/delta/text");
                if let Some(raw) = chunk.pointer("/messageStop/stopReason") {
                    answer.stop = raw.as_str().map(str::to_owned);
                }
                if chunk.get("metadata").is_some() {
                    answer.usage = usage(
                        count_at(chunk, "/metadata/usage/inputTokens"),
                        count_at(chunk, "/metadata/usage/outputTokens"),
                    );
                }
            }
        }
        Family::Titan => {
            let (mut input, mut output) = (None, None);
            for chunk in chunks {
                answer.text += &text_at(chunk, "/outputText");
                if answer.stop.is_none() {
                    answer.stop = chunk["completionReason"].as_str().map(str::to_owned);
                }
                input = count_at(chunk, "/inputTextTokenCount").or(input);
                output = count_at(chunk, "/totalOutputTextTokenCount").or(output);
            }
            answer.usage = usage(input, output);
        }
    }
    answer
}

fn usage(input_tokens: Option<u32>, output_tokens: Option<u32>) -> Option<Usage> {
    bedrock_adapter_kit::wire::usage(input_tokens, output_tokens)
}

/// Every recorded stop reason is one the adapter understands.
fn understood(family: Family, raw: Option<&str>) -> bool {
    let reason = match (family, raw) {
        (_, None) => return true,
        (Family::Nova, Some(raw)) => stop::nova(raw).reason,
        (Family::Titan, Some(raw)) => stop::titan(raw).reason,
    };
    reason != StopReason::Other
}

/// Whether the adapter's usage, when it has one, equals Bedrock's count.
fn agrees(actual: &Result<Answer, String>, bedrock: Option<Usage>) -> bool {
    match (actual, bedrock) {
        (
            Ok(Answer {
                usage: Some(usage), ..
            }),
            Some(bedrock),
        ) => *usage == bedrock,
        _ => true,
    }
}

#[test]
fn every_recorded_body_parses_as_recorded() {
    let bodies = with_family(recorded::bodies("amazon."), models::family);
    check_all(
        &bodies,
        RECORDED_BODIES,
        "recorded bodies",
        |(family, exchange)| {
            let json: Value = serde_json::from_slice(&exchange.recorded).expect("recorded JSON");
            let expected = expected_body(*family, &json);
            let actual = response::parse(&exchange.model_id, &exchange.recorded)
                .map_err(|err| format!("{err:?}"))
                .and_then(Answer::of_response);
            if actual.as_ref() != Ok(&expected)
                || !agrees(&actual, exchange.token_headers)
                || !understood(*family, expected.stop.as_deref())
            {
                return Err(format!(
                    "{} ({}):\n  adapter:  {actual:?}\n  recorded: {expected:?}\n  headers:  {:?}",
                    exchange.origin, exchange.model_id, exchange.token_headers
                ));
            }
            Ok(())
        },
    );
}

#[test]
fn every_recorded_stream_decodes_as_recorded() {
    let streams = with_family(recorded::streams("amazon."), models::family);
    check_all(
        &streams,
        RECORDED_STREAMS,
        "recorded streams",
        |(family, exchange)| {
            let chunks: Vec<Value> = exchange
                .recorded
                .iter()
                .map(|chunk| serde_json::from_slice(chunk).expect("recorded JSON"))
                .collect();
            let expected = expected_stream(*family, &chunks);
            let decoder = Decoder::new(exchange.model_id.clone());
            let actual =
                Answer::of_stream(&exchange.recorded, |c| decoder.feed(c), || decoder.finish());
            if actual.as_ref() != Ok(&expected)
                || !agrees(&actual, invocation_metrics(&chunks))
                || !understood(*family, expected.stop.as_deref())
            {
                return Err(format!(
                    "{} ({}):\n  adapter:  {actual:?}\n  recorded: {expected:?}",
                    exchange.origin, exchange.model_id
                ));
            }
            Ok(())
        },
    );
}
