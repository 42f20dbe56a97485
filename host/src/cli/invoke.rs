//! `bedrock-host invoke`: one turn of a conversation with one model,
//! streamed by default: a prompt, attachments, tools and tool results,
//! reasoning and cache settings; or a family's native body as it is.
//!
//! Invariants: streamed text reaches stdout as it arrives, flushed per
//! chunk, and is never taken back; on failure the error goes to stderr after
//! it, and the exit code says what failed. With `--output json` stdout holds
//! exactly one JSON object, on success and on failure alike. Model text
//! printed to a terminal has its control characters (but newline and tab)
//! escaped unless `--raw-output` is given; piped, it is written byte for
//! byte (`answer_view` shows it). An answer with more than `--max-images`
//! images writes none. Whatever can be refused without the model (files,
//! tools, what the routed model cannot take) is refused before any request;
//! `--dry-run` sends nothing and needs no credentials.

use std::io::{self, IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Args;
use serde_json::json;

use super::answer_view::AnswerView;
use super::conversation::{self, Conversation, ConversationArgs, MODEL_ENV};
use super::images::{self, WrittenImage};
use super::legacy_warning::LegacyCheck;
use super::message_json;
use super::request_parts::{Asked, RequestParts};
use super::session::Session;
use super::stdout::{self, StdoutError};
use super::tools::{self, ToolAnswer};
use super::{Exit, Interrupted, OutputFormat, UsageError};
use crate::aws;
use crate::history::{LoggedMessage, Speaker};
use crate::invocation::{self, InvocationFailure, InvocationReport, Shown};
use crate::model_id::{ModelId, ModelIdError};
use crate::plugin::{
    Body, Limit, Message, Params, PluginError, ReasoningConfig, ReasoningEffort, Request, Role,
    StopReason, Subject, UserChoice, printable,
};

/// Arguments of `invoke`.
#[derive(Debug, Args)]
pub struct InvokeArgs {
    /// Model id, inference-profile id or ARN, sent to Bedrock exactly as
    /// given, or an alias from the config file's [aliases]. Without it: a
    /// continued conversation's model, else the config file's default-model.
    #[arg(short, long, value_name = "ID", env = MODEL_ENV)]
    model: Option<String>,
    /// Use this plugin (`anthropic`, `meta`, ...) instead of choosing one from
    /// the model id: when several plugins claim the id (it beats the config
    /// file's [routing]), or for ARNs that name no model.
    #[arg(long, value_name = "NAME")]
    family: Option<String>,
    /// The prompt; `-` (or nothing, with stdin not a terminal) reads it from
    /// stdin. Given with text piped on stdin, both are sent: the stdin text
    /// first (as context), a blank line, then PROMPT. (In a `while read`
    /// loop, give `</dev/null` so the loop's input is not read.)
    prompt: Option<String>,
    /// System prompt.
    #[arg(long, value_name = "TEXT")]
    system: Option<String>,
    /// Most tokens to generate.
    #[arg(long, value_name = "N")]
    max_tokens: Option<u32>,
    /// Sampling temperature.
    #[arg(long, value_name = "F")]
    temperature: Option<f32>,
    /// Nucleus sampling mass.
    #[arg(long, value_name = "F")]
    top_p: Option<f32>,
    /// Top-k sampling.
    #[arg(long, value_name = "N")]
    top_k: Option<u32>,
    /// Stop generating at this sequence (repeatable).
    #[arg(long = "stop", value_name = "SEQ")]
    stop_sequences: Vec<String>,
    /// Random seed, for models that take one.
    #[arg(long, value_name = "N")]
    seed: Option<u64>,
    /// A model-specific body field (repeatable); VALUE is JSON when it parses, else a string.
    #[arg(short = 'o', long = "option", value_name = "KEY=VALUE", value_parser = parse_option)]
    options: Vec<(String, String)>,
    /// Send the prompt exactly as given, without the model's chat template.
    #[arg(long)]
    raw: bool,
    /// Wait for the whole answer (InvokeModel) instead of streaming it.
    #[arg(long)]
    no_stream: bool,
    /// How to print the result.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    output: OutputFormat,
    /// Where to write the image an image model returns (more images are
    /// numbered FILE-2, FILE-3, ...); `-` writes it to stdout (the model's
    /// text then goes to stderr). Only a new or regular file is written,
    /// never a symlink, FIFO, device or folder; an image that cannot be
    /// written there is kept in a new file the error names. Without --out,
    /// new files in the current folder.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// The largest response accepted, in MiB: the whole body, or the whole
    /// stream. A larger one is cut off with an error (exit 7), never buffered.
    #[arg(
        long,
        value_name = "MIB",
        default_value_t = aws::DEFAULT_MAX_RESPONSE_MIB,
        value_parser = clap::value_parser!(u32).range(1..=4096)
    )]
    max_response_mib: u32,
    /// The most images an answer may hold; more is an error naming the
    /// plugin (exit 3), and no image is written.
    #[arg(long, value_name = "N", default_value_t = 10)]
    max_images: usize,
    /// Print the model's text to a terminal exactly as it came: control
    /// characters (escape sequences) included. Without it they are shown
    /// escaped (`\u{1b}`) on a terminal; piped output is always byte for byte.
    #[arg(long)]
    raw_output: bool,
    /// Attach an image or a document (repeatable), sent before the prompt:
    /// PNG, JPEG, GIF, WebP, PDF, Word, Excel and PowerPoint files are known
    /// by their bytes, UTF-8 .csv .txt .md .html by their extension. One the
    /// model cannot take, or over its size or count limit, is refused
    /// before anything is sent (exit 2).
    #[arg(short = 'a', long = "attach", value_name = "PATH")]
    attachments: Vec<PathBuf>,
    /// Tools the model may call: a JSON array of {"name", "description",
    /// "input_schema"} (Converse's {"toolSpec": ...} and OpenAI's
    /// {"type": "function", "function": ...} are read too). Each tool call
    /// is printed after the text as `tool call ID NAME INPUT` (INPUT: JSON
    /// on one line); a tool-use stop exits 0.
    #[arg(long, value_name = "FILE")]
    tools: Option<PathBuf>,
    /// Whether the model must call a tool: auto, any, none, or a tool's name.
    #[arg(long, value_name = "auto|any|none|NAME")]
    tool_choice: Option<String>,
    /// Answer a tool call of the conversation's last answer (repeatable;
    /// every call needs an answer): VALUE is JSON or text, or @FILE to read
    /// it from a file. The conversation comes from --messages, or -c/--cid.
    #[arg(long = "tool-result", value_name = "ID=VALUE", value_parser = tools::parse_tool_result)]
    tool_results: Vec<ToolAnswer>,
    /// As --tool-result, for a tool that failed: VALUE says how.
    #[arg(long = "tool-error", value_name = "ID=VALUE", value_parser = tools::parse_tool_error)]
    tool_errors: Vec<ToolAnswer>,
    /// The conversation so far, as a JSON list of messages (the form
    /// `--output json` prints an answer in, as `message`; see the README):
    /// the attachments, tool results and prompt are sent as the next user
    /// turn, and the prompt may be left out.
    #[arg(long, value_name = "FILE")]
    messages: Option<PathBuf>,
    /// Ask the model to reason before answering, this hard (each family maps
    /// it to its own setting). Reasoning is shown on stderr, apart from the
    /// answer (dimmed on a terminal), and in JSON as `reasoning`.
    #[arg(
        long,
        value_enum,
        value_name = "LEVEL",
        conflicts_with = "reasoning_budget"
    )]
    reasoning_effort: Option<Effort>,
    /// Ask the model to reason before answering, with at most N tokens.
    #[arg(long, value_name = "N")]
    reasoning_budget: Option<u32>,
    /// Place cache points on the system prompt, the attachments and the
    /// tools, for models with prompt caching; usage then counts cache reads
    /// and writes.
    #[arg(long)]
    cache: bool,
    /// Send this body (a JSON file in the model family's own format, or `-`
    /// for stdin) exactly as it is, instead of a prompt; the plugin still
    /// parses the answer.
    #[arg(long, value_name = "FILE|-", conflicts_with_all = [
        "prompt", "system", "max_tokens", "temperature", "top_p", "top_k", "stop_sequences",
        "seed", "options", "raw", "attachments", "tools", "tool_choice", "tool_results",
        "tool_errors", "messages", "reasoning_effort", "reasoning_budget", "cache", "dry_run",
    ])]
    body: Option<PathBuf>,
    /// Print the body the plugin would send (attachments included; pretty
    /// JSON on a terminal, the exact bytes otherwise) and send nothing: no
    /// credentials or region are needed.
    #[arg(long)]
    dry_run: bool,
    #[command(flatten)]
    conversation: ConversationArgs,
}

