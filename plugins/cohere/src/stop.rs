//! Maps Cohere's `finish_reason` onto the contract's `stop-reason`, keeping
//! the value as sent beside it. Both families use the same values (AWS's
//! Command and Command R pages, and the recorded `STOP_SEQUENCE` of
//! otel-python-contrib's Command R cassette). Invariant: every value maps
//! to something (unknown ones to `other`), and the raw value is never lost.

use crate::bedrock::adapter::types::{Stop, StopReason};

/// A `finish_reason`. `ERROR_TOXIC` is Cohere's content filter;
/// `ERROR_LIMIT` (the context limit reached) is running out of tokens;
/// `ERROR` and `USER_CANCEL` are `other`.
pub fn from_finish_reason(raw: &str) -> Stop {
    let reason = match raw {
        "COMPLETE" => StopReason::EndTurn,
        "MAX_TOKENS" | "ERROR_LIMIT" => StopReason::MaxTokens,
        "STOP_SEQUENCE" => StopReason::StopSequence,
        "TOOL_CALL" => StopReason::ToolUse,
        "ERROR_TOXIC" => StopReason::ContentFiltered,
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
            ("COMPLETE", StopReason::EndTurn),
            ("MAX_TOKENS", StopReason::MaxTokens),
            ("ERROR_LIMIT", StopReason::MaxTokens),
            ("STOP_SEQUENCE", StopReason::StopSequence),
            ("TOOL_CALL", StopReason::ToolUse),
            ("ERROR_TOXIC", StopReason::ContentFiltered),
            ("ERROR", StopReason::Other),
            ("USER_CANCEL", StopReason::Other),
        ] {
            assert_eq!(
                from_finish_reason(raw),
                Stop {
                    reason,
                    raw: Some(raw.to_owned())
                }
            );
        }
    }
}
