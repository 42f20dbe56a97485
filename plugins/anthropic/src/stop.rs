//! Maps Anthropic's stop reasons onto the contract's `stop-reason`, keeping
//! the value as sent beside it. Invariant: every value maps to something
//! (unknown ones to `other`), and the raw value is never lost.

use crate::bedrock::adapter::types::{Stop, StopReason};

/// The stop sequence that Claude 2.x / Instant text completions always end
/// a turn with: stopping on it is the model finishing its answer.
const HUMAN_TURN: &str = "\n\nHuman:";

/// A Messages API `stop_reason` (also used by text completions, whose
/// values are a subset).
pub fn from_messages(raw: &str) -> Stop {
    let reason = match raw {
        "end_turn" => StopReason::EndTurn,
        "max_tokens" | "model_context_window_exceeded" => StopReason::MaxTokens,
        "stop_sequence" => StopReason::StopSequence,
        "tool_use" => StopReason::ToolUse,
        "refusal" => StopReason::ContentFiltered,
        _ => StopReason::Other,
    };
    Stop {
        reason,
        raw: Some(raw.to_owned()),
    }
}

/// A text completions `stop_reason`, with the `stop` sequence it names.
/// Stopping on the built-in `"\n\nHuman:"` is the end of the turn.
pub fn from_completion(raw: &str, stop: Option<&str>) -> Stop {
    match (raw, stop) {
        ("stop_sequence", Some(HUMAN_TURN)) => Stop {
            reason: StopReason::EndTurn,
            raw: Some(raw.to_owned()),
        },
        _ => from_messages(raw),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_values() {
        for (raw, reason) in [
            ("end_turn", StopReason::EndTurn),
            ("max_tokens", StopReason::MaxTokens),
            ("stop_sequence", StopReason::StopSequence),
            ("tool_use", StopReason::ToolUse),
            ("refusal", StopReason::ContentFiltered),
            ("pause_turn", StopReason::Other),
            ("something_new", StopReason::Other),
        ] {
            assert_eq!(
                from_messages(raw),
                Stop {
                    reason,
                    raw: Some(raw.to_owned())
                }
            );
        }
    }

    #[test]
    fn completion_values() {
        assert_eq!(
            from_completion("stop_sequence", Some("\n\nHuman:")).reason,
            StopReason::EndTurn
        );
        assert_eq!(
            from_completion("stop_sequence", Some("|")).reason,
            StopReason::StopSequence
        );
        assert_eq!(
            from_completion("max_tokens", None).reason,
            StopReason::MaxTokens
        );
    }
}
