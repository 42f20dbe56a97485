//! Writing command output to stdout without panicking, and knowing whether
//! a command's JSON object is already there.
//!
//! Invariants: every write is flushed and its failure returned, never a
//! panic: a closed pipe (`bedrock-host models | head -1`) becomes
//! `StdoutError::Closed`, which ends the process quietly with exit 141, as
//! a shell reports SIGPIPE. With `--output json`, stdout holds exactly one
//! JSON object: `json` records that it wrote one, so the edge prints an
//! error object only when the command did not.

use std::fmt::Display;
use std::io::{self, Write as _};
use std::sync::atomic::{AtomicBool, Ordering};

/// Whether a JSON object was written to stdout by this process.
static JSON_WRITTEN: AtomicBool = AtomicBool::new(false);

/// Why stdout could not be written.
#[derive(Debug, thiserror::Error)]
pub enum StdoutError {
    /// The reader went away (a closed pipe).
    #[error("stdout was closed")]
    Closed,
    /// Any other failure to write.
    #[error("cannot write to stdout: {0}")]
    Failed(io::Error),
}

impl From<io::Error> for StdoutError {
    fn from(error: io::Error) -> Self {
        if error.kind() == io::ErrorKind::BrokenPipe {
            StdoutError::Closed
        } else {
            StdoutError::Failed(error)
        }
    }
}

/// Writes `bytes` as they are, and flushes them.
pub fn bytes(bytes: &[u8]) -> Result<(), StdoutError> {
    let mut out = io::stdout().lock();
    out.write_all(bytes)?;
    out.flush()?;
    Ok(())
}

/// Writes `line` and a newline, and flushes them.
pub fn line(line: impl Display) -> Result<(), StdoutError> {
    let mut out = io::stdout().lock();
    writeln!(out, "{line}")?;
    out.flush()?;
    Ok(())
}

/// Writes `object` as the command's one JSON object, on one line.
pub fn json(object: &serde_json::Value) -> Result<(), StdoutError> {
    JSON_WRITTEN.store(true, Ordering::SeqCst);
    line(object)
}

/// Whether `json` has written an object.
pub fn json_written() -> bool {
    JSON_WRITTEN.load(Ordering::SeqCst)
}

/// `println!` that returns a closed or failed stdout as an error (with `?`)
/// instead of panicking.
macro_rules! outln {
    () => {
        $crate::cli::stdout::line("")?
    };
    ($($arg:tt)*) => {
        $crate::cli::stdout::line(format_args!($($arg)*))?
    };
}
pub(crate) use outln;
