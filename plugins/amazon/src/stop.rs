//! Maps Nova's `stopReason` and Titan's `completionReason` onto the
//! contract's `stop-reason`, keeping the value as sent beside it.
//! Invariant: every value maps to something (unknown ones to `other`), and
//! the raw value is never lost.

use crate::bedrock::adapter::types::{Stop, StopReason};

/// A Nova `stopReason` (AWS, "Amazon Nova: response structure highlights":
/// `end_turn`, `max_tokens`, `stop_sequence`, `tool_use`,
/// `content_filtered`, `malformed_model_output`, `malformed_tool_use`, ...).
/// A guardrail's intervention is content filtering; running out of context
/// is running out of tokens.
pub fn nova(raw: &str) -> Stop {
    let reason = match raw {
        "end_turn" => StopReason::EndTurn,
        "max_tokens" | "model_context_window_exceeded" => StopReason::MaxTokens,
        "stop_sequence" => StopReason::StopSequence,
        "tool_use" => StopReason::ToolUse,
        "content_filtered" | "guardrail_intervened" => StopReason::ContentFiltered,
        _ => StopReason::Other,
    };
    stop(reason, raw)
}

/// A Titan `completionReason` (AWS, "Amazon Titan Text models": `FINISH`,
/// `LENGTH`, `STOP_CRITERIA_MET`, `RAG_QUERY_WHEN_RAG_DISABLED`,
/// `CONTENT_FILTERED`; the page also spells the first `FINISHED`).
pub fn titan(raw: &str) -> Stop {
    let reason = match raw {
        "FINISH" | "FINISHED" => StopReason::EndTurn,
        "LENGTH" => StopReason::MaxTokens,
        "STOP_CRITERIA_MET" => StopReason::StopSequence,
        "CONTENT_FILTERED" => StopReason::ContentFiltered,
        _ => StopReason::Other,
    };
    stop(reason, raw)
}

fn stop(reason: StopReason, raw: &str) -> Stop {
    Stop {
        reason,
        raw: Some(raw.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nova_values() {
        for (raw, reason) in [
            ("end_turn", StopReason::EndTurn),
            ("max_tokens", StopReason::MaxTokens),
            ("model_context_window_exceeded", StopReason::MaxTokens),
            ("stop_sequence", StopReason::StopSequence),
            ("tool_use", StopReason::ToolUse),
            ("content_filtered", StopReason::ContentFiltered),
            ("guardrail_intervened", StopReason::ContentFiltered),
            ("malformed_model_output", StopReason::Other),
            ("something_new", StopReason::Other),
        ] {
            assert_eq!(nova(raw), stop(reason, raw));
        }
    }

    #[test]
    fn titan_values() {
        for (raw, reason) in [
            ("FINISH", StopReason::EndTurn),
            ("FINISHED", StopReason::EndTurn),
            ("LENGTH", StopReason::MaxTokens),
            ("STOP_CRITERIA_MET", StopReason::StopSequence),
            ("CONTENT_FILTERED", StopReason::ContentFiltered),
            ("RAG_QUERY_WHEN_RAG_DISABLED", StopReason::Other),
        ] {
            assert_eq!(titan(raw), stop(reason, raw));
        }
    }
}
