//! State a `stream-decoder` keeps between chunks: token counts held until
//! they can be reported, and events that a stream may carry only once.
//!
//! Both work through `&self`, as `feed` and `finish` do (a `Cell` inside).
//! Invariants: held counts are only reported as a usage when both are
//! known, and are forgotten once reported; a [`Once`] lets exactly one
//! event through.

use std::cell::Cell;

use crate::types::{Event, Usage};

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
}
