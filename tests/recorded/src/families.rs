//! Each plugin family's expectation, and what holds for all of them. The
//! expectation of a family is written once, beside its plugin, in
//! `plugins/<family>/tests/recorded/expected.rs`: the plugin's native test
//! compiles that file as its `expected` module, and this module compiles
//! the very same file, so that the end-to-end suite checks the `.wasm`
//! component against the same answers.
//!
//! Invariants: an expectation reads the recorded JSON alone. Beyond what
//! each family's functions check, every expectation must agree with
//! Bedrock's own token-count headers where the recording kept them, and
//! must know every recorded stop value (none maps to `Other`).

use serde_json::Value;

use crate::answer::{Answer, StopReason};
use crate::read::Exchange;

#[path = "../../../plugins/ai21/tests/recorded/expected.rs"]
pub mod ai21;
#[path = "../../../plugins/amazon/tests/recorded/expected.rs"]
pub mod amazon;
#[path = "../../../plugins/anthropic/tests/recorded/expected.rs"]
pub mod anthropic;
#[path = "../../../plugins/cohere/tests/recorded/expected.rs"]
pub mod cohere;
#[path = "../../../plugins/meta/tests/recorded/expected.rs"]
pub mod meta;
#[path = "../../../plugins/mistral/tests/recorded/expected.rs"]
pub mod mistral;

/// Every family with recorded traffic. (Stability has none: no recording
/// in the fixtures is of an image model it serves.)
pub const FAMILIES: &[&Family] = &[
    &ai21::FAMILY,
    &amazon::FAMILY,
    &anthropic::FAMILY,
    &cohere::FAMILY,
    &meta::FAMILY,
    &mistral::FAMILY,
];

/// The family of the plugin named `plugin`.
pub fn family(plugin: &str) -> Option<&'static Family> {
    FAMILIES
        .iter()
        .copied()
        .find(|family| family.plugin == plugin)
}

/// How one plugin's answers follow from the recorded traffic.
#[derive(Debug)]
pub struct Family {
    /// The plugin's name, as it describes itself.
    pub plugin: &'static str,
    /// How its model ids start (`"amazon."`).
    pub provider: &'static str,
    /// The answer a non-streamed body holds.
    pub body: fn(&Value) -> Result<Answer, String>,
    /// The answer a stream's chunks (model JSON, in order) add up to.
    pub stream: fn(&[Value]) -> Result<Answer, String>,
    /// How many recorded bodies and streams the plugin serves: the numbers
    /// in the fixtures when the family was written. Both suites check
    /// exactly these many.
    pub recorded_bodies: usize,
    /// See `recorded_bodies`.
    pub recorded_streams: usize,
}

impl Family {
    /// What the plugin must make of a recorded body.
    pub fn expected_body(&self, exchange: &Exchange<Vec<u8>>) -> Result<Answer, String> {
        let answer = (self.body)(&as_json(&exchange.recorded)?)?;
        if let (Some(usage), Some(headers)) = (answer.usage, exchange.token_headers)
            && usage != headers
        {
            return Err(format!(
                "the body's usage {usage:?} disagrees with Bedrock's token-count headers {headers:?}"
            ));
        }
        known_stop(answer)
    }

    /// What the plugin must make of a recorded stream.
    pub fn expected_stream(&self, exchange: &Exchange<Vec<Vec<u8>>>) -> Result<Answer, String> {
        let chunks = exchange
            .recorded
            .iter()
            .map(|chunk| as_json(chunk))
            .collect::<Result<Vec<_>, _>>()?;
        known_stop((self.stream)(&chunks)?)
    }
}

fn as_json(bytes: &[u8]) -> Result<Value, String> {
    serde_json::from_slice(bytes).map_err(|err| format!("the recorded JSON does not parse: {err}"))
}

/// `answer`, unless its recorded stop value is one the family does not map.
fn known_stop(answer: Answer) -> Result<Answer, String> {
    match &answer.stop {
        Some(ending) if ending.reason == StopReason::Other => Err(format!(
            "the recorded stop value {:?} is one the expectation does not know",
            ending.raw
        )),
        _ => Ok(answer),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_plugin_has_one_family() {
        for family in FAMILIES {
            let named: Vec<_> = FAMILIES
                .iter()
                .filter(|other| other.plugin == family.plugin)
                .collect();
            assert_eq!(named.len(), 1, "{}", family.plugin);
            assert_eq!(
                super::family(family.plugin).map(|found| found.provider),
                Some(family.provider)
            );
            assert!(family.provider.ends_with('.'), "{}", family.plugin);
        }
        assert!(super::family("stability").is_none());
    }
}
