//! `bedrock-host batch run IN.jsonl -m ID --output OUT.jsonl`: every record
//! of a file sent with `InvokeModel`, many at once, each answer appended to
//! the output file as it arrives.
//!
//! Invariants: a record whose id is in the output file already is never
//! sent again, and every other record of the input ends as exactly one
//! line of the output (its answer or its error), so a rerun after a crash
//! or Ctrl-C finishes the file; no more than the adaptive limit is in
//! flight, and no request starts outside the `--rpm`/`--tpm` budgets. A
//! throttled or unavailable record is sent again (up to `--max-attempts`
//! in all) after a growing pause, and throttling halves the limit. A
//! record's failure never stops the run; what no record can get past
//! (credentials, a plugin that does not load, an output file that cannot
//! be written) does. The input is refused whole, before anything is sent,
//! when it is not JSON Lines at all.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use aws_sdk_bedrockruntime::Client;
use clap::Args;
use futures_util::StreamExt as _;
use futures_util::stream::FuturesUnordered;
use serde_json::json;

use super::body::{self, BodyError};
use super::budget::Budget;
use super::controller::Concurrency;
use super::output::{self, OutputFile};
use super::progress::{Counts, Progress};
use super::record::{self, Line, Record};
use crate::aws::{self, AwsErrorClass};
use crate::cli::conversation::MODEL_ENV;
use crate::cli::invoke::resolve_model;
use crate::cli::session::Session;
use crate::cli::{Exit, OutputFormat, UsageError, stdout};
use crate::invocation::{self, InvocationError, InvocationReport};
use crate::model_id::{ModelId, ModelIdError};
use crate::plugin::{LoadedPlugin, StopReason, UserChoice};

/// The pause before a record's second attempt; it doubles with each one.
const FIRST_PAUSE: Duration = Duration::from_millis(200);
/// The longest pause between two attempts of a record.
const LONGEST_PAUSE: Duration = Duration::from_secs(20);

/// Arguments of `batch run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The records: a JSON Lines file, one record a line (see docs/batch.md).
    #[arg(value_name = "IN.jsonl")]
    input: PathBuf,
    /// Model id, inference-profile id or ARN, or an alias from the config
    /// file's [aliases]; without it, the config file's default-model.
    #[arg(short, long, value_name = "ID", env = MODEL_ENV)]
    model: Option<String>,
    /// Use this plugin instead of choosing one from the model id.
    #[arg(long, value_name = "NAME")]
    family: Option<String>,
    /// Where the answers go: one JSON object a line, appended as each
    /// record finishes. Records whose id is in it already are skipped, so
    /// running the same command again finishes an interrupted run.
    #[arg(long, value_name = "OUT.jsonl")]
    output: PathBuf,
    /// The most records in flight at once; throttling halves the number in
    /// flight, and a run of successes raises it again by one, up to this.
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=512))]
    max_concurrency: u32,
    /// Start at most N requests a minute (attempts again after throttling
    /// included).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    rpm: Option<u32>,
    /// Start no request while the answers of the last minute used N tokens
    /// or more (input and output).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    tpm: Option<u64>,
    /// The largest answer accepted for one record, in MiB.
    #[arg(
        long,
        value_name = "MIB",
        default_value_t = aws::DEFAULT_MAX_RESPONSE_MIB,
        value_parser = clap::value_parser!(u32).range(1..=4096)
    )]
    max_response_mib: u32,
    /// How to print the summary at the end: text on stderr, or one JSON
    /// object on stdout.
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = OutputFormat::Text)]
    summary: OutputFormat,
}

impl RunArgs {
    /// How the summary is printed.
    pub fn summary(&self) -> OutputFormat {
        self.summary
    }
}

/// What one attempt at a record needs.
struct Sender<'a> {
    client: Client,
    plugin: &'a LoadedPlugin,
    model: ModelId,
    max_response_bytes: u64,
    records: Vec<Record>,
}

