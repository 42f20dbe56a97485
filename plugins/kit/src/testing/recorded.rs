//! The recorded Bedrock traffic through an adapter called as Rust: the
//! native half of the check whose other half, the end-to-end suite, runs
//! the same recordings through the `.wasm` component. The traffic is read
//! by `bedrock-recorded` (the project's one reader), and each family's
//! expected answers come from its `tests/recorded/expected.rs`, which that
//! crate compiles too; this module puts the kit's types in
//! `bedrock-recorded`'s comparable shape and runs a family's recordings.
//!
//! Invariant: an exchange is run through the adapter when its base model
//! id matches one of the patterns the adapter describes, as the host
//! routes it; the run fails unless every answer is the expected one and
//! the family's stated number of recordings was checked.

use bedrock_recorded::tally::{Kind, Tally};
use bedrock_recorded::{Answer, Counts, Ending, Exchange, Family};

use crate::models::matches;
use crate::types::{AdapterError, Event, ModelSupport, Output, Response, Stop, StopReason, Usage};

/// The two recorded-traffic tests of a plugin crate, written once: every
/// recorded body through the adapter's `parse_response`, every recorded
/// stream through a fresh `StreamDecoder`, each held to `$family` (the
/// crate's `expected::FAMILY`). `$plugin` is the plugin's library crate.
#[macro_export]
macro_rules! recorded_traffic_tests {
    ($plugin:ident, $family:expr) => {
        #[test]
        fn every_recorded_body_parses_as_recorded() {
            use $plugin::exports::bedrock::adapter::adapter::Guest as _;
            $crate::testing::recorded::check_bodies(
                &$family,
                &$plugin::Component::describe().models,
                $plugin::Component::parse_response,
            );
        }

        #[test]
        fn every_recorded_stream_decodes_as_recorded() {
            use $plugin::exports::bedrock::adapter::adapter::{Guest, GuestStreamDecoder as _};
            $crate::testing::recorded::check_streams(
                &$family,
                &$plugin::Component::describe().models,
                |model_id, chunks| {
                    let decoder = <$plugin::Component as Guest>::StreamDecoder::new(model_id);
                    $crate::testing::decode(
                        chunks,
                        |chunk| decoder.feed(chunk),
                        || decoder.finish(),
                    )
                },
            );
        }
    };
}

/// Runs every recorded body of `family` that the adapter serves (its
/// `describe` patterns, `models`) through `parse` (its `parse_response`)
/// and checks each answer against the expectation.
pub fn check_bodies(
    family: &Family,
    models: &[ModelSupport],
    parse: impl Fn(String, Vec<u8>) -> Result<Response, AdapterError>,
) {
    let mut tally = Tally::default();
    for (model_id, exchange) in served(bedrock_recorded::bodies(), family, models, &mut tally) {
        let actual = parse(model_id, exchange.recorded.clone())
            .map_err(|err| format!("{err:?}"))
            .map(answer_of_response);
        let expected = family.expected_body(&exchange);
        tally.compare(family.plugin, &exchange.origin, actual, expected);
    }
    tally.assert_all_good(Kind::Bodies, &[family]);
}

/// Runs every recorded stream of `family` that the adapter serves through
/// `decode` (a fresh stream decoder for the model, fed each chunk, then
/// finished: see [`decode`](super::decode)) and checks each answer against
/// the expectation.
pub fn check_streams(
    family: &Family,
    models: &[ModelSupport],
    decode: impl Fn(String, &[Vec<u8>]) -> Result<Vec<Event>, AdapterError>,
) {
    let mut tally = Tally::default();
    let streams = bedrock_recorded::streams().streams;
    for (model_id, exchange) in served(streams, family, models, &mut tally) {
        let actual = decode(model_id, &exchange.recorded)
            .map_err(|err| format!("{err:?}"))
            .and_then(answer_of_events);
        let expected = family.expected_stream(&exchange);
        tally.compare(family.plugin, &exchange.origin, actual, expected);
    }
    tally.assert_all_good(Kind::Streams, &[family]);
}

/// The exchanges of `family`'s provider whose base model id one of
/// `models` matches, with that id; the others of the provider are skipped.
fn served<T>(
    exchanges: Vec<Exchange<T>>,
    family: &Family,
    models: &[ModelSupport],
    tally: &mut Tally,
) -> Vec<(String, Exchange<T>)> {
    let mut served = Vec::new();
    for exchange in exchanges {
        let Some(base) = exchange.base_model_id(family.provider) else {
            continue;
        };
        if models.iter().any(|support| matches(&support.pattern, base)) {
            served.push((base.to_owned(), exchange));
        } else {
            tally.skip(format!("{} ({})", exchange.origin, exchange.model_id));
        }
    }
    served
}

/// A parsed response in the comparable shape, which holds the answer text
/// and images only (tool calls and reasoning are checked by each family's
/// own tests).
pub fn answer_of_response(response: Response) -> Answer {
    let mut answer = Answer::default();
    for output in response.outputs {
        match output {
            Output::Text(text) => answer.text.push_str(&text),
            Output::Image(_) => answer.images += 1,
            Output::ToolCall(_) | Output::Reasoning(_) | Output::RedactedReasoning(_) => {}
        }
    }
    answer.stop = response.stop.map(ending);
    answer.usage = response.usage.map(counts);
    answer
}

/// The answer a stream's events add up to, as [`answer_of_response`]
/// counts it; a second stop or usage event is an error.
pub fn answer_of_events(events: Vec<Event>) -> Result<Answer, String> {
    let mut answer = Answer::default();
    for event in events {
        match event {
            Event::Text(text) => answer.text.push_str(&text),
            Event::Stop(stop) => answer.end(ending(stop))?,
            Event::Usage(usage) => answer.count(counts(usage))?,
            Event::Reasoning(_)
            | Event::ReasoningSignature(_)
            | Event::RedactedReasoning(_)
            | Event::ToolCallStart(_)
            | Event::ToolCallInput(_)
            | Event::ToolCallEnd => {}
        }
    }
    Ok(answer)
}

fn ending(stop: Stop) -> Ending {
    use bedrock_recorded::StopReason as Reason;
    let reason = match stop.reason {
        StopReason::EndTurn => Reason::EndTurn,
        StopReason::MaxTokens => Reason::MaxTokens,
        StopReason::StopSequence => Reason::StopSequence,
        StopReason::ToolUse => Reason::ToolUse,
        StopReason::ContentFiltered => Reason::ContentFiltered,
        StopReason::Other => Reason::Other,
    };
    Ending {
        reason,
        raw: stop.raw,
    }
}

fn counts(usage: Usage) -> Counts {
    Counts {
        input: usage.input_tokens,
        output: usage.output_tokens,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stop::sent;

    #[test]
    fn events_add_up_to_one_answer() {
        let usage = Usage {
            input_tokens: 3,
            output_tokens: 2,
            cache_read_tokens: None,
            cache_write_tokens: None,
        };
        let answer = answer_of_events(vec![
            Event::Text("Hi".to_owned()),
            Event::Text(" there".to_owned()),
            Event::Stop(sent(StopReason::EndTurn, "stop")),
            Event::Usage(usage),
        ]);
        assert_eq!(
            answer,
            Ok(Answer {
                text: "Hi there".to_owned(),
                images: 0,
                stop: Some(Ending::sent(bedrock_recorded::StopReason::EndTurn, "stop")),
                usage: Some(Counts {
                    input: 3,
                    output: 2
                }),
            })
        );
        assert!(answer_of_events(vec![Event::Usage(usage), Event::Usage(usage)]).is_err());
    }
}
