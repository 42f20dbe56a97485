//! `bedrock-host logs`: the conversation log, read. `logs` lists the
//! conversations newest first; `logs show ID` shows one, turn by turn.
//!
//! Invariants: reading never writes the log (a missing log is an empty
//! list, not a new file); logged text reaches a terminal with its control
//! characters escaped, as model text does in `invoke`; with `--json` (or
//! `--output json`) stdout holds exactly one JSON object.

use std::borrow::Cow;
use std::io::IsTerminal as _;

use clap::{Args, Subcommand};
use serde_json::json;

use super::stdout::{self, outln};
use super::{Exit, OutputFormat, UsageError};
use crate::history::{
    Block, History, HistoryError, LoggedExchange, LoggedMessage, Speaker, ToolResultPart,
};
use crate::paths;
use crate::plugin::terminal_text;

/// Arguments of `logs`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct LogsArgs {
    #[command(subcommand)]
    command: Option<LogsCommand>,
    /// How many conversations to list.
    #[arg(short = 'n', long = "count", value_name = "N", default_value_t = 20)]
    count: u32,
    #[command(flatten)]
    format: FormatArgs,
}

/// The subcommands of `logs`.
#[derive(Debug, Subcommand)]
enum LogsCommand {
    /// Show one conversation: every turn, with model, plugin, usage and timings.
    Show {
        /// The conversation's id (or a prefix of it only one id has).
        id: String,
        #[command(flatten)]
        format: FormatArgs,
    },
}

/// `--output` and its short form `--json`.
#[derive(Debug, Args)]
struct FormatArgs {
    /// How to print the result.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    output: OutputFormat,
    /// Same as `--output json`.
    #[arg(long)]
    json: bool,
}

impl FormatArgs {
    fn output(&self) -> OutputFormat {
        if self.json {
            OutputFormat::Json
        } else {
            self.output
        }
    }
}

impl LogsArgs {
    /// How the result is printed.
    pub fn output(&self) -> OutputFormat {
        match &self.command {
            Some(LogsCommand::Show { format, .. }) => format.output(),
            None => self.format.output(),
        }
    }
}

/// Lists the conversations, or shows one.
pub fn run(args: LogsArgs) -> anyhow::Result<Exit> {
    let json = args.output() == OutputFormat::Json;
    let file = paths::history_file();
    let log = match &file {
        Some(file) if file.exists() => Some(History::open(file)?),
        _ => None,
    };
    match args.command {
        None => {
            let conversations = match &log {
                Some(log) => log.list(args.count)?,
                None => Vec::new(),
            };
            if json {
                stdout::json(&json!({ "conversations": conversations }))?;
                return Ok(Exit::Success);
            }
            if conversations.is_empty() {
                eprintln!("no conversation is logged yet");
            }
            for conversation in conversations {
                outln!(
                    "{}  {}  {}  {:>3} turn{}  {}",
                    conversation.id,
                    conversation.updated,
                    shown(&conversation.model_id),
                    conversation.turns,
                    if conversation.turns == 1 { " " } else { "s" },
                    shown(&conversation.title)
                );
            }
        }
        Some(LogsCommand::Show { id, .. }) => {
            let log = log.ok_or_else(|| {
                UsageError(
                    HistoryError::UnknownConversation {
                        given: id.clone(),
                        recent: Vec::new(),
                    }
                    .to_string(),
                )
            })?;
            let id = log.find_conversation(&id).map_err(|error| match error {
                HistoryError::UnknownConversation { .. } => {
                    anyhow::Error::new(UsageError(error.to_string()))
                }
                other => anyhow::Error::new(other),
            })?;
            let exchanges = log.exchanges(&id)?;
            if json {
                stdout::json(&json!({ "id": id, "exchanges": exchanges }))?;
                return Ok(Exit::Success);
            }
            outln!("conversation {id}");
            for exchange in &exchanges {
                show_exchange(exchange)?;
            }
        }
    }
    Ok(Exit::Success)
}