/// `--reasoning-effort` levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Effort {
    /// A little reasoning.
    Low,
    /// Some reasoning.
    Medium,
    /// As much as the family allows for an effort.
    High,
}

/// `KEY=VALUE` → (key, JSON text of the value).
pub(super) fn parse_option(text: &str) -> Result<(String, String), String> {
    let (key, value) = text
        .split_once('=')
        .ok_or_else(|| format!("`{text}` is not KEY=VALUE"))?;
    if key.is_empty() {
        return Err(format!("`{text}` has an empty key"));
    }
    let json = match serde_json::from_str::<serde_json::Value>(value) {
        Ok(parsed) => parsed.to_string(),
        Err(_) => serde_json::Value::String(value.to_owned()).to_string(),
    };
    Ok((key.to_owned(), json))
}

impl InvokeArgs {
    /// How the result is printed.
    pub fn output(&self) -> OutputFormat {
        self.output
    }
}

/// Invokes the model once and prints the answer (or writes its images).
pub async fn run(session: &Session, args: InvokeArgs) -> anyhow::Result<Exit> {
    let json = args.output == OutputFormat::Json;
    let images_to_stdout = args.out.as_deref() == Some(Path::new(images::STDOUT));
    if images_to_stdout && json {
        return Err(UsageError(
            "`--out -` writes image bytes to stdout, which `--output json` keeps for its one object: give --out a file".into(),
        )
        .into());
    }
    let mut conversation = Conversation::open(session, &args.conversation)?;
    let model_name = conversation::model_id(
        args.model.as_deref(),
        &conversation,
        session.conversation_settings(),
    )?;
    let parsed = ModelId::parse(&model_name);
    if let Err(error) = &parsed
        && !matches!(error, ModelIdError::Opaque { .. })
    {
        return Err(error.clone().into());
    }
    if let Some(out) = &args.out {
        images::check_destination(out).map_err(|error| UsageError(error.to_string()))?;
    }
    let native = match &args.body {
        Some(path) => Some(read_body(path).await?),
        None => None,
    };
    let mut parts = RequestParts::read(asked(&args))?;
    let prompt = if native.is_some() {
        None
    } else {
        read_prompt(args.prompt.as_deref(), parts.prompt_optional()).await?
    };
    let model = if args.dry_run {
        offline_model(parsed, &model_name, args.family.is_some())?
    } else {
        let settings = session.client_settings().await?;
        resolve_model(settings, parsed, &model_name, args.family.is_some()).await?
    };
    let registry = session.plugins().await?;
    let choice = UserChoice {
        family: args.family.as_deref(),
        table: Some(session.routing()),
    };
    let plugin = registry.route_with(model.base(), choice)?.plugin;
    let streaming = !args.no_stream && plugin.streams(model.base());
    parts.continue_from(conversation.earlier_messages(plugin.name())?)?;
    let logged_prompt = LoggedMessage::text(Speaker::User, prompt.clone().unwrap_or_default());
    let system = args
        .system
        .clone()
        .or_else(|| conversation.earlier_system().map(str::to_owned));
    let request = match native {
        Some(body) => Outgoing::Native(body),
        None => {
            let subject = plugin
                .capabilities(model.base())
                .map(|capabilities| Subject {
                    model: model.as_given(),
                    plugin: plugin.name(),
                    capabilities,
                });
            if let Some(subject) = &subject {
                parts.check_attachments(subject)?;
            }
            let request = Request {
                model_id: model.base().to_owned(),
                system,
                messages: parts.messages(prompt)?,
                params: Params {
                    max_tokens: args.max_tokens,
                    temperature: args.temperature,
                    top_p: args.top_p,
                    top_k: args.top_k,
                    stop_sequences: args.stop_sequences.clone(),
                    seed: args.seed,
                    extra: args.options.clone(),
                    raw: args.raw,
                },
                tool_choice: parts.tool_choice.take(),
                tools: std::mem::take(&mut parts.tools),
                reasoning: parts.reasoning,
                cache: parts.cache_points(),
                streamed: streaming,
            };
            if let Some(subject) = &subject {
                subject
                    .check_request(&request)
                    .map_err(|refusal| UsageError(refusal.to_string()))?;
            }
            Outgoing::Request(request)
        }
    };
    let mut sandbox = plugin.sandbox().await?;
    if args.dry_run {
        let Outgoing::Request(request) = &request else {
            return Err(UsageError(
                "--dry-run shows the body a plugin builds; --body gives one".into(),
            )
            .into());
        };
        let body = sandbox.build_request(request).await?;
        print_body(&body, json, &model, plugin.name())?;
        return Ok(Exit::Success);
    }
    let mut legacy = LegacyCheck::start(session, &model).await;
    let settings = session.client_settings().await?;
    let client = aws::runtime_client(settings).await?;
    let mut view = AnswerView::new(json, images_to_stdout, args.raw_output);
    if let Outgoing::Request(request) = &request {
        conversation.begin(
            model.as_given(),
            plugin,
            request.system.as_deref(),
            &logged_prompt,
            &request.params,
        );
    }

    // The text received so far: shown as it comes in text mode, and kept
    // for the JSON object if Ctrl-C ends the call.
    let mut received = String::new();
    let mut on_shown = |shown: Shown<'_>| -> io::Result<()> {
        if let Shown::Text(text) = shown {
            conversation.record_text(text);
            received.push_str(text);
        }
        view.show(shown)
    };
    let max_response_bytes = u64::from(args.max_response_mib) * 1024 * 1024;
    // Ctrl-C is watched from here on, so the partial text is kept.
    let interrupted = super::ctrl_c();
    tracing::info!(model = %model, plugin = plugin.name(), streaming, "invoking the model");
    let started = Instant::now();
    let call = async {
        match (request, streaming) {
            (Outgoing::Request(request), true) => {
                invocation::invoke_streaming(
                    &client,
                    &mut sandbox,
                    &model,
                    &request,
                    max_response_bytes,
                    &mut on_shown,
                )
                .await
            }
            (Outgoing::Request(request), false) => {
                invocation::invoke(&client, &mut sandbox, &model, &request, max_response_bytes)
                    .await
            }
            (Outgoing::Native(body), true) => {
                invocation::invoke_streaming_body(
                    &client,
                    &mut sandbox,
                    &model,
                    body,
                    max_response_bytes,
                    &mut on_shown,
                )
                .await
            }
            (Outgoing::Native(body), false) => {
                invocation::invoke_body(&client, &mut sandbox, &model, body, max_response_bytes)
                    .await
            }
        }
    };
    let outcome = tokio::select! {
        biased;
        outcome = call => Some(outcome),
        _ = interrupted => None,
    };
    let (report, mut failure) = match outcome {
        Some(Ok(report)) => (report, None),
        Some(Err(InvocationFailure { partial, error })) => {
            (partial, Some(anyhow::Error::new(error)))
        }
        None => {
            let partial = InvocationReport {
                text: received,
                latency: started.elapsed(),
                ..InvocationReport::default()
            };
            (partial, Some(anyhow::Error::new(Interrupted)))
        }
    };
    if failure.is_none() {
        failure = filtered(&report);
    }
    let stop_reason = report
        .stop
        .as_ref()
        .map(|stop| stop_reason_name(stop.reason));
    conversation.finish(logged_prompt, &report, stop_reason, failure.as_ref());
    if !streaming {
        view.show_all(&report.content).map_err(StdoutError::from)?;
    }
    view.finish().map_err(StdoutError::from)?;
    // After Ctrl-C the user wants out now: no wait for the lookup.
    if outcome_interrupted(failure.as_ref()) {
        legacy.abandon();
    } else {
        legacy.warn().await;
    }
    let stem = model.base().replace([':', '/'], "-");
    let written = if report.images.len() > args.max_images {
        failure.get_or_insert_with(|| {
            PluginError::Limit {
                plugin: plugin.name().to_owned(),
                call: "parse-response",
                limit: Limit::Images {
                    count: report.images.len(),
                    max: args.max_images,
                },
            }
            .into()
        });
        Vec::new()
    } else {
        match images::write_images(&report.images, args.out.as_deref(), &stem) {
            Ok(written) => written,
            Err(mut not_written) => {
                let written = std::mem::take(&mut not_written.written);
                failure.get_or_insert(anyhow::Error::new(not_written));
                written
            }
        }
    };
    if json {
        let mut object = report_json(&report, &model, plugin.name(), streaming, &written);
        object["conversation_id"] = json!(conversation.id());
        if let Some(error) = &failure {
            object["error"] = json!(format!("{error:#}"));
            object["exit_code"] = json!(Exit::for_error(error).code());
        }
        stdout::json(&object)?;
    } else {
        for image in &written {
            let place = if image.path == Path::new(images::STDOUT) {
                "stdout".to_owned()
            } else {
                image.path.display().to_string()
            };
            eprintln!(
                "wrote {place} ({}, {} bytes)",
                image.media_type, image.bytes
            );
        }
        if failure.is_none() && std::io::stderr().is_terminal() {
            eprintln!("{}", summary_line(&report, plugin.name()));
        }
    }
    match failure {
        None => Ok(Exit::Success),
        Some(error) => Err(error.context(format!("invoking {model}"))),
    }
}

