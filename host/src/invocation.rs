//! One invocation end to end: the plugin builds the body, Bedrock answers,
//! the same plugin instance parses the answer or decodes the stream.
//!
//! Invariants: the plugin sees only the request and the model's JSON; the
//! model id goes to AWS exactly as given. On a stream, every text event is
//! handed to the caller as soon as it is decoded, and a failure part-way
//! returns what was received so far together with the error, so nothing
//! already shown is lost or contradicted. A response is bounded in size
//! (`max_response_bytes`, the whole body or the whole stream), so the text
//! gathered here is bounded too.

use std::io;
use std::time::{Duration, Instant};

use aws_sdk_bedrockruntime::Client;

use crate::aws::{self, AwsError, BedrockHeaders, StreamChunk};
use crate::model_id::ModelId;
use crate::plugin::{Event, Image, Output, PluginError, Request, Sandbox, Stop};

/// What an invocation produced, complete or up to a failure.
#[derive(Debug, Default)]
pub struct InvocationReport {
    /// The generated text, all parts joined.
    pub text: String,
    /// Images the model returned.
    pub images: Vec<Image>,
    /// Why generation stopped, when the model said.
    pub stop: Option<Stop>,
    /// Input tokens: from the body, else from Bedrock's own counts.
    pub input_tokens: Option<u32>,
    /// Output tokens: from the body, else from Bedrock's own counts.
    pub output_tokens: Option<u32>,
    /// Time from sending the request to the first text (streams only).
    pub time_to_first_token: Option<Duration>,
    /// Number of chunks received (streams only).
    pub chunks: u64,
    /// Time from sending the request to the end of the answer.
    pub latency: Duration,
    /// The AWS request id.
    pub request_id: Option<String>,
}

impl InvocationReport {
    fn fill_missing_counts(&mut self, counts: BedrockHeaders) {
        self.input_tokens = self.input_tokens.or(counts.input_tokens);
        self.output_tokens = self.output_tokens.or(counts.output_tokens);
    }
}

/// Why an invocation failed.
#[derive(Debug, thiserror::Error)]
pub enum InvocationError {
    /// The plugin refused, trapped or broke a limit.
    #[error(transparent)]
    Plugin(#[from] PluginError),
    /// AWS refused or could not be reached, or the stream broke off.
    #[error(transparent)]
    Aws(#[from] AwsError),
    /// Streamed text could not be written out.
    #[error("cannot write the answer: {0}")]
    Output(#[from] io::Error),
}

/// A failed invocation, with what had been received before it failed.
#[derive(Debug)]
pub struct InvocationFailure {
    pub partial: InvocationReport,
    pub error: InvocationError,
}

impl<E: Into<InvocationError>> From<E> for InvocationFailure {
    fn from(error: E) -> Self {
        Self {
            partial: InvocationReport::default(),
            error: error.into(),
        }
    }
}

/// Invokes `model` once with `InvokeModel` and parses the whole answer, which
/// may be at most `max_response_bytes` long.
pub async fn invoke(
    client: &Client,
    sandbox: &mut Sandbox,
    model: &ModelId,
    request: &Request,
    max_response_bytes: u64,
) -> Result<InvocationReport, InvocationFailure> {
    let body = sandbox.build_request(request).await?;
    let started = Instant::now();
    let reply = aws::invoke_model(
        client,
        model.as_given(),
        body.bytes,
        &body.content_type,
        &body.accept,
        max_response_bytes,
    )
    .await?;
    let latency = started.elapsed();
    let mut report = InvocationReport {
        latency,
        request_id: reply.request_id,
        ..InvocationReport::default()
    };
    let response = match sandbox.parse_response(model.base(), &reply.body).await {
        Ok(response) => response,
        Err(error) => {
            return Err(InvocationFailure {
                partial: report,
                error: error.into(),
            });
        }
    };
    for output in response.outputs {
        match output {
            Output::Text(text) => report.text.push_str(&text),
            Output::Image(image) => report.images.push(image),
        }
    }
    report.stop = response.stop;
    if let Some(usage) = response.usage {
        report.input_tokens = Some(usage.input_tokens);
        report.output_tokens = Some(usage.output_tokens);
    }
    report.fill_missing_counts(reply.counts);
    Ok(report)
}

/// Invokes `model` with `InvokeModelWithResponseStream`, handing each piece
/// of text to `on_text` as it is decoded; the whole stream may be at most
/// `max_response_bytes` long. `on_text` is `Send` so that the returned
/// future is too: many streams can run as tasks of one multi-threaded
/// runtime.
pub async fn invoke_streaming(
    client: &Client,
    sandbox: &mut Sandbox,
    model: &ModelId,
    request: &Request,
    max_response_bytes: u64,
    on_text: &mut (dyn FnMut(&str) -> io::Result<()> + Send),
) -> Result<InvocationReport, InvocationFailure> {
    let body = sandbox.build_request(request).await?;
    sandbox.start_stream(model.base()).await?;
    let started = Instant::now();
    let mut stream = aws::invoke_model_stream(
        client,
        model.as_given(),
        body.bytes,
        &body.content_type,
        &body.accept,
        max_response_bytes,
    )
    .await?;
    let mut report = InvocationReport {
        request_id: stream.request_id.clone(),
        ..InvocationReport::default()
    };
    let mut bedrock_counts = BedrockHeaders::default();
    let outcome = loop {
        let events = match stream.next().await {
            Ok(StreamChunk::Data { json, counts }) => {
                report.chunks += 1;
                if let Some(counts) = counts {
                    bedrock_counts = counts;
                }
                sandbox.feed(&json).await
            }
            Ok(StreamChunk::End) => {
                break sandbox
                    .finish()
                    .await
                    .map_err(InvocationError::from)
                    .and_then(|events| apply(&mut report, events, started, on_text));
            }
            Err(error) => break Err(error.into()),
        };
        if let Err(error) = events
            .map_err(InvocationError::from)
            .and_then(|events| apply(&mut report, events, started, on_text))
        {
            break Err(error);
        }
    };
    report.latency = started.elapsed();
    report.fill_missing_counts(bedrock_counts);
    match outcome {
        Ok(()) => Ok(report),
        Err(error) => Err(InvocationFailure {
            partial: report,
            error,
        }),
    }
}

/// Folds decoded events into the report, passing text on as it comes
/// (empty text is skipped; the last stop and usage seen win).
pub fn apply(
    report: &mut InvocationReport,
    events: Vec<Event>,
    started: Instant,
    on_text: &mut (dyn FnMut(&str) -> io::Result<()> + Send),
) -> Result<(), InvocationError> {
    for event in events {
        match event {
            Event::Text(text) => {
                if text.is_empty() {
                    continue;
                }
                report
                    .time_to_first_token
                    .get_or_insert_with(|| started.elapsed());
                on_text(&text)?;
                report.text.push_str(&text);
            }
            Event::Stop(stop) => report.stop = Some(stop),
            Event::Usage(usage) => {
                report.input_tokens = Some(usage.input_tokens);
                report.output_tokens = Some(usage.output_tokens);
            }
        }
    }
    Ok(())
}
