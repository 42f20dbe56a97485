//! The per-minute budgets of `batch run`: `--rpm` (requests started) and
//! `--tpm` (tokens spent, input and output).
//!
//! Invariants: with `--rpm N`, request starts are spaced at least 60/N
//! seconds apart, so no minute holds more than N starts; with `--tpm N`, no
//! request starts while the tokens of the answers received in the last 60
//! seconds reach N (an answer's tokens are only known once it is received,
//! so the answers in flight may take a minute past N). The clock is passed
//! in, so the budget is a pure calculation.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// The window both budgets count in.
const MINUTE: Duration = Duration::from_secs(60);

/// The request and token budgets, and what has been spent of them.
#[derive(Debug, Clone)]
pub struct Budget {
    spacing: Option<Duration>,
    tokens_per_minute: Option<u64>,
    next_start: Option<Instant>,
    spent: VecDeque<(Instant, u64)>,
    spent_in_window: u64,
}

impl Budget {
    /// At most `rpm` requests and `tpm` tokens a minute (none: no bound).
    pub fn new(rpm: Option<u32>, tpm: Option<u64>) -> Self {
        Self {
            spacing: rpm.map(|rpm| MINUTE / rpm.max(1)),
            tokens_per_minute: tpm,
            next_start: None,
            spent: VecDeque::new(),
            spent_in_window: 0,
        }
    }

    /// How long to wait from `now` before the next request may start
    /// (`None`: it may start now).
    pub fn wait(&mut self, now: Instant) -> Option<Duration> {
        self.forget_before(now);
        let for_requests = self
            .next_start
            .and_then(|next| next.checked_duration_since(now))
            .filter(|wait| !wait.is_zero());
        let for_tokens = match self.tokens_per_minute {
            Some(tpm) if self.spent_in_window >= tpm => self
                .spent
                .front()
                .map(|(at, _)| (*at + MINUTE).saturating_duration_since(now)),
            _ => None,
        };
        match (for_requests, for_tokens) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        }
    }

    /// A request started at `now`.
    pub fn started(&mut self, now: Instant) {
        if let Some(spacing) = self.spacing {
            let earliest = self.next_start.map_or(now, |next| next.max(now));
            self.next_start = Some(earliest + spacing);
        }
    }

    /// An answer received at `now` cost `tokens`.
    pub fn spent(&mut self, now: Instant, tokens: u64) {
        if self.tokens_per_minute.is_some() && tokens > 0 {
            self.spent.push_back((now, tokens));
            self.spent_in_window += tokens;
        }
    }

    fn forget_before(&mut self, now: Instant) {
        while let Some(&(at, tokens)) = self.spent.front() {
            if now.saturating_duration_since(at) < MINUTE {
                break;
            }
            self.spent.pop_front();
            self.spent_in_window -= tokens;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_budget_never_waits() {
        let mut budget = Budget::new(None, None);
        let now = Instant::now();
        for _ in 0..1000 {
            assert_eq!(budget.wait(now), None);
            budget.started(now);
            budget.spent(now, 1_000_000);
        }
    }

    #[test]
    fn requests_per_minute_space_the_starts() {
        let mut budget = Budget::new(Some(120), None);
        let now = Instant::now();
        assert_eq!(budget.wait(now), None);
        budget.started(now);
        assert_eq!(budget.wait(now), Some(Duration::from_millis(500)));
        let later = now + Duration::from_millis(500);
        assert_eq!(budget.wait(later), None);
        budget.started(later);
        assert_eq!(
            budget.wait(later + Duration::from_millis(100)),
            Some(Duration::from_millis(400))
        );
    }

    #[test]
    fn tokens_per_minute_stop_starts_until_the_oldest_answer_is_a_minute_old() {
        let mut budget = Budget::new(None, Some(1000));
        let now = Instant::now();
        budget.spent(now, 600);
        assert_eq!(budget.wait(now), None, "600 of 1000");
        let second = now + Duration::from_secs(10);
        budget.spent(second, 400);
        assert_eq!(budget.wait(second), Some(Duration::from_secs(50)));
        assert_eq!(
            budget.wait(now + MINUTE),
            None,
            "the first answer has left the window"
        );
        assert_eq!(budget.wait(second + MINUTE), None);
    }
}
