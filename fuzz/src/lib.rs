//! What the fuzz targets share: a real `bedrock-runtime` SDK client whose
//! HTTP connection answers every request with the bytes the fuzzer chose, and
//! the host's own stream loop (`bedrock_host::aws::StreamReply::next`) driven
//! over that answer until it ends.
//!
//! Invariant kept by every target that uses it: reading a stream of `n`
//! bytes returns at most `n / 16 + 1` items (an event-stream frame is at
//! least 16 bytes), each no larger than the body, and then ends or fails:
//! it never panics, loops or grows without bound.

use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use aws_credential_types::Credentials;
use aws_sdk_bedrockruntime::config::{BehaviorVersion, Region};
use aws_sdk_bedrockruntime::{Client, Config};
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::{Response, StatusCode};
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::retry::RetryConfig;
use bedrock_host::aws::{self, AwsError, StreamChunk};

/// The smallest event-stream frame: a 12-byte prelude and a 4-byte CRC.
const MIN_FRAME_BYTES: usize = 16;

/// An HTTP connection that answers 200 with the current fuzz input as an
/// `application/vnd.amazon.eventstream` body.
#[derive(Debug, Clone, Default)]
struct ReplayConnection {
    body: Arc<Mutex<Vec<u8>>>,
}

impl HttpConnector for ReplayConnection {
    fn call(&self, _request: HttpRequest) -> HttpConnectorFuture {
        let body = self
            .body
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let status = StatusCode::try_from(200_u16).expect("200 is a status");
        let mut response = Response::new(status, SdkBody::from(body));
        response
            .headers_mut()
            .insert("content-type", "application/vnd.amazon.eventstream");
        HttpConnectorFuture::ready(Ok(response))
    }
}

impl HttpClient for ReplayConnection {
    fn http_connector(
        &self,
        _settings: &HttpConnectorSettings,
        _components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(self.clone())
    }
}

struct StreamHarness {
    runtime: tokio::runtime::Runtime,
    client: Client,
    connection: ReplayConnection,
}

fn harness() -> &'static StreamHarness {
    static HARNESS: OnceLock<StreamHarness> = OnceLock::new();
    HARNESS.get_or_init(|| {
        let connection = ReplayConnection::default();
        let config = Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new(
                "AKIDFUZZ",
                "fuzz-secret",
                None,
                None,
                "fuzz",
            ))
            .endpoint_url("http://fuzz.invalid")
            .retry_config(RetryConfig::disabled())
            .http_client(connection.clone())
            .build();
        StreamHarness {
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a tokio runtime"),
            client: Client::from_conf(config),
            connection,
        }
    })
}

/// How a stream read to its end went.
#[derive(Debug)]
pub struct StreamOutcome {
    /// The chunks' model JSON and Bedrock counts, in order.
    pub chunks: Vec<StreamChunk>,
    /// The error that ended the stream, if it did not end normally.
    pub error: Option<AwsError>,
}

/// Opens `InvokeModelWithResponseStream` against `body` through the SDK and
/// reads it with the host's loop until it ends or fails, checking the
/// module's invariant on the way.
pub fn read_stream(body: &[u8]) -> StreamOutcome {
    let harness = harness();
    *harness
        .connection
        .body
        .lock()
        .unwrap_or_else(PoisonError::into_inner) = body.to_vec();
    harness.runtime.block_on(async {
        let opened = aws::invoke_model_stream(
            &harness.client,
            "anthropic.claude-3-haiku-20240307-v1:0",
            b"{}".to_vec(),
            "application/json",
            "application/json",
        )
        .await;
        let mut stream = match opened {
            Ok(stream) => stream,
            Err(error) => {
                return StreamOutcome {
                    chunks: Vec::new(),
                    error: Some(error),
                };
            }
        };
        let most = body.len() / MIN_FRAME_BYTES + 1;
        let mut chunks = Vec::new();
        loop {
            match stream.next().await {
                Ok(StreamChunk::End) => {
                    return StreamOutcome {
                        chunks,
                        error: None,
                    };
                }
                Ok(chunk) => {
                    if let StreamChunk::Data { json, .. } = &chunk {
                        assert!(json.len() <= body.len(), "a chunk larger than the body");
                    }
                    chunks.push(chunk);
                    assert!(
                        chunks.len() <= most,
                        "{} chunks from {} bytes",
                        chunks.len(),
                        body.len()
                    );
                }
                Err(error) => {
                    check_error(&error);
                    return StreamOutcome {
                        chunks,
                        error: Some(error),
                    };
                }
            }
        }
    })
}

/// An error from a stream names what happened: a message, and for an
/// exception frame the exception's name.
fn check_error(error: &AwsError) {
    assert!(!error.message.is_empty(), "an error without a message");
    assert!(!error.to_string().is_empty());
}
