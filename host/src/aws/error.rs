//! SDK errors turned into one line a user can act on.
//!
//! Invariant: every `AwsError` carries its class (which decides the exit
//! code, and is chosen from the SDK error's variant, the types in its chain of
//! sources and AWS's error code, never from message text), the AWS error name and request id when AWS sent them, Bedrock's own
//! message, and a hint that says what to do. An exception frame that ends a
//! stream keeps the class its name has anywhere else (a `throttlingException`
//! is throttling), except that a model stream error or model timeout is a
//! stream that broke off; no hint about a stream speaks of retries, since a
//! stream that has started is never retried.

use std::fmt;

use aws_credential_types::provider::error::CredentialsError;
use aws_sdk_bedrockruntime::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_bedrockruntime::operation::RequestId;
use aws_sdk_bedrockruntime::types::error::ResponseStreamError;
use aws_smithy_runtime_api::http::Response as HttpResponse;

use super::response_guard::ResponseGuardError;
use super::retry::Unfixable;

/// The headers every Bedrock response carries; an error response has both.
const REQUEST_ID_HEADER: &str = "x-amzn-requestid";
const ERROR_TYPE_HEADER: &str = "x-amzn-errortype";

/// Bytes in a MiB, for messages about sizes given in MiB.
const MIB: u64 = 1024 * 1024;

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
    /// Bedrock sent nothing within a timeout (as opposed to any other failure).
    pub timed_out: bool,
}