/// Why an attempt at a record failed.
#[derive(Debug, thiserror::Error)]
enum AttemptError {
    #[error(transparent)]
    Body(#[from] BodyError),
    #[error(transparent)]
    Invocation(#[from] InvocationError),
}

/// One finished attempt.
struct Attempted {
    /// The record's index in `Sender::records`.
    index: usize,
    /// Which attempt it was, from 1.
    attempt: u32,
    /// The concurrency generation it started in.
    generation: u64,
    result: Result<InvocationReport, AttemptError>,
}

/// A record waiting for its next attempt.
struct Waiting {
    index: usize,
    attempt: u32,
    ready_at: Instant,
}

/// The records not yet started, fresh ones and ones to try again.
#[derive(Default)]
struct Queue {
    fresh: std::collections::VecDeque<usize>,
    again: Vec<Waiting>,
}

impl Queue {
    fn is_empty(&self) -> bool {
        self.fresh.is_empty() && self.again.is_empty()
    }

    /// The next record to start at `now`, and its attempt number: one
    /// whose pause is over first, else a fresh one.
    fn next(&mut self, now: Instant) -> Option<(usize, u32)> {
        let ready = self
            .again
            .iter()
            .enumerate()
            .filter(|(_, waiting)| waiting.ready_at <= now)
            .min_by_key(|(_, waiting)| waiting.ready_at)
            .map(|(position, _)| position);
        if let Some(position) = ready {
            let waiting = self.again.swap_remove(position);
            return Some((waiting.index, waiting.attempt));
        }
        self.fresh.pop_front().map(|index| (index, 1))
    }

    /// When the next waiting record's pause is over.
    fn next_ready_at(&self) -> Option<Instant> {
        self.again.iter().map(|waiting| waiting.ready_at).min()
    }
}

/// Sends every record of the input that the output does not hold yet.
pub async fn run(session: &Session, args: RunArgs) -> anyhow::Result<Exit> {
    let json_summary = args.summary == OutputFormat::Json;
    let text = std::fs::read_to_string(&args.input).map_err(|error| {
        UsageError(format!(
            "cannot read the input {}: {error}",
            args.input.display()
        ))
    })?;
    let lines = record::parse_input(&text)
        .map_err(|error| UsageError(format!("{}: {error}", args.input.display())))?;
    drop(text);
    let settings_of_config = session.conversation_settings();
    let model_name = args
        .model
        .as_deref()
        .or(settings_of_config.default_model.as_deref())
        .map(|name| settings_of_config.model_id(name).to_owned())
        .ok_or_else(|| {
            UsageError(format!(
                "no model: give -m ID, set ${MODEL_ENV}, or set default-model in the config file"
            ))
        })?;
    let parsed = ModelId::parse(&model_name);
    if let Err(error) = &parsed
        && !matches!(error, ModelIdError::Opaque { .. })
    {
        return Err(error.clone().into());
    }
    let (mut out, written) =
        OutputFile::open(&args.output).map_err(|error| UsageError(error.to_string()))?;

    let mut failed_earlier = 0u64;
    let mut skipped = 0u64;
    let mut bad = Vec::new();
    let mut records = Vec::new();
    let total = lines.len() as u64;
    for line in lines {
        if let Some(failed) = written.failed(line.id()) {
            skipped += 1;
            failed_earlier += u64::from(failed);
            continue;
        }
        match line {
            Line::Record(record) => records.push(record),
            Line::Bad(bad_record) => bad.push(bad_record),
        }
    }

    let settings = session.client_settings().await?;
    let model = resolve_model(settings, parsed, &model_name, args.family.is_some()).await?;
    let registry = session.plugins().await?;
    let choice = UserChoice {
        family: args.family.as_deref(),
        table: Some(session.routing()),
    };
    let plugin = registry.route_with(model.base(), choice)?.plugin;
    // The run retries throttling itself, so that it sees it and adapts.
    let mut single_attempt = settings.clone();
    single_attempt.max_attempts = 1;
    let client = aws::runtime_client(&single_attempt).await?;

    let to_send = (records.len() + bad.len()) as u64;
    if skipped > 0 {
        eprintln!(
            "batch: {skipped} of {total} records are in {} already; sending the other {to_send}",
            args.output.display()
        );
    }
    let mut counts = Counts::default();
    let mut progress = Progress::new(to_send);
    for bad_record in &bad {
        out.append(&output::failure(
            &bad_record.id,
            bad_record.line,
            "InvalidRecord",
            &bad_record.reason,
        ))?;
        counts.failed += 1;
    }
    let sender = Sender {
        client,
        plugin,
        model,
        max_response_bytes: u64::from(args.max_response_mib) * 1024 * 1024,
        records,
    };
    let mut concurrency = Concurrency::new(args.max_concurrency as usize);
    let mut budget = Budget::new(args.rpm, args.tpm);
    let mut queue = Queue {
        fresh: (0..sender.records.len()).collect(),
        again: Vec::new(),
    };
    let max_attempts = settings.max_attempts;
    let mut in_flight = FuturesUnordered::new();
    progress.update(&counts, concurrency.limit());
    loop {
        let mut wake_at = queue.next_ready_at();
        while in_flight.len() < concurrency.limit() {
            let now = Instant::now();
            if let Some(wait) = budget.wait(now) {
                wake_at = Some(wake_at.map_or(now + wait, |at| at.min(now + wait)));
                break;
            }
            let Some((index, attempt)) = queue.next(now) else {
                break;
            };
            budget.started(now);
            in_flight.push(send(&sender, index, attempt, concurrency.generation()));
        }
        if in_flight.is_empty() && queue.is_empty() {
            break;
        }
        let sleep_until = wake_at.unwrap_or_else(|| Instant::now() + LONGEST_PAUSE);
        let attempted = tokio::select! {
            Some(attempted) = in_flight.next() => attempted,
            () = tokio::time::sleep_until(sleep_until.into()) => continue,
        };
        let Attempted {
            index,
            attempt,
            generation,
            result,
        } = attempted;
        let record = &sender.records[index];
        let outcome = match result {
            Ok(report) => {
                concurrency.succeeded();
                let tokens = u64::from(report.input_tokens.unwrap_or(0))
                    + u64::from(report.output_tokens.unwrap_or(0));
                budget.spent(Instant::now(), tokens);
                counts.input_tokens += u64::from(report.input_tokens.unwrap_or(0));
                counts.output_tokens += u64::from(report.output_tokens.unwrap_or(0));
                if filtered_empty(&report) {
                    let reason = report
                        .stop
                        .as_ref()
                        .and_then(|stop| stop.raw.clone())
                        .unwrap_or_else(|| "no reason given".into());
                    counts.failed += 1;
                    output::failure(
                        &record.id,
                        record.line,
                        "ContentFiltered",
                        &format!("the model's content filter stopped the answer ({reason})"),
                    )
                } else {
                    counts.answered += 1;
                    output::answer(&record.id, record.line, &report)
                }
            }
            Err(error) => {
                let error = match stops_the_run(error) {
                    Ok(fatal) => {
                        return Err(fatal.context(format!(
                            "record {} (line {}): the run cannot go on",
                            record.id, record.line
                        )));
                    }
                    Err(error) => error,
                };
                if let Some(aws) = aws_error(&error)
                    && aws.class == AwsErrorClass::Unavailable
                    && attempt < max_attempts
                {
                    if aws.code.as_deref() == Some("ThrottlingException") {
                        concurrency.throttled(generation);
                    }
                    tracing::info!(
                        "record {} throttled or unavailable ({}); attempt {} of {max_attempts} follows",
                        record.id,
                        aws.code.as_deref().unwrap_or("no error name"),
                        attempt + 1
                    );
                    queue.again.push(Waiting {
                        index,
                        attempt: attempt + 1,
                        ready_at: Instant::now() + pause_before(attempt + 1, index),
                    });
                    progress.update(&counts, concurrency.limit());
                    continue;
                }
                counts.failed += 1;
                let (name, message) = describe_failure(&error);
                output::failure(&record.id, record.line, &name, &message)
            }
        };
        out.append(&outcome)?;
        progress.update(&counts, concurrency.limit());
    }
    let took = progress.finish();
    let failed = counts.failed + failed_earlier;
    let summary = json!({
        "records": total,
        "answered": counts.answered,
        "failed": counts.failed,
        "skipped": skipped,
        "failed_earlier": failed_earlier,
        "input_tokens": counts.input_tokens,
        "output_tokens": counts.output_tokens,
        "seconds": took.as_secs_f64(),
        "output": args.output,
    });
    eprintln!(
        "batch: {} answered, {} failed, {skipped} skipped (in the output already{}) of {total} records; {} in / {} out tokens in {:.1} s; answers in {}",
        counts.answered,
        counts.failed,
        if failed_earlier > 0 {
            format!(", {failed_earlier} of them failed")
        } else {
            String::new()
        },
        counts.input_tokens,
        counts.output_tokens,
        took.as_secs_f64(),
        args.output.display()
    );
    let exit = if failed > 0 {
        Exit::RecordsFailed
    } else {
        Exit::Success
    };
    if json_summary {
        let mut summary = summary;
        summary["exit_code"] = json!(exit.code());
        stdout::json(&summary)?;
    }
    Ok(exit)
}

/// One attempt at record `index`: its body built in a fresh sandbox, sent
/// once, the answer parsed in that sandbox.
async fn send(sender: &Sender<'_>, index: usize, attempt: u32, generation: u64) -> Attempted {
    let result = async {
        let (mut sandbox, body) =
            body::build(sender.plugin, &sender.model, &sender.records[index]).await?;
        invocation::invoke_body(
            &sender.client,
            &mut sandbox,
            &sender.model,
            body,
            sender.max_response_bytes,
        )
        .await
        .map_err(|failure| AttemptError::Invocation(failure.error))
    }
    .await;
    Attempted {
        index,
        attempt,
        generation,
        result,
    }
}

/// The pause before attempt `attempt` (from 2) of record `index`: doubling
/// from `FIRST_PAUSE` up to `LONGEST_PAUSE`, spread by the record's index
/// so that records throttled together are not sent again together (up to
/// half as long again, never past `LONGEST_PAUSE`).
fn pause_before(attempt: u32, index: usize) -> Duration {
    let doubled = FIRST_PAUSE.saturating_mul(1 << attempt.saturating_sub(2).min(16));
    let spread = (index % 8) as u32;
    (doubled + doubled * spread / 16).min(LONGEST_PAUSE)
}

/// The AWS error behind a failed attempt, if AWS answered.
fn aws_error(error: &AttemptError) -> Option<&aws::AwsError> {
    match error {
        AttemptError::Invocation(InvocationError::Aws(aws)) => Some(aws),
        _ => None,
    }
}

/// A failure no record can get past (the plugin does not load, or the
/// credentials or settings are wrong) as the run's error; any other back.
fn stops_the_run(error: AttemptError) -> Result<anyhow::Error, AttemptError> {
    match error {
        AttemptError::Body(BodyError::Sandbox(plugin)) => Ok(plugin.into()),
        AttemptError::Invocation(InvocationError::Aws(aws))
            if aws.class == AwsErrorClass::Configuration =>
        {
            Ok(aws.into())
        }
        other => Err(other),
    }
}

/// The error name and message a failed record is written with.
fn describe_failure(error: &AttemptError) -> (String, String) {
    match error {
        AttemptError::Body(BodyError::Unsupported(why)) => {
            ("UnsupportedRequest".into(), why.clone())
        }
        AttemptError::Body(BodyError::Plugin(plugin))
        | AttemptError::Invocation(InvocationError::Plugin(plugin)) => {
            ("PluginError".into(), plugin.to_string())
        }
        AttemptError::Body(BodyError::Sandbox(plugin)) => {
            ("PluginError".into(), plugin.to_string())
        }
        AttemptError::Invocation(InvocationError::Aws(aws)) => {
            let name = aws.code.clone().unwrap_or_else(|| {
                match aws.class {
                    AwsErrorClass::Rejected => "RequestRejected",
                    AwsErrorClass::Unavailable => "ServiceUnavailable",
                    AwsErrorClass::Configuration => "ConfigurationError",
                    AwsErrorClass::Transport => "NetworkError",
                }
                .to_owned()
            });
            (name, aws.message.clone())
        }
        AttemptError::Invocation(InvocationError::Output(io)) => {
            ("OutputError".into(), io.to_string())
        }
    }
}

/// An answer with nothing in it because content filtering stopped it.
fn filtered_empty(report: &InvocationReport) -> bool {
    report
        .stop
        .as_ref()
        .is_some_and(|stop| stop.reason == StopReason::ContentFiltered)
        && report.text.is_empty()
        && report.tool_calls.is_empty()
        && report.images.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pauses_grow_up_to_the_longest_and_are_spread_across_records() {
        let first = pause_before(2, 0);
        assert!(first >= FIRST_PAUSE && first < FIRST_PAUSE * 2, "{first:?}");
        assert!(pause_before(3, 0) > first);
        assert!(pause_before(40, 7) <= LONGEST_PAUSE);
        assert_ne!(pause_before(2, 0), pause_before(2, 5));
    }

    #[test]
    fn a_pause_that_is_over_goes_before_a_fresh_record() {
        let now = Instant::now();
        let mut queue = Queue {
            fresh: [0, 1].into_iter().collect(),
            again: vec![
                Waiting {
                    index: 5,
                    attempt: 2,
                    ready_at: now + Duration::from_secs(5),
                },
                Waiting {
                    index: 4,
                    attempt: 3,
                    ready_at: now,
                },
            ],
        };
        assert_eq!(queue.next(now), Some((4, 3)));
        assert_eq!(queue.next(now), Some((0, 1)));
        assert_eq!(queue.next_ready_at(), Some(now + Duration::from_secs(5)));
        assert_eq!(queue.next(now), Some((1, 1)));
        assert_eq!(queue.next(now), None);
        assert!(!queue.is_empty());
        assert_eq!(queue.next(now + Duration::from_secs(5)), Some((5, 2)));
        assert!(queue.is_empty());
    }
}
