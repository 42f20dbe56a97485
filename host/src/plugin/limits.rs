//! The resource limits every plugin call runs under.
//!
//! These numbers are the whole of what a plugin may consume: linear memory,
//! wasm stack, wall-clock time per call, and the size of what it hands back.
//! They are plain data so that the CLI, a config file or a test can set them;
//! the sandbox enforces them, and nothing else decides them.

use std::time::Duration;

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
    /// How much of what a plugin writes to stdout and stderr is kept for the
    /// debug log; the rest is dropped.
    pub log_bytes: usize,
}

impl Default for SandboxLimits {
    fn default() -> Self {
        Self {
            memory_bytes: 64 << 20,
            call_timeout: Duration::from_secs(1),
            stack_bytes: 512 << 10,
            output_bytes: 32 << 20,
            log_bytes: 64 << 10,
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
