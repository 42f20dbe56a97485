//! A plugin's stdout and stderr: kept in memory up to a cap, then dropped,
//! and the last [`TAIL_BYTES`] of it kept apart, to explain a trap.
//!
//! Invariant: writing never fails and never blocks, whatever the plugin
//! writes, so that printing cannot become a way to trap or stall the host.
//! What is kept goes to the host's debug log when the call ends; the tail
//! goes into the error of a call that traps. Both are handed out escaped
//! ([`printable`]): the plugin chose every byte.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use bytes::Bytes;
use tokio::io::AsyncWrite;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamResult};

use super::printable::printable;

/// How much of the end of a plugin's output is kept for a trap's error.
pub const TAIL_BYTES: usize = 512;

/// A shared, capped byte buffer that a plugin's output streams write into.
#[derive(Clone)]
pub struct CappedLog {
    inner: Arc<Mutex<LogBuffer>>,
}

struct LogBuffer {
    kept: Vec<u8>,
    cap: usize,
    dropped: usize,
    tail: Vec<u8>,
}

/// What a plugin printed during one call, escaped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Printed {
    /// The kept part, with a note of how many bytes were dropped.
    pub kept: String,
    /// The last [`TAIL_BYTES`] (or fewer) bytes, trimmed.
    pub tail: String,
    /// Whether more was printed than `tail` holds.
    pub tail_cut: bool,
}

impl CappedLog {
    /// A log that keeps at most `cap` bytes.
    pub fn new(cap: usize) -> Self {
        Self {
            inner: Arc::new(Mutex::new(LogBuffer {
                kept: Vec::new(),
                cap,
                dropped: 0,
                tail: Vec::new(),
            })),
        }
    }

    fn append(&self, bytes: &[u8]) {
        let mut buffer = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let room = buffer.cap.saturating_sub(buffer.kept.len());
        let kept = bytes.len().min(room);
        buffer.kept.extend_from_slice(&bytes[..kept]);
        buffer.dropped += bytes.len() - kept;
        let recent = &bytes[bytes.len().saturating_sub(TAIL_BYTES)..];
        let excess = (buffer.tail.len() + recent.len()).saturating_sub(TAIL_BYTES);
        buffer.tail.drain(..excess);
        buffer.tail.extend_from_slice(recent);
    }

    /// Takes what was written so far, as escaped lossy UTF-8; `None` when
    /// nothing was written.
    pub fn take(&self) -> Option<Printed> {
        let mut buffer = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        if buffer.kept.is_empty() && buffer.dropped == 0 {
            return None;
        }
        let mut kept = printable(&String::from_utf8_lossy(&buffer.kept));
        if buffer.dropped > 0 {
            kept.push_str(&format!("[... {} more bytes dropped]", buffer.dropped));
        }
        let tail = printable(String::from_utf8_lossy(&buffer.tail).trim());
        let tail_cut = buffer.kept.len() + buffer.dropped > buffer.tail.len();
        buffer.kept.clear();
        buffer.dropped = 0;
        buffer.tail.clear();
        Some(Printed {
            kept,
            tail,
            tail_cut,
        })
    }
}

impl IsTerminal for CappedLog {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for CappedLog {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }

    fn async_stream(&self) -> Box<dyn AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for CappedLog {
    async fn ready(&mut self) {}
}

impl OutputStream for CappedLog {
    fn write(&mut self, bytes: Bytes) -> StreamResult<()> {
        self.append(&bytes);
        Ok(())
    }

    fn flush(&mut self) -> StreamResult<()> {
        Ok(())
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        Ok(usize::MAX >> 1)
    }
}

impl AsyncWrite for CappedLog {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.append(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_up_to_the_cap_and_counts_the_rest() {
        let log = CappedLog::new(4);
        log.append(b"abc");
        log.append(b"def");
        let printed = log.take().expect("something was printed");
        assert_eq!(printed.kept, "abcd[... 2 more bytes dropped]");
        assert_eq!(printed.tail, "abcdef");
        assert!(!printed.tail_cut);
        assert_eq!(log.take(), None);
    }

    #[test]
    fn the_tail_is_the_escaped_end_of_everything_written() {
        let log = CappedLog::new(0);
        log.append(&vec![b'x'; 10_000]);
        log.append(b"\npanicked: \x1b]0;owned\x07\r\n");
        let printed = log.take().expect("something was printed");
        assert_eq!(printed.kept, "[... 10023 more bytes dropped]");
        assert!(
            printed
                .tail
                .ends_with("xxx\\npanicked: \\u{1b}]0;owned\\u{7}"),
            "{}",
            printed.tail
        );
        assert!(printed.tail.len() <= TAIL_BYTES + 20, "{}", printed.tail);
        assert!(!printed.tail.chars().any(char::is_control));
        assert!(printed.tail_cut);
    }
}
