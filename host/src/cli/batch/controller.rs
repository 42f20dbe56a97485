//! How many records `batch run` keeps in flight: adapted to throttling,
//! additive increase and multiplicative decrease (as TCP does).
//!
//! Invariants: the limit stays between 1 and the maximum asked for; a
//! throttled request halves it at most once per change, since the requests
//! that were already in flight when it changed answer for the old limit
//! (each request carries the generation it was started in); after a run of
//! as many successes in a row as the limit, the limit climbs by one.

/// The adaptive concurrency limit.
#[derive(Debug, Clone)]
pub struct Concurrency {
    limit: usize,
    max: usize,
    successes_in_a_row: usize,
    generation: u64,
}

impl Concurrency {
    /// Starts at `max` (at least 1).
    pub fn new(max: usize) -> Self {
        let max = max.max(1);
        Self {
            limit: max,
            max,
            successes_in_a_row: 0,
            generation: 0,
        }
    }

    /// How many requests may be in flight now.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// The generation a request started now belongs to: it changes each
    /// time the limit does.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// A request started in `generation` was throttled: halves the limit,
    /// unless it already changed since that request started.
    pub fn throttled(&mut self, generation: u64) {
        self.successes_in_a_row = 0;
        if generation == self.generation {
            let halved = (self.limit / 2).max(1);
            if halved != self.limit {
                self.limit = halved;
                self.generation += 1;
            }
        }
    }

    /// A request succeeded: after as many in a row as the limit, it
    /// climbs by one (up to the maximum).
    pub fn succeeded(&mut self) {
        self.successes_in_a_row += 1;
        if self.successes_in_a_row >= self.limit {
            self.successes_in_a_row = 0;
            if self.limit < self.max {
                self.limit += 1;
                self.generation += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttling_halves_the_limit_down_to_one() {
        let mut concurrency = Concurrency::new(8);
        assert_eq!(concurrency.limit(), 8);
        for expected in [4, 2, 1, 1] {
            concurrency.throttled(concurrency.generation());
            assert_eq!(concurrency.limit(), expected);
        }
    }

    #[test]
    fn requests_of_an_older_generation_halve_it_once() {
        let mut concurrency = Concurrency::new(8);
        let started = concurrency.generation();
        for _ in 0..8 {
            concurrency.throttled(started);
        }
        assert_eq!(concurrency.limit(), 4, "one halving for one burst");
    }

    #[test]
    fn a_run_of_successes_climbs_by_one_up_to_the_maximum() {
        let mut concurrency = Concurrency::new(4);
        concurrency.throttled(concurrency.generation());
        concurrency.throttled(concurrency.generation());
        assert_eq!(concurrency.limit(), 1);
        concurrency.succeeded();
        assert_eq!(concurrency.limit(), 2, "one success is a run at limit 1");
        concurrency.succeeded();
        assert_eq!(concurrency.limit(), 2, "not yet two in a row at limit 2");
        concurrency.succeeded();
        assert_eq!(concurrency.limit(), 3, "two in a row at limit 2");
        concurrency.succeeded();
        concurrency.succeeded();
        assert_eq!(concurrency.limit(), 3, "not yet three in a row");
        concurrency.succeeded();
        assert_eq!(concurrency.limit(), 4);
        for _ in 0..20 {
            concurrency.succeeded();
        }
        assert_eq!(concurrency.limit(), 4, "never above the maximum");
    }

    #[test]
    fn a_throttle_breaks_the_run_of_successes() {
        let mut concurrency = Concurrency::new(4);
        concurrency.throttled(concurrency.generation());
        assert_eq!(concurrency.limit(), 2);
        concurrency.succeeded();
        concurrency.throttled(concurrency.generation());
        assert_eq!(concurrency.limit(), 1);
        concurrency.succeeded();
        assert_eq!(concurrency.limit(), 2);
    }
}
