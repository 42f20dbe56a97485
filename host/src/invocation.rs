//! One invocation end to end: the plugin builds the body, Bedrock answers,
//! the same plugin instance parses the answer or decodes the stream.
//!
//! Invariants: the plugin sees only the request and the model's JSON; the
//! model id goes to AWS exactly as given. On a stream, every text event is
//! handed to the caller before the stream waits for its next chunk (the
//! chunks that arrived together are decoded first and their text handed on
//! joined, in order), and a failure part-way
//! returns what was received so far together with the error, so nothing
//! already shown is lost or contradicted. A response is bounded in size
//! (`max_response_bytes`, the whole body or the whole stream), so the text
//! gathered here is bounded too. The plugin's events obey the contract's
//! event model (the sandbox checks it), so folding them into an answer here
//! never meets a tool call's input without its start.

use std::future::{Future as _, poll_fn};
use std::io;
use std::pin::pin;
use std::task::Poll;
use std::time::{Duration, Instant};

use aws_sdk_bedrockruntime::Client;

use crate::aws::{self, AwsError, BedrockHeaders, StreamChunk};
use crate::model_id::ModelId;
use crate::plugin::{
    Body, Content, Event, Image, Output, PluginError, Reasoning, Request, Sandbox, Stop, ToolCall,
    Usage,
};

/// What an invocation produced, complete or up to a failure.
#[derive(Debug, Default)]
pub struct InvocationReport {
    /// The generated answer text, all parts joined.
    pub text: String,
    /// The model's reasoning text, all blocks joined, apart from the answer.
    pub reasoning: String,
    /// The tool calls the model made, in order (complete ones only).
    pub tool_calls: Vec<ToolCall>,
    /// The answer as the content of an assistant message, in the order the
    /// model produced it (text, reasoning with its signatures, redacted
    /// reasoning, tool calls): what a continued conversation sends back.
    pub content: Vec<Content>,
    /// Images the model returned.
    pub images: Vec<Image>,
    /// Why generation stopped, when the model said.
    pub stop: Option<Stop>,
    /// Input tokens: from the body, else from Bedrock's own counts.
    pub input_tokens: Option<u32>,
    /// Output tokens: from the body, else from Bedrock's own counts.
    pub output_tokens: Option<u32>,
    /// Input tokens read from the prompt cache, when the model said.
    pub cache_read_tokens: Option<u32>,
    /// Input tokens written to the prompt cache, when the model said.
    pub cache_write_tokens: Option<u32>,
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

    fn set_usage(&mut self, usage: Usage) {
        self.input_tokens = Some(usage.input_tokens);
        self.output_tokens = Some(usage.output_tokens);
        self.cache_read_tokens = usage.cache_read_tokens;
        self.cache_write_tokens = usage.cache_write_tokens;
    }

    /// Adds answer text, joining it to the text block it continues.
    fn push_text(&mut self, text: &str) {
        self.text.push_str(text);
        match self.content.last_mut() {
            Some(Content::Text(last)) => last.push_str(text),
            _ => self.content.push(Content::Text(text.to_owned())),
        }
    }

    /// Adds reasoning text to the open reasoning block (one without a
    /// signature yet), or opens one.
    fn push_reasoning(&mut self, text: &str) {
        self.reasoning.push_str(text);
        match self.content.last_mut() {
            Some(Content::Reasoning(open)) if open.signature.is_none() => {
                open.text.push_str(text);
            }
            _ => self.content.push(Content::Reasoning(Reasoning {
                text: text.to_owned(),
                signature: None,
            })),
        }
    }

    /// Signs the open reasoning block (a signature with no open block signs
    /// an empty one, as a family may send it).
    fn sign_reasoning(&mut self, signature: String) {
        match self.content.last_mut() {
            Some(Content::Reasoning(open)) if open.signature.is_none() => {
                open.signature = Some(signature);
            }
            _ => self.content.push(Content::Reasoning(Reasoning {
                text: String::new(),
                signature: Some(signature),
            })),
        }
    }

