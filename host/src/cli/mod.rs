//! The command line: global options, the subcommands, and the edge where
//! their errors become text and exit codes.
//!
//! Invariants: the command line is parsed, then one `Session` is resolved
//! from it, then the command runs with that session; below this, library
//! code returns typed errors. Every failure ends with one line on stderr and
//! its `Exit` code, and with `--output json` stdout holds exactly one JSON
//! object whatever happened (clap's refusals and Ctrl-C included). Nothing
//! here names a provider: everything a model family needs comes from its
//! plugin.

mod answer_view;
mod attachments;
mod batch;
mod chat;
mod conversation;
mod embed;
mod exit;
pub mod images;
mod invoke;
mod legacy_warning;
mod logs;
mod message_json;
mod models;
mod plugins;
mod plugins_install;
mod plugins_new;
mod request_parts;
mod rerank;
mod serve_local;
mod session;
mod stdout;
mod tools;
mod turn;

use std::ffi::OsString;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::builder::RangedU64ValueParser;
use clap::error::ErrorKind;
use clap::parser::ValueSource;
use clap::{Args, CommandFactory as _, FromArgMatches as _, Parser, Subcommand, ValueEnum};
use serde_json::json;

use crate::config::{self, LimitKey, NamedBy};
use crate::plugin::served_contracts;

pub use exit::{Exit, Interrupted, UsageError};
use session::Session;

/// Invoke Amazon Bedrock models through sandboxed WebAssembly adapters.
#[derive(Debug, Parser)]
#[command(name = "bedrock-host", version)]
pub struct Cli {
    #[command(flatten)]
    global: GlobalArgs,
    #[command(subcommand)]
    command: Command,
}

const LONG_HELP: &str = "\
Examples:
  bedrock-host --local invoke -m us.anthropic.claude-sonnet-4-5-20250929-v1:0 'Write a haiku about rivers'
  echo 'Summarise this' | bedrock-host --region us-east-1 invoke -m us.anthropic.claude-haiku-4-5-20251001-v1:0
  bedrock-host invoke -c 'And in French?'      (continues the last conversation)
  bedrock-host chat -m us.anthropic.claude-haiku-4-5-20251001-v1:0
  bedrock-host embed -m amazon.titan-embed-text-v2:0 'Hello world'
  bedrock-host rerank -m cohere.rerank-v3-5:0 --query 'capital of the USA' 'Paris' 'Washington, D.C.'
  bedrock-host logs
  bedrock-host plugins list
  bedrock-host serve-local --port 8080

Plugins are searched in --plugins-dir (only there, when given), else in
$BEDROCK_HOST_PLUGINS (a path list), the per-user data folder
(~/.local/share/bedrock-host/plugins on Linux) and, in a debug build only,
this repository's target/plugins (a release build never searches the folder
it was built in). A folder with a plugins.lock (written by `plugins pin`)
loads only the plugins it pins, with the pinned bytes; a folder without one
loads every plugin in it. Files that share a plugin name are all refused.

A model id goes to the one plugin whose patterns match it. When several
match, --family NAME or the config file's [routing] table (written by
`plugins route PATTERN PLUGIN`) decides; otherwise the request is refused,
naming every candidate. -v logs which plugin serves and why.";

