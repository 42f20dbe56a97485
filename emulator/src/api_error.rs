//! Bedrock's HTTP error wire format, and nothing else: the status code, the error name carried
//! only in `x-amzn-ErrorType` (`<Name>:http://internal.amazon.com/coral/<namespace>/`), and a body
//! that is exactly `{"message":"..."}` with `Content-Type: application/json` (no `__type`), as in
//! the recorded OTel, dd-trace and New Relic cassettes. `x-amzn-RequestId` is added to every
//! response by the server's request-id layer.

use std::borrow::Cow;

use axum::body::Body;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// The response header naming the error.
const ERROR_TYPE_HEADER: HeaderName = HeaderName::from_static("x-amzn-errortype");

/// Errors raised by AWS's request front end rather than by Bedrock itself; AWS sends these
/// under the `com.amazon.coral.service` namespace (recorded for ExpiredTokenException and
/// UnrecognizedClientException).
const FRONT_END_ERRORS: &[&str] = &[
    "ExpiredTokenException",
    "IncompleteSignatureException",
    "InvalidSignatureException",
    "MissingAuthenticationTokenException",
    "UnknownOperationException",
    "UnrecognizedClientException",
];

/// The recorded message for an unknown model id.
const INVALID_MODEL_IDENTIFIER: &str = "The provided model identifier is invalid.";

/// An error response exactly as Bedrock sends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    status: StatusCode,
    error_type: Cow<'static, str>,
    message: String,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    message: &'a str,
}

impl ApiError {
    /// An error with any status and name; the namespace follows from the name.
    pub fn new(
        status: StatusCode,
        error_type: impl Into<Cow<'static, str>>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            status,
            error_type: error_type.into(),
            message: message.into(),
        }
    }

    /// 400 `ValidationException`.
    pub fn validation(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "ValidationException", message)
    }

    /// 400 `ValidationException` "The provided model identifier is invalid.".
    pub fn invalid_model_identifier() -> Self {
        Self::validation(INVALID_MODEL_IDENTIFIER)
    }

    /// 500 `InternalServerException`, for failures of the emulator itself.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalServerException",
            message,
        )
    }

    /// 500 `InternalServerException` for a reply the emulator could not serialize.
    pub fn unrenderable(error: &serde_json::Error) -> Self {
        Self::internal(format!("The emulator could not render its reply: {error}"))
    }

    /// 403 with an authentication error name such as `InvalidSignatureException`.
    pub fn forbidden(error_type: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, error_type, message)
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The error name, e.g. `ValidationException`.
    pub fn error_type(&self) -> &str {
        &self.error_type
    }

    /// The body's message.
    pub fn message(&self) -> &str {
        &self.message
    }

    fn namespace(&self) -> &'static str {
        if FRONT_END_ERRORS.contains(&self.error_type.as_ref()) {
            "com.amazon.coral.service"
        } else {
            "com.amazon.bedrock"
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::to_vec(&ErrorBody {
            message: &self.message,
        })
        .unwrap_or_else(|_| br#"{"message":"InternalFailure"}"#.to_vec());
        let mut response = Response::new(Body::from(body));
        *response.status_mut() = self.status;
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        let error_type = format!(
            "{}:http://internal.amazon.com/coral/{}/",
            self.error_type,
            self.namespace()
        );
        if let Ok(value) = HeaderValue::try_from(error_type) {
            headers.insert(ERROR_TYPE_HEADER, value);
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_errors_use_the_bedrock_namespace_and_a_bare_message_body() {
        let response = ApiError::invalid_model_identifier().into_response();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert_eq!(
            response.headers()["x-amzn-errortype"],
            "ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/"
        );
        assert_eq!(response.headers()["content-type"], "application/json");
    }

    #[test]
    fn authentication_errors_use_the_coral_service_namespace() {
        let response = ApiError::forbidden("UnrecognizedClientException", "x").into_response();
        assert_eq!(
            response.headers()["x-amzn-errortype"],
            "UnrecognizedClientException:http://internal.amazon.com/coral/com.amazon.coral.service/"
        );
    }

    #[tokio::test]
    async fn the_body_is_exactly_the_recorded_invalid_model_body() {
        let response = ApiError::invalid_model_identifier().into_response();
        let body = axum::body::to_bytes(response.into_body(), 1024)
            .await
            .expect("body is in memory");
        // pydantic-ai recorded Content-Length 55 for this body.
        assert_eq!(
            &body[..],
            br#"{"message":"The provided model identifier is invalid."}"#
        );
        assert_eq!(body.len(), 55);
    }
}
