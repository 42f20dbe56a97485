//! The two Bedrock operations over HTTP: `InvokeModel` and `InvokeModelWithResponseStream`. Owns
//! the order of checks (injected error, model id and how it may be reached, streaming support,
//! accept type, body), the
//! response headers (token counts, cache read and write counts for a request with cache points,
//! and latency on `InvokeModel`, none for image models;
//! `X-Amzn-Bedrock-Content-Type` and no token headers on streams, as recorded), and where the
//! configured faults apply: an injected error before anything else, a huge reply in place of an
//! `InvokeModel` answer, a stream fault in the streaming body (see [`crate::stream_writer`]).

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::{StreamExt, stream};

use crate::api_error::ApiError;
use crate::behaviour::{HugeReply, InjectedError};
use crate::foundation_models;
use crate::inference_profiles;
use crate::long_stream;
use crate::model_id::{ModelIdentifier, parse_model_identifier};
use crate::providers::{InvocationMetrics, KnownModel, Reply};
use crate::server::AppState;
use crate::stream_writer::stream_body;

const INPUT_TOKEN_COUNT: HeaderName = HeaderName::from_static("x-amzn-bedrock-input-token-count");
const OUTPUT_TOKEN_COUNT: HeaderName = HeaderName::from_static("x-amzn-bedrock-output-token-count");
const CACHE_READ_TOKEN_COUNT: HeaderName =
    HeaderName::from_static("x-amzn-bedrock-cache-read-input-token-count");
const CACHE_WRITE_TOKEN_COUNT: HeaderName =
    HeaderName::from_static("x-amzn-bedrock-cache-write-input-token-count");
const INVOCATION_LATENCY: HeaderName = HeaderName::from_static("x-amzn-bedrock-invocation-latency");
const BEDROCK_CONTENT_TYPE: HeaderName = HeaderName::from_static("x-amzn-bedrock-content-type");
/// Where `InvokeModelWithResponseStream` carries the request's accept type.
const BEDROCK_ACCEPT: HeaderName = HeaderName::from_static("x-amzn-bedrock-accept");

const JSON: &str = "application/json";
const EVENT_STREAM: &str = "application/vnd.amazon.eventstream";
/// Bedrock's answer to a stream request for a model that cannot stream, as quoted in
/// aws-samples/amazon-bedrock-client-for-mac#112 (400, Content-Length 53).
const UNSUPPORTED_FOR_STREAMING: &str = "The model is unsupported for streaming.";
/// The rest of Bedrock's answer to an on-demand invocation of a model served only through an
/// inference profile, after "Invocation of model ID <id> " (quoted in aioboto3#352 and other
/// reports, with the typographic apostrophe).
const ON_DEMAND_UNSUPPORTED: &str = "with on-demand throughput isn\u{2019}t supported. Retry your \
     request with the ID or ARN of an inference profile that contains this model.";
/// Accept values under which a JSON reply may be sent.
const JSON_COMPATIBLE: &[&str] = &["application/json", "application/*", "*/*"];

/// `POST /model/{modelId}/invoke`.
pub(crate) async fn invoke_model(
    State(state): State<Arc<AppState>>,
    model_identifier: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let started = Instant::now();
    let accept = headers.get(header::ACCEPT);
    let reply = match prepare(&state, model_identifier, accept, Operation::Invoke, &body).await {
        Ok(reply) => reply,
        Err(error) => return error.into_response(),
    };
    if let Some(huge) = state.behaviour.take_huge_reply() {
        return huge_reply(&huge);
    }
    let body = match reply.response_body() {
        Ok(body) => body,
        Err(error) => return ApiError::unrenderable(&error).into_response(),
    };
    let mut response = Response::new(Body::from(body));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(JSON));
    if let Some(usage) = reply.usage() {
        headers.insert(INPUT_TOKEN_COUNT, HeaderValue::from(usage.input_tokens));
        headers.insert(OUTPUT_TOKEN_COUNT, HeaderValue::from(usage.output_tokens));
        if let Some(cache) = usage.cache {
            headers.insert(CACHE_READ_TOKEN_COUNT, HeaderValue::from(cache.read));
            headers.insert(CACHE_WRITE_TOKEN_COUNT, HeaderValue::from(cache.write));
        }
    }
    headers.insert(
        INVOCATION_LATENCY,
        HeaderValue::from(elapsed_millis(started)),
    );
    response
}

/// `POST /model/{modelId}/invoke-with-response-stream`.
pub(crate) async fn invoke_model_with_response_stream(
    State(state): State<Arc<AppState>>,
    model_identifier: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let started = Instant::now();
    let accept = headers.get(BEDROCK_ACCEPT);
    let reply = match prepare(&state, model_identifier, accept, Operation::Stream, &body).await {
        Ok(reply) => reply,
        Err(error) => return error.into_response(),
    };
    let between_chunks = state.behaviour.delays().between_chunks;
    let usage = reply.usage().unwrap_or_default();
    let first_byte_latency = elapsed_millis(started);
    // Simulated: the time to first byte plus one pause per generated word.
    let invocation_latency = first_byte_latency.saturating_add(
        u64::try_from(between_chunks.as_millis())
            .unwrap_or(u64::MAX)
            .saturating_mul(u64::from(usage.output_tokens)),
    );
    let chunks = match reply.stream_chunks(&InvocationMetrics {
        input_token_count: usage.input_tokens,
        output_token_count: usage.output_tokens,
        invocation_latency,
        first_byte_latency,
    }) {
        Ok(chunks) => chunks,
        Err(error) => return ApiError::unrenderable(&error).into_response(),
    };
    let chunks = long_stream::lengthen(chunks, state.behaviour.current().long_stream);
    let body = stream_body(chunks, state.behaviour.take_stream_fault(), between_chunks);

    let mut response = Response::new(body);
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(EVENT_STREAM));
    headers.insert(BEDROCK_CONTENT_TYPE, HeaderValue::from_static(JSON));
    response
}

