//! `InvokeModel` and `InvokeModelWithResponseStream` through the SDK.
//!
//! Invariants: the model id is passed to the SDK exactly as the user gave it
//! (the SDK percent-encodes it into the path); the body is sent unchanged;
//! what is Bedrock's rather than the provider's (token-count headers, the
//! `amazon-bedrock-invocationMetrics` of the last chunk, request ids,
//! exception frames) is read here and never handed to a plugin as such; every
//! response is read under the [`super::response_guard`] bounds.

use std::sync::{Arc, Mutex, PoisonError};

use aws_sdk_bedrockruntime::Client;
use aws_sdk_bedrockruntime::operation::RequestId;
use aws_sdk_bedrockruntime::primitives::Blob;
use aws_sdk_bedrockruntime::primitives::event_stream::EventReceiver;
use aws_sdk_bedrockruntime::types::ResponseStream;
use aws_sdk_bedrockruntime::types::error::ResponseStreamError;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeDeserializationInterceptorContextRef;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

use aws_smithy_types::retry::{RetryConfig, RetryMode};

use super::error::{AwsError, CallContext};
use super::response_guard::{NoRetryWhenTooLarge, ResponseGuard};

/// The key Bedrock adds to the last streamed chunk with its own counts.
const INVOCATION_METRICS_KEY: &str = "amazon-bedrock-invocationMetrics";

/// Bedrock's own counts for an invocation, from headers or the last chunk.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BedrockHeaders {
    pub input_tokens: Option<u32>,
    pub output_tokens: Option<u32>,
}

/// A completed `InvokeModel`.
#[derive(Debug)]
pub struct InvokeReply {
    pub body: Vec<u8>,
    pub request_id: Option<String>,
    pub counts: BedrockHeaders,
}

/// An open `InvokeModelWithResponseStream`.
pub struct StreamReply {
    pub request_id: Option<String>,
    receiver: EventReceiver<ResponseStream, ResponseStreamError>,
}

/// One item read from a stream.
#[derive(Debug)]
pub enum StreamChunk {
    /// The model JSON of one chunk, with Bedrock's counts when this chunk
    /// carried them.
    Data {
        json: Vec<u8>,
        counts: Option<BedrockHeaders>,
    },
    /// The stream ended normally.
    End,
}

impl StreamReply {
    /// Reads the next chunk; an exception frame or a broken connection is an
    /// error.
    pub async fn next(&mut self) -> Result<StreamChunk, AwsError> {
        loop {
            match self.receiver.recv().await {
                Ok(Some(ResponseStream::Chunk(part))) => {
                    let json = part.bytes.map(Blob::into_inner).unwrap_or_default();
                    let counts = invocation_metrics(&json);
                    return Ok(StreamChunk::Data { json, counts });
                }
                Ok(Some(_)) => continue,
                Ok(None) => return Ok(StreamChunk::End),
                Err(error) => {
                    let mut error = AwsError::from_stream(error);
                    if error.request_id.is_none() {
                        error.request_id = self.request_id.clone();
                    }
                    return Err(error);
                }
            }
        }
    }
}

/// The response bounds for one call: at most `max_response_bytes`, and no
/// silence longer than the client's read timeout.
fn guard(client: &Client, max_response_bytes: u64) -> ResponseGuard {
    let read_timeout = client
        .config()
        .timeout_config()
        .and_then(|timeouts| timeouts.read_timeout());
    ResponseGuard::new(max_response_bytes, read_timeout)
}

/// The client's settings with the one retry rule the guard needs.
fn no_retry_when_too_large() -> aws_sdk_bedrockruntime::config::Builder {
    aws_sdk_bedrockruntime::config::Builder::default().retry_classifier(NoRetryWhenTooLarge)
}

/// Sends `InvokeModel`, accepting a body of at most `max_response_bytes`.
pub async fn invoke_model(
    client: &Client,
    model_id: &str,
    body: Vec<u8>,
    content_type: &str,
    accept: &str,
    max_response_bytes: u64,
) -> Result<InvokeReply, AwsError> {
    log_request("InvokeModel", model_id, &body);
    let capture = HeaderCapture::default();
    let output = client
        .invoke_model()
        .model_id(model_id)
        .body(Blob::new(body))
        .content_type(content_type)
        .accept(accept)
        .customize()
        .config_override(no_retry_when_too_large())
        .interceptor(guard(client, max_response_bytes))
        .interceptor(capture.clone())
        .send()
        .await
        .map_err(|error| in_context(AwsError::from_sdk(error), client, model_id))?;
    Ok(InvokeReply {
        request_id: output.request_id().map(str::to_owned),
        body: output.body.into_inner(),
        counts: capture.counts(),
    })
}

