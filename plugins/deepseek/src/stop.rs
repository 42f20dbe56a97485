//! Maps DeepSeek-R1's `stop_reason` onto the contract's `stop-reason`,
//! keeping the value as sent beside it. AWS documents two values (`stop`:
//! the model finished, or produced a stop sequence; `length`: `max_tokens`
//! was reached). Invariant: every value maps to something (unknown ones to
//! `other`), and the raw value is never lost.

use bedrock_adapter_kit::stop;
use bedrock_adapter_kit::types::{Stop, StopReason};

/// The values of DeepSeek's `stop_reason`.
const DEEPSEEK: &[(&str, StopReason)] = &[
    ("stop", StopReason::EndTurn),
    ("length", StopReason::MaxTokens),
];

/// A DeepSeek `stop_reason`.
pub fn from_deepseek(raw: &str) -> Stop {
    stop::mapped(DEEPSEEK, raw)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bedrock_adapter_kit::testing::assert_stops;

    #[test]
    fn values() {
        assert_stops(
            from_deepseek,
            &[
                ("stop", StopReason::EndTurn),
                ("length", StopReason::MaxTokens),
                ("something_new", StopReason::Other),
            ],
        );
    }
}