    fn push_tool_call(&mut self, mut call: ToolCall) {
        if call.input.trim().is_empty() {
            call.input = "{}".to_owned();
        }
        self.content.push(Content::ToolCall(call.clone()));
        self.tool_calls.push(call);
    }
}

/// A piece of the answer, handed to the caller as soon as it is known.
#[derive(Debug, Clone, Copy)]
pub enum Shown<'a> {
    /// Answer text.
    Text(&'a str),
    /// Reasoning text, apart from the answer.
    Reasoning(&'a str),
    /// A complete tool call.
    ToolCall(&'a ToolCall),
}

/// What a streamed answer is in the middle of, between events.
#[derive(Debug, Default)]
pub struct StreamFold {
    open_call: Option<ToolCall>,
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
    invoke_body(client, sandbox, model, body, max_response_bytes).await
}

/// As `invoke`, with a body built already (or given by the user as it is):
/// the plugin only parses the answer.
pub async fn invoke_body(
    client: &Client,
    sandbox: &mut Sandbox,
    model: &ModelId,
    body: Body,
    max_response_bytes: u64,
) -> Result<InvocationReport, InvocationFailure> {
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
            Output::Text(text) => report.push_text(&text),
            Output::Image(image) => report.images.push(image),
            Output::ToolCall(call) => report.push_tool_call(call),
            Output::Reasoning(reasoning) => {
                report.reasoning.push_str(&reasoning.text);
                report.content.push(Content::Reasoning(reasoning));
            }
            Output::RedactedReasoning(data) => {
                report.content.push(Content::RedactedReasoning(data));
            }
        }
    }
    report.stop = response.stop;
    if let Some(usage) = response.usage {
        report.set_usage(usage);
    }
    report.fill_missing_counts(reply.counts);
    Ok(report)
}

