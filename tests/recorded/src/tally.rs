//! A run of a plugin over the recorded traffic, checked as a whole: what
//! was checked per plugin, what was skipped and why, and each answer that
//! differed from its expectation.
//!
//! Invariant: a run passes only when nothing failed and each family
//! checked exactly as many recordings as its expectation file states, so
//! a run that found nothing, or lost recordings, fails.

use std::collections::BTreeMap;

use crate::answer::Answer;
use crate::families::Family;

/// What a run found.
#[derive(Debug, Default)]
pub struct Tally {
    checked: BTreeMap<String, usize>,
    skipped: Vec<String>,
    failures: Vec<String>,
}

/// Which of a family's counts a run is held to.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// Non-streamed bodies.
    Bodies,
    /// Streams.
    Streams,
}

impl Tally {
    /// Notes an exchange that is not checked, and why.
    pub fn skip(&mut self, why: String) {
        self.skipped.push(why);
    }

    /// Notes a failure that belongs to no plugin's answer (an ambiguous
    /// route, say).
    pub fn fail(&mut self, failure: String) {
        self.failures.push(failure);
    }

    /// Counts a check of `plugin` on the exchange from `origin`: the
    /// plugin's answer against the expectation.
    pub fn compare(
        &mut self,
        plugin: &str,
        origin: &str,
        actual: Result<Answer, String>,
        expected: Result<Answer, String>,
    ) {
        *self.checked.entry(plugin.to_owned()).or_default() += 1;
        let outcome = match (actual, expected) {
            (_, Err(err)) => Err(format!("cannot work out the expected answer: {err}")),
            (Err(err), _) => Err(format!("the plugin failed: {err}")),
            (Ok(actual), Ok(expected)) if actual == expected => Ok(()),
            (Ok(actual), Ok(expected)) => Err(format!(
                "\n  plugin:   {actual:?}\n  recorded: {expected:?}"
            )),
        };
        if let Err(failure) = outcome {
            self.failures
                .push(format!("{origin} [{plugin}]: {failure}"));
        }
    }

    /// Prints the counts, then fails on any failure, and unless each of
    /// `families` checked exactly its number of `kind`.
    pub fn assert_all_good(&self, kind: Kind, families: &[&Family]) {
        let what = match kind {
            Kind::Bodies => "bodies",
            Kind::Streams => "streams",
        };
        eprintln!(
            "recorded {what}: checked {:?}; skipped {}: {:#?}",
            self.checked,
            self.skipped.len(),
            self.skipped
        );
        assert!(
            self.failures.is_empty(),
            "{} recorded {what} did not come out as recorded:\n{}",
            self.failures.len(),
            self.failures.join("\n")
        );
        for family in families {
            let expected = match kind {
                Kind::Bodies => family.recorded_bodies,
                Kind::Streams => family.recorded_streams,
            };
            let checked = self.checked.get(family.plugin).copied().unwrap_or(0);
            assert_eq!(
                checked, expected,
                "plugin `{}`: recorded {what} checked (the number its expected.rs states)",
                family.plugin
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::families::FAMILIES;

    #[test]
    fn a_run_that_checked_nothing_fails() {
        let tally = Tally::default();
        let run = std::panic::catch_unwind(|| tally.assert_all_good(Kind::Bodies, FAMILIES));
        assert!(run.is_err());
    }

    #[test]
    fn a_different_answer_fails_the_run() {
        let mut tally = Tally::default();
        let answer = |text: &str| {
            Ok(Answer {
                text: text.to_owned(),
                ..Answer::default()
            })
        };
        tally.compare("x", "here", answer("a"), answer("b"));
        assert_eq!(tally.failures.len(), 1);
        assert!(tally.failures[0].starts_with("here [x]:"));
        tally.compare("x", "there", answer("a"), answer("a"));
        assert_eq!(tally.failures.len(), 1);
        assert_eq!(tally.checked["x"], 2);
    }
}
