//! The contract's event model, enforced: what the events of one stream may
//! say, in what order, and what a complete answer may hold (the rules are
//! written down in `wit/since_v0.2.1/adapter.wit`, at `event` and
//! `response`).
//!
//! Invariant: an answer that reaches the user obeys the model: one stop at
//! most, nothing but usage after it, tool calls opened and closed in turn
//! with non-empty ids and names, unique ids, and inputs that are JSON text
//! of one object. A plugin that breaks a rule ends its request with an error
//! that says which rule; nothing it chose is quoted in it.

use std::collections::HashSet;

use super::bindings::{Event, Output, Response};

/// The state of one stream, as far as the event model is concerned.
#[derive(Debug, Default)]
pub struct EventModel {
    stopped: bool,
    open_call: Option<OpenCall>,
    call_ids: HashSet<String>,
}

#[derive(Debug)]
struct OpenCall {
    input: String,
}

impl EventModel {
    /// Takes the events of one `feed` or `finish`, in order; the first that
    /// breaks a rule is described in the error.
    pub fn accept(&mut self, events: &[Event]) -> Result<(), String> {
        for (index, event) in events.iter().enumerate() {
            self.accept_one(event)
                .map_err(|rule| format!("event {} of the call {rule}", index + 1))?;
        }
        Ok(())
    }

    /// The stream ended normally: no tool call may still be open.
    pub fn finish(&self) -> Result<(), String> {
        if self.open_call.is_some() {
            return Err("ended the stream with a tool call still open (no tool-call-end)".into());
        }
        Ok(())
    }

    fn accept_one(&mut self, event: &Event) -> Result<(), String> {
        let content = !matches!(event, Event::Stop(_) | Event::Usage(_));
        if content && self.stopped {
            return Err("is content after the stop event".into());
        }
        match event {
            Event::Stop(_) if self.stopped => Err("is a second stop event".into()),
            Event::Stop(_) => {
                if self.open_call.is_some() {
                    return Err("is a stop while a tool call is open".into());
                }
                self.stopped = true;
                Ok(())
            }
            Event::Usage(_) => Ok(()),
            Event::ToolCallStart(start) => {
                if self.open_call.is_some() {
                    return Err("starts a tool call while another is open".into());
                }
                self.new_call_id(&start.id, &start.name)?;
                self.open_call = Some(OpenCall {
                    input: String::new(),
                });
                Ok(())
            }
            Event::ToolCallInput(fragment) => match &mut self.open_call {
                Some(call) => {
                    call.input.push_str(fragment);
                    Ok(())
                }
                None => Err("is tool-call input with no tool call open".into()),
            },
            Event::ToolCallEnd => match self.open_call.take() {
                Some(call) => check_input(&call.input)
                    .map_err(|input| format!("ends a tool call whose input {input}")),
                None => Err("ends a tool call that was not started".into()),
            },
            Event::Text(_)
            | Event::Reasoning(_)
            | Event::ReasoningSignature(_)
            | Event::RedactedReasoning(_) => {
                if self.open_call.is_some() {
                    return Err("is other content while a tool call is open".into());
                }
                Ok(())
            }
        }
    }

    fn new_call_id(&mut self, id: &str, name: &str) -> Result<(), String> {
        if id.is_empty() || name.is_empty() {
            return Err("is a tool call with an empty id or name".into());
        }
        if !self.call_ids.insert(id.to_owned()) {
            return Err("repeats the id of an earlier tool call".into());
        }
        Ok(())
    }
}

/// A tool call's input: JSON text of one object, or nothing (`{}`); else
/// what is wrong with it.
fn check_input(input: &str) -> Result<(), &'static str> {
    if input.trim().is_empty() {
        return Ok(());
    }
    match serde_json::from_str::<serde_json::Value>(input) {
        Ok(serde_json::Value::Object(_)) => Ok(()),
        Ok(_) => Err("is JSON but not an object"),
        Err(_) => Err("is not JSON text"),
    }
}