/// What is sent: a request the plugin builds a body from, or a body given
/// as it is (`--body`).
enum Outgoing {
    Request(Request),
    Native(Body),
}

/// What the command line asks for besides the prompt.
fn asked(args: &InvokeArgs) -> Asked {
    let reasoning = match (args.reasoning_effort, args.reasoning_budget) {
        (Some(effort), _) => Some(ReasoningConfig::Effort(match effort {
            Effort::Low => ReasoningEffort::Low,
            Effort::Medium => ReasoningEffort::Medium,
            Effort::High => ReasoningEffort::High,
        })),
        (None, Some(budget)) => Some(ReasoningConfig::BudgetTokens(budget)),
        (None, None) => None,
    };
    Asked {
        attachments: args.attachments.clone(),
        tools: args.tools.clone(),
        tool_choice: args.tool_choice.clone(),
        tool_answers: args
            .tool_results
            .iter()
            .chain(&args.tool_errors)
            .cloned()
            .collect(),
        messages: args.messages.clone(),
        reasoning,
        cache: args.cache,
        system: args.system.is_some(),
    }
}

/// Whether the invocation ended because the user pressed Ctrl-C.
fn outcome_interrupted(failure: Option<&anyhow::Error>) -> bool {
    failure.is_some_and(|error| error.is::<Interrupted>())
}

