//! The command line: global options, the subcommands, and the mapping from
//! their errors to exit codes.
//!
//! Invariant: this is the edge where errors become text and exit codes;
//! below it, library code returns typed errors. Nothing here names a
//! provider: everything a model family needs comes from its plugin.

mod exit;
pub mod images;
mod invoke;
mod models;
mod plugins;
mod serve_local;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use clap::builder::RangedU64ValueParser;
use clap::parser::ValueSource;
use clap::{Args, CommandFactory as _, FromArgMatches as _, Parser, Subcommand, ValueEnum};

use crate::aws::{AssumedRole, ClientSettings, StaticCredentials};
use crate::config::{self, Config, LimitKey, LimitSettings, NamedBy};
use crate::paths;
use crate::plugin::{
    CompileCache, PluginRegistry, PluginRuntime, PluginSources, SandboxLimits, served_contracts,
};

pub use exit::{EXIT_CODES_HELP, UsageError};

/// Invoke Amazon Bedrock models through sandboxed WebAssembly adapters.
#[derive(Debug, Parser)]
#[command(name = "bedrock-host", version, after_help = EXIT_CODES_HELP)]
pub struct Cli {
    #[command(flatten)]
    global: GlobalArgs,
    #[command(subcommand)]
    command: Command,
}

const LONG_HELP: &str = "\
Examples:
  bedrock-host --local invoke -m anthropic.claude-3-5-sonnet-20240620-v1:0 'Write a haiku about rivers'
  echo 'Summarise this' | bedrock-host --region us-east-1 invoke -m us.anthropic.claude-3-5-haiku-20241022-v1:0
  bedrock-host plugins list
  bedrock-host serve-local --port 8080

Plugins are searched in --plugins-dir (only there, when given), else in
$BEDROCK_HOST_PLUGINS (a path list), the per-user data folder
(~/.local/share/bedrock-host/plugins on Linux) and this repository's
target/plugins. A folder with a plugins.lock (written by `plugins pin`) loads
only the plugins it pins, with the pinned bytes; a folder without one loads
every plugin in it.";

const EXIT_CODES_SHORT: &str = "\
Exit codes:
  0 success; 1 internal error; 2 usage error; 3 plugin error; 4 AWS rejected
  the request; 5 AWS throttled or unavailable after retries; 6 credentials or
  configuration (including the config file and plugins.lock); 7 network
  failure, timeout or a broken stream.";

/// Options every command takes.
#[derive(Debug, Args)]
struct GlobalArgs {
    /// Search only this folder for plugins (repeatable).
    #[arg(long, global = true, value_name = "DIR")]
    plugins_dir: Vec<PathBuf>,
    /// Read settings from this TOML file (see the config file section of --help).
    #[arg(long, global = true, env = config::CONFIG_ENV, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Whether `config` came from the flag or the environment, for messages.
    #[arg(skip)]
    config_named_by: Option<NamedBy>,
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
    /// The sandbox limits: the flags above over the config file over the
    /// defaults; set by `run` before any command.
    #[arg(skip)]
    limits: SandboxLimits,
    /// Log what the host does to stderr (repeat for more: -vv).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Invoke a model with a prompt; streams the answer by default.
    Invoke(invoke::InvokeArgs),
    /// List the foundation models of the region (ListFoundationModels).
    Models(models::ModelsArgs),
    /// List, pin, verify and inspect plugins.
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
/// contract versions served, and the config file's keys and defaults.
fn command() -> clap::Command {
    // clap keeps `&'static str`s without its `string` feature; these two are
    // built once per process.
    let long_version = format!(
        "{}\nserves plugins built against {}",
        env!("CARGO_PKG_VERSION"),
        served_contracts()
    );
    let long_help = format!("{LONG_HELP}\n\n{}\n{EXIT_CODES_SHORT}", config::help());
    Cli::command()
        .long_version(&*long_version.leak())
        .after_long_help(&*long_help.leak())
}

/// Parses the command line, runs the command, and returns the exit code.
pub fn main() -> ExitCode {
    let matches = command().get_matches();
    let mut cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(error) => error.exit(),
    };
    cli.global.config_named_by = match matches.value_source("config") {
        Some(ValueSource::EnvVariable) => Some(NamedBy::Environment),
        Some(_) => Some(NamedBy::Flag),
        None => None,
    };
    init_logging(cli.global.verbose);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            exit::exit_code_for(&error)
        }
    }
}