/// What the caller knows about a failed call, to make its hint precise.
#[derive(Debug, Clone, Copy, Default)]
pub struct CallContext<'a> {
    /// The client's region.
    pub region: Option<&'a str>,
    /// The model id as the user gave it.
    pub model_id: Option<&'a str>,
    /// How many attempts the retry settings allowed.
    pub max_attempts: Option<u32>,
    /// Whether the retries were adaptive rather than standard.
    pub adaptive_retries: bool,
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
            timed_out: false,
        }
    }

    /// A response cut off by the host's own bounds.
    fn from_guard(error: ResponseGuardError) -> Self {
        let (message, hint, timed_out) = match error {
            ResponseGuardError::TooLarge { limit_bytes } => (
                format!(
                    "the response is larger than {} MiB, the most this host accepts",
                    limit_bytes.div_ceil(MIB)
                ),
                "no real Bedrock answer is this large: check --endpoint-url; raise --max-response-mib if you expect one",
                false,
            ),
            ResponseGuardError::Silent(after) => (
                format!(
                    "Bedrock stopped sending part-way through its answer and was silent for {} s (the read timeout)",
                    after.as_secs_f64()
                ),
                "raise --read-timeout, or check the network",
                true,
            ),
        };
        Self {
            class: AwsErrorClass::Transport,
            code: None,
            message,
            request_id: None,
            hint: Some(hint.to_owned()),
            timed_out,
        }
    }

    /// A credentials or settings problem found before anything was sent.
    pub fn configuration(message: String, hint: &str) -> Self {
        Self {
            class: AwsErrorClass::Configuration,
            code: None,
            message,
            request_id: None,
            hint: Some(hint.to_owned()),
            timed_out: false,
        }
    }

    /// Converts an SDK error of any operation, by the error's variant and type: a service
    /// error by its AWS error code, a dispatch failure by what its chain of sources holds.
    pub fn from_sdk<E>(error: SdkError<E, HttpResponse>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        if let Some(guard) = ResponseGuardError::find_in(&error) {
            return Self::from_guard(guard);
        }
        if let Some(credentials) = find_in_chain::<CredentialsError>(&error) {
            tracing::debug!(
                "credential resolution failed: {}",
                source_chain(credentials)
            );
            return Self::local(
                AwsErrorClass::Configuration,
                "no usable AWS credentials were found",
                "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, pass --profile, run `aws sso login`, or set AWS_BEARER_TOKEN_BEDROCK to a Bedrock API key",
            );
        }
        let detail = source_chain(&error);
        match error {
            SdkError::ServiceError(context) => match NotBedrock::check(context.raw()) {
                Some(not_bedrock) => not_bedrock.into_error(),
                None => Self::from_service(context.err()),
            },
            SdkError::ResponseError(context) => match NotBedrock::check(context.raw()) {
                Some(not_bedrock) => not_bedrock.into_error(),
                None => Self::transport(
                    format!("the response could not be read: {detail}"),
                    "check --endpoint-url, or run the request again",
                ),
            },
            SdkError::TimeoutError(_) => Self::timeout(detail),
            SdkError::DispatchFailure(failure) if failure.is_timeout() => Self::timeout(detail),
            SdkError::DispatchFailure(failure) => {
                match failure
                    .as_connector_error()
                    .and_then(|c| Unfixable::find_in(c))
                {
                    Some(unfixable) => Self::transport(
                        format!("{}, so nothing was retried: {detail}", unfixable.describe()),
                        match unfixable {
                            Unfixable::Tls => {
                                "check that --endpoint-url's scheme matches the server (http:// or https://) and that its certificate is trusted"
                            }
                            Unfixable::Refused | Unfixable::Dns => {
                                "check --endpoint-url and --region, and that the server is running"
                            }
                        },
                    ),
                    None => Self::transport(
                        format!("the request could not be sent: {detail}"),
                        "check --endpoint-url, --region and the network",
                    ),
                }
            }
            SdkError::ConstructionFailure(_) => Self::configuration(
                format!("the request could not be built: {detail}"),
                "check --region and --endpoint-url",
            ),
            _ => Self::transport(detail, "check --endpoint-url and the network"),
        }
    }

    /// A network failure with its message and hint.
    fn transport(message: String, hint: &str) -> Self {
        Self {
            class: AwsErrorClass::Transport,
            code: None,
            message,
            request_id: None,
            hint: Some(hint.to_owned()),
            timed_out: false,
        }
    }

    /// No answer in time; `detail` says which timeout ran out, and after how long.
    fn timeout(detail: String) -> Self {
        Self {
            class: AwsErrorClass::Transport,
            code: None,
            message: format!("Bedrock did not answer in time ({detail})"),
            request_id: None,
            hint: Some("raise --read-timeout or --connect-timeout, or check the network".into()),
            timed_out: true,
        }
    }

    /// Converts an error read from an open stream: an exception frame (whose
    /// name the SDK keeps in the variant, not the metadata) or a broken
    /// connection.
    pub fn from_stream<R: fmt::Debug + 'static>(error: SdkError<ResponseStreamError, R>) -> Self {
        if let Some(guard) = ResponseGuardError::find_in(&error) {
            return Self::from_guard(guard);
        }
        let SdkError::ServiceError(context) = &error else {
            return Self {
                class: AwsErrorClass::Transport,
                code: None,
                message: format!("the stream broke off part-way: {}", source_chain(&error)),
                request_id: None,
                hint: Some(
                    "the text above is what arrived before it; run the request again".into(),
                ),
                timed_out: false,
            };
        };
        let frame = context.err();
        let name = match frame {
            ResponseStreamError::ModelStreamErrorException(_) => "ModelStreamErrorException",
            ResponseStreamError::ThrottlingException(_) => "ThrottlingException",
            ResponseStreamError::InternalServerException(_) => "InternalServerException",
            ResponseStreamError::ServiceUnavailableException(_) => "ServiceUnavailableException",
            ResponseStreamError::ValidationException(_) => "ValidationException",
            ResponseStreamError::ModelTimeoutException(_) => "ModelTimeoutException",
            _ => return Self::from_service(frame),
        };
        let mut error = Self::from_service_named(frame, Some(name));
        error.hint = Some(
            "Bedrock ended the stream with this error after the text above; run the request again"
                .into(),
        );
        error
    }

    /// Converts an error AWS sent: its name, message and request id.
    pub fn from_service<E: ProvideErrorMetadata>(error: &E) -> Self {
        Self::from_service_named(error, None)
    }

    fn from_service_named<E: ProvideErrorMetadata>(error: &E, name: Option<&str>) -> Self {
        let code = error.code().or(name).map(str::to_owned);
        let message = error
            .message()
            .filter(|message| !message.trim().is_empty())
            .unwrap_or("no message")
            .to_owned();
        let request_id = error.meta().request_id().map(str::to_owned);
        let (class, hint) = classify(code.as_deref(), &message);
        Self {
            class,
            code,
            message,
            request_id,
            hint: hint.map(str::to_owned),
            timed_out: false,
        }
    }
}

