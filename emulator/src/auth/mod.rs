//! Authentication of every signed request. For Bedrock it is an axum middleware: the body is
//! read once (up to Bedrock's 25,000,000-byte limit), the request is let through only with a
//! valid SigV4 signature (`sigv4.rs`) or the configured bearer token, and the buffered body is
//! handed on unchanged. STS calls [`authenticate`] itself, for service `sts` and SigV4 only.
//! Signatures are accepted from the configured long-term key pair and from temporary
//! credentials the emulator's STS issued (`sessions.rs`), the latter only with their own
//! `X-Amz-Security-Token` and before they expire. Failures are the 403 errors AWS's front end
//! sends, in the `com.amazon.coral.service` namespace.

mod sessions;
mod sigv4;

pub(crate) use sessions::{SessionStore, TemporaryCredentials};

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

/// The header carrying the session token of temporary credentials.
const SECURITY_TOKEN: &str = "x-amz-security-token";

/// The service a request must be signed for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SigningService {
    /// Bedrock, runtime and control plane alike (signing name `bedrock`); bearer tokens too.
    Bedrock,
    /// The Security Token Service (signing name `sts`); SigV4 only.
    Sts,
}

impl SigningService {
    /// The service element credential scopes must name.
    fn signing_name(self) -> &'static str {
        match self {
            Self::Bedrock => "bedrock",
            Self::Sts => "sts",
        }
    }
}

/// Who may call the emulator. Its `Debug` output shows no secret.
pub(crate) struct AcceptedCredentials {
    /// The only access key id accepted in SigV4 signatures.
    pub access_key_id: String,
    /// The secret signatures are checked against.
    pub secret_access_key: String,
    /// The bearer token (Bedrock API key) accepted, if any.
    pub bearer_token: Option<String>,
    /// The region credential scopes must name.
    pub region: String,
    /// The temporary credentials STS issued.
    pub sessions: SessionStore,
}

impl std::fmt::Debug for AcceptedCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AcceptedCredentials")
            .field("access_key_id", &self.access_key_id)
            .field("region", &self.region)
            .finish_non_exhaustive()
    }
}

impl AcceptedCredentials {
    /// The secret a signature by `access_key_id` is checked against: the long-term secret
    /// (with no session token), or the secret of temporary credentials whose session token the
    /// request carries and which have not expired.
    fn signing_secret(
        &self,
        access_key_id: &str,
        security_token: Option<&str>,
        now: SystemTime,
    ) -> Result<String, ApiError> {
        if constant_time_eq(access_key_id.as_bytes(), self.access_key_id.as_bytes()) {
            return match security_token {
                None => Ok(self.secret_access_key.clone()),
                Some(_) => Err(unrecognized_client()),
            };
        }
        let session = self
            .sessions
            .get(access_key_id)
            .ok_or_else(unrecognized_client)?;
        let token_matches = security_token.is_some_and(|token| {
            constant_time_eq(token.as_bytes(), session.session_token.as_bytes())
        });
        if !token_matches {
            return Err(unrecognized_client());
        }
        if now >= session.expiration {
            return Err(ApiError::forbidden(
                "ExpiredTokenException",
                "The security token included in the request is expired",
            ));
        }
        Ok(session.secret_access_key)
    }
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
    if let Err(error) = authenticate(
        &accepted,
        &parts,
        &body,
        SigningService::Bedrock,
        SystemTime::now(),
    ) {
        tracing::debug!(?error, uri = %parts.uri, "refused an unauthenticated request");
        return error.into_response();
    }
    next.run(Request::from_parts(parts, Body::from(body))).await
}

/// Checks that a request is signed for `service` by credentials the emulator accepts.
pub(crate) fn authenticate(
    accepted: &AcceptedCredentials,
    parts: &Parts,
    body: &Bytes,
    service: SigningService,
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
    if service == SigningService::Bedrock
        && let Some(token) = authorization.strip_prefix(BEARER_PREFIX)
    {
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
    let security_token = match parts.headers.get(SECURITY_TOKEN) {
        Some(value) => Some(value.to_str().map_err(|_| unrecognized_client())?),
        None => None,
    };
    sigv4::verify(
        authorization,
        &request,
        service.signing_name(),
        &accepted.region,
        |access_key_id| accepted.signing_secret(access_key_id, security_token, now),
        now,
    )
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
            sessions: SessionStore::default(),
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
            SigningService::Bedrock,
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
    fn sts_takes_no_bearer_token() {
        let with_token = accepted(Some("bedrock-api-key"));
        let error = authenticate(
            &with_token,
            &parts(Some("Bearer bedrock-api-key")),
            &Bytes::new(),
            SigningService::Sts,
            SystemTime::now(),
        )
        .expect_err("STS wants SigV4");
        assert_eq!(error.error_type(), "IncompleteSignatureException");
    }

    #[test]
    fn temporary_credentials_need_their_own_token_and_time() {
        let accepted = accepted(None);
        let now = SystemTime::now();
        let issued = accepted
            .sessions
            .issue(now, std::time::Duration::from_secs(900));
        let key = issued.access_key_id.as_str();
        assert_eq!(
            accepted.signing_secret(key, Some(&issued.session_token), now),
            Ok(issued.secret_access_key.clone())
        );
        for token in [None, Some("another-token")] {
            let error = accepted
                .signing_secret(key, token, now)
                .expect_err("the issued token is required");
            assert_eq!(error.error_type(), "UnrecognizedClientException");
        }
        let later = issued.expiration + std::time::Duration::from_secs(1);
        let error = accepted
            .signing_secret(key, Some(&issued.session_token), later)
            .expect_err("expired");
        assert_eq!(error.error_type(), "ExpiredTokenException");
        assert_eq!(
            error.message(),
            "The security token included in the request is expired"
        );
        let error = accepted
            .signing_secret("AKIDTEST", Some(&issued.session_token), now)
            .expect_err("long-term keys take no token");
        assert_eq!(error.error_type(), "UnrecognizedClientException");
        assert_eq!(
            accepted.signing_secret("AKIDTEST", None, now),
            Ok("secret".to_owned())
        );
    }

    #[test]
    fn constant_time_eq_compares_contents_and_lengths() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }
}
