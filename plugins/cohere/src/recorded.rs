//! Tests against real Bedrock traffic: every recorded 200 response and
//! stream of a Command or Command R model in the shared fixtures (read by
//! [`bedrock_adapter_kit::testing::recorded`]) is parsed natively, and what
//! the adapter made of it is compared with what the raw JSON says: the text
//! (a stream's generations each kept whole, in generation order), the raw
//! stop reason, and no usage (no recorded Cohere body carries token counts).
//!
//! Invariant: the test cannot pass by finding nothing. It counts what it
//! checked against the number of recordings there were when it was written,
//! and every recorded stop reason must map to something other than `other`.

use std::collections::BTreeMap;

use bedrock_adapter_kit::testing::recorded::{self, Answer, check_all, text_at, with_family};
use bedrock_adapter_kit::types::StopReason;
use serde_json::Value;

use crate::exports::bedrock::adapter::adapter::GuestStreamDecoder;
use crate::models::{self, Family};
use crate::stream::Decoder;
use crate::{response, stop};

/// How many Command and Command R bodies and streams were recorded when
/// this test was written.
const RECORDED_BODIES: usize = 8;
const RECORDED_STREAMS: usize = 4;

fn finish_reason(value: &Value) -> Option<String> {
    value["finish_reason"].as_str().map(str::to_owned)
}

fn expected_body(family: Family, body: &Value) -> Answer {
    match family {
        Family::Command => {
            let generations = body["generations"].as_array().expect("generations");
            Answer {
                text: generations.iter().map(|g| text_at(g, "/text")).collect(),
                stop: finish_reason(&generations[0]),
                usage: None,
            }
        }
        Family::CommandR => Answer {
            text: text_at(body, "/text"),
            stop: finish_reason(body),
            usage: None,
        },
    }
}

/// A stream's text is each generation's text whole, in generation order.
fn expected_stream(chunks: &[Value]) -> Answer {
    let mut by_generation: BTreeMap<u64, String> = BTreeMap::new();
    let mut stop = None;
    for chunk in chunks {
        if let Some(generations) = chunk["generations"].as_array() {
            for (index, generation) in (0..).zip(generations) {
                by_generation.insert(index, text_at(generation, "/text"));
            }
            stop = stop.or_else(|| finish_reason(&generations[0]));
        } else if let Some(event_type) = chunk["event_type"].as_str() {
            match event_type {
                "text-generation" => {
                    *by_generation.entry(0).or_default() += &text_at(chunk, "/text");
                }
                "stream-end" => stop = stop.or_else(|| finish_reason(chunk)),
                _ => {}
            }
        } else if chunk["is_finished"] == true {
            stop = stop.or_else(|| finish_reason(chunk));
        } else {
            let index = chunk["index"].as_u64().unwrap_or(0);
            *by_generation.entry(index).or_default() += &text_at(chunk, "/text");
        }
    }
    Answer {
        text: by_generation.into_values().collect(),
        stop,
        usage: None,
    }
}

/// Every recorded stop reason is one the adapter understands.
fn understood(raw: Option<&str>) -> bool {
    raw.is_none_or(|raw| stop::from_finish_reason(raw).reason != StopReason::Other)
}

#[test]
fn every_recorded_body_parses_as_recorded() {
    let bodies = with_family(recorded::bodies("cohere."), models::family);
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
            if actual.as_ref() != Ok(&expected) || !understood(expected.stop.as_deref()) {
                return Err(format!(
                    "{} ({}):\n  adapter:  {actual:?}\n  recorded: {expected:?}",
                    exchange.origin, exchange.model_id
                ));
            }
            Ok(())
        },
    );
}

#[test]
fn every_recorded_stream_decodes_as_recorded() {
    let streams = with_family(recorded::streams("cohere."), models::family);
    check_all(
        &streams,
        RECORDED_STREAMS,
        "recorded streams",
        |(_, exchange)| {
            let chunks: Vec<Value> = exchange
                .recorded
                .iter()
                .map(|chunk| serde_json::from_slice(chunk).expect("recorded JSON"))
                .collect();
            let expected = expected_stream(&chunks);
            let decoder = Decoder::new(exchange.model_id.clone());
            let actual =
                Answer::of_stream(&exchange.recorded, |c| decoder.feed(c), || decoder.finish());
            if actual.as_ref() != Ok(&expected) || !understood(expected.stop.as_deref()) {
                return Err(format!(
                    "{} ({}):\n  adapter:  {actual:?}\n  recorded: {expected:?}",
                    exchange.origin, exchange.model_id
                ));
            }
            Ok(())
        },
    );
}