/// The model for `--dry-run`, which asks AWS nothing: an ARN that names no
/// model needs `--family`, and goes to that plugin as it is.
fn offline_model(
    parsed: Result<ModelId, ModelIdError>,
    given: &str,
    family_chosen: bool,
) -> anyhow::Result<ModelId> {
    match parsed {
        Err(ModelIdError::Opaque { .. }) if family_chosen => Ok(ModelId::resolved(given, given)),
        Err(ModelIdError::Opaque { kind, .. }) => Err(UsageError(format!(
            "`{given}` is a {kind} ARN, which does not name its model, and --dry-run asks AWS nothing: pass --family NAME"
        ))
        .into()),
        parsed => Ok(parsed?),
    }
}

/// The `--body` to send: the file's bytes, or stdin's for `-`.
async fn read_body(path: &Path) -> Result<Body, UsageError> {
    let bytes = if path == Path::new("-") {
        read_stdin_bytes().await?
    } else {
        std::fs::read(path).map_err(|error| {
            UsageError(format!("cannot read the body {}: {error}", path.display()))
        })?
    };
    if bytes.is_empty() {
        return Err(UsageError("the --body is empty".into()));
    }
    Ok(Body {
        bytes,
        content_type: "application/json".into(),
        accept: "application/json".into(),
    })
}

