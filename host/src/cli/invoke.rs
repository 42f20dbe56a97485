//! `bedrock-host invoke`: one prompt to one model, streamed by default.
//!
//! Invariants: streamed text reaches stdout as it arrives, flushed per
//! chunk, and is never taken back; on failure the error goes to stderr after
//! it, and the exit code says what failed. With `--output json` stdout holds
//! exactly one JSON object, on success and on failure alike.

use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Args;
use serde_json::json;

use super::images::{self, WrittenImage};
use super::{GlobalArgs, OutputFormat, UsageError};
use crate::aws;
use crate::invocation::{self, InvocationFailure, InvocationReport};
use crate::model_id::{ModelId, ModelIdError};
use crate::plugin::{Content, Message, Params, Request, Role, StopReason, printable};

/// Arguments of `invoke`.
#[derive(Debug, Args)]
#[command(after_help = super::EXIT_CODES_HELP)]
pub struct InvokeArgs {
    /// Model id, inference-profile id or ARN, sent to Bedrock exactly as given.
    #[arg(short, long, value_name = "ID")]
    model: String,
    /// Use this plugin (`anthropic`, `meta`, ...) instead of choosing one from
    /// the model id: for ARNs that name no model and cannot be resolved.
    #[arg(long, value_name = "NAME")]
    family: Option<String>,
    /// The prompt; `-` (or nothing, with stdin not a terminal) reads it from stdin.
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
    /// numbered FILE-2, FILE-3, ...); without it, new files in the current folder.
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

pub async fn run(global: &GlobalArgs, args: InvokeArgs) -> anyhow::Result<ExitCode> {
    let parsed = ModelId::parse(&args.model);
    if let Err(error) = &parsed
        && !matches!(error, ModelIdError::Opaque { .. })
    {
        return Err(error.clone().into());
    }
    let prompt = read_prompt(args.prompt.as_deref())?;
    let (settings, _emulator) = global.connect().await?;
    let model = resolve_model(&settings, parsed, &args.model, args.family.is_some()).await?;
    let (_runtime, registry) = global.load_plugins().await?;
    let plugin = match &args.family {
        Some(name) => registry.named(name)?,
        None => registry.route(model.base())?,
    };
    let request = Request {
        model_id: model.base().to_owned(),
        system: args.system.clone(),
        messages: vec![Message {
            role: Role::User,
            content: vec![Content::Text(prompt)],
        }],
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
    };
    let client = aws::runtime_client(&settings).await?;
    let mut sandbox = plugin.sandbox().await?;
    let streaming = !args.no_stream && plugin.info().streaming;
    let json = args.output == OutputFormat::Json;

    let stdout = std::io::stdout();
    let mut printed_any = false;
    let mut print = |text: &str| -> std::io::Result<()> {
        if json {
            return Ok(());
        }
        let mut out = stdout.lock();
        out.write_all(text.as_bytes())?;
        out.flush()?;
        printed_any = true;
        Ok(())
    };
    let max_response_bytes = u64::from(args.max_response_mib) * 1024 * 1024;
    let outcome = if streaming {
        invocation::invoke_streaming(
            &client,
            &mut sandbox,
            &model,
            &request,
            max_response_bytes,
            &mut print,
        )
        .await
    } else {
        invocation::invoke(&client, &mut sandbox, &model, &request, max_response_bytes).await
    };
    let (report, mut failure) = match outcome {
        Ok(report) => (report, None),
        Err(InvocationFailure { partial, error }) => (partial, Some(anyhow::Error::new(error))),
    };
    if failure.is_none() {
        failure = filtered(&report);
    }
    let stem = model.base().replace([':', '/'], "-");
    let written = match images::write_images(&report.images, args.out.as_deref(), &stem) {
        Ok(written) => written,
        Err(error) => {
            failure.get_or_insert(error);
            Vec::new()
        }
    };
    if json {
        let mut object = report_json(&report, &model, plugin.name(), streaming, &written);
        if let Some(error) = &failure {
            object["error"] = json!(format!("{error:#}"));
        }
        println!("{object}");
    } else {
        if !streaming && !report.text.is_empty() {
            print(&report.text).context("cannot write the answer")?;
        }
        if printed_any && !report.text.ends_with('\n') {
            println!();
        }
        for image in &written {
            eprintln!(
                "wrote {} ({}, {} bytes)",
                image.path.display(),
                image.media_type,
                image.bytes
            );
        }
        if failure.is_none() && std::io::stderr().is_terminal() {
            eprintln!("{}", summary_line(&report));
        }
    }
    match failure {
        None => Ok(ExitCode::SUCCESS),
        Some(error) => Err(error.context(format!("invoking {model}"))),
    }
}

/// The model id as given, with its base model: from the id itself, or for
/// an application-inference-profile or provisioned-throughput ARN, from the
/// control plane. With `--family`, an ARN that cannot be resolved is passed
/// to the chosen plugin as it is.
async fn resolve_model(
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

/// The prompt from the argument, or stdin for `-` or when no argument is
/// given and stdin is not a terminal.
fn read_prompt(argument: Option<&str>) -> Result<String, UsageError> {
    match argument {
        Some(prompt) if prompt != "-" => return non_empty(prompt.to_owned()),
        None if std::io::stdin().is_terminal() => {
            return Err(UsageError(
                "no prompt: give it as an argument, or pipe it on stdin (use `-` to read stdin explicitly)".into(),
            ));
        }
        _ => {}
    }
    let mut prompt = String::new();
    std::io::stdin()
        .read_to_string(&mut prompt)
        .map_err(|error| UsageError(format!("cannot read the prompt from stdin: {error}")))?;
    non_empty(prompt)
}

fn non_empty(prompt: String) -> Result<String, UsageError> {
    if prompt.trim().is_empty() {
        return Err(UsageError("the prompt is empty".into()));
    }
    Ok(prompt)
}

fn stop_reason_name(reason: StopReason) -> &'static str {
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

fn summary_line(report: &InvocationReport) -> String {
    let count = |n: Option<u32>| n.map_or_else(|| "?".to_owned(), |n| n.to_string());
    let mut parts = vec![
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
