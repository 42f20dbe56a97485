//! Maps AI21's stop reasons onto the contract's `stop-reason`, keeping the
//! value as sent beside it: Jamba's `finish_reason` (`stop`: the model
//! finished or produced a stop sequence, which Jamba does not tell apart;
//! `length`; `tool_calls`) and Jurassic-2's `finishReason.reason`
//! (`endoftext`, `length`, `stop`: one of the stop sequences). Invariant:
//! every value maps to something (unknown ones to `other`), and the raw
//! value is never lost.

use crate::bedrock::adapter::types::{Stop, StopReason};

/// A Jamba `finish_reason`.
pub fn from_jamba(raw: &str) -> Stop {
    let reason = match raw {
        "stop" => StopReason::EndTurn,
        "length" => StopReason::MaxTokens,
        "tool_calls" => StopReason::ToolUse,
        _ => StopReason::Other,
    };
    Stop {
        reason,
        raw: Some(raw.to_owned()),
    }
}

/// A Jurassic-2 `finishReason.reason`.
pub fn from_jurassic2(raw: &str) -> Stop {
    let reason = match raw {
        "endoftext" => StopReason::EndTurn,
        "length" => StopReason::MaxTokens,
        "stop" => StopReason::StopSequence,
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
    fn jamba_values() {
        for (raw, reason) in [
            ("stop", StopReason::EndTurn),
            ("length", StopReason::MaxTokens),
            ("tool_calls", StopReason::ToolUse),
            ("something_new", StopReason::Other),
        ] {
            assert_eq!(from_jamba(raw).reason, reason, "{raw}");
            assert_eq!(from_jamba(raw).raw.as_deref(), Some(raw));
        }
    }

    #[test]
    fn jurassic2_values() {
        for (raw, reason) in [
            ("endoftext", StopReason::EndTurn),
            ("length", StopReason::MaxTokens),
            ("stop", StopReason::StopSequence),
            ("something_new", StopReason::Other),
        ] {
            assert_eq!(from_jurassic2(raw).reason, reason, "{raw}");
            assert_eq!(from_jurassic2(raw).raw.as_deref(), Some(raw));
        }
    }
}
