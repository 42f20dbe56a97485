//! The Security Token Service on the emulator's endpoint: `AssumeRole` in STS's query protocol
//! (`POST /` with a form body `Action=AssumeRole&Version=2011-06-15&RoleArn=...&
//! RoleSessionName=...[&DurationSeconds=...]`, answered in XML). The request must be SigV4-signed
//! for service `sts` by credentials the emulator accepts (the long-term pair, or temporary
//! credentials it issued before: role chaining). The answer carries a fresh set of temporary
//! credentials that the Bedrock routes then accept with their session token until they expire.
//! Errors use STS's XML `ErrorResponse` and its codes (`InvalidClientTokenId`,
//! `SignatureDoesNotMatch`, `ValidationError`, `AccessDenied`, ...). Invariant: a role of the
//! emulator's own account ([`ACCOUNT_ID`], or an ARN without an account) is assumable by any
//! accepted caller; a role of any other account is refused with `AccessDenied`, as AWS refuses a
//! role whose trust policy does not name the caller. No other IAM policy is checked.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aws_smithy_types::DateTime;
use aws_smithy_types::date_time::Format;
use axum::body::{Body, Bytes, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::Response;
use sha2::Digest as _;

use crate::api_error::ApiError;
use crate::auth::{SigningService, TemporaryCredentials, authenticate};
use crate::inference_profiles::ACCOUNT_ID;
use crate::query::{QueryParameters, Violations};
use crate::server::AppState;

/// The XML namespace of STS responses.
const NAMESPACE: &str = "https://sts.amazonaws.com/doc/2011-06-15/";
/// The only API version STS has.
const VERSION: &str = "2011-06-15";
/// STS request bodies are small; anything larger is refused unread.
const MAX_REQUEST_BODY_BYTES: usize = 1 << 20;
/// How long credentials last when `DurationSeconds` is not given (AWS's default).
const DEFAULT_DURATION_SECONDS: u32 = 3600;
/// The shortest and longest `DurationSeconds` (the longest a role's maximum may be).
const DURATION_SECONDS: (u32, u32) = (900, 43_200);
/// The request id header the query protocol clients read.
const REQUEST_ID: HeaderName = HeaderName::from_static("x-amzn-requestid");

/// An STS error: status, code and message, as sent in an `ErrorResponse`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct StsError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl StsError {
    fn validation(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            code: "ValidationError",
            message: message.into(),
        }
    }

    /// The STS form of an authentication failure the Bedrock front end would name `error`.
    fn from_authentication(error: &ApiError) -> Self {
        let code = match error.error_type() {
            "MissingAuthenticationTokenException" => "MissingAuthenticationToken",
            "IncompleteSignatureException" => "IncompleteSignature",
            "InvalidSignatureException" => "SignatureDoesNotMatch",
            "ExpiredTokenException" => "ExpiredToken",
            "UnrecognizedClientException" => "InvalidClientTokenId",
            _ => "InternalFailure",
        };
        let message = match code {
            "MissingAuthenticationToken" => "Request is missing Authentication Token".to_owned(),
            _ => error.message().to_owned(),
        };
        Self {
            status: error.status(),
            code,
            message,
        }
    }

    fn into_response(self, request_id: &str) -> Response {
        let kind = if self.status.is_server_error() {
            "Receiver"
        } else {
            "Sender"
        };
        let body = format!(
            "<ErrorResponse xmlns=\"{NAMESPACE}\">\n  <Error>\n    <Type>{kind}</Type>\n    \
             <Code>{}</Code>\n    <Message>{}</Message>\n  </Error>\n  \
             <RequestId>{request_id}</RequestId>\n</ErrorResponse>\n",
            self.code,
            escape(&self.message)
        );
        xml_response(self.status, body, request_id)
    }
}

/// `POST /`: the STS query API.
pub(crate) async fn security_token_service(
    State(state): State<Arc<AppState>>,
    request: Request,
) -> Response {
    let request_id = uuid::Uuid::new_v4().to_string();
    let (parts, body) = request.into_parts();
    let Ok(body) = to_bytes(body, MAX_REQUEST_BODY_BYTES).await else {
        return StsError::validation("The request body is too large.").into_response(&request_id);
    };
    let now = SystemTime::now();
    if let Err(error) = authenticate(&state.credentials, &parts, &body, SigningService::Sts, now) {
        tracing::debug!(?error, "refused an unauthenticated STS request");
        return StsError::from_authentication(&error).into_response(&request_id);
    }
    match answer(&state, &body, now, &request_id) {
        Ok(body) => xml_response(StatusCode::OK, body, &request_id),
        Err(error) => error.into_response(&request_id),
    }
}

fn answer(
    state: &AppState,
    body: &Bytes,
    now: SystemTime,
    request_id: &str,
) -> Result<String, StsError> {
    let form = QueryParameters::parse(Some(&String::from_utf8_lossy(body)));
    match form.get("Action") {
        Some("AssumeRole") => assume_role(state, &form, now, request_id),
        Some(action) => Err(StsError {
            status: StatusCode::BAD_REQUEST,
            code: "InvalidAction",
            message: format!("Could not find operation {action} for version {VERSION}"),
        }),
        None => Err(StsError {
            status: StatusCode::BAD_REQUEST,
            code: "MissingAction",
            message: "Missing Action".to_owned(),
        }),
    }
}