async fn run(mut cli: Cli) -> anyhow::Result<ExitCode> {
    cli.global.limits = cli.global.resolve_limits()?;
    match cli.command {
        Command::Invoke(args) => invoke::run(&cli.global, args).await,
        Command::Models(args) => models::run(&cli.global, args).await,
        Command::Plugins(command) => plugins::run(&cli.global, command).await,
        Command::ServeLocal(args) => serve_local::run(args).await,
    }
}

fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "bedrock_host=info",
        _ => "bedrock_host=debug,bedrock_emulator=debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("BEDROCK_HOST_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

impl GlobalArgs {
    /// The sandbox limits: each flag (or its environment variable) over the
    /// config file over the defaults.
    fn resolve_limits(&self) -> anyhow::Result<SandboxLimits> {
        let named = self
            .config
            .as_deref()
            .map(|path| (path, self.config_named_by.unwrap_or(NamedBy::Flag)));
        let file = Config::load(named)?;
        if let Some(path) = &file.path {
            tracing::info!(config = %path.display(), "read the config file");
        }
        let flags = LimitSettings {
            memory_mib: self.plugin_memory,
            timeout_ms: self.plugin_timeout,
            ..LimitSettings::default()
        };
        Ok(flags.over(file.plugin_limits.over(SandboxLimits::default())))
    }

    fn plugin_sources(&self) -> PluginSources {
        if self.plugins_dir.is_empty() {
            PluginSources::default_search_path()
        } else {
            PluginSources::only(self.plugins_dir.clone())
        }
    }

    /// Loads every plugin from the configured folders.
    async fn load_plugins(&self) -> anyhow::Result<(PluginRuntime, PluginRegistry)> {
        let cache =
            paths::compile_cache_dir().map_or_else(CompileCache::disabled, CompileCache::in_dir);
        let runtime = PluginRuntime::new(self.limits.clone(), cache)
            .map_err(|error| anyhow::anyhow!("{error:#}"))
            .context("cannot start the WebAssembly engine")?;
        let registry = PluginRegistry::load(&self.plugin_sources(), &runtime).await;
        Ok((runtime, registry))
    }

    /// The client settings these options describe, before `--local`.
    fn client_settings(&self) -> ClientSettings {
        ClientSettings {
            region: self.region.clone(),
            profile: self.profile.clone(),
            endpoint_url: self.endpoint_url.clone(),
            max_attempts: self.max_attempts,
            read_timeout: Duration::from_secs(self.read_timeout),
            connect_timeout: Duration::from_secs(self.connect_timeout),
            credentials: None,
            assume_role: self.assume_role.clone().map(|role_arn| AssumedRole {
                role_arn,
                session_name: self.role_session_name.clone(),
            }),
            adaptive_retries: self.retry_mode == RetryMode::Adaptive,
        }
    }

    /// Starts the local Bedrock when `--local` is given and points the client
    /// settings at it. The returned handle keeps it running.
    async fn connect(
        &self,
    ) -> anyhow::Result<(ClientSettings, Option<bedrock_emulator::RunningEmulator>)> {
        let mut settings = self.client_settings();
        if !self.local {
            return Ok((settings, None));
        }
        let address = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
        let emulator =
            bedrock_emulator::Emulator::start(bedrock_emulator::EmulatorConfig::default(), address)
                .await
                .context("cannot start the local Bedrock")?;
        settings.endpoint_url = Some(emulator.endpoint());
        settings.region = Some(emulator.region().to_owned());
        settings.credentials = Some(StaticCredentials {
            access_key_id: emulator.access_key_id().to_owned(),
            secret_access_key: emulator.secret_access_key().to_owned(),
        });
        Ok((settings, Some(emulator)))
    }
}
