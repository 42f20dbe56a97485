//! State a `stream-decoder` keeps between chunks: token counts held until
//! they can be reported, events that a stream may carry only once, and the
//! tool call open in the stream.
//!
//! All work through `&self`, as `feed` and `finish` do (a `Cell` inside).
//! Invariants: held counts are only reported as a usage when both are
//! known, and are forgotten once reported; a [`Once`] lets exactly one
//! event through; [`ToolCalls`] keeps the contract's event model for tool
//! calls: a call is `tool-call-start`, input fragments, `tool-call-end`,
//! at most one is open at a time, and none is left open.

use std::cell::Cell;

use crate::types::{Event, ToolCall, ToolCallStart, Usage};

/// Token counts that arrive on different chunks (the input count first,
/// the output count growing), held until the stream reports them, usually
/// from `finish`.
///
/// ```
/// use bedrock_adapter_kit::stream::HeldUsage;
///
/// let held = HeldUsage::default();
/// held.update(Some(10), None);
/// held.update(None, Some(3));
/// held.update(None, Some(7));
/// let usage = held.take().map(|usage| (usage.input_tokens, usage.output_tokens));
/// assert_eq!(usage, Some((10, 7)));
/// assert!(held.take().is_none());
/// ```
#[derive(Debug, Default)]
pub struct HeldUsage {
    input: Cell<Option<u32>>,
    output: Cell<Option<u32>>,
}

impl HeldUsage {
    /// Keeps the counts a chunk gives; a count it does not give keeps its
    /// earlier value.
    pub fn update(&self, input_tokens: Option<u32>, output_tokens: Option<u32>) {
        if input_tokens.is_some() {
            self.input.set(input_tokens);
        }
        if output_tokens.is_some() {
            self.output.set(output_tokens);
        }
    }

    /// Keeps both counts of `usage`.
    pub fn keep(&self, usage: Usage) {
        self.update(Some(usage.input_tokens), Some(usage.output_tokens));
    }

    /// Both counts, when both have been given, and forgets them.
    pub fn take(&self) -> Option<Usage> {
        crate::wire::usage(self.input.take(), self.output.take())
    }
}

/// Lets the first event of a kind through and no other, for a stream that
/// may name its stop reason (or usage) on more than one chunk.
#[derive(Debug, Default)]
pub struct Once {
    done: Cell<bool>,
}

impl Once {
    /// `event` the first time; `None` ever after.
    pub fn first(&self, event: Event) -> Option<Event> {
        (!self.done.replace(true)).then_some(event)
    }
}

/// The tool call open in a stream, for the event model: starting a call,
/// or any other content, closes the open one first; input fragments go to
/// the open call only; [`ToolCalls::close`] ends it (from `finish` too, so
/// no call is left open).
///
/// ```
/// use bedrock_adapter_kit::stream::ToolCalls;
/// use bedrock_adapter_kit::types::{Event, ToolCall};
///
/// let calls = ToolCalls::default();
/// let mut events = calls.start("t1".to_owned(), "f".to_owned());
/// events.extend(calls.input(r#"{"a":"#.to_owned()));
/// events.extend(calls.input("1}".to_owned()));
/// events.extend(calls.start("t2".to_owned(), "g".to_owned()));
/// events.extend(calls.close());
/// assert_eq!(events.len(), 6);
/// assert_eq!(events[3], Event::ToolCallEnd);
/// assert!(calls.close().is_none());
/// // A family whose chunks carry whole calls: all three events at once.
/// let whole = ToolCall { id: "t3".to_owned(), name: "f".to_owned(), input: "{}".to_owned() };
/// assert_eq!(calls.whole(whole).len(), 3);
/// ```
#[derive(Debug, Default)]
pub struct ToolCalls {
    open: Cell<bool>,
}

impl ToolCalls {
    /// Starts a call: the end of the open one, if any, then its start.
    pub fn start(&self, id: String, name: String) -> Vec<Event> {
        let mut events: Vec<Event> = self.close().into_iter().collect();
        events.push(Event::ToolCallStart(ToolCallStart { id, name }));
        self.open.set(true);
        events
    }

    /// A fragment of the open call's input; nothing when no call is open
    /// or the fragment is empty.
    pub fn input(&self, fragment: String) -> Option<Event> {
        (self.open.get() && !fragment.is_empty()).then_some(Event::ToolCallInput(fragment))
    }

    /// The end of the open call, if one is open.
    pub fn close(&self) -> Option<Event> {
        self.open.replace(false).then_some(Event::ToolCallEnd)
    }

    /// `event` (text, reasoning, a stop...) after the end of the open
    /// call, if any: content never comes while a call is open.
    pub fn then(&self, event: Event) -> Vec<Event> {
        self.close().into_iter().chain([event]).collect()
    }

    /// A whole call at once, for a family whose chunks carry whole calls:
    /// the end of the open one, if any, then its start, its input, its end.
    pub fn whole(&self, call: ToolCall) -> Vec<Event> {
        let ToolCall { id, name, input } = call;
        let mut events = self.start(id, name);
        events.extend(self.input(input));
        events.extend(self.close());
        events
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_count_holds_nothing_back() {
        let held = HeldUsage::default();
        held.update(Some(5), None);
        assert_eq!(held.take(), None);
        held.keep(Usage {
            input_tokens: 1,
            output_tokens: 2,
            cache_read_tokens: None,
            cache_write_tokens: None,
        });
        held.update(None, Some(4));
        assert_eq!(crate::wire::usage(Some(1), Some(4)), held.take());
    }

    #[test]
    fn once() {
        let once = Once::default();
        assert_eq!(
            once.first(Event::Text("a".to_owned())),
            Some(Event::Text("a".to_owned()))
        );
        assert_eq!(once.first(Event::Text("b".to_owned())), None);
    }

    #[test]
    fn tool_calls_follow_the_event_model() {
        let calls = ToolCalls::default();
        assert_eq!(calls.input("x".to_owned()), None, "no call is open");
        let start = |id: &str| {
            Event::ToolCallStart(ToolCallStart {
                id: id.to_owned(),
                name: "f".to_owned(),
            })
        };
        assert_eq!(calls.start("a".to_owned(), "f".to_owned()), [start("a")]);
        assert_eq!(calls.input(String::new()), None);
        assert_eq!(
            calls.then(Event::Text("t".to_owned())),
            [Event::ToolCallEnd, Event::Text("t".to_owned())]
        );
        assert_eq!(
            calls.then(Event::Text("u".to_owned())),
            [Event::Text("u".to_owned())]
        );
        let whole = ToolCall {
            id: "b".to_owned(),
            name: "f".to_owned(),
            input: "{}".to_owned(),
        };
        assert_eq!(
            calls.whole(whole),
            [
                start("b"),
                Event::ToolCallInput("{}".to_owned()),
                Event::ToolCallEnd
            ]
        );
        assert_eq!(calls.close(), None);
    }
}
