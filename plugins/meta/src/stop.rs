//! Maps Llama's `stop_reason` onto the contract's `stop-reason`, keeping the
//! value as sent beside it. AWS documents two values (`stop`: the model
//! finished, `length`: `max_gen_len` or the context ran out). Invariant:
//! every value maps to something (unknown ones to `other`), and the raw
//! value is never lost.

use bedrock_adapter_kit::stop;
use bedrock_adapter_kit::types::{Stop, StopReason};

/// The values of Llama's `stop_reason`.
const LLAMA: &[(&str, StopReason)] = &[
    ("stop", StopReason::EndTurn),
    ("length", StopReason::MaxTokens),
];

/// A Llama `stop_reason`.
pub fn from_llama(raw: &str) -> Stop {
    stop::mapped(LLAMA, raw)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bedrock_adapter_kit::testing::assert_stops;

    #[test]
    fn values() {
        assert_stops(
            from_llama,
            &[
                ("stop", StopReason::EndTurn),
                ("length", StopReason::MaxTokens),
                ("something_new", StopReason::Other),
            ],
        );
    }
}
