//! Maps Nova's `stopReason` and Titan's `completionReason` onto the
//! contract's `stop-reason`, keeping the value as sent beside it.
//! Invariant: every value maps to something (unknown ones to `other`), and
//! the raw value is never lost.

use bedrock_adapter_kit::stop;
use bedrock_adapter_kit::types::{Stop, StopReason};

/// Nova's `stopReason` values (AWS, "Amazon Nova: response structure
/// highlights": `end_turn`, `max_tokens`, `stop_sequence`, `tool_use`,
/// `content_filtered`, `malformed_model_output`, `malformed_tool_use`, ...).
/// A guardrail's intervention is content filtering; running out of context
/// is running out of tokens.
const NOVA: &[(&str, StopReason)] = &[
    ("end_turn", StopReason::EndTurn),
    ("max_tokens", StopReason::MaxTokens),
    ("model_context_window_exceeded", StopReason::MaxTokens),
    ("stop_sequence", StopReason::StopSequence),
    ("tool_use", StopReason::ToolUse),
    ("content_filtered", StopReason::ContentFiltered),
    ("guardrail_intervened", StopReason::ContentFiltered),
];

/// Titan's `completionReason` values (AWS, "Amazon Titan Text models":
/// `FINISH`, `LENGTH`, `STOP_CRITERIA_MET`, `RAG_QUERY_WHEN_RAG_DISABLED`,
/// `CONTENT_FILTERED`; the page also spells the first `FINISHED`).
const TITAN: &[(&str, StopReason)] = &[
    ("FINISH", StopReason::EndTurn),
    ("FINISHED", StopReason::EndTurn),
    ("LENGTH", StopReason::MaxTokens),
    ("STOP_CRITERIA_MET", StopReason::StopSequence),
    ("CONTENT_FILTERED", StopReason::ContentFiltered),
];

/// A Nova `stopReason`.
pub fn nova(raw: &str) -> Stop {
    stop::mapped(NOVA, raw)
}

/// A Titan `completionReason`.
pub fn titan(raw: &str) -> Stop {
    stop::mapped(TITAN, raw)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bedrock_adapter_kit::testing::assert_stops;

    #[test]
    fn nova_values() {
        assert_stops(
            nova,
            &[
                ("end_turn", StopReason::EndTurn),
                ("max_tokens", StopReason::MaxTokens),
                ("model_context_window_exceeded", StopReason::MaxTokens),
                ("stop_sequence", StopReason::StopSequence),
                ("tool_use", StopReason::ToolUse),
                ("content_filtered", StopReason::ContentFiltered),
                ("guardrail_intervened", StopReason::ContentFiltered),
                ("malformed_model_output", StopReason::Other),
                ("something_new", StopReason::Other),
            ],
        );
    }

    #[test]
    fn titan_values() {
        assert_stops(
            titan,
            &[
                ("FINISH", StopReason::EndTurn),
                ("FINISHED", StopReason::EndTurn),
                ("LENGTH", StopReason::MaxTokens),
                ("STOP_CRITERIA_MET", StopReason::StopSequence),
                ("CONTENT_FILTERED", StopReason::ContentFiltered),
                ("RAG_QUERY_WHEN_RAG_DISABLED", StopReason::Other),
            ],
        );
    }
}
