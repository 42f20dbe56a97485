//! Authentication of every Bedrock request, as an axum middleware: the body is read once (up to
//! Bedrock's 25,000,000-byte limit), the request is let through only with a valid SigV4
//! signature (`sigv4.rs`) or the configured bearer token, and the buffered body is handed on
//! unchanged. Failures are the 403 errors AWS's front end sends, in the
//! `com.amazon.coral.service` namespace.

mod sigv4;

use std::sync::Arc;
use std::time::SystemTime;

use axum::body::{Body, Bytes, to_bytes};
use axum::extract::{Request, State};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::api_error::ApiError;

/// The largest request body Bedrock accepts (spec: the InvokeModel `body` blob is at most
/// 25,000,000 bytes).
const MAX_REQUEST_BODY_BYTES: usize = 25_000_000;

/// The scheme prefix of a bearer `Authorization` header.
const BEARER_PREFIX: &str = "Bearer ";

/// Who may call the emulator. Deliberately not `Debug`: it holds secrets.
pub(crate) struct AcceptedCredentials {
    /// The only access key id accepted in SigV4 signatures.
    pub access_key_id: String,
    /// The secret signatures are checked against.
    pub secret_access_key: String,
    /// The bearer token (Bedrock API key) accepted, if any.
    pub bearer_token: Option<String>,
    /// The region credential scopes must name.
    pub region: String,
}

/// The middleware: answers unauthenticated requests itself and passes the others on.
pub(crate) async fn require_authentication(
    State(accepted): State<Arc<AcceptedCredentials>>,
    request: Request,
    next: Next,
) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(body) = to_bytes(body, MAX_REQUEST_BODY_BYTES).await else {
        return ApiError::validation("Input is too long for requested model.").into_response();
    };
    if let Err(error) = authenticate(&accepted, &parts, &body, SystemTime::now()) {
        tracing::debug!(?error, uri = %parts.uri, "refused an unauthenticated request");
        return error.into_response();
    }
    next.run(Request::from_parts(parts, Body::from(body))).await
}

fn authenticate(
    accepted: &AcceptedCredentials,
    parts: &Parts,
    body: &Bytes,
    now: SystemTime,
) -> Result<(), ApiError> {
    let Some(authorization) = parts.headers.get(AUTHORIZATION) else {
        return Err(ApiError::forbidden(
            "MissingAuthenticationTokenException",
            "Missing Authentication Token",
        ));
    };
    let authorization = authorization
        .to_str()
        .map_err(|_| sigv4::incomplete_signature("<non-ASCII value>"))?;
    if let Some(token) = authorization.strip_prefix(BEARER_PREFIX) {
        return check_bearer_token(accepted, token.trim());
    }
    let request = sigv4::ReceivedRequest {
        method: parts.method.as_str(),
        path_and_query: parts
            .uri
            .path_and_query()
            .map_or("/", |path_and_query| path_and_query.as_str()),
        headers: &parts.headers,
        body,
    };
    sigv4::verify(authorization, &request, accepted, now)
}

fn check_bearer_token(accepted: &AcceptedCredentials, token: &str) -> Result<(), ApiError> {
    match &accepted.bearer_token {
        Some(expected) if constant_time_eq(expected.as_bytes(), token.as_bytes()) => Ok(()),
        _ => Err(unrecognized_client()),
    }
}

/// 403 UnrecognizedClientException, recorded (New Relic) for credentials AWS does not know.
fn unrecognized_client() -> ApiError {
    ApiError::forbidden(
        "UnrecognizedClientException",
        "The security token included in the request is invalid.",
    )
}

/// Compares secrets in time that depends only on their lengths.
fn constant_time_eq(left: &[u8], right: &[u8]) -> bool {
    left.len() == right.len()
        && left
            .iter()
            .zip(right)
            .fold(0u8, |difference, (a, b)| difference | (a ^ b))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Request as HttpRequest;

    fn accepted(bearer_token: Option<&str>) -> AcceptedCredentials {
        AcceptedCredentials {
            access_key_id: "AKIDTEST".into(),
            secret_access_key: "secret".into(),
            bearer_token: bearer_token.map(str::to_owned),
            region: "us-east-1".into(),
        }
    }

    fn parts(authorization: Option<&str>) -> Parts {
        let mut builder = HttpRequest::post("/model/x/invoke").header("host", "localhost");
        if let Some(value) = authorization {
            builder = builder.header("authorization", value);
        }
        builder.body(()).expect("valid test request").into_parts().0
    }

    fn refusal(accepted: &AcceptedCredentials, authorization: Option<&str>) -> Option<String> {
        authenticate(
            accepted,
            &parts(authorization),
            &Bytes::new(),
            SystemTime::now(),
        )
        .err()
        .map(|error| error.error_type().to_owned())
    }

    #[test]
    fn a_request_without_authorization_is_refused() {
        assert_eq!(
            refusal(&accepted(None), None).as_deref(),
            Some("MissingAuthenticationTokenException")
        );
    }

    #[test]
    fn the_configured_bearer_token_is_accepted_and_others_are_not() {
        let with_token = accepted(Some("bedrock-api-key"));
        assert_eq!(refusal(&with_token, Some("Bearer bedrock-api-key")), None);
        assert_eq!(
            refusal(&with_token, Some("Bearer other-key")).as_deref(),
            Some("UnrecognizedClientException")
        );
        assert_eq!(
            refusal(&accepted(None), Some("Bearer bedrock-api-key")).as_deref(),
            Some("UnrecognizedClientException")
        );
    }

    #[test]
    fn constant_time_eq_compares_contents_and_lengths() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }
}
