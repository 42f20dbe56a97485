//! What `batch run` tells a person while it runs, on stderr: a progress bar
//! on a terminal (records done and failed, tokens per second, ETA), plain
//! lines now and then otherwise; and the summary at the end.
//!
//! Invariants: nothing here writes to stdout (it may hold the JSON
//! summary); piped stderr gets at most one line every `PLAIN_EVERY`, and
//! never a terminal control sequence.

use std::io::IsTerminal as _;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How often a plain progress line is written.
const PLAIN_EVERY: Duration = Duration::from_secs(10);

/// The counts of a run so far.
#[derive(Debug, Default, Clone, Copy)]
pub struct Counts {
    /// Records this run answered.
    pub answered: u64,
    /// Records this run wrote as failed.
    pub failed: u64,
    /// Input tokens of the answers.
    pub input_tokens: u64,
    /// Output tokens of the answers.
    pub output_tokens: u64,
}

impl Counts {
    /// Records this run finished.
    pub fn finished(&self) -> u64 {
        self.answered + self.failed
    }
}

/// The progress display of one run.
pub struct Progress {
    bar: Option<ProgressBar>,
    started: Instant,
    last_line: Instant,
    to_send: u64,
}

impl Progress {
    /// A display for `to_send` records: a bar when stderr is a terminal.
    pub fn new(to_send: u64) -> Self {
        let started = Instant::now();
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::with_draw_target(Some(to_send), ProgressDrawTarget::stderr());
            if let Ok(style) = ProgressStyle::with_template(
                "{bar:30.cyan/blue} {pos}/{len} records · {msg} · ETA {eta}",
            ) {
                bar.set_style(style);
            }
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        Self {
            bar,
            started,
            last_line: started,
            to_send,
        }
    }

    /// Shows `counts` at the current `concurrency`.
    pub fn update(&mut self, counts: &Counts, concurrency: usize) {
        let rate = self.tokens_per_second(counts);
        let message = format!(
            "{} failed · {rate:.0} tokens/s · concurrency {concurrency}",
            counts.failed
        );
        if let Some(bar) = &self.bar {
            bar.set_position(counts.finished());
            bar.set_message(message);
            return;
        }
        if self.last_line.elapsed() >= PLAIN_EVERY {
            self.last_line = Instant::now();
            eprintln!(
                "batch: {}/{} records · {message} · ETA {}",
                counts.finished(),
                self.to_send,
                self.eta(counts)
                    .map_or_else(|| "?".to_owned(), |eta| format!("{} s", eta.as_secs()))
            );
        }
    }

    /// Removes the bar and returns how long the run took.
    pub fn finish(self) -> Duration {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        self.started.elapsed()
    }

    fn tokens_per_second(&self, counts: &Counts) -> f64 {
        let seconds = self.started.elapsed().as_secs_f64();
        if seconds > 0.0 {
            counts.output_tokens as f64 / seconds
        } else {
            0.0
        }
    }

    fn eta(&self, counts: &Counts) -> Option<Duration> {
        let finished = counts.finished();
        (finished > 0).then(|| {
            let each = self.started.elapsed().as_secs_f64() / finished as f64;
            Duration::from_secs_f64(each * self.to_send.saturating_sub(finished) as f64)
        })
    }
}
