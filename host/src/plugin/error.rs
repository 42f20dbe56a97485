//! Everything that can go wrong with a plugin, as one error type.
//!
//! Invariant: every variant names the plugin (or the file) and says what
//! failed, so that a user reading one line knows whom to blame and what to
//! change: an adapter's own refusal, a broken sandbox limit, a trap, or a
//! file that is not a usable plugin.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use super::bindings::AdapterError;
use super::printable::printable;

/// A sandbox limit that a plugin broke.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Limit {
    /// Linear memory would have grown past this many bytes.
    Memory(usize),
    /// The call ran past this wall-clock deadline.
    Time(Duration),
    /// The wasm stack overflowed this many bytes.
    Stack(usize),
    /// The call returned `size` bytes, more than `max`.
    Output { size: usize, max: usize },
    /// A stream-decoder call returned `count` events, more than `max`.
    Events { count: usize, max: usize },
    /// The request's calls together returned `size` bytes, more than the
    /// request's output budget of `max`.
    RequestOutput { size: u64, max: u64 },
    /// The request's calls together returned `count` events and outputs,
    /// more than the request's budget of `max`.
    RequestItems { count: u64, max: u64 },
    /// An answer held `count` images, more than `max` (`--max-images`).
    Images { count: usize, max: usize },
    /// No sandbox could be allocated: every slot of the pool is in use.
    Pool,
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Limit::Memory(max) => write!(f, "memory limit of {} MiB exceeded", max >> 20),
            Limit::Time(max) => write!(f, "time limit of {} ms exceeded", max.as_millis()),
            Limit::Stack(max) => write!(f, "stack limit of {} KiB exceeded", max >> 10),
            Limit::Output { size, max } => {
                write!(f, "returned {size} bytes, more than the limit of {max}")
            }
            Limit::Events { count, max } => {
                write!(f, "returned {count} events, more than the limit of {max}")
            }
            Limit::RequestOutput { size, max } => write!(
                f,
                "returned {size} bytes over the request, more than its output budget of {max} \
                 (output-ratio x the bytes it was given + 1 MiB, at most request-output-mib)"
            ),
            Limit::RequestItems { count, max } => write!(
                f,
                "returned {count} events and outputs over the request, more than its budget of \
                 {max} (one per byte it was given + 10000, at most request-events)"
            ),
            Limit::Images { count, max } => write!(
                f,
                "returned {count} images, more than the cap of {max} (--max-images); none was written"
            ),
            Limit::Pool => write!(
                f,
                "every sandbox of the pool is in use; the request was not started"
            ),
        }
    }
}

/// What an adapter said when it refused, as a plain Rust error, shown on
/// one line (control characters escaped).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AdapterRefusal {
    /// The request cannot be expressed for this model.
    #[error("invalid request: {}", printable(.0))]
    InvalidRequest(String),
    /// The family has no such feature.
    #[error("unsupported: {}", printable(.0))]
    Unsupported(String),
    /// The model's answer is not what the family sends.
    #[error("malformed response: {}", printable(.0))]
    MalformedResponse(String),
}

impl From<AdapterError> for AdapterRefusal {
    fn from(error: AdapterError) -> Self {
        match error {
            AdapterError::InvalidRequest(m) => Self::InvalidRequest(m),
            AdapterError::Unsupported(m) => Self::Unsupported(m),
            AdapterError::MalformedResponse(m) => Self::MalformedResponse(m),
        }
    }
}

/// A failure while loading or calling a plugin.
#[derive(Debug, thiserror::Error)]
pub enum PluginError {
    /// The adapter returned an error of its own.
    #[error("plugin `{}` {call}: {error}", printable(plugin))]
    Adapter {
        plugin: String,
        call: &'static str,
        error: AdapterRefusal,
    },
    /// A sandbox limit stopped the call.
    #[error("plugin `{}` stopped in {call}: {limit}", printable(plugin))]
    Limit {
        plugin: String,
        call: &'static str,
        limit: Limit,
    },
    /// The plugin trapped (a panic, an `unreachable`, a bad memory access).
    /// `detail` is wasmtime's description of the trap and the tail of what
    /// the plugin printed, both escaped by the sandbox.
    #[error("plugin `{}` trapped in {call}: {detail}", printable(plugin))]
    Trap {
        plugin: String,
        call: &'static str,
        detail: String,
    },
    /// The plugin's answer or stream broke the contract's event model
    /// (`event_model`); `rule` says which rule, quoting nothing the plugin
    /// chose.
    #[error("plugin `{}` broke the contract in {call}: {rule}", printable(plugin))]
    Contract {
        plugin: String,
        call: &'static str,
        rule: String,
    },
    /// The host used the plugin out of order; a bug in the host.
    #[error("plugin `{}` {call}: {detail}", printable(plugin))]
    Protocol {
        plugin: String,
        call: &'static str,
        detail: String,
    },
    /// A file could not be loaded as a plugin; the path and reason are
    /// shown escaped (a reason may quote what the file holds).
    #[error("{}: {}", printable(&path.display().to_string()), printable(reason))]
    Load { path: PathBuf, reason: String },
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The property the `plugin_output` fuzz target checks: an adapter's
    /// refusal reaches the user as one line, whatever the plugin put in it.
    #[test]
    fn an_adapter_refusal_is_one_printable_line() {
        let error = PluginError::Adapter {
            plugin: "p".into(),
            call: "build-request",
            error: AdapterRefusal::InvalidRequest("bad\nerror: forged\u{1b}[2J".into()),
        };
        assert_eq!(
            error.to_string(),
            "plugin `p` build-request: invalid request: bad\\nerror: forged\\u{1b}[2J"
        );
    }
}