/// The class and hint for an AWS error name and message. The class follows from the name
/// alone; the message only sharpens the hint where Bedrock sends different problems under one
/// name (a legacy model and an unknown one are both `ResourceNotFoundException`).
fn classify(code: Option<&str>, message: &str) -> (AwsErrorClass, Option<&'static str>) {
    match code.unwrap_or_default() {
        "ThrottlingException"
        | "ServiceUnavailableException"
        | "InternalServerException"
        | "ModelNotReadyException"
        | "ServiceQuotaExceededException" => (
            AwsErrorClass::Unavailable,
            Some(
                "Bedrock kept refusing after every retry; wait, raise --max-attempts, try --retry-mode adaptive, or ask for a higher quota",
            ),
        ),
        "ModelStreamErrorException" => (
            AwsErrorClass::Transport,
            Some("the model's stream failed part-way; run the request again"),
        ),
        "ModelTimeoutException" => (
            AwsErrorClass::Transport,
            Some(
                "the model took too long; run the request again, perhaps with a shorter prompt or fewer --max-tokens",
            ),
        ),
        "ExpiredTokenException" => (
            AwsErrorClass::Configuration,
            Some(
                "the session credentials expired: renew them (`aws sso login`, or fetch new temporary keys) and retry",
            ),
        ),
        "UnrecognizedClientException" => (
            AwsErrorClass::Configuration,
            Some(
                "the access key (or API key) is not recognised: check AWS_ACCESS_KEY_ID, the profile in use, or AWS_BEARER_TOKEN_BEDROCK",
            ),
        ),
        "InvalidSignatureException" => (
            AwsErrorClass::Configuration,
            Some(
                "the secret access key does not belong to the access key id: check AWS_SECRET_ACCESS_KEY or the profile's keys",
            ),
        ),
        "MissingAuthenticationTokenException" | "IncompleteSignatureException" => (
            AwsErrorClass::Configuration,
            Some(
                "the request was not signed as AWS expects: check the credentials and --endpoint-url",
            ),
        ),
        "AccessDeniedException" if message.contains("aws-marketplace") => (
            AwsErrorClass::Rejected,
            Some(
                "the role lacks the AWS Marketplace permissions this model's access needs (aws-marketplace:ViewSubscriptions, Subscribe)",
            ),
        ),
        "AccessDeniedException" => (
            AwsErrorClass::Rejected,
            Some(
                "check that your role may call this model (bedrock:InvokeModel) and that model access is granted in this region",
            ),
        ),
        "ResourceNotFoundException"
            if message.contains("Legacy") || message.contains("end of life") =>
        {
            (
                AwsErrorClass::Rejected,
                Some(
                    "this model version is legacy or at end of life; choose an active one (`bedrock-host models`)",
                ),
            )
        }
        "ResourceNotFoundException" => (
            AwsErrorClass::Rejected,
            Some(
                "check the model id and the region (`bedrock-host models` lists what the region has)",
            ),
        ),
        "ValidationException" if message.contains("on-demand throughput") => (
            AwsErrorClass::Rejected,
            Some(
                "this model is served only through an inference profile: use its profile id (`us.`, `eu.`, `apac.`, `global.` ... before the model id)",
            ),
        ),
        "ValidationException" if message.contains("model identifier is invalid") => (
            AwsErrorClass::Rejected,
            Some(
                "check the model id for typos and that the model exists in this region (`bedrock-host models`)",
            ),
        ),
        _ => (AwsErrorClass::Rejected, None),
    }
}

/// The cross-region inference-profile prefix for a region
/// (`us-east-1` → `us`).
pub fn profile_prefix(region: &str) -> &'static str {
    match region.split('-').next().unwrap_or_default() {
        "us" if region.starts_with("us-gov-") => "us-gov",
        "us" => "us",
        "eu" => "eu",
        "ap" => "apac",
        "ca" => "ca",
        _ => "global",
    }
}

impl AwsError {
    /// Sharpens the hint with what the caller knows: the region, the model
    /// id, and how many attempts the retry settings allowed, of which kind.
    pub fn in_context(mut self, context: CallContext<'_>) -> Self {
        let retries = if context.adaptive_retries {
            "adaptive"
        } else {
            "standard"
        };
        let adaptive_advice = if context.adaptive_retries {
            ""
        } else {
            ", or try --retry-mode adaptive"
        };
        match self.code.as_deref() {
            Some("ValidationException") if self.message.contains("on-demand throughput") => {
                if let (Some(region), Some(model)) = (context.region, context.model_id) {
                    let prefix = profile_prefix(region);
                    self.hint = Some(format!(
                        "this model is served only through an inference profile: retry with `{prefix}.{model}` (or `global.{model}`); `bedrock-host models` lists the profiles of {region}"
                    ));
                }
            }
            Some(_) if self.class == AwsErrorClass::Unavailable => {
                if let Some(attempts) = context.max_attempts {
                    self.hint = Some(format!(
                        "still refused after {attempts} attempts ({retries} retries with backoff); wait, raise --max-attempts{adaptive_advice}"
                    ));
                }
            }
            None if self.timed_out => {
                if let Some(attempts) = context.max_attempts {
                    self.hint = Some(format!(
                        "no answer in {attempts} attempts ({retries} retries); raise --read-timeout or --connect-timeout, or check the network"
                    ));
                }
            }
            _ => {}
        }
        self
    }
}

