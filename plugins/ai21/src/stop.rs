//! Maps AI21's stop reasons onto the contract's `stop-reason`, keeping the
//! value as sent beside it: Jamba's `finish_reason` (`stop`: the model
//! finished or produced a stop sequence, which Jamba does not tell apart;
//! `length`; `tool_calls`) and Jurassic-2's `finishReason.reason`
//! (`endoftext`, `length`, `stop`: one of the stop sequences). Invariant:
//! every value maps to something (unknown ones to `other`), and the raw
//! value is never lost.

use bedrock_adapter_kit::stop;
use bedrock_adapter_kit::types::{Stop, StopReason};

/// The values of Jamba's `finish_reason`.
const JAMBA: &[(&str, StopReason)] = &[
    ("stop", StopReason::EndTurn),
    ("length", StopReason::MaxTokens),
    ("tool_calls", StopReason::ToolUse),
];

/// The values of Jurassic-2's `finishReason.reason`.
const JURASSIC2: &[(&str, StopReason)] = &[
    ("endoftext", StopReason::EndTurn),
    ("length", StopReason::MaxTokens),
    ("stop", StopReason::StopSequence),
];

/// A Jamba `finish_reason`.
pub fn from_jamba(raw: &str) -> Stop {
    stop::mapped(JAMBA, raw)
}

/// A Jurassic-2 `finishReason.reason`.
pub fn from_jurassic2(raw: &str) -> Stop {
    stop::mapped(JURASSIC2, raw)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bedrock_adapter_kit::testing::assert_stops;

    #[test]
    fn jamba_values() {
        assert_stops(
            from_jamba,
            &[
                ("stop", StopReason::EndTurn),
                ("length", StopReason::MaxTokens),
                ("tool_calls", StopReason::ToolUse),
                ("something_new", StopReason::Other),
            ],
        );
    }

    #[test]
    fn jurassic2_values() {
        assert_stops(
            from_jurassic2,
            &[
                ("endoftext", StopReason::EndTurn),
                ("length", StopReason::MaxTokens),
                ("stop", StopReason::StopSequence),
                ("something_new", StopReason::Other),
            ],
        );
    }
}
