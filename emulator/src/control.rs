//! The control endpoint, for tests and for `serve-local` users who want to provoke failures. It
//! is served next to the Bedrock routes but needs no authentication, and it never counts as a
//! model invocation.
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

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use crate::api_error::ApiError;
use crate::behaviour::Behaviour;
use crate::server::AppState;

/// The path of the control endpoint.
pub const CONTROL_PATH: &str = "/_emulator/behaviour";

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
