//! Maps OpenAI's `finish_reason` onto the contract's `stop-reason`, keeping
//! the value as sent beside it. OpenAI's chat completion object names
//! `stop` (the model finished, or produced a stop sequence: OpenAI does not
//! tell them apart), `length`, `tool_calls`, `content_filter` and the older
//! `function_call`. Invariant: every value maps to something (unknown ones
//! to `other`), and the raw value is never lost.

use bedrock_adapter_kit::stop;
use bedrock_adapter_kit::types::{Stop, StopReason};

/// The values of OpenAI's `finish_reason`.
const OPENAI: &[(&str, StopReason)] = &[
    ("stop", StopReason::EndTurn),
    ("length", StopReason::MaxTokens),
    ("tool_calls", StopReason::ToolUse),
    ("function_call", StopReason::ToolUse),
    ("content_filter", StopReason::ContentFiltered),
];

/// An OpenAI `finish_reason`.
pub fn from_openai(raw: &str) -> Stop {
    stop::mapped(OPENAI, raw)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bedrock_adapter_kit::testing::assert_stops;

    #[test]
    fn values() {
        assert_stops(
            from_openai,
            &[
                ("stop", StopReason::EndTurn),
                ("length", StopReason::MaxTokens),
                ("tool_calls", StopReason::ToolUse),
                ("function_call", StopReason::ToolUse),
                ("content_filter", StopReason::ContentFiltered),
                ("error", StopReason::Other),
            ],
        );
    }
}
