//! Stop reasons: a family's own value mapped onto the contract's
//! `stop-reason`, with the value as sent kept beside it.
//!
//! Invariants: every value maps to something (a value a table does not
//! name is `other`), and the raw value is never lost.

use crate::types::{Stop, StopReason};

/// A stop of `reason`, keeping `raw`, the value as the model sent it.
pub fn sent(reason: StopReason, raw: &str) -> Stop {
    Stop {
        reason,
        raw: Some(raw.to_owned()),
    }
}

/// The stop `table` gives `raw`: the reason of its entry, or `other` for a
/// value the table does not name; the raw value is kept either way.
///
/// ```
/// use bedrock_adapter_kit::stop;
/// use bedrock_adapter_kit::types::StopReason;
///
/// const LLAMA: &[(&str, StopReason)] =
///     &[("stop", StopReason::EndTurn), ("length", StopReason::MaxTokens)];
/// assert_eq!(stop::mapped(LLAMA, "length").reason, StopReason::MaxTokens);
/// let new = stop::mapped(LLAMA, "something_new");
/// assert_eq!((new.reason, new.raw.as_deref()), (StopReason::Other, Some("something_new")));
/// ```
pub fn mapped(table: &[(&str, StopReason)], raw: &str) -> Stop {
    let reason = table
        .iter()
        .find(|(value, _)| *value == raw)
        .map_or(StopReason::Other, |(_, reason)| *reason);
    sent(reason, raw)
}