/// Which of the two operations a request is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operation {
    Invoke,
    Stream,
}

/// The checks and work both operations share, in Bedrock's order; returns after the simulated
/// time to first byte.
async fn prepare(
    state: &AppState,
    model_identifier: Result<Path<String>, PathRejection>,
    accept: Option<&HeaderValue>,
    operation: Operation,
    body: &[u8],
) -> Result<Box<dyn Reply>, ApiError> {
    if let Some(injected) = state.behaviour.take_injected_error() {
        return Err(injected_error(injected));
    }
    let Ok(Path(model_identifier)) = model_identifier else {
        return Err(ApiError::invalid_model_identifier());
    };
    let base_model_id = resolve_model_identifier(&state.region, &model_identifier)?;
    let model = KnownModel::lookup(base_model_id).ok_or_else(ApiError::invalid_model_identifier)?;
    if operation == Operation::Stream && !model.streams() {
        return Err(ApiError::validation(UNSUPPORTED_FOR_STREAMING));
    }
    check_accept(accept)?;
    let reply = model.invoke(body, &state.prompt_cache)?;
    let first_byte_delay = state.behaviour.delays().first_byte;
    if !first_byte_delay.is_zero() {
        tokio::time::sleep(first_byte_delay).await;
    }
    Ok(reply)
}

/// The base model id a request's model identifier reaches, refusing on-demand invocation of a
/// model the catalogue says is served only through an inference profile.
fn resolve_model_identifier<'a>(
    region: &str,
    model_identifier: &'a str,
) -> Result<&'a str, ApiError> {
    match parse_model_identifier(model_identifier) {
        Some(ModelIdentifier::OnDemand(base_model_id)) => {
            let profile_only = foundation_models::find(base_model_id)?
                .is_some_and(|model| !model.supports_on_demand());
            if profile_only {
                Err(ApiError::validation(format!(
                    "Invocation of model ID {base_model_id} {ON_DEMAND_UNSUPPORTED}"
                )))
            } else {
                Ok(base_model_id)
            }
        }
        Some(ModelIdentifier::SystemProfile(base_model_id)) => Ok(base_model_id),
        Some(ModelIdentifier::ApplicationProfile {
            region: arn_region,
            account,
            id,
        }) => inference_profiles::application_profile(region, arn_region, account, id)?
            .map(inference_profiles::InferenceProfile::model_id)
            .ok_or_else(ApiError::invalid_model_identifier),
        None => Err(ApiError::invalid_model_identifier()),
    }
}

/// The injected error as Bedrock would send it.
fn injected_error(injected: InjectedError) -> ApiError {
    let status = StatusCode::from_u16(injected.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    ApiError::new(status, injected.error_type, injected.message)
}

/// Refuses an accept type that rules out a JSON reply, the only kind the emulator produces.
/// (No recording shows Bedrock's own message for this case.)
fn check_accept(accept: Option<&HeaderValue>) -> Result<(), ApiError> {
    let Some(accept) = accept else {
        return Ok(());
    };
    let allows_json = accept.to_str().is_ok_and(|accept| {
        accept.split(',').any(|media_range| {
            let media_type = media_range.split(';').next().unwrap_or_default().trim();
            JSON_COMPATIBLE
                .iter()
                .any(|compatible| media_type.eq_ignore_ascii_case(compatible))
        })
    });
    if allows_json {
        Ok(())
    } else {
        Err(ApiError::validation(
            "The requested accept type is not supported by this model; use application/json.",
        ))
    }
}

fn elapsed_millis(started: Instant) -> u64 {
    u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// Padding for huge replies, sent a slice at a time.
static HUGE_REPLY_PADDING: [u8; 64 * 1024] = [b'a'; 64 * 1024];

/// A `200` answer of `{"p":"aaa..."}` exactly `reply.bytes` long, generated as it is sent.
fn huge_reply(reply: &HugeReply) -> Response {
    let padding = reply.bytes.saturating_sub(HugeReply::MIN_BYTES);
    let pieces = stream::unfold(padding, |left| async move {
        (left > 0).then(|| {
            let length = usize::try_from(left)
                .unwrap_or(usize::MAX)
                .min(HUGE_REPLY_PADDING.len());
            let piece = Bytes::from_static(&HUGE_REPLY_PADDING[..length]);
            (Ok::<_, Infallible>(piece), left - length as u64)
        })
    });
    let body = stream::iter([Ok(Bytes::from_static(br#"{"p":""#))])
        .chain(pieces)
        .chain(stream::iter([Ok(Bytes::from_static(br#""}"#))]));
    let mut response = Response::new(Body::from_stream(body));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(JSON));
    if reply.declare_length {
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(reply.bytes));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_compatible_accept_types_pass_and_others_do_not() {
        for accepted in [
            "application/json",
            "*/*",
            "text/plain, application/json;q=0.5",
        ] {
            assert!(
                check_accept(Some(&HeaderValue::from_static(accepted))).is_ok(),
                "{accepted}"
            );
        }
        assert!(check_accept(None).is_ok());
        assert!(check_accept(Some(&HeaderValue::from_static("image/png"))).is_err());
    }
}
