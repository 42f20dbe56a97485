//! Maps Cohere's `finish_reason` onto the contract's `stop-reason`, keeping
//! the value as sent beside it. Both families use the same values (AWS's
//! Command and Command R pages, and the recorded `STOP_SEQUENCE` of
//! otel-python-contrib's Command R cassette). Invariant: every value maps
//! to something (unknown ones to `other`), and the raw value is never lost.

use bedrock_adapter_kit::stop;
use bedrock_adapter_kit::types::{Stop, StopReason};

/// The values of `finish_reason`. `ERROR_TOXIC` is Cohere's content filter;
/// `ERROR_LIMIT` (the context limit reached) is running out of tokens;
/// `ERROR` and `USER_CANCEL` are `other`.
const FINISH_REASONS: &[(&str, StopReason)] = &[
    ("COMPLETE", StopReason::EndTurn),
    ("MAX_TOKENS", StopReason::MaxTokens),
    ("ERROR_LIMIT", StopReason::MaxTokens),
    ("STOP_SEQUENCE", StopReason::StopSequence),
    ("TOOL_CALL", StopReason::ToolUse),
    ("ERROR_TOXIC", StopReason::ContentFiltered),
];

/// A `finish_reason`.
pub fn from_finish_reason(raw: &str) -> Stop {
    stop::mapped(FINISH_REASONS, raw)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bedrock_adapter_kit::testing::assert_stops;

    #[test]
    fn values() {
        assert_stops(
            from_finish_reason,
            &[
                ("COMPLETE", StopReason::EndTurn),
                ("MAX_TOKENS", StopReason::MaxTokens),
                ("ERROR_LIMIT", StopReason::MaxTokens),
                ("STOP_SEQUENCE", StopReason::StopSequence),
                ("TOOL_CALL", StopReason::ToolUse),
                ("ERROR_TOXIC", StopReason::ContentFiltered),
                ("ERROR", StopReason::Other),
                ("USER_CANCEL", StopReason::Other),
            ],
        );
    }
}
