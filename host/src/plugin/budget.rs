//! The budget of one request: what a plugin may return over the whole of it
//! (build-request, parse-response, every `feed` and `finish` together),
//! relative to what it was given and under a hard ceiling.
//!
//! Invariant: every call's output is charged before the host uses it, and a
//! charge that crosses either budget is refused, so the total a request's
//! plugin hands the host (and so what reaches stdout, memory and disk) never
//! exceeds `output_ratio` x the bytes it was given + [`RequestLimits::SLACK_BYTES`]
//! (at most `output_bytes`), in at most the bytes it was given +
//! [`RequestLimits::SLACK_ITEMS`] events and outputs (at most `items`).
//! "Given" counts the request (prompt, system prompt, options) and every
//! byte of the model's answer handed to the plugin.

/// The whole-request budgets, as configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestLimits {
    /// Bytes returned may be this many times the bytes given (plus
    /// [`Self::SLACK_BYTES`]).
    pub output_ratio: u64,
    /// Most bytes one request's plugin may return, whatever it was given.
    pub output_bytes: u64,
    /// Most events and outputs one request's plugin may return, whatever it
    /// was given.
    pub items: u64,
}

impl RequestLimits {
    /// Bytes a plugin may return beyond `output_ratio` x what it was given.
    pub const SLACK_BYTES: u64 = 1 << 20;
    /// Events and outputs a plugin may return beyond one per byte given.
    pub const SLACK_ITEMS: u64 = 10_000;
}

impl Default for RequestLimits {
    fn default() -> Self {
        Self {
            output_ratio: 4,
            output_bytes: 256 << 20,
            items: 1_000_000,
        }
    }
}

/// A budget a request's plugin crossed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Overspent {
    /// `size` bytes returned over the request, more than the `max` allowed.
    Output { size: u64, max: u64 },
    /// `count` events and outputs returned over the request, more than the
    /// `max` allowed.
    Items { count: u64, max: u64 },
}

/// What one request's plugin was given and has returned so far.
#[derive(Debug, Clone)]
pub struct RequestBudget {
    limits: RequestLimits,
    given: u64,
    returned: u64,
    items: u64,
}

impl RequestBudget {
    /// A fresh budget: nothing given, nothing returned.
    pub fn new(limits: RequestLimits) -> Self {
        Self {
            limits,
            given: 0,
            returned: 0,
            items: 0,
        }
    }

    /// Records `bytes` handed to the plugin (the request, a body, a chunk).
    pub fn give(&mut self, bytes: usize) {
        self.given = self.given.saturating_add(to_u64(bytes));
    }

    /// The bytes the plugin may return over the request, given what it was
    /// given so far.
    pub fn output_allowed(&self) -> u64 {
        self.given
            .saturating_mul(self.limits.output_ratio)
            .saturating_add(RequestLimits::SLACK_BYTES)
            .min(self.limits.output_bytes)
    }

    /// The events and outputs the plugin may return over the request.
    pub fn items_allowed(&self) -> u64 {
        self.given
            .saturating_add(RequestLimits::SLACK_ITEMS)
            .min(self.limits.items)
    }

    /// Charges one call's output of `bytes` in `items` events or outputs;
    /// refused (and not charged) when it crosses a budget.
    pub fn charge(&mut self, bytes: usize, items: usize) -> Result<(), Overspent> {
        let returned = self.returned.saturating_add(to_u64(bytes));
        let max = self.output_allowed();
        if returned > max {
            return Err(Overspent::Output {
                size: returned,
                max,
            });
        }
        let count = self.items.saturating_add(to_u64(items));
        let max = self.items_allowed();
        if count > max {
            return Err(Overspent::Items { count, max });
        }
        self.returned = returned;
        self.items = count;
        Ok(())
    }
}

fn to_u64(value: usize) -> u64 {
    u64::try_from(value).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_the_documented_ones() {
        let limits = RequestLimits::default();
        assert_eq!(limits.output_ratio, 4);
        assert_eq!(limits.output_bytes, 256 << 20);
        assert_eq!(limits.items, 1_000_000);
    }

    #[test]
    fn output_grows_with_what_was_given_up_to_the_ceiling() {
        let mut budget = RequestBudget::new(RequestLimits::default());
        assert_eq!(budget.output_allowed(), 1 << 20);
        budget.give(1000);
        assert_eq!(budget.output_allowed(), (1 << 20) + 4000);
        budget.give(1 << 30);
        assert_eq!(budget.output_allowed(), 256 << 20);
    }

    #[test]
    fn a_charge_over_the_budget_is_refused_across_calls() {
        let mut budget = RequestBudget::new(RequestLimits::default());
        budget.give(10);
        assert_eq!(budget.charge(1 << 19, 1), Ok(()));
        assert_eq!(budget.charge(1 << 19, 1), Ok(()));
        assert_eq!(budget.charge(40, 1), Ok(()));
        assert_eq!(
            budget.charge(1, 1),
            Err(Overspent::Output {
                size: (1 << 20) + 41,
                max: (1 << 20) + 40
            })
        );
        budget.give(1);
        assert_eq!(budget.charge(1, 1), Ok(()), "a refused charge was not kept");
    }

    #[test]
    fn items_are_bounded_by_what_was_given_and_the_ceiling() {
        let mut budget = RequestBudget::new(RequestLimits {
            items: 10_005,
            ..RequestLimits::default()
        });
        budget.give(3);
        assert_eq!(budget.charge(0, 10_003), Ok(()));
        assert_eq!(
            budget.charge(0, 1),
            Err(Overspent::Items {
                count: 10_004,
                max: 10_003
            })
        );
        budget.give(100);
        assert_eq!(budget.items_allowed(), 10_005);
    }
}
