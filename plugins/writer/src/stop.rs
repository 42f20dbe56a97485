//! Maps Palmyra's `finish_reason` onto the contract's `stop-reason`,
//! keeping the value as sent beside it: the values of OpenAI's chat
//! completion, which AWS's response example follows (`stop`). Invariant:
//! every value maps to something (unknown ones to `other`), and the raw
//! value is never lost.

use bedrock_adapter_kit::stop;
use bedrock_adapter_kit::types::{Stop, StopReason};

/// The values of `finish_reason`.
const WRITER: &[(&str, StopReason)] = &[
    ("stop", StopReason::EndTurn),
    ("length", StopReason::MaxTokens),
    ("content_filter", StopReason::ContentFiltered),
    ("tool_calls", StopReason::ToolUse),
];

/// A Palmyra `finish_reason`.
pub fn from_writer(raw: &str) -> Stop {
    stop::mapped(WRITER, raw)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bedrock_adapter_kit::testing::assert_stops;

    #[test]
    fn values() {
        assert_stops(
            from_writer,
            &[
                ("stop", StopReason::EndTurn),
                ("length", StopReason::MaxTokens),
                ("content_filter", StopReason::ContentFiltered),
                ("something_new", StopReason::Other),
            ],
        );
    }
}
