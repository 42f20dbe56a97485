//! What happens between attempts: which failures are not worth another attempt, and telling the
//! user about each retry.
//!
//! Invariants: a connection refused by the server, a failed TLS handshake or a host name that
//! does not resolve is never retried (the next attempt would fail the same way), decided from
//! the error's type, never its text; every retry that does happen is announced on stderr as
//! `retrying N/MAX after WHAT`, where WHAT is the previous attempt's AWS error name and HTTP
//! status, or the kind of failure when there was no response.

use std::io::Write as _;

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::dns::ResolveDnsError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeTransmitInterceptorContextRef, FinalizerInterceptorContextRef, InterceptorContext,
};
use aws_smithy_runtime_api::client::retries::RequestAttempts;
use aws_smithy_runtime_api::client::retries::classifiers::{
    ClassifyRetry, RetryAction, RetryClassifierPriority,
};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::{ConfigBag, Storable, StoreReplace};

/// The response header that names an AWS error.
const ERROR_TYPE_HEADER: &str = "x-amzn-errortype";

/// Why a connection could not be made, when no retry can change it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unfixable {
    /// Nothing listens at the address.
    Refused,
    /// The TLS handshake failed (not a TLS server, or a certificate that is not trusted).
    Tls,
    /// The host name does not resolve.
    Dns,
}

impl Unfixable {
    /// What failed, for messages.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Refused => "the connection was refused (nothing listens there)",
            Self::Tls => "the TLS handshake failed",
            Self::Dns => "the host name does not resolve",
        }
    }

    /// The unfixable failure anywhere in `error`'s chain of sources, by type: an I/O error of
    /// kind `ConnectionRefused`, a `rustls` error, a DNS resolver error.
    pub fn find_in(error: &(dyn std::error::Error + 'static)) -> Option<Self> {
        let mut cause = Some(error);
        while let Some(error) = cause {
            if error.is::<ResolveDnsError>() {
                return Some(Self::Dns);
            }
            if error.is::<rustls::Error>() {
                return Some(Self::Tls);
            }
            if let Some(io) = error.downcast_ref::<std::io::Error>() {
                if io.kind() == std::io::ErrorKind::ConnectionRefused {
                    return Some(Self::Refused);
                }
                // `io::Error::source` skips the error it wraps: look at that one too.
                if let Some(inner) = io.get_ref()
                    && let Some(found) = Self::find_in(inner)
                {
                    return Some(found);
                }
            }
            cause = error.source();
        }
        None
    }
}

/// A retry classifier that forbids retrying a connection failure no retry can fix.
#[derive(Debug, Clone, Copy, Default)]
pub struct FailFast;

impl ClassifyRetry for FailFast {
    fn classify_retry(&self, context: &InterceptorContext) -> RetryAction {
        let Some(Err(error)) = context.output_or_error() else {
            return RetryAction::NoActionIndicated;
        };
        match error.as_connector_error() {
            Some(connector) if Unfixable::find_in(connector).is_some() => {
                RetryAction::RetryForbidden
            }
            _ => RetryAction::NoActionIndicated,
        }
    }

    fn name(&self) -> &'static str {
        "bedrock-host: no retry of a refused connection, a TLS failure or a DNS failure"
    }

    fn priority(&self) -> RetryClassifierPriority {
        RetryClassifierPriority::run_after(RetryClassifierPriority::transient_error_classifier())
    }
}

/// How the previous attempt failed, kept between attempts of one operation.
#[derive(Debug, Clone)]
struct PreviousFailure(String);

impl Storable for PreviousFailure {
    type Storer = StoreReplace<Self>;
}

/// An interceptor that announces every retry on stderr.
#[derive(Debug, Clone, Copy)]
pub struct RetryAnnouncer {
    max_attempts: u32,
}

impl RetryAnnouncer {
    /// Announces retries out of `max_attempts` attempts.
    pub fn new(max_attempts: u32) -> Self {
        Self { max_attempts }
    }
}

impl Intercept for RetryAnnouncer {
    fn name(&self) -> &'static str {
        "bedrock-host-retry-announcer"
    }

    fn read_before_attempt(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let attempt = cfg.load::<RequestAttempts>().map_or(1, |n| n.attempts());
        if attempt > 1 {
            let after = cfg
                .load::<PreviousFailure>()
                .map_or("a failure", |failure| failure.0.as_str());
            let line = format!("retrying {attempt}/{} after {after}", self.max_attempts);
            // A closed stderr must not fail the request.
            let _ = writeln!(std::io::stderr(), "{line}");
        }
        Ok(())
    }

    fn read_after_attempt(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(Err(error)) = context.output_or_error() else {
            return Ok(());
        };
        let failure = match context.response() {
            Some(response) => {
                let status = response.status().as_u16();
                match response.headers().get(ERROR_TYPE_HEADER) {
                    Some(name) => {
                        let name = name.split(':').next().unwrap_or(name);
                        format!("{name} (HTTP {status})")
                    }
                    None => format!("HTTP {status}"),
                }
            }
            None if error.is_timeout_error() => "a timeout".to_owned(),
            None => "a connection failure".to_owned(),
        };
        cfg.interceptor_state().store_put(PreviousFailure(failure));
        Ok(())
    }
}