/// Prints one exchange for a person.
fn show_exchange(exchange: &LoggedExchange) -> Result<(), stdout::StdoutError> {
    let ending = &exchange.ending;
    outln!();
    outln!(
        "## turn {} · {} · {} · plugin {} {} · {}",
        exchange.turn,
        exchange.started,
        shown(&exchange.model_id),
        shown(&exchange.plugin),
        shown(&exchange.plugin_version),
        serde_json::to_value(exchange.status)
            .ok()
            .and_then(|status| status.as_str().map(str::to_owned))
            .unwrap_or_default()
    );
    if let Some(system) = &exchange.system {
        outln!("system: {}", shown(system));
    }
    show_message(&exchange.prompt)?;
    if let Some(answer) = &exchange.answer {
        show_message(answer)?;
    }
    let count = |n: Option<u32>| n.map_or_else(|| "?".to_owned(), |n| n.to_string());
    let mut facts = vec![format!(
        "{} in / {} out tokens",
        count(ending.input_tokens),
        count(ending.output_tokens)
    )];
    if ending.cache_read_tokens.is_some() || ending.cache_write_tokens.is_some() {
        facts.push(format!(
            "cache {} read / {} written",
            count(ending.cache_read_tokens),
            count(ending.cache_write_tokens)
        ));
    }
    if let Some(stop) = &ending.stop_reason {
        facts.push(stop.clone());
    }
    if let Some(latency) = ending.latency_ms {
        facts.push(format!("{:.2} s", latency / 1000.0));
    }
    if let Some(request_id) = &ending.request_id {
        facts.push(format!("request {}", shown(request_id)));
    }
    outln!("[{}]", facts.join(" · "));
    if let Some(error) = &ending.error {
        outln!("error: {}", shown(error));
    }
    Ok(())
}

/// Prints one message: its text, and a line for each other block.
fn show_message(message: &LoggedMessage) -> Result<(), stdout::StdoutError> {
    let who = match message.role {
        Speaker::User => "user",
        Speaker::Assistant => "assistant",
    };
    outln!("{who}:");
    for block in &message.content {
        match block {
            Block::Text { text } => outln!("{}", shown(text.trim_end())),
            Block::Image {
                name,
                media_type,
                sha256,
            }
            | Block::Document {
                name,
                media_type,
                sha256,
            } => outln!(
                "[attachment {} ({}, sha256 {})]",
                shown(name),
                shown(media_type),
                shown(sha256)
            ),
            Block::ToolCall { id, name, input } => {
                let input = input.to_string();
                outln!(
                    "[tool call {} {}: {}]",
                    shown(id),
                    shown(name),
                    shown(&input)
                );
            }
            Block::ToolResult { id, content, error } => {
                let parts: Vec<String> = content
                    .iter()
                    .map(|part| match part {
                        ToolResultPart::Text { text } => text.clone(),
                        ToolResultPart::Json { value } => value.to_string(),
                        ToolResultPart::Image { media_type, sha256 } => {
                            format!("(image {media_type}, sha256 {sha256})")
                        }
                    })
                    .collect();
                outln!(
                    "[tool result {}{}: {}]",
                    shown(id),
                    if *error { " (error)" } else { "" },
                    shown(&parts.join(" "))
                );
            }
            Block::Reasoning { text, plugin, .. } => {
                outln!("[reasoning by {}] {}", shown(plugin), shown(text));
            }
            Block::RedactedReasoning { plugin, .. } => {
                outln!("[redacted reasoning by {}]", shown(plugin));
            }
        }
    }
    Ok(())
}

/// Logged text as it may reach stdout: control characters (but newline
/// and tab) escaped on a terminal, byte for byte into a pipe.
fn shown(text: &str) -> Cow<'_, str> {
    if std::io::stdout().is_terminal() {
        terminal_text(text)
    } else {
        Cow::Borrowed(text)
    }
}