/// Prints a built body for `--dry-run`: pretty JSON on a terminal, the
/// exact bytes otherwise; with `--output json`, in an object with its
/// media types.
fn print_body(body: &Body, json: bool, model: &ModelId, plugin: &str) -> Result<(), StdoutError> {
    let parsed = serde_json::from_slice::<serde_json::Value>(&body.bytes).ok();
    if json {
        return stdout::json(&json!({
            "model_id": model.as_given(),
            "plugin": plugin,
            "content_type": body.content_type,
            "accept": body.accept,
            "body": parsed.unwrap_or_else(|| json!(String::from_utf8_lossy(&body.bytes))),
        }));
    }
    let pretty = parsed
        .filter(|_| io::stdout().is_terminal())
        .and_then(|value| serde_json::to_string_pretty(&value).ok());
    match pretty {
        Some(text) => stdout::line(text),
        None => stdout::bytes(&body.bytes),
    }
}

/// The model id as given, with its base model: from the id itself, or for
/// an application-inference-profile or provisioned-throughput ARN, from the
/// control plane. With `--family`, an ARN that cannot be resolved is passed
/// to the chosen plugin as it is.
pub(super) async fn resolve_model(
    settings: &aws::ClientSettings,
    parsed: Result<ModelId, ModelIdError>,
    given: &str,
    family_chosen: bool,
) -> anyhow::Result<ModelId> {
    let kind = match parsed {
        Err(ModelIdError::Opaque { kind, .. }) => kind,
        parsed => return Ok(parsed?),
    };
    let client = aws::control_client(settings).await?;
    match aws::foundation_model_behind(&client, given, &kind).await {
        Ok(Some(arn)) => Ok(ModelId::resolved(given, ModelId::parse(&arn)?.base())),
        _ if family_chosen => Ok(ModelId::resolved(given, given)),
        Ok(None) => Err(UsageError(format!(
            "`{given}` is a {kind} ARN, which does not name its model; pass --family NAME to choose the plugin"
        ))
        .into()),
        Err(error) => Err(anyhow::Error::new(error)
            .context(format!("cannot find the model behind `{given}` (pass --family NAME to choose the plugin yourself)"))),
    }
}

