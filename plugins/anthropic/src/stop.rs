//! Maps Anthropic's stop reasons onto the contract's `stop-reason`, keeping
//! the value as sent beside it. Invariant: every value maps to something
//! (unknown ones to `other`), and the raw value is never lost.

use bedrock_adapter_kit::stop;
use bedrock_adapter_kit::types::{Stop, StopReason};

/// The stop sequence that Claude 2.x / Instant text completions always end
/// a turn with: stopping on it is the model finishing its answer.
const HUMAN_TURN: &str = "\n\nHuman:";

/// The Messages API's `stop_reason` values.
const MESSAGES: &[(&str, StopReason)] = &[
    ("end_turn", StopReason::EndTurn),
    ("max_tokens", StopReason::MaxTokens),
    ("model_context_window_exceeded", StopReason::MaxTokens),
    ("stop_sequence", StopReason::StopSequence),
    ("tool_use", StopReason::ToolUse),
    ("refusal", StopReason::ContentFiltered),
];

/// A Messages API `stop_reason` (also used by text completions, whose
/// values are a subset).
pub fn from_messages(raw: &str) -> Stop {
    stop::mapped(MESSAGES, raw)
}

/// A text completions `stop_reason`, with the `stop` sequence it names.
/// Stopping on the built-in `"\n\nHuman:"` is the end of the turn.
pub fn from_completion(raw: &str, stop: Option<&str>) -> Stop {
    match (raw, stop) {
        ("stop_sequence", Some(HUMAN_TURN)) => stop::sent(StopReason::EndTurn, raw),
        _ => from_messages(raw),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bedrock_adapter_kit::testing::assert_stops;

    #[test]
    fn messages_values() {
        assert_stops(
            from_messages,
            &[
                ("end_turn", StopReason::EndTurn),
                ("max_tokens", StopReason::MaxTokens),
                ("stop_sequence", StopReason::StopSequence),
                ("tool_use", StopReason::ToolUse),
                ("refusal", StopReason::ContentFiltered),
                ("pause_turn", StopReason::Other),
                ("something_new", StopReason::Other),
            ],
        );
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