/// Invokes `model` with `InvokeModelWithResponseStream`, handing each piece
/// of the answer to `on_shown` as it is decoded; the whole stream may be at
/// most `max_response_bytes` long. `on_shown` is `Send` so that the returned
/// future is too: many streams can run as tasks of one multi-threaded
/// runtime.
pub async fn invoke_streaming(
    client: &Client,
    sandbox: &mut Sandbox,
    model: &ModelId,
    request: &Request,
    max_response_bytes: u64,
    on_shown: &mut (dyn FnMut(Shown<'_>) -> io::Result<()> + Send),
) -> Result<InvocationReport, InvocationFailure> {
    let body = sandbox.build_request(request).await?;
    invoke_streaming_body(client, sandbox, model, body, max_response_bytes, on_shown).await
}

/// As `invoke_streaming`, with a body built already (or given by the user
/// as it is): the plugin only decodes the stream.
pub async fn invoke_streaming_body(
    client: &Client,
    sandbox: &mut Sandbox,
    model: &ModelId,
    body: Body,
    max_response_bytes: u64,
    on_shown: &mut (dyn FnMut(Shown<'_>) -> io::Result<()> + Send),
) -> Result<InvocationReport, InvocationFailure> {
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
    let mut fold = StreamFold::default();
    let mut held = HeldBack::default();
    let outcome = loop {
        let mut next = pin!(stream.next());
        // A chunk already received is decoded at once; only when the stream
        // would wait is what was decoded so far shown, in one piece.
        let chunk = match poll_fn(|context| Poll::Ready(next.as_mut().poll(context))).await {
            Poll::Ready(chunk) => chunk,
            Poll::Pending => {
                if let Err(error) = held.show(on_shown) {
                    break Err(error.into());
                }
                next.await
            }
        };
        let mut hold = |shown: Shown<'_>| held.hold(shown, on_shown);
        let events = match chunk {
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
                    .and_then(|events| fold.apply(&mut report, events, started, &mut hold));
            }
            Err(error) => break Err(error.into()),
        };
        if let Err(error) = events
            .map_err(InvocationError::from)
            .and_then(|events| fold.apply(&mut report, events, started, &mut hold))
        {
            break Err(error);
        }
    };
    // What was decoded is shown even when the stream then failed: the
    // report returned with the error holds it.
    let shown = held.show(on_shown);
    let outcome = outcome.and(shown.map_err(InvocationError::from));
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

/// Text and reasoning decoded but not shown yet: consecutive pieces of the
/// same kind, joined, so that chunks that arrived together are written (and
/// logged) once instead of once each.
///
/// Invariant: the pieces reach `on_shown` in the order they were decoded; a
/// tool call, or a piece of the other kind, first shows what is held.
#[derive(Debug, Default)]
struct HeldBack {
    text: String,
    /// Whether `text` is reasoning rather than answer text.
    reasoning: bool,
}

impl HeldBack {
    /// Holds `shown` back, or shows what is held and then `shown` when it
    /// cannot be joined to it.
    fn hold(
        &mut self,
        shown: Shown<'_>,
        on_shown: &mut (dyn FnMut(Shown<'_>) -> io::Result<()> + Send),
    ) -> io::Result<()> {
        let (text, reasoning) = match shown {
            Shown::Text(text) => (text, false),
            Shown::Reasoning(text) => (text, true),
            Shown::ToolCall(_) => {
                self.show(on_shown)?;
                return on_shown(shown);
            }
        };
        if reasoning != self.reasoning {
            self.show(on_shown)?;
            self.reasoning = reasoning;
        }
        self.text.push_str(text);
        Ok(())
    }

    /// Shows what is held, if anything.
    fn show(
        &mut self,
        on_shown: &mut (dyn FnMut(Shown<'_>) -> io::Result<()> + Send),
    ) -> io::Result<()> {
        if self.text.is_empty() {
            return Ok(());
        }
        let shown = if self.reasoning {
            Shown::Reasoning(&self.text)
        } else {
            Shown::Text(&self.text)
        };
        let result = on_shown(shown);
        self.text.clear();
        result
    }
}

impl StreamFold {
    /// Folds decoded events into the report, handing text, reasoning and
    /// each complete tool call on as they come (empty text is skipped; the
    /// last stop and usage seen win). The time to the first token is the
    /// time to the first text, reasoning or tool call.
    pub fn apply(
        &mut self,
        report: &mut InvocationReport,
        events: Vec<Event>,
        started: Instant,
        on_shown: &mut (dyn FnMut(Shown<'_>) -> io::Result<()> + Send),
    ) -> Result<(), InvocationError> {
        for event in events {
            let mut first_token = || {
                report
                    .time_to_first_token
                    .get_or_insert_with(|| started.elapsed());
            };
            match event {
                Event::Text(text) | Event::Reasoning(text) if text.is_empty() => {}
                Event::Text(text) => {
                    first_token();
                    on_shown(Shown::Text(&text))?;
                    report.push_text(&text);
                }
                Event::Reasoning(text) => {
                    first_token();
                    on_shown(Shown::Reasoning(&text))?;
                    report.push_reasoning(&text);
                }
                Event::ReasoningSignature(signature) => report.sign_reasoning(signature),
                Event::RedactedReasoning(data) => {
                    report.content.push(Content::RedactedReasoning(data));
                }
                Event::ToolCallStart(start) => {
                    first_token();
                    self.open_call = Some(ToolCall {
                        id: start.id,
                        name: start.name,
                        input: String::new(),
                    });
                }
                Event::ToolCallInput(fragment) => {
                    if let Some(call) = &mut self.open_call {
                        call.input.push_str(&fragment);
                    }
                }
                Event::ToolCallEnd => {
                    if let Some(call) = self.open_call.take() {
                        report.push_tool_call(call);
                        if let Some(call) = report.tool_calls.last() {
                            on_shown(Shown::ToolCall(call))?;
                        }
                    }
                }
                Event::Stop(stop) => report.stop = Some(stop),
                Event::Usage(usage) => report.set_usage(usage),
            }
        }
        Ok(())
    }
}
