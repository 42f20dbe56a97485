//! The resource limits every plugin call runs under, and the two that bound
//! loading one.
//!
//! These numbers are the whole of what a plugin may consume: linear memory,
//! wasm stack, wall-clock time per call, and the size and number of what it
//! hands back; and, before any of that, the size of its file and the time
//! its compile may take. They are plain data so that the CLI, a config file or a test
//! can set them; the sandbox enforces them, and nothing else decides them.
//!
//! The defaults: 64 MiB of memory, 1 s per call, 512 KiB of stack, 32 MiB
//! of output and 10,000 events per call, 64 KiB of stdout and stderr kept;
//! over a whole request, 4 x the bytes given + 1 MiB returned (at most
//! 256 MiB) in at most the bytes given + 10,000 events (at most 1,000,000);
//! a file of at most 64 MiB, compiled within 30 s.
//!
//! The host's own memory per call is bounded too: what a call returns is
//! copied out of the plugin's linear memory before it is measured, so the
//! copy is at most a small multiple of `memory_bytes` (an event takes at
//! least 20 bytes in the plugin and 32 in the host), and it is dropped at
//! once when it breaks `output_bytes` or `max_events`.

use std::time::Duration;

use super::budget::RequestLimits;

/// Limits applied to each call into a plugin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxLimits {
    /// Largest linear memory a plugin instance may grow to, in bytes.
    pub memory_bytes: usize,
    /// Wall-clock time one call (describe, build, parse, one stream chunk)
    /// may take before it is interrupted.
    pub call_timeout: Duration,
    /// Largest wasm stack, in bytes; deeper recursion traps.
    pub stack_bytes: usize,
    /// Largest total of bytes a call may return (body bytes, text, images).
    pub output_bytes: usize,
    /// Most events one stream-decoder call may return; a real chunk holds a
    /// handful.
    pub max_events: usize,
    /// How much of what a plugin writes to stdout and stderr is kept for the
    /// debug log; the rest is dropped.
    pub log_bytes: usize,
    /// What one request's calls may return together (`budget.rs`).
    pub request: RequestLimits,
    /// Largest plugin file, in bytes; a larger one is not read.
    pub file_bytes: u64,
    /// Longest a plugin's compile may take; a slower one is refused.
    pub compile_timeout: Duration,
}

impl Default for SandboxLimits {
    fn default() -> Self {
        Self {
            memory_bytes: 64 << 20,
            call_timeout: Duration::from_secs(1),
            stack_bytes: 512 << 10,
            output_bytes: 32 << 20,
            max_events: 10_000,
            log_bytes: 64 << 10,
            request: RequestLimits::default(),
            file_bytes: 64 << 20,
            compile_timeout: Duration::from_secs(30),
        }
    }
}

impl SandboxLimits {
    /// How often the engine's epoch advances; the per-call deadline is a
    /// whole number of these ticks.
    pub const EPOCH_TICK: Duration = Duration::from_millis(10);

    /// The call timeout as a number of epoch ticks (at least one).
    pub fn deadline_ticks(&self) -> u64 {
        let ticks = self.call_timeout.as_micros() / Self::EPOCH_TICK.as_micros();
        u64::try_from(ticks).unwrap_or(u64::MAX).max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_the_documented_ones() {
        let limits = SandboxLimits::default();
        assert_eq!(limits.memory_bytes, 64 << 20);
        assert_eq!(limits.call_timeout, Duration::from_secs(1));
        assert_eq!(limits.stack_bytes, 512 << 10);
        assert_eq!(limits.output_bytes, 32 << 20);
        assert_eq!(limits.max_events, 10_000);
        assert_eq!(limits.log_bytes, 64 << 10);
        assert_eq!(limits.file_bytes, 64 << 20);
        assert_eq!(limits.compile_timeout, Duration::from_secs(30));
        assert_eq!(limits.deadline_ticks(), 100);
    }
}