/// Options every command takes.
#[derive(Debug, Args)]
struct GlobalArgs {
    /// Search only this folder for plugins (repeatable).
    #[arg(long, global = true, value_name = "DIR")]
    plugins_dir: Vec<PathBuf>,
    /// Read settings from this TOML file (see the config file section of --help).
    #[arg(long, global = true, env = config::CONFIG_ENV, value_name = "FILE")]
    config: Option<PathBuf>,
    /// AWS region (else AWS_REGION, AWS_DEFAULT_REGION, or the profile's region).
    #[arg(long, global = true)]
    region: Option<String>,
    /// Named profile from ~/.aws/config (else AWS_PROFILE, else `default`).
    #[arg(long, global = true)]
    profile: Option<String>,
    /// Send requests to this endpoint instead of AWS's (any Bedrock-compatible server).
    #[arg(long, global = true, value_name = "URL")]
    endpoint_url: Option<String>,
    /// Assume this IAM role (through STS) before calling Bedrock.
    #[arg(
        long,
        global = true,
        env = "BEDROCK_ASSUME_ROLE",
        value_name = "ROLE_ARN"
    )]
    assume_role: Option<String>,
    /// The session name for --assume-role.
    #[arg(
        long,
        global = true,
        default_value = "bedrock-host",
        value_name = "NAME"
    )]
    role_session_name: String,
    /// How to retry throttled and failed requests.
    #[arg(long, global = true, value_enum, default_value_t = RetryMode::Standard)]
    retry_mode: RetryMode,
    /// Attempts per request, the first included.
    #[arg(long, global = true, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=100))]
    max_attempts: u32,
    /// Seconds to wait for response bytes before giving up.
    #[arg(long, global = true, default_value_t = 300, value_name = "SECONDS")]
    read_timeout: u64,
    /// Seconds to wait for a connection.
    #[arg(long, global = true, default_value_t = 10, value_name = "SECONDS")]
    connect_timeout: u64,
    /// Run against a local Bedrock started in this process, with its own credentials.
    #[arg(long, global = true, conflicts_with_all = ["endpoint_url", "profile"])]
    local: bool,
    /// Largest linear memory one plugin instance may use, in MiB [default: 64,
    /// or the config file's plugin-limits.memory-mib].
    #[arg(long, global = true, env = "BEDROCK_HOST_PLUGIN_MEMORY", value_name = "MIB", value_parser = limit_parser(&config::MEMORY_MIB))]
    plugin_memory: Option<u64>,
    /// Wall-clock time one plugin call may take, in milliseconds [default: 1000,
    /// or the config file's plugin-limits.timeout-ms].
    #[arg(long, global = true, env = "BEDROCK_HOST_PLUGIN_TIMEOUT", value_name = "MS", value_parser = limit_parser(&config::TIMEOUT_MS))]
    plugin_timeout: Option<u64>,
    /// Log what the host does to stderr (repeat for more: -vv).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Invoke a model with a prompt; streams the answer by default.
    Invoke(Box<invoke::InvokeArgs>),
    /// Many prompts from a JSON Lines file, many at once (`batch run`).
    #[command(subcommand)]
    Batch(batch::BatchCommand),
    /// Chat with a model: a prompt with line editing and history, each
    /// answer streamed, every turn logged as one conversation.
    Chat(chat::ChatArgs),
    /// Turn texts or images into vectors with an embedding model.
    Embed(embed::EmbedArgs),
    /// Order documents by relevance to a query with a rerank model.
    Rerank(rerank::RerankArgs),
    /// List the logged conversations (newest first), or show one.
    Logs(logs::LogsArgs),
    /// List the foundation models of the region (ListFoundationModels): each one's lifecycle
    /// status (ACTIVE or LEGACY, with its dates) and the plugin that serves it.
    Models(models::ModelsArgs),
    /// List, install, update, sign, pin, verify and inspect plugins, and start a new one.
    #[command(subcommand)]
    Plugins(plugins::PluginsCommand),
    /// Run the local Bedrock on loopback until interrupted.
    ServeLocal(serve_local::ServeLocalArgs),
}

/// The SDK's retry modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum RetryMode {
    /// Exponential backoff with jitter (the notebook's setting).
    Standard,
    /// Standard, plus client-side rate limiting when throttled.
    Adaptive,
}

/// How a command prints its result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Text for people.
    Text,
    /// One JSON object, for scripts.
    Json,
}

/// The parser for a limit flag: the range the config file accepts too.
fn limit_parser(key: &LimitKey) -> RangedU64ValueParser {
    RangedU64ValueParser::new().range(key.range.clone())
}

