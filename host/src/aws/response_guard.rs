//! Bounds on what one Bedrock response may do to the host: how large it may be and how long
//! it may go silent.
//!
//! The SDK reads a non-streamed body whole before handing it over, and its event-stream reader
//! buffers a frame until the length its prelude announces has arrived, so without a bound a
//! server (or anything on the path to it) could make the host buffer gigabytes. The SDK's read
//! timeout covers only the wait for the response head; after it a body could stall for ever.
//!
//! Invariants: a response whose `Content-Length` exceeds the limit is refused before any of its
//! body is read; otherwise no more than the limit is ever passed to the SDK (so nothing it
//! buffers can exceed it, whatever a frame announces), and the response fails the moment a byte
//! past the limit arrives; a body that sends nothing for the read timeout fails. A response
//! refused for its size is not retried: the next attempt would be refused the same way.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeDeserializationInterceptorContextMut, InterceptorContext,
};
use aws_smithy_runtime_api::client::retries::classifiers::{
    ClassifyRetry, RetryAction, RetryClassifierPriority,
};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::config_bag::ConfigBag;
use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use tokio::time::{Instant, Sleep};

/// The default for the largest response accepted, in MiB: far above any real Bedrock answer
/// (the longest text generations stream a few MiB; a batch of images is tens of MiB).
pub const DEFAULT_MAX_RESPONSE_MIB: u32 = 64;

/// Why a response was cut off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ResponseGuardError {
    /// The response was, or announced it would be, larger than the limit.
    #[error("the response is larger than the {limit_bytes}-byte limit")]
    TooLarge {
        /// The limit, in bytes.
        limit_bytes: u64,
    },
    /// The response sent nothing for the whole read timeout.
    #[error("the response sent nothing for {0:?}")]
    Silent(Duration),
}

impl ResponseGuardError {
    /// The guard's error anywhere in `error`'s chain of sources.
    pub fn find_in(error: &(dyn std::error::Error + 'static)) -> Option<Self> {
        let mut cause = Some(error);
        while let Some(error) = cause {
            if let Some(found) = error.downcast_ref::<Self>() {
                return Some(*found);
            }
            cause = error.source();
        }
        None
    }
}

/// An interceptor that puts every response of the operation it is attached to under the
/// guard.
#[derive(Debug, Clone, Copy)]
pub struct ResponseGuard {
    max_bytes: u64,
    idle_timeout: Option<Duration>,
}

impl ResponseGuard {
    /// At most `max_bytes` per response, and at most `idle_timeout` (when set) without a byte.
    pub fn new(max_bytes: u64, idle_timeout: Option<Duration>) -> Self {
        Self {
            max_bytes,
            idle_timeout,
        }
    }
}

impl Intercept for ResponseGuard {
    fn name(&self) -> &'static str {
        "bedrock-host-response-guard"
    }

    fn modify_before_deserialization(
        &self,
        context: &mut BeforeDeserializationInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let response = context.response_mut();
        let declared = response
            .headers()
            .get("content-length")
            .and_then(|length| length.trim().parse::<u64>().ok());
        if declared.is_some_and(|length| length > self.max_bytes) {
            return Err(ResponseGuardError::TooLarge {
                limit_bytes: self.max_bytes,
            }
            .into());
        }
        let body = std::mem::replace(response.body_mut(), SdkBody::taken());
        *response.body_mut() =
            SdkBody::from_body_1_x(GuardedBody::new(body, self.max_bytes, self.idle_timeout));
        Ok(())
    }
}

/// A retry classifier that forbids retrying a response refused for its size.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoRetryWhenTooLarge;

impl ClassifyRetry for NoRetryWhenTooLarge {
    fn classify_retry(&self, context: &InterceptorContext) -> RetryAction {
        match context.output_or_error() {
            Some(Err(error))
                if matches!(
                    ResponseGuardError::find_in(error),
                    Some(ResponseGuardError::TooLarge { .. })
                ) =>
            {
                RetryAction::RetryForbidden
            }
            _ => RetryAction::NoActionIndicated,
        }
    }

