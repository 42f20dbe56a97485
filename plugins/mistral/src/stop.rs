//! Maps Mistral's stop reasons onto the contract's `stop-reason`, keeping
//! the value as sent beside it. Both APIs use the same values (`stop`:
//! the model finished or produced a stop sequence, which Mistral does not
//! tell apart; `length`; `tool_calls` for chat), and Mistral's own API adds
//! `model_length` (the context ran out). Invariant: every value maps to
//! something (unknown ones to `other`), and the raw value is never lost.

use crate::bedrock::adapter::types::{Stop, StopReason};

/// A Mistral `stop_reason` or `finish_reason`.
pub fn from_mistral(raw: &str) -> Stop {
    let reason = match raw {
        "stop" => StopReason::EndTurn,
        "length" | "model_length" => StopReason::MaxTokens,
        "tool_calls" => StopReason::ToolUse,
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
            ("model_length", StopReason::MaxTokens),
            ("tool_calls", StopReason::ToolUse),
            ("error", StopReason::Other),
        ] {
            assert_eq!(
                from_mistral(raw),
                Stop {
                    reason,
                    raw: Some(raw.to_owned())
                }
            );
        }
    }
}