/// The prompt: the argument; or stdin, for `-` or when no argument is
/// given and stdin is not a terminal; or, with an argument and text piped
/// on stdin, the stdin text first (as context), a blank line, then the
/// argument. When `optional` (a conversation or attachments are sent), no
/// argument and nothing on stdin means no prompt.
async fn read_prompt(argument: Option<&str>, optional: bool) -> Result<Option<String>, UsageError> {
    let prompt = match argument {
        None if optional && !stdin_is_piped() => return Ok(None),
        None if optional => {
            let text = read_stdin().await?;
            return Ok((!text.trim().is_empty()).then_some(text));
        }
        Some("-") => non_empty(read_stdin().await?),
        Some(prompt) if stdin_is_piped() => {
            let context = read_stdin().await?;
            let context = context.trim_end();
            if context.trim_start().is_empty() {
                non_empty(prompt.to_owned())
            } else {
                Ok(format!("{context}\n\n{prompt}"))
            }
        }
        Some(prompt) => non_empty(prompt.to_owned()),
        None if io::stdin().is_terminal() => Err(UsageError(
            "no prompt: give it as an argument, or pipe it on stdin (use `-` to read stdin explicitly)".into(),
        )),
        None => non_empty(read_stdin().await?),
    };
    prompt.map(Some)
}

/// All of stdin as the prompt's text.
async fn read_stdin() -> Result<String, UsageError> {
    tracing::info!("reading the prompt from stdin");
    String::from_utf8(read_stdin_bytes().await?)
        .map_err(|_| UsageError("cannot read the prompt from stdin: it is not UTF-8".into()))
}

/// All of stdin, read on a thread of its own, so Ctrl-C still ends the
/// command while a person types (the thread ends with the process).
async fn read_stdin_bytes() -> Result<Vec<u8>, UsageError> {
    let (sender, receiver) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let read = io::stdin().read_to_end(&mut bytes).map(|_| bytes);
        let _ = sender.send(read);
    });
    match receiver.await {
        Ok(Ok(bytes)) => Ok(bytes),
        Ok(Err(error)) => Err(UsageError(format!("cannot read stdin: {error}"))),
        Err(_) => Err(UsageError("cannot read stdin: the reader stopped".into())),
    }
}

/// Whether stdin is a pipe or a file someone gave us: not a terminal, and
/// not a device such as `/dev/null` or a socket, which are not read beside
/// a prompt argument.
#[cfg(unix)]
fn stdin_is_piped() -> bool {
    use std::os::fd::AsFd as _;
    use std::os::unix::fs::FileTypeExt as _;
    let stdin = io::stdin();
    if stdin.is_terminal() {
        return false;
    }
    let Ok(fd) = stdin.as_fd().try_clone_to_owned() else {
        return false;
    };
    std::fs::File::from(fd)
        .metadata()
        .is_ok_and(|metadata| metadata.file_type().is_fifo() || metadata.is_file())
}

/// Whether stdin is not a terminal.
#[cfg(not(unix))]
fn stdin_is_piped() -> bool {
    !io::stdin().is_terminal()
}

fn non_empty(prompt: String) -> Result<String, UsageError> {
    if prompt.trim().is_empty() {
        return Err(UsageError("the prompt is empty".into()));
    }
    Ok(prompt)
}

