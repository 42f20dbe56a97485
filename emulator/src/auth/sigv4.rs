//! SigV4 verification by re-signing: the received request (method, the raw path and query exactly
//! as received, the headers its `SignedHeaders` lists, the body bytes, the `X-Amz-Date` time and
//! the credential scope's region and service) is signed again with `aws-sigv4` using the secret
//! of the access key it names, and the two signatures are compared in constant time. A session
//! token the client signed is one of those listed headers, so it is covered like any other. `aws-sigv4`'s default settings
//! double-percent-encode the path (`%3A` is canonicalised as `%253A`), which is exactly what the
//! SDKs do when signing for Bedrock, so the raw received path is passed unchanged. The error
//! names and messages are the ones AWS's front end uses.

use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use aws_smithy_types::DateTime;
use aws_smithy_types::date_time::Format;
use axum::http::HeaderMap;

use super::constant_time_eq;
use crate::api_error::ApiError;

/// The only algorithm accepted.
const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// The credential scope terminator.
const TERMINATOR: &str = "aws4_request";
/// How far the request time may be from the emulator's clock.
const MAX_CLOCK_SKEW: Duration = Duration::from_secs(5 * 60);

/// The parts of a received request that its signature covers.
pub(super) struct ReceivedRequest<'a> {
    pub method: &'a str,
    /// The path and query exactly as they arrived, still percent-encoded.
    pub path_and_query: &'a str,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
}

/// The fields of an `AWS4-HMAC-SHA256` Authorization header.
struct Authorization<'a> {
    credential: &'a str,
    signed_headers: &'a str,
    signature: &'a str,
}

/// The five elements of a credential: `keyid/date/region/service/terminator`.
struct CredentialScope<'a> {
    access_key_id: &'a str,
    date: &'a str,
    region: &'a str,
    service: &'a str,
    terminator: &'a str,
}

/// 403 IncompleteSignatureException for an Authorization header that cannot be parsed.
pub(super) fn incomplete_signature(authorization: &str) -> ApiError {
    ApiError::forbidden(
        "IncompleteSignatureException",
        format!(
            "Authorization header requires 'Credential' parameter. Authorization header requires \
             'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. \
             Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' \
             header. Authorization={authorization}"
        ),
    )
}

fn invalid_signature(message: impl Into<String>) -> ApiError {
    ApiError::forbidden("InvalidSignatureException", message)
}

fn signature_mismatch() -> ApiError {
    invalid_signature(
        "The request signature we calculated does not match the signature you provided. Check \
         your AWS Secret Access Key and signing method. Consult the service documentation for \
         details.",
    )
}

/// Verifies `authorization` (any value other than a bearer token) for `request`, which must be
/// signed for `service` in `region`; `signing_secret` gives the secret of the access key the
/// signature names, or the error that key gets.
pub(super) fn verify(
    authorization: &str,
    request: &ReceivedRequest<'_>,
    service: &str,
    region: &str,
    signing_secret: impl FnOnce(&str) -> Result<String, ApiError>,
    now: SystemTime,
) -> Result<(), ApiError> {
    let fields = parse_authorization(authorization)?;
    let amz_date = request
        .headers
        .get("x-amz-date")
        .and_then(|value| value.to_str().ok())
        .ok_or_else(|| incomplete_signature(authorization))?;
    let signed_at = parse_basic_iso8601(amz_date).ok_or_else(|| {
        ApiError::forbidden(
            "IncompleteSignatureException",
            format!(
                "Date must be in ISO-8601 'basic format'. Got '{amz_date}'. See \
                 http://en.wikipedia.org/wiki/ISO_8601"
            ),
        )
    })?;
    let scope = parse_credential(fields.credential)?;
    check_scope(&scope, amz_date, service, region)?;
    let secret = signing_secret(scope.access_key_id)?;
    check_clock_skew(signed_at, now)?;

    let expected = expected_signature(request, &fields, &scope, secret, signed_at)?;
    if constant_time_eq(expected.as_bytes(), fields.signature.as_bytes()) {
        Ok(())
    } else {
        Err(signature_mismatch())
    }
}