/// The error for a request without `RoleArn` or `RoleSessionName`, naming each missing one.
fn missing_parameters(form: &QueryParameters) -> StsError {
    let missing: Vec<String> = [
        ("RoleArn", "roleArn"),
        ("RoleSessionName", "roleSessionName"),
    ]
    .into_iter()
    .filter(|(parameter, _)| form.get(parameter).is_none())
    .map(|(_, member)| {
        format!("Value null at '{member}' failed to satisfy constraint: Member must not be null")
    })
    .collect();
    let plural = if missing.len() == 1 { "" } else { "s" };
    StsError::validation(format!(
        "{} validation error{plural} detected: {}",
        missing.len(),
        missing.join("; ")
    ))
}

/// The parameters of an `AssumeRole` request that shape its answer.
struct AssumeRoleRequest<'a> {
    role_arn: &'a str,
    role_session_name: &'a str,
    duration: Duration,
}

impl<'a> AssumeRoleRequest<'a> {
    /// Reads the parameters, with the constraint messages of STS's service model.
    fn from_form(form: &'a QueryParameters) -> Result<Self, StsError> {
        let duration_seconds = form.get("DurationSeconds");
        let (Some(role_arn), Some(role_session_name)) =
            (form.get("RoleArn"), form.get("RoleSessionName"))
        else {
            return Err(missing_parameters(form));
        };
        let mut violations = Violations::default();
        violations.check_length("roleArn", Some(role_arn), 20, 2048);
        violations.check_length("roleSessionName", Some(role_session_name), 2, 64);
        violations.check_pattern(
            "roleSessionName",
            Some(role_session_name),
            "[\\w+=,.@-]*",
            |name| {
                name.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c))
            },
        );
        violations.check_integer_range(
            "durationSeconds",
            duration_seconds,
            DURATION_SECONDS.0,
            DURATION_SECONDS.1,
        );
        violations
            .into_result()
            .map_err(|error| StsError::validation(error.message()))?;
        let seconds = duration_seconds
            .and_then(|value| value.parse::<u64>().ok())
            .unwrap_or(u64::from(DEFAULT_DURATION_SECONDS));
        Ok(Self {
            role_arn,
            role_session_name,
            duration: Duration::from_secs(seconds),
        })
    }

    /// The role's account and name, from `arn:aws:iam::ACCOUNT:role/[path/]NAME`.
    fn role(&self) -> Result<(&'a str, &'a str), StsError> {
        let mut fields = self.role_arn.splitn(6, ':');
        let (Some("arn"), Some(_partition), Some("iam"), Some(""), Some(account), Some(resource)) = (
            fields.next(),
            fields.next(),
            fields.next(),
            fields.next(),
            fields.next(),
            fields.next(),
        ) else {
            return Err(StsError::validation(format!(
                "{} is invalid",
                self.role_arn
            )));
        };
        let name = resource
            .strip_prefix("role/")
            .and_then(|path| path.rsplit('/').next())
            .filter(|name| !name.is_empty())
            .ok_or_else(|| StsError::validation(format!("{} is invalid", self.role_arn)))?;
        let account = if account.is_empty() {
            ACCOUNT_ID
        } else {
            account
        };
        Ok((account, name))
    }
}

fn assume_role(
    state: &AppState,
    form: &QueryParameters,
    now: SystemTime,
    request_id: &str,
) -> Result<String, StsError> {
    let request = AssumeRoleRequest::from_form(form)?;
    let (account, role_name) = request.role()?;
    if account != ACCOUNT_ID {
        return Err(StsError {
            status: StatusCode::FORBIDDEN,
            code: "AccessDenied",
            message: format!(
                "User: arn:aws:iam::{ACCOUNT_ID}:user/local-bedrock is not authorized to perform: sts:AssumeRole on resource: {}",
                request.role_arn
            ),
        });
    }
    let credentials = state.credentials.sessions.issue(now, request.duration);
    tracing::info!(
        role = request.role_arn,
        session = request.role_session_name,
        access_key_id = %credentials.access_key_id,
        "issued temporary credentials"
    );
    Ok(assume_role_response(
        &credentials,
        account,
        role_name,
        request.role_session_name,
        request_id,
    ))
}