pub(super) fn stop_reason_name(reason: StopReason) -> &'static str {
    match reason {
        StopReason::EndTurn => "end_turn",
        StopReason::MaxTokens => "max_tokens",
        StopReason::StopSequence => "stop_sequence",
        StopReason::ToolUse => "tool_use",
        StopReason::ContentFiltered => "content_filtered",
        StopReason::Other => "other",
    }
}

/// An answer with nothing in it because content filtering stopped it is a
/// failure, with the model's own reason, made printable: the plugin chose it.
fn filtered(report: &InvocationReport) -> Option<anyhow::Error> {
    let stop = report.stop.as_ref()?;
    let empty = report.text.is_empty() && report.images.is_empty() && report.tool_calls.is_empty();
    (empty && stop.reason == StopReason::ContentFiltered).then(|| {
        anyhow::Error::new(ContentFiltered(
            stop.raw
                .as_deref()
                .map_or_else(|| "no reason given".into(), printable),
        ))
    })
}

/// The model returned nothing because its content filter stopped it.
#[derive(Debug, thiserror::Error)]
#[error("the model's content filter stopped the answer ({0}); rephrase the prompt")]
pub struct ContentFiltered(pub String);

fn report_json(
    report: &InvocationReport,
    model: &ModelId,
    plugin: &str,
    streamed: bool,
    written: &[WrittenImage],
) -> serde_json::Value {
    let images: Vec<_> = written
        .iter()
        .map(|image| json!({"path": image.path, "media_type": image.media_type, "bytes": image.bytes}))
        .collect();
    let tool_calls: Vec<_> = report
        .tool_calls
        .iter()
        .map(|call| json!({"id": call.id, "name": call.name, "input": message_json::json_or_string(&call.input)}))
        .collect();
    let message = Message {
        role: Role::Assistant,
        content: report.content.clone(),
    };
    json!({
        "images": images,
        "model_id": model.as_given(),
        "plugin": plugin,
        "text": report.text,
        "reasoning": (!report.reasoning.is_empty()).then_some(&report.reasoning),
        "tool_calls": tool_calls,
        "message": message_json::to_json(&message),
        "stop_reason": report.stop.as_ref().map(|s| stop_reason_name(s.reason)),
        "raw_stop_reason": report.stop.as_ref().and_then(|s| s.raw.clone()),
        "input_tokens": report.input_tokens,
        "output_tokens": report.output_tokens,
        "cache_read_tokens": report.cache_read_tokens,
        "cache_write_tokens": report.cache_write_tokens,
        "streamed": streamed,
        "time_to_first_token_ms": report.time_to_first_token.map(|d| d.as_secs_f64() * 1000.0),
        "chunks": report.chunks,
        "latency_ms": report.latency.as_secs_f64() * 1000.0,
        "request_id": report.request_id,
    })
}

/// The line a person sees on stderr after an answer: the plugin that
/// answered, the stop reason, token counts and timings.
pub(super) fn summary_line(report: &InvocationReport, plugin: &str) -> String {
    let count = |n: Option<u32>| n.map_or_else(|| "?".to_owned(), |n| n.to_string());
    let mut parts = vec![
        format!("plugin {}", printable(plugin)),
        report
            .stop
            .as_ref()
            .map_or("no stop reason", |s| stop_reason_name(s.reason))
            .to_owned(),
        format!(
            "{} in / {} out tokens",
            count(report.input_tokens),
            count(report.output_tokens)
        ),
    ];
    if let Some(ttft) = report.time_to_first_token {
        parts.push(format!("first token {} ms", ttft.as_millis()));
        parts.push(format!("{} chunks", report.chunks));
    }
    parts.push(format!("{:.2} s", report.latency.as_secs_f64()));
    format!("[{}]", parts.join(" · "))
}

#[cfg(test)]
mod tests {
    use super::parse_option;

    #[test]
    fn option_values_are_json_when_they_parse_and_strings_otherwise() {
        assert_eq!(
            parse_option("cfg_scale=10"),
            Ok(("cfg_scale".into(), "10".into()))
        );
        assert_eq!(
            parse_option("style_preset=photographic"),
            Ok(("style_preset".into(), "\"photographic\"".into()))
        );
        assert_eq!(parse_option("a=[1,2]"), Ok(("a".into(), "[1,2]".into())));
        assert!(parse_option("novalue").is_err());
        assert!(parse_option("=x").is_err());
    }
}
