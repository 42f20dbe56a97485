//! A plugin's stdout and stderr: kept in memory up to a cap, then dropped.
//!
//! Invariant: writing never fails and never blocks, whatever the plugin
//! writes, so that printing cannot become a way to trap or stall the host.
//! What is kept goes to the host's debug log when the call ends.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use bytes::Bytes;
use tokio::io::AsyncWrite;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamResult};

/// A shared, capped byte buffer that a plugin's output streams write into.
#[derive(Clone)]
pub struct CappedLog {
    inner: Arc<Mutex<LogBuffer>>,
}

struct LogBuffer {
    kept: Vec<u8>,
    cap: usize,
    dropped: usize,
}

impl CappedLog {
    /// A log that keeps at most `cap` bytes.
    pub fn new(cap: usize) -> Self {
        Self {
            inner: Arc::new(Mutex::new(LogBuffer {
                kept: Vec::new(),
                cap,
                dropped: 0,
            })),
        }
    }

    fn append(&self, bytes: &[u8]) {
        let mut buffer = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let room = buffer.cap.saturating_sub(buffer.kept.len());
        let kept = bytes.len().min(room);
        buffer.kept.extend_from_slice(&bytes[..kept]);
        buffer.dropped += bytes.len() - kept;
    }

    /// Takes what was written so far, as lossy UTF-8, with a note of how many
    /// bytes were dropped; `None` when nothing was written.
    pub fn take(&self) -> Option<String> {
        let mut buffer = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        if buffer.kept.is_empty() && buffer.dropped == 0 {
            return None;
        }
        let mut text = String::from_utf8_lossy(&buffer.kept).into_owned();
        if buffer.dropped > 0 {
            text.push_str(&format!("[... {} more bytes dropped]", buffer.dropped));
        }
        buffer.kept.clear();
        buffer.dropped = 0;
        Some(text)
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
        assert_eq!(
            log.take().as_deref(),
            Some("abcd[... 2 more bytes dropped]")
        );
        assert_eq!(log.take(), None);
    }
}
