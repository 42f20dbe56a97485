//! When requests reached the emulator, for benchmarks that time a client from its own process
//! start to its first byte on the wire. Owns the [`ArrivalLog`], the middleware that fills it and
//! the control endpoint that reads it. Invariant: every request to a Bedrock route (runtime or
//! control plane, authenticated or not) is recorded once, with the wall-clock time at which its
//! head was parsed, before authentication reads the body; the log keeps only the newest
//! [`ARRIVALS_KEPT`] entries, so it cannot grow without bound.
//!
//! - `GET /_emulator/arrivals` returns `{"arrivals": [{"unix_nanos": N, "method": "POST",
//!   "path": "/model/.../invoke"}, ...]}`, oldest first; `unix_nanos` is nanoseconds since the
//!   Unix epoch (`CLOCK_REALTIME`), comparable with `time.time_ns()` in another process on the
//!   same machine.
//! - `DELETE /_emulator/arrivals` empties the log.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::api_error::ApiError;
use crate::server::AppState;

/// The path of the arrivals endpoint.
pub const ARRIVALS_PATH: &str = "/_emulator/arrivals";

/// How many arrivals the log keeps.
pub const ARRIVALS_KEPT: usize = 4096;

/// One request's arrival.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Arrival {
    /// Wall-clock nanoseconds since the Unix epoch when the request head was parsed.
    pub unix_nanos: u64,
    /// The HTTP method.
    pub method: String,
    /// The request path, as sent (still percent-encoded).
    pub path: String,
}

/// The newest arrivals, oldest first.
#[derive(Debug, Default)]
pub(crate) struct ArrivalLog(Mutex<VecDeque<Arrival>>);

impl ArrivalLog {
    fn lock(&self) -> MutexGuard<'_, VecDeque<Arrival>> {
        // Entries are pushed whole, so a poisoned lock still guards a consistent log.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records an arrival, forgetting the oldest one when the log is full.
    fn record(&self, arrival: Arrival) {
        let mut log = self.lock();
        if log.len() == ARRIVALS_KEPT {
            log.pop_front();
        }
        log.push_back(arrival);
    }

    fn snapshot(&self) -> Vec<Arrival> {
        self.lock().iter().cloned().collect()
    }

    fn clear(&self) {
        self.lock().clear();
    }
}

/// Middleware on the Bedrock routes: records the request's arrival, then passes it on.
pub(crate) async fn record_arrival(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    let unix_nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| {
            u64::try_from(since.as_nanos()).unwrap_or(u64::MAX)
        });
    state.arrivals.record(Arrival {
        unix_nanos,
        method: request.method().to_string(),
        path: request.uri().path().to_owned(),
    });
    next.run(request).await
}

#[derive(Serialize)]
struct ArrivalsBody {
    arrivals: Vec<Arrival>,
}

/// `GET /_emulator/arrivals`.
pub(crate) async fn read_arrivals(State(state): State<Arc<AppState>>) -> Response {
    let body = ArrivalsBody {
        arrivals: state.arrivals.snapshot(),
    };
    match serde_json::to_vec(&body) {
        Ok(json) => {
            let mut response = Response::new(Body::from(json));
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            response
        }
        Err(error) => {
            ApiError::internal(format!("cannot render the arrivals: {error}")).into_response()
        }
    }
}

/// `DELETE /_emulator/arrivals`.
pub(crate) async fn clear_arrivals(State(state): State<Arc<AppState>>) -> StatusCode {
    state.arrivals.clear();
    StatusCode::NO_CONTENT
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arrival(unix_nanos: u64) -> Arrival {
        Arrival {
            unix_nanos,
            method: "POST".into(),
            path: "/model/x/invoke".into(),
        }
    }

    #[test]
    fn the_log_keeps_only_the_newest_arrivals_in_order() {
        let log = ArrivalLog::default();
        for at in 0..u64::try_from(ARRIVALS_KEPT + 2).unwrap_or(u64::MAX) {
            log.record(arrival(at));
        }
        let kept = log.snapshot();
        assert_eq!(kept.len(), ARRIVALS_KEPT);
        assert_eq!(kept.first().map(|a| a.unix_nanos), Some(2));
        assert!(
            kept.windows(2)
                .all(|pair| pair[0].unix_nanos < pair[1].unix_nanos)
        );
        log.clear();
        assert!(log.snapshot().is_empty());
    }
}