/// Checks a complete answer: tool calls with non-empty ids and names, unique
/// ids and object inputs.
pub fn check_response(response: &Response) -> Result<(), String> {
    let mut model = EventModel::default();
    for (index, output) in response.outputs.iter().enumerate() {
        if let Output::ToolCall(call) = output {
            model
                .new_call_id(&call.id, &call.name)
                .and_then(|()| {
                    check_input(&call.input)
                        .map_err(|input| format!("is a tool call whose input {input}"))
                })
                .map_err(|rule| format!("output {} {rule}", index + 1))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::{Stop, StopReason, ToolCall, ToolCallStart, Usage};

    fn start(id: &str) -> Event {
        Event::ToolCallStart(ToolCallStart {
            id: id.into(),
            name: "weather".into(),
        })
    }

    fn stop() -> Event {
        Event::Stop(Stop {
            reason: StopReason::ToolUse,
            raw: None,
        })
    }

    fn usage() -> Event {
        Event::Usage(Usage {
            input_tokens: 1,
            output_tokens: 2,
            cache_read_tokens: None,
            cache_write_tokens: None,
        })
    }

    fn broken(events: &[Event]) -> String {
        let mut model = EventModel::default();
        match model.accept(events).and_then(|()| model.finish()) {
            Ok(()) => panic!("accepted {events:?}"),
            Err(rule) => rule,
        }
    }

    #[test]
    fn a_well_formed_stream_is_accepted_across_calls() {
        let mut model = EventModel::default();
        model
            .accept(&[
                Event::Reasoning("think".into()),
                Event::ReasoningSignature("sig".into()),
                Event::Text("Let me look.".into()),
                usage(),
                start("t1"),
                Event::ToolCallInput("{\"city\":".into()),
            ])
            .expect("first chunk");
        model
            .accept(&[
                Event::ToolCallInput("\"Oslo\"}".into()),
                Event::ToolCallEnd,
                start("t2"),
                Event::ToolCallEnd,
                stop(),
                usage(),
                usage(),
            ])
            .expect("second chunk");
        model.finish().expect("nothing open");
    }

    #[test]
    fn each_rule_is_enforced_and_named() {
        let text = || Event::Text("x".into());
        let cases: [(&[Event], &str); 10] = [
            (
                &[stop(), stop()],
                "event 2 of the call is a second stop event",
            ),
            (
                &[stop(), text()],
                "event 2 of the call is content after the stop event",
            ),
            (
                &[start("a"), start("b")],
                "starts a tool call while another is open",
            ),
            (
                &[Event::ToolCallInput("{}".into())],
                "with no tool call open",
            ),
            (
                &[Event::ToolCallEnd],
                "ends a tool call that was not started",
            ),
            (
                &[start("a"), text()],
                "is other content while a tool call is open",
            ),
            (
                &[start("a"), Event::ToolCallEnd, start("a")],
                "repeats the id",
            ),
            (
                &[
                    start("a"),
                    Event::ToolCallInput("[1]".into()),
                    Event::ToolCallEnd,
                ],
                "not an object",
            ),
            (
                &[
                    start("a"),
                    Event::ToolCallInput("{".into()),
                    Event::ToolCallEnd,
                ],
                "not JSON text",
            ),
            (
                &[start("a")],
                "ended the stream with a tool call still open",
            ),
        ];
        for (events, rule) in cases {
            let said = broken(events);
            assert!(said.contains(rule), "{events:?}: {said}");
        }
        assert!(broken(&[start("")]).contains("empty id or name"));
        assert!(broken(&[start("a"), stop()]).contains("stop while a tool call is open"));
    }

    #[test]
    fn a_complete_answer_is_checked_too() {
        let call = |id: &str, input: &str| {
            Output::ToolCall(ToolCall {
                id: id.into(),
                name: "weather".into(),
                input: input.into(),
            })
        };
        let response = |outputs| Response {
            outputs,
            stop: None,
            usage: None,
        };
        assert!(check_response(&response(vec![call("a", "{}"), call("b", "")])).is_ok());
        let repeated = check_response(&response(vec![call("a", "{}"), call("a", "{}")]));
        assert_eq!(
            repeated,
            Err("output 2 repeats the id of an earlier tool call".into())
        );
        let not_object = check_response(&response(vec![call("a", "3")]));
        assert_eq!(
            not_object,
            Err("output 1 is a tool call whose input is JSON but not an object".into())
        );
    }
}
