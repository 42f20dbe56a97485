//! `bedrock-host invoke`: one prompt to one model, streamed by default.
//!
//! Invariants: streamed text reaches stdout as it arrives, flushed per
//! chunk, and is never taken back; on failure the error goes to stderr after
//! it, and the exit code says what failed. With `--output json` stdout holds
//! exactly one JSON object, on success and on failure alike. Model text
//! printed to a terminal has its control characters (but newline and tab)
//! escaped unless `--raw-output` is given; piped, it is written byte for
//! byte. An answer with more than `--max-images` images writes none.

use std::io::{self, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Args;
use serde_json::json;

use super::conversation::{self, Conversation, ConversationArgs, MODEL_ENV};
use super::images::{self, WrittenImage};
use super::session::Session;
use super::stdout::{self, StdoutError};
use super::{Exit, Interrupted, OutputFormat, UsageError};
use crate::aws;
use crate::history::{LoggedMessage, Speaker};
use crate::invocation::{self, InvocationFailure, InvocationReport, Shown};
use crate::model_id::{ModelId, ModelIdError};
use crate::plugin::{
    CachePoints, Limit, Params, PluginError, Request, StopReason, Subject, UserChoice, printable,
    terminal_text,
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
    #[command(flatten)]
    conversation: ConversationArgs,
}

/// `KEY=VALUE` → (key, JSON text of the value).
fn parse_option(text: &str) -> Result<(String, String), String> {
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
    let prompt = read_prompt(args.prompt.as_deref()).await?;
    let settings = session.client_settings().await?;
    let model = resolve_model(settings, parsed, &model_name, args.family.is_some()).await?;
    let registry = session.plugins().await?;
    let choice = UserChoice {
        family: args.family.as_deref(),
        table: Some(session.routing()),
    };
    let plugin = registry.route_with(model.base(), choice)?.plugin;
    let prompt = LoggedMessage::text(Speaker::User, prompt);
    let system = args
        .system
        .clone()
        .or_else(|| conversation.earlier_system().map(str::to_owned));
    let streaming = !args.no_stream && plugin.streams(model.base());
    let request = Request {
        model_id: model.base().to_owned(),
        system,
        messages: conversation.messages(plugin.name(), &prompt)?,
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
        tools: Vec::new(),
        tool_choice: None,
        reasoning: None,
        cache: CachePoints {
            system: false,
            tools: false,
        },
        streamed: streaming,
    };
    if let Some(capabilities) = plugin.capabilities(model.base()) {
        Subject {
            model: model.as_given(),
            plugin: plugin.name(),
            capabilities,
        }
        .check_request(&request)
        .map_err(|refusal| UsageError(refusal.to_string()))?;
    }
    let client = aws::runtime_client(settings).await?;
    let mut sandbox = plugin.sandbox().await?;
    let text_out = TextOut {
        json,
        to_stderr: images_to_stdout,
        raw: args.raw_output,
    };

    // The text received so far: printed as it comes in text mode, and
    // kept for the JSON object if Ctrl-C ends the call.
    let mut received = String::new();
    conversation.begin(
        model.as_given(),
        plugin,
        request.system.as_deref(),
        &prompt,
        &request.params,
    );
    let mut on_shown = |shown: Shown<'_>| -> io::Result<()> {
        if let Shown::Text(text) = shown {
            conversation.record_text(text);
            text_out.write(text)?;
            received.push_str(text);
        }
        Ok(())
    };
    let max_response_bytes = u64::from(args.max_response_mib) * 1024 * 1024;
    // Ctrl-C is watched from here on, so the partial text is kept.
    let interrupted = super::ctrl_c();
    tracing::info!(model = %model, plugin = plugin.name(), streaming, "invoking the model");
    let started = Instant::now();
    let call = async {
        if streaming {
            invocation::invoke_streaming(
                &client,
                &mut sandbox,
                &model,
                &request,
                max_response_bytes,
                &mut on_shown,
            )
            .await
        } else {
            invocation::invoke(&client, &mut sandbox, &model, &request, max_response_bytes).await
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
    conversation.finish(prompt, &report, stop_reason, failure.as_ref());
    if !streaming && !report.text.is_empty() {
        text_out.write(&report.text).map_err(StdoutError::from)?;
    }
    if !report.text.is_empty() && !report.text.ends_with('\n') {
        text_out.write("\n").map_err(StdoutError::from)?;
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

/// Where the model's text goes in text mode: stdout, or stderr when stdout
/// carries image bytes (`--out -`); nowhere with `--output json`, whose
/// object carries it.
#[derive(Clone, Copy)]
struct TextOut {
    json: bool,
    to_stderr: bool,
    /// `--raw-output`: control characters reach a terminal as they are.
    raw: bool,
}

impl TextOut {
    /// Writes `text` and flushes it; on a terminal, with its control
    /// characters (but newline and tab) escaped unless `raw`.
    fn write(self, text: &str) -> io::Result<()> {
        if self.json {
            return Ok(());
        }
        let (mut out, terminal): (Box<dyn Write>, bool) = if self.to_stderr {
            (Box::new(io::stderr().lock()), io::stderr().is_terminal())
        } else {
            (Box::new(io::stdout().lock()), io::stdout().is_terminal())
        };
        if terminal && !self.raw {
            out.write_all(terminal_text(text).as_bytes())?;
        } else {
            out.write_all(text.as_bytes())?;
        }
        out.flush()
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
/// argument.
async fn read_prompt(argument: Option<&str>) -> Result<String, UsageError> {
    match argument {
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
    }
}

/// All of stdin, read on a thread of its own, so Ctrl-C still ends the
/// command while a person types a prompt (the thread ends with the process).
async fn read_stdin() -> Result<String, UsageError> {
    tracing::info!("reading the prompt from stdin");
    let (sender, receiver) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let mut text = String::new();
        let read = io::stdin().read_to_string(&mut text).map(|_| text);
        let _ = sender.send(read);
    });
    match receiver.await {
        Ok(Ok(text)) => Ok(text),
        Ok(Err(error)) => Err(UsageError(format!(
            "cannot read the prompt from stdin: {error}"
        ))),
        Err(_) => Err(UsageError(
            "cannot read the prompt from stdin: the reader stopped".into(),
        )),
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
    let empty = report.text.is_empty() && report.images.is_empty();
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
    json!({
        "images": images,
        "model_id": model.as_given(),
        "plugin": plugin,
        "text": report.text,
        "stop_reason": report.stop.as_ref().map(|s| stop_reason_name(s.reason)),
        "raw_stop_reason": report.stop.as_ref().and_then(|s| s.raw.clone()),
        "input_tokens": report.input_tokens,
        "output_tokens": report.output_tokens,
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