fn parse_authorization(authorization: &str) -> Result<Authorization<'_>, ApiError> {
    let parameters = authorization
        .strip_prefix(ALGORITHM)
        .filter(|rest| rest.starts_with(char::is_whitespace))
        .ok_or_else(|| incomplete_signature(authorization))?;
    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    for parameter in parameters.split(',') {
        match parameter.trim().split_once('=') {
            Some(("Credential", value)) => credential = Some(value),
            Some(("SignedHeaders", value)) => signed_headers = Some(value),
            Some(("Signature", value)) => signature = Some(value),
            _ => {}
        }
    }
    match (credential, signed_headers, signature) {
        (Some(credential), Some(signed_headers), Some(signature)) => Ok(Authorization {
            credential,
            signed_headers,
            signature,
        }),
        _ => Err(incomplete_signature(authorization)),
    }
}

fn parse_credential(credential: &str) -> Result<CredentialScope<'_>, ApiError> {
    let elements: Vec<&str> = credential.split('/').collect();
    let [access_key_id, date, region, service, terminator] = elements[..] else {
        return Err(ApiError::forbidden(
            "IncompleteSignatureException",
            format!(
                "Credential must have exactly 5 slash-delimited elements, e.g. \
                 keyid/date/region/service/term, got '{credential}'"
            ),
        ));
    };
    Ok(CredentialScope {
        access_key_id,
        date,
        region,
        service,
        terminator,
    })
}

fn check_scope(
    scope: &CredentialScope<'_>,
    amz_date: &str,
    service: &str,
    region: &str,
) -> Result<(), ApiError> {
    let request_date = amz_date.get(..8).unwrap_or(amz_date);
    if scope.date != request_date {
        return Err(invalid_signature(format!(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from \
             HTTP: '{}' != '{request_date}', from '{amz_date}'.",
            scope.date
        )));
    }
    if scope.region != region {
        return Err(invalid_signature(format!(
            "Credential should be scoped to a valid region, not '{}'. ",
            scope.region
        )));
    }
    if scope.service != service {
        return Err(invalid_signature(format!(
            "Credential should be scoped to correct service: '{service}'. "
        )));
    }
    if scope.terminator != TERMINATOR {
        return Err(invalid_signature(format!(
            "Credential should be scoped with a valid terminator: '{TERMINATOR}', not '{}'. ",
            scope.terminator
        )));
    }
    Ok(())
}

fn check_clock_skew(signed_at: SystemTime, now: SystemTime) -> Result<(), ApiError> {
    let earliest = now
        .checked_sub(MAX_CLOCK_SKEW)
        .unwrap_or(SystemTime::UNIX_EPOCH);
    let latest = now + MAX_CLOCK_SKEW;
    if signed_at < earliest {
        return Err(invalid_signature(format!(
            "Signature expired: {} is now earlier than {} ({} - 5 min.)",
            basic_iso8601(signed_at),
            basic_iso8601(earliest),
            basic_iso8601(now)
        )));
    }
    if signed_at > latest {
        return Err(invalid_signature(format!(
            "Signature not yet current: {} is still later than {} ({} + 5 min.)",
            basic_iso8601(signed_at),
            basic_iso8601(latest),
            basic_iso8601(now)
        )));
    }
    Ok(())
}

/// Signs the received request again with `secret` and returns the signature.
fn expected_signature(
    request: &ReceivedRequest<'_>,
    fields: &Authorization<'_>,
    scope: &CredentialScope<'_>,
    secret: String,
    signed_at: SystemTime,
) -> Result<String, ApiError> {
    let mut signed_headers = Vec::new();
    for name in fields.signed_headers.split(';') {
        let values = request.headers.get_all(name);
        if values.iter().next().is_none() {
            return Err(signature_mismatch());
        }
        for value in values {
            let value = value.to_str().map_err(|_| signature_mismatch())?;
            signed_headers.push((name, value));
        }
    }
    // aws-sigv4 needs a host to sign; AWS requires it to be signed.
    if !signed_headers.iter().any(|(name, _)| *name == "host") {
        return Err(invalid_signature(
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
        ));
    }

    // No session token here: when the client signed one, it is among the listed headers.
    let identity =
        Credentials::new(scope.access_key_id, secret, None, None, "bedrock-emulator").into();
    let mut settings = SigningSettings::default();
    // Sign exactly what the client listed, including headers the SDKs usually leave out.
    settings.excluded_headers = None;
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(scope.region)
        .name(scope.service)
        .time(signed_at)
        .settings(settings)
        .build()
        .map_err(|error| ApiError::internal(format!("cannot prepare SigV4 check: {error}")))?
        .into();
    let signable = SignableRequest::new(
        request.method,
        request.path_and_query,
        signed_headers.into_iter(),
        SignableBody::Bytes(request.body),
    )
    .map_err(|_| signature_mismatch())?;
    let output = sign(signable, &params).map_err(|_| signature_mismatch())?;
    Ok(output.signature().to_owned())
}