    fn name(&self) -> &'static str {
        "bedrock-host: no retry of an oversized response"
    }

    fn priority(&self) -> RetryClassifierPriority {
        RetryClassifierPriority::run_after(RetryClassifierPriority::transient_error_classifier())
    }
}

/// A response body that counts the bytes it passes on and watches for silence.
struct GuardedBody {
    inner: SdkBody,
    limit_bytes: u64,
    passed_bytes: u64,
    idle: Option<(Duration, Pin<Box<Sleep>>)>,
    /// Once failed, the body keeps failing the same way.
    failed: Option<ResponseGuardError>,
}

impl GuardedBody {
    fn new(inner: SdkBody, limit_bytes: u64, idle_timeout: Option<Duration>) -> Self {
        Self {
            inner,
            limit_bytes,
            passed_bytes: 0,
            idle: idle_timeout.map(|timeout| (timeout, Box::pin(tokio::time::sleep(timeout)))),
            failed: None,
        }
    }

    fn fail(&mut self, error: ResponseGuardError) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        self.failed = Some(error);
        Poll::Ready(Some(Err(error.into())))
    }
}

impl Body for GuardedBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = self.get_mut();
        if let Some(error) = this.failed {
            return Poll::Ready(Some(Err(error.into())));
        }
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                let length = frame.data_ref().map_or(0, |data| data.len() as u64);
                this.passed_bytes = this.passed_bytes.saturating_add(length);
                if this.passed_bytes > this.limit_bytes {
                    return this.fail(ResponseGuardError::TooLarge {
                        limit_bytes: this.limit_bytes,
                    });
                }
                if let Some((timeout, silence)) = this.idle.as_mut() {
                    silence.as_mut().reset(Instant::now() + *timeout);
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(other) => Poll::Ready(other),
            Poll::Pending => {
                let Some((timeout, silence)) = this.idle.as_mut() else {
                    return Poll::Pending;
                };
                if silence.as_mut().poll(cx).is_pending() {
                    return Poll::Pending;
                }
                let timeout = *timeout;
                this.fail(ResponseGuardError::Silent(timeout))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.failed.is_none() && self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    fn body_of(pieces: &[&'static [u8]]) -> SdkBody {
        let stream = futures_util::stream::iter(
            pieces
                .iter()
                .map(|piece| {
                    Ok::<_, std::convert::Infallible>(Frame::data(Bytes::from_static(piece)))
                })
                .collect::<Vec<_>>(),
        );
        SdkBody::from_body_1_x(http_body_util::StreamBody::new(stream))
    }

    #[tokio::test]
    async fn a_body_within_the_limit_passes_whole() {
        let guarded = GuardedBody::new(body_of(&[b"abc", b"def"]), 6, None);
        let collected = guarded.collect().await.expect("within the limit");
        assert_eq!(collected.to_bytes(), Bytes::from_static(b"abcdef"));
    }

    #[tokio::test]
    async fn the_first_byte_past_the_limit_fails_the_body_for_good() {
        let mut guarded = GuardedBody::new(body_of(&[b"abc", b"def", b"g"]), 5, None);
        let first = guarded
            .frame()
            .await
            .expect("a frame")
            .expect("in the limit");
        assert_eq!(first.into_data().ok(), Some(Bytes::from_static(b"abc")));
        for _ in 0..2 {
            let error = guarded.frame().await.expect("an error").expect_err("past");
            assert_eq!(
                ResponseGuardError::find_in(error.as_ref()),
                Some(ResponseGuardError::TooLarge { limit_bytes: 5 })
            );
        }
    }

    #[tokio::test]
    async fn a_silent_body_fails_after_the_idle_timeout() {
        let never =
            futures_util::stream::pending::<Result<Frame<Bytes>, std::convert::Infallible>>();
        let silent = SdkBody::from_body_1_x(http_body_util::StreamBody::new(never));
        let timeout = Duration::from_millis(50);
        let mut guarded = GuardedBody::new(silent, 100, Some(timeout));
        let error = guarded
            .frame()
            .await
            .expect("an error")
            .expect_err("silent");
        assert_eq!(
            ResponseGuardError::find_in(error.as_ref()),
            Some(ResponseGuardError::Silent(timeout))
        );
    }
}