/// Opens `InvokeModelWithResponseStream`, accepting at most
/// `max_response_bytes` over the whole stream.
pub async fn invoke_model_stream(
    client: &Client,
    model_id: &str,
    body: Vec<u8>,
    content_type: &str,
    accept: &str,
    max_response_bytes: u64,
) -> Result<StreamReply, AwsError> {
    log_request("InvokeModelWithResponseStream", model_id, &body);
    let output = client
        .invoke_model_with_response_stream()
        .model_id(model_id)
        .body(Blob::new(body))
        .content_type(content_type)
        .accept(accept)
        .customize()
        .config_override(no_retry_when_too_large())
        .interceptor(guard(client, max_response_bytes))
        .send()
        .await
        .map_err(|error| in_context(AwsError::from_sdk(error), client, model_id))?;
    Ok(StreamReply {
        request_id: output.request_id().map(str::to_owned),
        receiver: output.body,
    })
}

/// The request body in the debug log (`-vv`), as text where it is text.
fn log_request(operation: &str, model_id: &str, body: &[u8]) {
    tracing::debug!(
        operation,
        model_id,
        "request body: {}",
        String::from_utf8_lossy(body).escape_debug()
    );
}

/// Sharpens an error's hint with the client's region and retry settings.
fn in_context(error: AwsError, client: &Client, model_id: &str) -> AwsError {
    let config = client.config();
    let retry = config.retry_config();
    error.in_context(CallContext {
        region: config.region().map(|region| region.as_ref()),
        model_id: Some(model_id),
        max_attempts: retry.map(RetryConfig::max_attempts),
        adaptive_retries: retry.is_some_and(|retry| retry.mode() == RetryMode::Adaptive),
    })
}

/// Bedrock's counts from a chunk's `amazon-bedrock-invocationMetrics`, if
/// the chunk has them.
fn invocation_metrics(json: &[u8]) -> Option<BedrockHeaders> {
    let key = INVOCATION_METRICS_KEY.as_bytes();
    if !json.windows(key.len()).any(|window| window == key) {
        return None;
    }
    let value: serde_json::Value = serde_json::from_slice(json).ok()?;
    let metrics = value.get(INVOCATION_METRICS_KEY)?;
    let count = |name: &str| {
        metrics
            .get(name)
            .and_then(serde_json::Value::as_u64)
            .and_then(|n| u32::try_from(n).ok())
    };
    Some(BedrockHeaders {
        input_tokens: count("inputTokenCount"),
        output_tokens: count("outputTokenCount"),
    })
}

/// Reads Bedrock's token-count headers, which the SDK does not model.
#[derive(Debug, Clone, Default)]
struct HeaderCapture {
    counts: Arc<Mutex<BedrockHeaders>>,
}

impl HeaderCapture {
    fn counts(&self) -> BedrockHeaders {
        *self.counts.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Intercept for HeaderCapture {
    fn name(&self) -> &'static str {
        "bedrock-token-count-headers"
    }

    fn read_before_deserialization(
        &self,
        context: &BeforeDeserializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let headers = context.response().headers();
        let count = |name: &str| headers.get(name).and_then(|v| v.trim().parse::<u32>().ok());
        *self.counts.lock().unwrap_or_else(PoisonError::into_inner) = BedrockHeaders {
            input_tokens: count("x-amzn-bedrock-input-token-count"),
            output_tokens: count("x-amzn-bedrock-output-token-count"),
        };
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_are_read_from_the_last_chunk_only_when_present() {
        let last = br#"{"type":"message_stop","amazon-bedrock-invocationMetrics":{"inputTokenCount":21,"outputTokenCount":7,"invocationLatency":500,"firstByteLatency":300}}"#;
        assert_eq!(
            invocation_metrics(last),
            Some(BedrockHeaders {
                input_tokens: Some(21),
                output_tokens: Some(7)
            })
        );
        assert_eq!(
            invocation_metrics(br#"{"type":"content_block_delta"}"#),
            None
        );
    }
}
