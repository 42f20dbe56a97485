//! Maps Llama's `stop_reason` onto the contract's `stop-reason`, keeping the
//! value as sent beside it. AWS documents two values (`stop`: the model
//! finished, `length`: `max_gen_len` or the context ran out). Invariant:
//! every value maps to something (unknown ones to `other`), and the raw
//! value is never lost.

use crate::bedrock::adapter::types::{Stop, StopReason};

/// A Llama `stop_reason`.
pub fn from_llama(raw: &str) -> Stop {
    let reason = match raw {
        "stop" => StopReason::EndTurn,
        "length" => StopReason::MaxTokens,
        _ => StopReason::Other,
    };
    Stop {
        reason,
        raw: Some(raw.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values() {
        for (raw, reason) in [
            ("stop", StopReason::EndTurn),
            ("length", StopReason::MaxTokens),
            ("something_new", StopReason::Other),
        ] {
            assert_eq!(
                from_llama(raw),
                Stop {
                    reason,
                    raw: Some(raw.to_owned())
                }
            );
        }
    }
}
