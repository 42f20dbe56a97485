//! The test controls, for tests, benchmarks and `serve-local --test-controls` users who want to
//! provoke failures: the behaviour endpoint below and the arrivals log (see [`crate::arrivals`]),
//! both under `/_emulator/`. They are served next to the Bedrock routes without authentication
//! and never count as a model invocation.
//!
//! Invariants: with [`crate::EmulatorConfig::test_controls`] off, every path under `/_emulator/`
//! answers 404; with it on, a request whose `Host` is not a loopback name or address, or that
//! carries an `Origin` that is not one (what a web page could send, including through DNS
//! rebinding), answers 403 and changes nothing.
//!
//! - `GET /_emulator/behaviour` returns the current [`Behaviour`] as JSON.
//! - `POST /_emulator/behaviour` with a [`Behaviour`] JSON body replaces it (all fields optional,
//!   so `{}` clears every fault) and returns the new one; an unusable body gets 400 with
//!   `{"message":"..."}`.
//!
//! Example: make the next two invocations fail with throttling, then break the next stream after
//! three chunks with a model stream error:
//! ```text
//! curl -X POST http://127.0.0.1:PORT/_emulator/behaviour -d '{
//!   "fail_requests": {"count": 2, "status": 429, "error_type": "ThrottlingException",
//!                     "message": "Too many requests, please wait before trying again."},
//!   "stream_fault": {"after_chunks": 3, "action": {"kind": "exception",
//!                    "exception_type": "modelStreamErrorException",
//!                    "message": "The system encountered an unexpected error during processing. Try your request again."}}
//! }'
//! ```

use std::net::IpAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{Next, from_fn};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};

use crate::api_error::ApiError;
use crate::arrivals::{ARRIVALS_PATH, clear_arrivals, read_arrivals};
use crate::behaviour::Behaviour;
use crate::server::AppState;

/// The path of the control endpoint.
pub const CONTROL_PATH: &str = "/_emulator/behaviour";

/// Every path of the test controls.
const CONTROLS: &str = "/_emulator/{*rest}";

/// The test-control routes: behind the loopback guard when `enabled`, else a 404 for each.
pub(crate) fn routes(enabled: bool) -> Router<Arc<AppState>> {
    if !enabled {
        return Router::new().route(CONTROLS, any(controls_off));
    }
    Router::new()
        .route(CONTROL_PATH, get(read_behaviour).post(replace_behaviour))
        .route(ARRIVALS_PATH, get(read_arrivals).delete(clear_arrivals))
        .route(CONTROLS, any(unknown_control))
        .layer(from_fn(only_from_loopback))
}

/// Any `/_emulator/` path while the test controls are off.
async fn controls_off() -> Response {
    message_response(
        StatusCode::NOT_FOUND,
        "the test controls are off (start `bedrock-host serve-local --test-controls` to use them)",
    )
}

/// A `/_emulator/` path that names no control.
async fn unknown_control() -> Response {
    message_response(StatusCode::NOT_FOUND, "no such test control")
}

/// Lets a request through only when its `Host`, and its `Origin` if it has one, are loopback.
async fn only_from_loopback(request: Request, next: Next) -> Response {
    if from_loopback(request.headers()) {
        return next.run(request).await;
    }
    tracing::warn!(
        host = ?request.headers().get(header::HOST),
        origin = ?request.headers().get(header::ORIGIN),
        "refused a test-control request that did not come from loopback"
    );
    message_response(
        StatusCode::FORBIDDEN,
        "the test controls answer only requests whose Host and Origin are loopback (127.0.0.1, ::1 or localhost)",
    )
}

/// Whether `Host` is present and loopback, and `Origin` absent or loopback.
fn from_loopback(headers: &HeaderMap) -> bool {
    let host = headers
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
        .is_some_and(is_loopback_authority);
    let origin = match headers.get(header::ORIGIN) {
        None => true,
        Some(value) => value.to_str().ok().is_some_and(|origin| {
            origin
                .strip_prefix("http://")
                .or_else(|| origin.strip_prefix("https://"))
                .is_some_and(is_loopback_authority)
        }),
    };
    host && origin
}

/// Whether `host[:port]` names this machine: `localhost`, `127.x.x.x` or `[::1]`.
fn is_loopback_authority(authority: &str) -> bool {
    let host = match authority.strip_prefix('[') {
        Some(bracketed) => match bracketed.split_once(']') {
            Some((host, rest)) if rest.is_empty() || rest.starts_with(':') => host,
            _ => return false,
        },
        None => authority
            .rsplit_once(':')
            .map_or(authority, |(host, _port)| host),
    };
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// A `{"message": ...}` JSON response.
fn message_response(status: StatusCode, message: &str) -> Response {
    let body = serde_json::json!({ "message": message }).to_string();
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// `GET /_emulator/behaviour`.
pub(crate) async fn read_behaviour(State(state): State<Arc<AppState>>) -> Response {
    behaviour_response(&state.behaviour.current())
}

/// `POST /_emulator/behaviour`.
pub(crate) async fn replace_behaviour(State(state): State<Arc<AppState>>, body: Bytes) -> Response {
    let behaviour: Behaviour = match serde_json::from_slice(&body) {
        Ok(behaviour) => behaviour,
        Err(error) => {
            return ApiError::validation(format!("invalid emulator behaviour: {error}"))
                .into_response();
        }
    };
    if let Err(error) = state.behaviour.replace(behaviour) {
        return ApiError::validation(error.to_string()).into_response();
    }
    tracing::info!(behaviour = ?state.behaviour.current(), "emulator behaviour replaced");
    behaviour_response(&state.behaviour.current())
}

fn behaviour_response(behaviour: &Behaviour) -> Response {
    match serde_json::to_vec(behaviour) {
        Ok(json) => {
            let mut response = Response::new(Body::from(json));
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            response
        }
        Err(error) => {
            ApiError::internal(format!("cannot render the behaviour: {error}")).into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(header::HeaderName, &'static str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(name, value)| (name.clone(), HeaderValue::from_static(value)))
            .collect()
    }

    #[test]
    fn loopback_hosts_and_origins_pass() {
        for host in [
            "127.0.0.1:8080",
            "localhost:1",
            "LOCALHOST",
            "[::1]:80",
            "127.1.2.3",
        ] {
            let mut passing = headers(&[(header::HOST, "127.0.0.1")]);
            passing.insert(header::HOST, HeaderValue::from_static(host));
            assert!(from_loopback(&passing), "{host}");
        }
        assert!(from_loopback(&headers(&[
            (header::HOST, "127.0.0.1:9"),
            (header::ORIGIN, "http://localhost:3000")
        ])));
    }

    #[test]
    fn what_a_web_page_could_send_is_refused() {
        for refused in [
            headers(&[]),
            headers(&[(header::HOST, "evil.example:8080")]),
            headers(&[(header::HOST, "127.0.0.1.evil.example")]),
            headers(&[(header::HOST, "[::1]evil")]),
            headers(&[(header::HOST, "10.0.0.1:80")]),
            headers(&[
                (header::HOST, "127.0.0.1:9"),
                (header::ORIGIN, "https://evil.example"),
            ]),
            headers(&[(header::HOST, "127.0.0.1:9"), (header::ORIGIN, "null")]),
        ] {
            assert!(!from_loopback(&refused), "{refused:?}");
        }
    }
}