/// The command-line definition, with the help that is built at run time: the
/// contract versions served, the config file's keys and defaults, and the
/// exit codes.
fn command() -> clap::Command {
    // clap keeps `&'static str`s without its `string` feature; these are
    // built once per process.
    let long_version = format!(
        "{}\nserves plugins built against {}",
        env!("CARGO_PKG_VERSION"),
        served_contracts()
    );
    let exit_codes: &'static str = exit::help().leak();
    let long_help = format!("{LONG_HELP}\n\n{}\n{exit_codes}", config::help());
    Cli::command()
        .long_version(&*long_version.leak())
        .after_help(exit_codes)
        .after_long_help(&*long_help.leak())
        .mut_subcommand("invoke", |invoke| invoke.after_help(exit_codes))
        .mut_subcommand("batch", |batch| {
            batch.mut_subcommand("run", |run| run.after_help(exit_codes))
        })
}

impl Command {
    /// How the command prints its result.
    fn output(&self) -> OutputFormat {
        match self {
            Command::Invoke(args) => args.output(),
            Command::Batch(command) => command.output(),
            Command::Chat(_) => OutputFormat::Text,
            Command::Embed(args) => args.output(),
            Command::Rerank(args) => args.output(),
            Command::Logs(args) => args.output(),
            Command::Models(args) => args.output(),
            Command::Plugins(command) => command.output(),
            Command::ServeLocal(_) => OutputFormat::Text,
        }
    }
}

/// Parses the command line, resolves the session, runs the command, and
/// returns the exit code.
pub fn main() -> ExitCode {
    let json_asked = asks_for_json(std::env::args_os());
    let parsed = command()
        .try_get_matches()
        .and_then(|matches| Ok((Cli::from_arg_matches(&matches)?, matches)));
    let (cli, matches) = match parsed {
        Ok(parsed) => parsed,
        Err(error) => return refuse_command_line(&error, json_asked),
    };
    let config_named_by = match matches.value_source("config") {
        Some(ValueSource::EnvVariable) => NamedBy::Environment,
        _ => NamedBy::Flag,
    };
    let json = cli.command.output() == OutputFormat::Json;
    init_logging(cli.global.verbose);
    let result = match runtime_for(&cli.command) {
        Ok(runtime) => runtime.block_on(run(cli, config_named_by)),
        Err(error) => Err(anyhow::Error::new(error).context("cannot start the async runtime")),
    };
    finish(result, json)
}

/// The async runtime `command` runs on. A command that serves one person
/// (one invocation, one chat, a listing) runs on this thread alone: a
/// stream's bytes are then read, decoded and shown by the thread that
/// received them, instead of being handed between worker threads (a futex
/// wake and an eventfd write per chunk). `serve-local` serves many clients
/// at once and keeps a worker thread per core.
fn runtime_for(command: &Command) -> std::io::Result<tokio::runtime::Runtime> {
    let mut builder = match command {
        Command::ServeLocal(_) => tokio::runtime::Builder::new_multi_thread(),
        _ => tokio::runtime::Builder::new_current_thread(),
    };
    builder.enable_all().build()
}

/// Resolves the session and runs the command; Ctrl-C ends any command but
/// `serve-local` (which stops its server) and `chat` (which stops the answer
/// under way) with `Interrupted`.
async fn run(cli: Cli, config_named_by: NamedBy) -> anyhow::Result<Exit> {
    // `plugins route` creates the config file it is told to write.
    let creates_config = matches!(
        cli.command,
        Command::Plugins(plugins::PluginsCommand::Route(_))
    );
    let handles_ctrl_c = matches!(cli.command, Command::ServeLocal(_) | Command::Chat(_));
    let interrupted = (!handles_ctrl_c).then(ctrl_c);
    let session = Session::resolve(cli.global, config_named_by, creates_config)?;
    let running = run_command(&session, cli.command);
    let Some(interrupted) = interrupted else {
        return running.await;
    };
    tokio::select! {
        biased;
        result = running => result,
        interrupted = interrupted => Err(interrupted.into()),
    }
}