/// Parses `YYYYMMDD'T'HHMMSS'Z'`.
fn parse_basic_iso8601(value: &str) -> Option<SystemTime> {
    let bytes = value.as_bytes();
    let well_formed = bytes.len() == 16
        && bytes[8] == b'T'
        && bytes[15] == b'Z'
        && bytes[..8]
            .iter()
            .chain(&bytes[9..15])
            .all(u8::is_ascii_digit);
    if !well_formed {
        return None;
    }
    let extended = format!(
        "{}-{}-{}T{}:{}:{}Z",
        &value[0..4],
        &value[4..6],
        &value[6..8],
        &value[9..11],
        &value[11..13],
        &value[13..15]
    );
    let date_time = DateTime::from_str(&extended, Format::DateTime).ok()?;
    SystemTime::try_from(date_time).ok()
}

/// Formats a time as `YYYYMMDD'T'HHMMSS'Z'`.
fn basic_iso8601(time: SystemTime) -> String {
    let whole_seconds = DateTime::from_secs(DateTime::from(time).secs());
    whole_seconds
        .fmt(Format::DateTime)
        .map(|extended| extended.replace(['-', ':'], ""))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::{HeaderName, HeaderValue};

    const HOST: &str = "127.0.0.1:4000";

    /// The long-term pair the tests sign with.
    fn signing_secret(access_key_id: &str) -> Result<String, ApiError> {
        if access_key_id == "AKIDLOCALBEDROCK" {
            Ok("local-bedrock-secret-key".to_owned())
        } else {
            Err(super::super::unrecognized_client())
        }
    }

    /// Signs a request the way the SDK does and returns the headers it would send.
    fn sdk_signed_headers(
        access_key_id: &str,
        secret: &str,
        path: &str,
        body: &[u8],
        at: SystemTime,
    ) -> HeaderMap {
        let identity = Credentials::new(access_key_id, secret, None, None, "test").into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region("us-east-1")
            .name("bedrock")
            .time(at)
            .settings(SigningSettings::default())
            .build()
            .expect("test signing params")
            .into();
        let url = format!("http://{HOST}{path}");
        let sent_headers = [
            ("content-type", "application/json"),
            ("accept", "application/json"),
        ];
        let signable = SignableRequest::new(
            "POST",
            url.as_str(),
            sent_headers.into_iter(),
            SignableBody::Bytes(body),
        )
        .expect("test request");
        let (instructions, _) = sign(signable, &params).expect("signs").into_parts();
        let mut headers = HeaderMap::new();
        headers.insert("host", HeaderValue::from_static(HOST));
        for (name, value) in sent_headers.into_iter().chain(instructions.headers()) {
            headers.insert(
                HeaderName::from_bytes(name.as_bytes()).expect("header name"),
                HeaderValue::from_str(value).expect("header value"),
            );
        }
        headers
    }

    fn check(
        headers: &HeaderMap,
        path: &str,
        body: &[u8],
        now: SystemTime,
    ) -> Result<(), ApiError> {
        let authorization = headers
            .get("authorization")
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default();
        let request = ReceivedRequest {
            method: "POST",
            path_and_query: path,
            headers,
            body,
        };
        verify(
            authorization,
            &request,
            "bedrock",
            "us-east-1",
            signing_secret,
            now,
        )
    }

    const COLON_PATH: &str = "/model/anthropic.claude-3-haiku-20240307-v1%3A0/invoke";
    const ARN_PATH: &str = "/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A%3Afoundation-model%2Fanthropic.claude-3-haiku-20240307-v1%3A0/invoke-with-response-stream";

    #[test]
    fn sdk_style_signatures_over_encoded_paths_verify() {
        let now = SystemTime::now();
        for path in [COLON_PATH, ARN_PATH] {
            let headers = sdk_signed_headers(
                "AKIDLOCALBEDROCK",
                "local-bedrock-secret-key",
                path,
                b"{}",
                now,
            );
            assert_eq!(check(&headers, path, b"{}", now), Ok(()), "{path}");
        }
    }

    #[test]
    fn a_single_encoded_canonical_path_does_not_verify() {
        // The signature covers the path as sent: a client that signed the decoded path
        // canonicalised `%3A`, where the wire path canonicalises to `%253A`.
        let now = SystemTime::now();
        let headers = sdk_signed_headers(
            "AKIDLOCALBEDROCK",
            "local-bedrock-secret-key",
            "/model/anthropic.claude-3-haiku-20240307-v1:0/invoke",
            b"{}",
            now,
        );
        let error = check(&headers, COLON_PATH, b"{}", now).expect_err("paths differ");
        assert_eq!(error.error_type(), "InvalidSignatureException");
    }

    #[test]
    fn a_wrong_secret_or_altered_body_is_a_signature_mismatch() {
        let now = SystemTime::now();
        let wrong_secret = sdk_signed_headers("AKIDLOCALBEDROCK", "wrong", COLON_PATH, b"{}", now);
        let error = check(&wrong_secret, COLON_PATH, b"{}", now).expect_err("wrong secret");
        assert_eq!(error, signature_mismatch());

        let honest = sdk_signed_headers(
            "AKIDLOCALBEDROCK",
            "local-bedrock-secret-key",
            COLON_PATH,
            b"{}",
            now,
        );
        let error = check(&honest, COLON_PATH, b"{\"x\":1}", now).expect_err("altered body");
        assert_eq!(error, signature_mismatch());
    }

    #[test]
    fn an_unknown_access_key_is_an_unrecognized_client() {
        let now = SystemTime::now();
        let headers = sdk_signed_headers(
            "AKIDSOMEONEELSE",
            "local-bedrock-secret-key",
            COLON_PATH,
            b"",
            now,
        );
        let error = check(&headers, COLON_PATH, b"", now).expect_err("unknown key");
        assert_eq!(error.error_type(), "UnrecognizedClientException");
        assert_eq!(
            error.message(),
            "The security token included in the request is invalid."
        );
    }

    #[test]
    fn an_old_signature_has_expired() {
        let signed_at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let headers = sdk_signed_headers(
            "AKIDLOCALBEDROCK",
            "local-bedrock-secret-key",
            COLON_PATH,
            b"",
            signed_at,
        );
        let now = signed_at + Duration::from_secs(3600);
        let error = check(&headers, COLON_PATH, b"", now).expect_err("expired");
        assert_eq!(error.error_type(), "InvalidSignatureException");
        assert_eq!(
            error.message(),
            "Signature expired: 20231114T221320Z is now earlier than 20231114T230820Z \
             (20231114T231320Z - 5 min.)"
        );
    }

    #[test]
    fn garbled_authorization_is_an_incomplete_signature() {
        let now = SystemTime::now();
        let mut headers = sdk_signed_headers(
            "AKIDLOCALBEDROCK",
            "local-bedrock-secret-key",
            COLON_PATH,
            b"",
            now,
        );
        headers.insert(
            "authorization",
            HeaderValue::from_static("AWS4-HMAC-SHA256 Credential=AKIDLOCALBEDROCK/20240101"),
        );
        let error = check(&headers, COLON_PATH, b"", now).expect_err("garbled");
        assert_eq!(error.error_type(), "IncompleteSignatureException");
        assert!(
            error
                .message()
                .ends_with("Authorization=AWS4-HMAC-SHA256 Credential=AKIDLOCALBEDROCK/20240101")
        );
    }

    #[test]
    fn basic_iso8601_round_trips() {
        let time = parse_basic_iso8601("20240327T230808Z").expect("valid date");
        assert_eq!(basic_iso8601(time), "20240327T230808Z");
        assert_eq!(parse_basic_iso8601("2024-03-27T23:08:08Z"), None);
    }
}