fn assume_role_response(
    credentials: &TemporaryCredentials,
    account: &str,
    role_name: &str,
    session_name: &str,
    request_id: &str,
) -> String {
    let expiration = DateTime::from(credentials.expiration);
    // Whole seconds, as STS sends them.
    let expiration = DateTime::from_secs(expiration.secs())
        .fmt(Format::DateTime)
        .unwrap_or_default();
    let role_id = role_id(role_name);
    format!(
        "<AssumeRoleResponse xmlns=\"{NAMESPACE}\">\n  <AssumeRoleResult>\n    \
         <AssumedRoleUser>\n      <AssumedRoleId>{role_id}:{session}</AssumedRoleId>\n      \
         <Arn>arn:aws:sts::{account}:assumed-role/{role}/{session}</Arn>\n    \
         </AssumedRoleUser>\n    <Credentials>\n      \
         <AccessKeyId>{access_key_id}</AccessKeyId>\n      \
         <SecretAccessKey>{secret}</SecretAccessKey>\n      \
         <SessionToken>{token}</SessionToken>\n      \
         <Expiration>{expiration}</Expiration>\n    </Credentials>\n  \
         </AssumeRoleResult>\n  <ResponseMetadata>\n    <RequestId>{request_id}</RequestId>\n  \
         </ResponseMetadata>\n</AssumeRoleResponse>\n",
        session = escape(session_name),
        account = escape(account),
        role = escape(role_name),
        access_key_id = credentials.access_key_id,
        secret = escape(&credentials.secret_access_key),
        token = escape(&credentials.session_token),
    )
}

/// A stable `AROA...` role id for a role name (AWS gives each role one unique id).
fn role_id(role_name: &str) -> String {
    let digest = sha2::Sha256::digest(role_name.as_bytes());
    let tail: String = digest
        .iter()
        .take(17)
        .map(|byte| char::from(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"[usize::from(byte % 32)]))
        .collect();
    format!("AROA{tail}")
}

fn xml_response(status: StatusCode, body: String, request_id: &str) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/xml"));
    if let Ok(value) = HeaderValue::try_from(request_id) {
        headers.insert(REQUEST_ID, value);
    }
    response
}

/// Escapes text for an XML element.
fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&apos;"),
            other => escaped.push(other),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(form: &str) -> Result<(String, String, Duration), StsError> {
        let form = QueryParameters::parse(Some(form));
        let request = AssumeRoleRequest::from_form(&form)?;
        let (account, name) = request.role()?;
        Ok((account.to_owned(), name.to_owned(), request.duration))
    }

    #[test]
    fn a_role_arn_gives_the_account_and_the_last_path_element() {
        assert_eq!(
            request(
                "Action=AssumeRole&RoleArn=arn%3Aaws%3Aiam%3A%3A111122223333%3Arole%2Fteam%2Fbedrock-user\
                 &RoleSessionName=tests"
            ),
            Ok((
                "111122223333".to_owned(),
                "bedrock-user".to_owned(),
                Duration::from_secs(3600)
            ))
        );
        let (_, _, duration) = request(
            "RoleArn=arn:aws:iam::111122223333:role/r&RoleSessionName=ab&DurationSeconds=900",
        )
        .expect("valid");
        assert_eq!(duration, Duration::from_secs(900));
    }

    #[test]
    fn missing_and_malformed_parameters_are_validation_errors() {
        let error = request("Action=AssumeRole").expect_err("nothing given");
        assert_eq!(error.code, "ValidationError");
        assert_eq!(
            error.message,
            "2 validation errors detected: Value null at 'roleArn' failed to satisfy constraint: \
             Member must not be null; Value null at 'roleSessionName' failed to satisfy \
             constraint: Member must not be null"
        );
        for form in [
            "RoleArn=arn:aws:iam::111122223333:role/r&RoleSessionName=a",
            "RoleArn=arn:aws:iam::111122223333:role/r&RoleSessionName=has%20space",
            "RoleArn=arn:aws:iam::111122223333:role/r&RoleSessionName=ok&DurationSeconds=60",
            "RoleArn=arn:aws:iam::111122223333:role/r&RoleSessionName=ok&DurationSeconds=43201",
            "RoleArn=short&RoleSessionName=ok",
            "RoleArn=arn:aws:s3:::bucket-name-long-enough&RoleSessionName=ok",
            "RoleArn=arn:aws:iam::111122223333:user/someone&RoleSessionName=ok",
        ] {
            let error = request(form).expect_err(form);
            assert_eq!(error.code, "ValidationError", "{form}");
            assert_eq!(error.status, StatusCode::BAD_REQUEST, "{form}");
        }
    }

    #[test]
    fn authentication_failures_get_sts_codes() {
        let cases = [
            (
                ApiError::forbidden("UnrecognizedClientException", "invalid"),
                "InvalidClientTokenId",
            ),
            (
                ApiError::forbidden("InvalidSignatureException", "mismatch"),
                "SignatureDoesNotMatch",
            ),
            (
                ApiError::forbidden("MissingAuthenticationTokenException", "missing"),
                "MissingAuthenticationToken",
            ),
            (
                ApiError::forbidden("ExpiredTokenException", "expired"),
                "ExpiredToken",
            ),
        ];
        for (error, code) in cases {
            let sts = StsError::from_authentication(&error);
            assert_eq!(sts.code, code);
            assert_eq!(sts.status, StatusCode::FORBIDDEN);
        }
    }

    #[test]
    fn xml_text_is_escaped_and_role_ids_are_stable() {
        assert_eq!(escape("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&apos;");
        assert_eq!(role_id("bedrock-user"), role_id("bedrock-user"));
        assert_ne!(role_id("bedrock-user"), role_id("other"));
        assert_eq!(role_id("bedrock-user").len(), 21);
    }
}
