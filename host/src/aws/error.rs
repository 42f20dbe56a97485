//! SDK errors turned into one line a user can act on.
//!
//! Invariant: every `AwsError` carries its class (which decides the exit
//! code), the AWS error name and request id when AWS sent them, Bedrock's own
//! message, and a hint that says what to do.

use std::fmt;

use aws_sdk_bedrockruntime::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_bedrockruntime::operation::RequestId;

/// What kind of failure an `AwsError` is; each has its own exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AwsErrorClass {
    /// Bedrock refused the request (validation, access, not found, ...).
    Rejected,
    /// Bedrock was throttling or unavailable, and retries did not help.
    Unavailable,
    /// Credentials or settings are missing or wrong.
    Configuration,
    /// The network failed or timed out, or a stream broke off.
    Transport,
}

/// A failed call to AWS.
#[derive(Debug, Clone)]
pub struct AwsError {
    /// The class, for the exit code.
    pub class: AwsErrorClass,
    /// The AWS error name (`ValidationException`), when AWS sent one.
    pub code: Option<String>,
    /// What went wrong.
    pub message: String,
    /// The AWS request id, when there was a response.
    pub request_id: Option<String>,
    /// What to do about it, when there is something to say.
    pub hint: Option<String>,
}

impl AwsError {
    /// An error found before anything was sent.
    pub fn local(class: AwsErrorClass, message: &str, hint: &str) -> Self {
        Self {
            class,
            code: None,
            message: message.to_owned(),
            request_id: None,
            hint: Some(hint.to_owned()),
        }
    }

    /// Converts an SDK error of any operation.
    pub fn from_sdk<E, R>(error: SdkError<E, R>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: fmt::Debug,
    {
        let detail = source_chain(&error);
        match error {
            SdkError::ServiceError(context) => Self::from_service(context.err()),
            SdkError::TimeoutError(_) => Self {
                class: AwsErrorClass::Transport,
                code: None,
                message: "the request timed out".into(),
                request_id: None,
                hint: Some(
                    "raise --read-timeout or --connect-timeout, or check the network".into(),
                ),
            },
            SdkError::DispatchFailure(failure) => {
                let (class, hint) = if failure.is_user() || detail.contains("credentials") {
                    (
                        AwsErrorClass::Configuration,
                        "no usable AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, pass --profile, or run `aws sso login`",
                    )
                } else {
                    (
                        AwsErrorClass::Transport,
                        "check --endpoint-url, --region and the network",
                    )
                };
                Self {
                    class,
                    code: None,
                    message: format!("the request could not be sent: {detail}"),
                    request_id: None,
                    hint: Some(hint.into()),
                }
            }
            _ => {
                let class = if detail.contains("credentials") || detail.contains("region") {
                    AwsErrorClass::Configuration
                } else {
                    AwsErrorClass::Transport
                };
                Self {
                    class,
                    code: None,
                    message: detail,
                    request_id: None,
                    hint: None,
                }
            }
        }
    }

    /// Converts an error AWS sent: its name, message and request id.
    pub fn from_service<E: ProvideErrorMetadata>(error: &E) -> Self {
        let code = error.code().map(str::to_owned);
        let message = error.message().unwrap_or("no message").to_owned();
        let request_id = error.meta().request_id().map(str::to_owned);
        let (class, hint) = classify(code.as_deref());
        Self {
            class,
            code,
            message,
            request_id,
            hint: hint.map(str::to_owned),
        }
    }
}

/// The class and hint for an AWS error name.
fn classify(code: Option<&str>) -> (AwsErrorClass, Option<&'static str>) {
    match code.unwrap_or_default() {
        "ThrottlingException"
        | "ServiceUnavailableException"
        | "InternalServerException"
        | "ModelNotReadyException"
        | "ServiceQuotaExceededException" => (
            AwsErrorClass::Unavailable,
            Some("Bedrock kept refusing after every retry; wait, or raise --max-attempts"),
        ),
        "UnrecognizedClientException"
        | "InvalidSignatureException"
        | "ExpiredTokenException"
        | "MissingAuthenticationTokenException"
        | "IncompleteSignatureException" => (
            AwsErrorClass::Configuration,
            Some(
                "check the credentials in use (profile, environment, SSO session) and renew them if they expired",
            ),
        ),
        "AccessDeniedException" => (
            AwsErrorClass::Rejected,
            Some(
                "check that your role may call this model and that model access is granted in this region",
            ),
        ),
        "ResourceNotFoundException" => (
            AwsErrorClass::Rejected,
            Some("check the model id and the region"),
        ),
        _ => (AwsErrorClass::Rejected, None),
    }
}

/// An error's message followed by its sources, joined.
fn source_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let part = cause.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = cause.source();
    }
    text
}

impl fmt::Display for AwsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(code) = &self.code {
            write!(f, "{code}: ")?;
        }
        f.write_str(&self.message)?;
        if let Some(id) = &self.request_id {
            write!(f, " (request id {id})")?;
        }
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}

impl std::error::Error for AwsError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retryable_credential_and_other_errors_are_told_apart() {
        assert_eq!(
            classify(Some("ThrottlingException")).0,
            AwsErrorClass::Unavailable
        );
        assert_eq!(
            classify(Some("InvalidSignatureException")).0,
            AwsErrorClass::Configuration
        );
        assert_eq!(
            classify(Some("ValidationException")).0,
            AwsErrorClass::Rejected
        );
        assert_eq!(classify(None).0, AwsErrorClass::Rejected);
    }

    #[test]
    fn display_names_the_error_the_request_and_the_hint() {
        let error = AwsError {
            class: AwsErrorClass::Rejected,
            code: Some("AccessDeniedException".into()),
            message: "You don't have access".into(),
            request_id: Some("abc-123".into()),
            hint: Some("check model access".into()),
        };
        assert_eq!(
            error.to_string(),
            "AccessDeniedException: You don't have access (request id abc-123)\n  hint: check model access"
        );
    }
}
