//! `bedrock-adapter-kit-recorded`: the recorded Bedrock traffic through an
//! adapter called as Rust, for this repository's adapters only (it reads
//! the repository's fixtures, so it is never published; the kit is). The
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

use serde_json::Value;

#[doc(hidden)]
pub use bedrock_adapter_kit::testing::decode;

use bedrock_adapter_kit::models::matches;
use bedrock_adapter_kit::types::{
    AdapterError, Event, ModelSupport, Output, Response, Stop, StopReason, Usage,
};

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
            $crate::check_bodies(
                &$family,
                &$plugin::Component::describe().models,
                $plugin::Component::parse_response,
            );
        }

        #[test]
        fn every_recorded_stream_decodes_as_recorded() {
            use $plugin::exports::bedrock::adapter::adapter::{Guest, GuestStreamDecoder as _};
            $crate::check_streams(
                &$family,
                &$plugin::Component::describe().models,
                |model_id, chunks| {
                    let decoder = <$plugin::Component as Guest>::StreamDecoder::new(model_id);
                    $crate::decode(chunks, |chunk| decoder.feed(chunk), || decoder.finish())
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

/// A tool call as compared with a recording: the tool's name and its input
/// as a JSON value.
pub type Call = (String, Value);

/// How a family's recorded tool calls follow from the recorded JSON: the
/// calls of a body, and of a stream's chunks (model JSON, in order).
pub struct ToolCallFamily {
    /// How its model ids start (`"anthropic."`).
    pub provider: &'static str,
    /// The calls a recorded body holds.
    pub body: fn(&Value) -> Vec<Call>,
    /// The calls a recorded stream holds.
    pub stream: fn(&[Value]) -> Vec<Call>,
}

/// Runs every recorded body and stream of `family`'s provider that holds a
/// tool call (as `family` reads the recording) and that the adapter serves
/// through `parse` and `decode` (as in [`check_bodies`] and
/// [`check_streams`]), and checks that the adapter's calls are the
/// recorded ones, names and inputs, in order, and that its stream events
/// follow the contract's event model for tool calls. Returns how many
/// bodies and streams were checked.
pub fn check_tool_calls(
    family: &ToolCallFamily,
    models: &[ModelSupport],
    parse: impl Fn(String, Vec<u8>) -> Result<Response, AdapterError>,
    decode: impl Fn(String, &[Vec<u8>]) -> Result<Vec<Event>, AdapterError>,
) -> (usize, usize) {
    let served = |model_id: &str| {
        models
            .iter()
            .any(|support| matches(&support.pattern, model_id))
    };
    let json = |bytes: &[u8]| serde_json::from_slice::<Value>(bytes).unwrap_or(Value::Null);
    let mut bodies = 0;
    for exchange in bedrock_recorded::bodies() {
        let Some(model_id) = exchange
            .base_model_id(family.provider)
            .filter(|id| served(id))
        else {
            continue;
        };
        let expected = (family.body)(&json(&exchange.recorded));
        if expected.is_empty() {
            continue;
        }
        let actual = parse(model_id.to_owned(), exchange.recorded.clone())
            .map_err(|err| format!("{err:?}"))
            .and_then(|response| calls_of_response(&response));
        assert_eq!(actual, Ok(expected), "{}", exchange.origin);
        bodies += 1;
    }
    let mut streams = 0;
    for exchange in bedrock_recorded::streams().streams {
        let Some(model_id) = exchange
            .base_model_id(family.provider)
            .filter(|id| served(id))
        else {
            continue;
        };
        let chunks: Vec<Value> = exchange.recorded.iter().map(|chunk| json(chunk)).collect();
        let expected = (family.stream)(&chunks);
        if expected.is_empty() {
            continue;
        }
        let actual = decode(model_id.to_owned(), &exchange.recorded)
            .map_err(|err| format!("{err:?}"))
            .and_then(|events| calls_of_events(&events));
        assert_eq!(actual, Ok(expected), "{}", exchange.origin);
        streams += 1;
    }
    (bodies, streams)
}

/// The tool calls of a response, in order; an input that is not JSON of
/// one object is an error.
pub fn calls_of_response(response: &Response) -> Result<Vec<Call>, String> {
    response
        .outputs
        .iter()
        .filter_map(|output| match output {
            Output::ToolCall(call) => Some(object_input(&call.name, &call.input)),
            _ => None,
        })
        .collect()
}

/// The tool calls a stream's events add up to, checking the contract's
/// event model: a call is a start, input fragments, an end; no other
/// content comes while a call is open, and none is open at the end.
pub fn calls_of_events(events: &[Event]) -> Result<Vec<Call>, String> {
    let mut calls = Vec::new();
    let mut open: Option<(String, String)> = None;
    for event in events {
        match (event, &mut open) {
            (Event::ToolCallStart(start), None) => open = Some((start.name.clone(), String::new())),
            (Event::ToolCallInput(fragment), Some((_, input))) => input.push_str(fragment),
            (Event::ToolCallEnd, Some(_)) => {
                if let Some((name, input)) = open.take() {
                    calls.push(object_input(&name, &input)?);
                }
            }
            (Event::ToolCallInput(_) | Event::ToolCallEnd, None) => {
                return Err(format!("{event:?} with no call open"));
            }
            (Event::Stop(_) | Event::Usage(_), _) | (_, None) => {}
            (other, Some((name, _))) => {
                return Err(format!("{other:?} while the call of {name} is open"));
            }
        }
    }
    match open {
        Some((name, _)) => Err(format!("the call of {name} is still open at the end")),
        None => Ok(calls),
    }
}

/// `input` as JSON of one object (nothing is `{}`).
fn object_input(name: &str, input: &str) -> Result<Call, String> {
    let value = if input.is_empty() {
        Value::Object(serde_json::Map::new())
    } else {
        serde_json::from_str(input).map_err(|err| format!("the input of {name}: {err}"))?
    };
    if value.is_object() {
        Ok((name.to_owned(), value))
    } else {
        Err(format!("the input of {name} is not an object: {value}"))
    }
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
    use bedrock_adapter_kit::stop::sent;

    #[test]
    fn tool_call_events_follow_the_event_model() {
        use bedrock_adapter_kit::types::ToolCallStart;
        let start = || {
            Event::ToolCallStart(ToolCallStart {
                id: "t".to_owned(),
                name: "f".to_owned(),
            })
        };
        let input = |text: &str| Event::ToolCallInput(text.to_owned());
        assert_eq!(
            calls_of_events(&[start(), input(r#"{"a":"#), input("1}"), Event::ToolCallEnd]),
            Ok(vec![("f".to_owned(), serde_json::json!({"a": 1}))])
        );
        assert_eq!(
            calls_of_events(&[start(), Event::ToolCallEnd]),
            Ok(vec![("f".to_owned(), serde_json::json!({}))])
        );
        for broken in [
            vec![start()],
            vec![start(), Event::Text("x".to_owned()), Event::ToolCallEnd],
            vec![start(), start()],
            vec![Event::ToolCallEnd],
            vec![start(), input("[1]"), Event::ToolCallEnd],
        ] {
            assert!(calls_of_events(&broken).is_err(), "{broken:?}");
        }
    }

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
