//! What a plugin made of an exchange, or what the recorded JSON says it
//! should make of it, in one comparable shape: all the text joined in
//! order, how many images, why it stopped (the reason and the raw value)
//! and what it cost. The host's and the kit's own types are put in this
//! shape by their suites (`tests/e2e/fixtures.rs`,
//! `bedrock_adapter_kit_recorded`, `plugins/kit/recorded`); an expectation builds it from
//! JSON.
//!
//! Invariant: a stream ends once: adding a second stop or a second usage to
//! an answer is an error, not an overwrite.

/// Why a model stopped, as the contract names it (`stop-reason` in
/// `wit/`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    /// The model finished its turn.
    EndTurn,
    /// The token limit was reached.
    MaxTokens,
    /// A stop sequence was produced.
    StopSequence,
    /// The model asks for a tool.
    ToolUse,
    /// A content filter stopped it.
    ContentFiltered,
    /// A value the family does not map.
    Other,
}

/// A stop reason with the raw value beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ending {
    /// The reason.
    pub reason: StopReason,
    /// The value as the model sent it.
    pub raw: Option<String>,
}

impl Ending {
    /// `reason`, sent as `raw`.
    pub fn sent(reason: StopReason, raw: &str) -> Self {
        Self {
            reason,
            raw: Some(raw.to_owned()),
        }
    }
}

/// Input and output token counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    /// Tokens read.
    pub input: u32,
    /// Tokens written.
    pub output: u32,
}

/// An answer: its text, images, ending and usage.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Answer {
    /// All the text, joined in order.
    pub text: String,
    /// How many images.
    pub images: usize,
    /// Why it stopped.
    pub stop: Option<Ending>,
    /// What it cost.
    pub usage: Option<Counts>,
}

impl Answer {
    /// Records the stream's stop; a second one is an error.
    pub fn end(&mut self, ending: Ending) -> Result<(), String> {
        match self.stop.replace(ending) {
            Some(first) => Err(format!("a second stop event, after {first:?}")),
            None => Ok(()),
        }
    }

    /// Records the stream's usage; a second one is an error.
    pub fn count(&mut self, counts: Counts) -> Result<(), String> {
        match self.usage.replace(counts) {
            Some(first) => Err(format!("a second usage event, after {first:?}")),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stream_ends_once() {
        let mut answer = Answer::default();
        assert_eq!(
            answer.end(Ending::sent(StopReason::EndTurn, "stop")),
            Ok(())
        );
        assert!(
            answer
                .end(Ending::sent(StopReason::MaxTokens, "length"))
                .is_err()
        );
        let counts = Counts {
            input: 1,
            output: 2,
        };
        assert_eq!(answer.count(counts), Ok(()));
        assert!(answer.count(counts).is_err());
    }
}