async fn run_command(session: &Session, command: Command) -> anyhow::Result<Exit> {
    match command {
        Command::Invoke(args) => invoke::run(session, *args).await,
        Command::Batch(command) => batch::run(session, command).await,
        Command::Chat(args) => chat::run(session, args).await,
        Command::Embed(args) => embed::run(session, args).await,
        Command::Rerank(args) => rerank::run(session, args).await,
        Command::Logs(args) => logs::run(args),
        Command::Models(args) => models::run(session, args).await,
        Command::Plugins(command) => plugins::run(session, command).await,
        Command::ServeLocal(args) => serve_local::run(args).await,
    }
}

/// Resolves when the user presses Ctrl-C (SIGINT) after this call: the
/// signal is watched from the call on, not from the first poll, so a
/// caller that announces what it does next has its handling in place.
/// Never resolves if the signal cannot be watched.
#[cfg(unix)]
fn ctrl_c() -> impl Future<Output = Interrupted> {
    use tokio::signal::unix::{SignalKind, signal};
    let watched = signal(SignalKind::interrupt());
    async move {
        if let Ok(mut interrupts) = watched
            && interrupts.recv().await.is_some()
        {
            return Interrupted;
        }
        std::future::pending().await
    }
}

/// Resolves when the user presses Ctrl-C; never, if it cannot be watched.
#[cfg(not(unix))]
fn ctrl_c() -> impl Future<Output = Interrupted> {
    async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
        Interrupted
    }
}

/// The exit code for how the command ended; an error is printed on
/// stderr, and with `--output json` also as the JSON object on stdout
/// unless the command printed its own. A closed stdout ends quietly.
fn finish(result: anyhow::Result<Exit>, json: bool) -> ExitCode {
    let error = match result {
        Ok(exit) => return exit.into(),
        Err(error) => error,
    };
    let exit = Exit::for_error(&error);
    if exit == Exit::StdoutClosed {
        return exit.into();
    }
    let message = format!("{error:#}");
    let _ = writeln!(std::io::stderr(), "error: {message}");
    if json && !stdout::json_written() {
        let _ = stdout::json(&json!({"error": message, "exit_code": exit.code()}));
    }
    exit.into()
}

/// Prints clap's refusal (or the help or version it was asked for) and
/// returns its exit code; with `--output json` on the command line, the
/// refusal is also one JSON object on stdout.
fn refuse_command_line(error: &clap::Error, json_asked: bool) -> ExitCode {
    let informational = matches!(
        error.kind(),
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion
    );
    if informational {
        return match error.print() {
            Ok(()) => Exit::Success.into(),
            Err(_) => Exit::StdoutClosed.into(),
        };
    }
    let _ = error.print();
    if json_asked {
        let rendered = error.render().to_string();
        let message = first_line(&rendered);
        let _ = stdout::json(&json!({"error": message, "exit_code": Exit::Usage.code()}));
    }
    Exit::Usage.into()
}

fn first_line(text: &str) -> &str {
    text.lines()
        .next()
        .unwrap_or_default()
        .trim_start_matches("error: ")
}

/// Whether the raw command line has `--output json` (or `--output=json`),
/// for errors found before it could be parsed.
fn asks_for_json(args: impl Iterator<Item = OsString>) -> bool {
    let args: Vec<OsString> = args.collect();
    args.iter().enumerate().any(|(index, arg)| {
        arg == "--output=json"
            || (arg == "--output" && args.get(index + 1).is_some_and(|next| next == "json"))
    })
}

fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "bedrock_host=warn,bedrock_emulator=warn",
        1 => "bedrock_host=info",
        _ => "bedrock_host=debug,bedrock_emulator=debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("BEDROCK_HOST_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> impl Iterator<Item = OsString> {
        line.split(' ')
            .map(OsString::from)
            .collect::<Vec<_>>()
            .into_iter()
    }

    #[test]
    fn json_is_asked_for_by_either_spelling_of_the_flag() {
        assert!(asks_for_json(args(
            "bedrock-host invoke --output json -m x"
        )));
        assert!(asks_for_json(args("bedrock-host models --output=json")));
        assert!(!asks_for_json(args(
            "bedrock-host invoke --output text json"
        )));
        assert!(!asks_for_json(args("bedrock-host invoke --output")));
    }
}