/// An HTTP error response that did not come from Bedrock: it has neither of the headers every
/// Bedrock error carries (an HTML 404 from a proxy, a captive portal, a wrong
/// `--endpoint-url`).
struct NotBedrock {
    status: u16,
    content_type: Option<String>,
}

impl NotBedrock {
    /// `Some` when `response` is an error without `x-amzn-RequestId` or `x-amzn-ErrorType`.
    fn check(response: &HttpResponse) -> Option<Self> {
        let headers = response.headers();
        if response.status().is_success()
            || headers.contains_key(REQUEST_ID_HEADER)
            || headers.contains_key(ERROR_TYPE_HEADER)
        {
            return None;
        }
        Some(Self {
            status: response.status().as_u16(),
            content_type: headers.get("content-type").map(str::to_owned),
        })
    }

    fn into_error(self) -> AwsError {
        let content_type = self
            .content_type
            .map(|kind| format!(" ({kind})"))
            .unwrap_or_default();
        AwsError::transport(
            format!(
                "HTTP {}{content_type} from something that is not Bedrock: the answer has no x-amzn-RequestId or x-amzn-ErrorType",
                self.status
            ),
            "check --endpoint-url, and any proxy (HTTPS_PROXY) between you and AWS",
        )
    }
}

/// The first error of type `T` in `error`'s chain of sources.
pub(crate) fn find_in_chain<'a, T: std::error::Error + 'static>(
    error: &'a (dyn std::error::Error + 'static),
) -> Option<&'a T> {
    let mut cause = Some(error);
    while let Some(error) = cause {
        if let Some(found) = error.downcast_ref::<T>() {
            return Some(found);
        }
        cause = error.source();
    }
    None
}

/// An error's message followed by its sources, joined.
pub(crate) fn source_chain(error: &dyn std::error::Error) -> String {
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
        let class = |code: &str| classify(Some(code), "").0;
        assert_eq!(class("ThrottlingException"), AwsErrorClass::Unavailable);
        assert_eq!(
            class("InvalidSignatureException"),
            AwsErrorClass::Configuration
        );
        assert_eq!(class("ExpiredTokenException"), AwsErrorClass::Configuration);
        assert_eq!(class("ValidationException"), AwsErrorClass::Rejected);
        assert_eq!(class("ModelStreamErrorException"), AwsErrorClass::Transport);
        assert_eq!(class("ModelTimeoutException"), AwsErrorClass::Transport);
        assert_eq!(classify(None, "").0, AwsErrorClass::Rejected);
    }

    /// Found by the `stream_frames` fuzz target: an exception frame whose
    /// payload is `{"message":""}` gave an error with an empty message.
    #[test]
    fn an_empty_message_from_aws_reads_as_no_message() {
        let frame = aws_smithy_types::error::ErrorMetadata::builder()
            .code("ValidationException")
            .message("")
            .build();
        let error = AwsError::from_service(&frame);
        assert_eq!(error.message, "no message");
        assert_eq!(error.code.as_deref(), Some("ValidationException"));
    }

    #[test]
    fn profile_prefixes_follow_the_region() {
        assert_eq!(profile_prefix("us-east-1"), "us");
        assert_eq!(profile_prefix("us-gov-west-1"), "us-gov");
        assert_eq!(profile_prefix("eu-central-1"), "eu");
        assert_eq!(profile_prefix("ap-northeast-1"), "apac");
        assert_eq!(profile_prefix("sa-east-1"), "global");
    }

    #[test]
    fn display_names_the_error_the_request_and_the_hint() {
        let error = AwsError {
            class: AwsErrorClass::Rejected,
            code: Some("AccessDeniedException".into()),
            message: "You don't have access".into(),
            request_id: Some("abc-123".into()),
            hint: Some("check model access".into()),
            timed_out: false,
        };
        assert_eq!(
            error.to_string(),
            "AccessDeniedException: You don't have access (request id abc-123)\n  hint: check model access"
        );
    }
}
