//! Maps Mistral's stop reasons onto the contract's `stop-reason`, keeping
//! the value as sent beside it. Both APIs use the same values (`stop`:
//! the model finished or produced a stop sequence, which Mistral does not
//! tell apart; `length`; `tool_calls` for chat), and Mistral's own API adds
//! `model_length` (the context ran out). Invariant: every value maps to
//! something (unknown ones to `other`), and the raw value is never lost.

use bedrock_adapter_kit::stop;
use bedrock_adapter_kit::types::{Stop, StopReason};

/// The values of Mistral's `stop_reason` and `finish_reason`.
const MISTRAL: &[(&str, StopReason)] = &[
    ("stop", StopReason::EndTurn),
    ("length", StopReason::MaxTokens),
    ("model_length", StopReason::MaxTokens),
    ("tool_calls", StopReason::ToolUse),
];

/// A Mistral `stop_reason` or `finish_reason`.
pub fn from_mistral(raw: &str) -> Stop {
    stop::mapped(MISTRAL, raw)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bedrock_adapter_kit::testing::assert_stops;

    #[test]
    fn values() {
        assert_stops(
            from_mistral,
            &[
                ("stop", StopReason::EndTurn),
                ("length", StopReason::MaxTokens),
                ("model_length", StopReason::MaxTokens),
                ("tool_calls", StopReason::ToolUse),
                ("error", StopReason::Other),
            ],
        );
    }
}
