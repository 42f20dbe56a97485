//! What `invoke` and `chat` do with the conversation log: the
//! `-c/--continue`, `--cid` and `--no-log` flags, which model and system
//! prompt a continued conversation keeps, the earlier turns sent again, and
//! the recording of each exchange as it happens.
//!
//! Invariants: a continued conversation's earlier turns come first in the
//! request, in order, each turn as logged (reasoning made by another plugin
//! dropped). The user's turn is logged before the model is called and each
//! piece of streamed text before it is shown, so what a person saw is in the
//! log even if the process dies. The log never stops an answer: when it
//! cannot be opened or written (and no conversation is being continued), a
//! warning is printed once and the exchange goes on unlogged.

use clap::Args;
use serde_json::json;

use super::session::{ConversationSettings, Session};
use super::{Interrupted, UsageError};
use crate::history::{
    Block, Ending, History, HistoryError, LoggedMessage, NewExchange, Speaker, Status,
    ToolResultPart as LoggedPart,
};
use crate::invocation::InvocationReport;
use crate::paths;
use crate::plugin::{
    Content, Document, Image, LoadedPlugin, Message, Params, Reasoning, Role, ToolCall, ToolResult,
    ToolResultPart,
};

/// The environment variable that names the model when `-m` is not given.
pub const MODEL_ENV: &str = "BEDROCK_HOST_MODEL";

/// The conversation flags of `invoke` and `chat`.
#[derive(Debug, Args)]
pub struct ConversationArgs {
    /// Continue the last conversation: its earlier turns are sent first, on
    /// its last model unless -m is given (any model: the log is
    /// provider-neutral; reasoning blocks signed by another plugin are
    /// dropped when it continues on a different plugin).
    #[arg(short = 'c', long = "continue", conflicts_with = "cid")]
    continue_last: bool,
    /// Continue the conversation with this id (or a prefix of it only one
    /// id has; `bedrock-host logs` lists them), as -c does.
    #[arg(long, value_name = "ID")]
    cid: Option<String>,
    /// Do not log this exchange (the config file's `[history] enabled =
    /// false` turns logging off everywhere). The log is at
    /// $BEDROCK_HOST_HISTORY, else ~/.local/share/bedrock-host/history/history.db.
    #[arg(long)]
    no_log: bool,
}

impl ConversationArgs {
    /// Whether `--no-log` was given.
    pub fn no_log(&self) -> bool {
        self.no_log
    }
}

/// The model and system prompt a command uses: `-m` (or
/// `$BEDROCK_HOST_MODEL`) beats the continued conversation's model, which
/// beats the config file's `default-model`; an alias is then replaced by its
/// model id.
pub fn model_id(
    given: Option<&str>,
    conversation: &Conversation,
    settings: &ConversationSettings,
) -> Result<String, UsageError> {
    let name = given
        .or(conversation.earlier_model.as_deref())
        .or(settings.default_model.as_deref())
        .ok_or_else(|| {
            UsageError(format!(
                "no model: give -m ID, set ${MODEL_ENV}, or set default-model in the config file"
            ))
        })?;
    Ok(settings.model_id(name).to_owned())
}

/// One conversation of the log, as a command continues or starts it.
pub struct Conversation {
    /// The open log; `None` when nothing is read or written.
    log: Option<History>,
    /// Whether exchanges are written.
    writes: bool,
    /// The conversation's id.
    id: String,
    /// Its earlier turns, oldest first.
    earlier: Vec<LoggedMessage>,
    /// The model of its last exchange.
    earlier_model: Option<String>,
    /// The system prompt of its last exchange.
    earlier_system: Option<String>,
    /// The exchange being recorded.
    exchange: Option<i64>,
    /// The plugin of the exchange being recorded, whose reasoning it keeps.
    plugin: String,
}

impl Conversation {
    /// Opens the log as the flags and the config file say: continuing a
    /// conversation (which must exist: an unknown id is a usage error that
    /// lists ids to try) or starting a new one.
    pub fn open(session: &Session, args: &ConversationArgs) -> anyhow::Result<Self> {
        let writes = !args.no_log && !session.conversation_settings().history_disabled;
        let continues = args.continue_last || args.cid.is_some();
        let mut conversation = Self {
            log: None,
            writes,
            id: History::new_conversation_id(),
            earlier: Vec::new(),
            earlier_model: None,
            earlier_system: None,
            exchange: None,
            plugin: String::new(),
        };
        if !writes && !continues {
            return Ok(conversation);
        }
        let opened = paths::history_file()
            .ok_or_else(|| {
                anyhow::anyhow!("there is no home folder to keep the conversation log in")
            })
            .and_then(|file| History::open(&file).map_err(anyhow::Error::new));
        let log = match opened {
            Ok(log) => log,
            Err(error) if !continues => {
                warn_unlogged(&error);
                return Ok(conversation);
            }
            Err(error) => return Err(error.context("cannot continue the conversation")),
        };
        if continues {
            let found = match &args.cid {
                Some(given) => log.find_conversation(given),
                None => log.last_conversation(),
            };
            conversation.id = found.map_err(|error| match error {
                HistoryError::UnknownConversation { .. } | HistoryError::NothingToContinue => {
                    anyhow::Error::new(UsageError(error.to_string()))
                }
                other => anyhow::Error::new(other),
            })?;
            conversation.earlier = log.messages(&conversation.id)?;
            if let Some((model, system)) = log.last_settings(&conversation.id)? {
                conversation.earlier_model = Some(model);
                conversation.earlier_system = system;
            }
        }
        conversation.log = Some(log);
        Ok(conversation)
    }

    /// The conversation's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The system prompt a continued conversation had last.
    pub fn earlier_system(&self) -> Option<&str> {
        self.earlier_system.as_deref()
    }

    /// The request's messages on `plugin`: the earlier turns, then `prompt`.
    /// Reasoning made by another plugin is dropped; an attachment is sent
    /// with the bytes the log kept.
    pub fn messages(
        &self,
        plugin: &str,
        prompt: &LoggedMessage,
    ) -> Result<Vec<Message>, HistoryError> {
        self.earlier
            .iter()
            .chain(std::iter::once(prompt))
            .map(|message| self.to_request_message(&message.for_plugin(plugin)))
            .collect()
    }

    /// The bytes the log kept under `sha256` (none when logging is off).
    fn blob(&self, sha256: &str) -> Result<Vec<u8>, HistoryError> {
        Ok(match &self.log {
            Some(log) => log.blob(sha256)?.unwrap_or_default(),
            None => Vec::new(),
        })
    }

    /// The earlier turns alone, on `plugin` (as `messages` sends them), for
    /// a turn that adds more than a prompt to them.
    pub fn earlier_messages(&self, plugin: &str) -> Result<Vec<Message>, HistoryError> {
        self.earlier
            .iter()
            .map(|message| self.to_request_message(&message.for_plugin(plugin)))
            .collect()
    }

    fn to_request_message(&self, message: &LoggedMessage) -> Result<Message, HistoryError> {
        let mut content = Vec::with_capacity(message.content.len());
        for block in &message.content {
            content.push(match block {
                Block::Text { text } => Content::Text(text.clone()),
                Block::Image {
                    media_type, sha256, ..
                } => Content::Image(Image {
                    media_type: media_type.clone(),
                    data: self.blob(sha256)?,
                }),
                Block::Document {
                    name,
                    media_type,
                    sha256,
                } => Content::Document(Document {
                    name: name.clone(),
                    media_type: media_type.clone(),
                    data: self.blob(sha256)?,
                }),
                Block::ToolCall { id, name, input } => Content::ToolCall(ToolCall {
                    id: id.clone(),
                    name: name.clone(),
                    input: input.to_string(),
                }),
                Block::ToolResult { id, content, error } => {
                    let mut parts = Vec::with_capacity(content.len());
                    for part in content {
                        parts.push(match part {
                            LoggedPart::Text { text } => ToolResultPart::Text(text.clone()),
                            LoggedPart::Json { value } => ToolResultPart::Json(value.to_string()),
                            LoggedPart::Image { media_type, sha256 } => {
                                ToolResultPart::Image(Image {
                                    media_type: media_type.clone(),
                                    data: self.blob(sha256)?,
                                })
                            }
                        });
                    }
                    Content::ToolResult(ToolResult {
                        call_id: id.clone(),
                        content: parts,
                        is_error: *error,
                    })
                }
                Block::Reasoning {
                    text, signature, ..
                } => Content::Reasoning(Reasoning {
                    text: text.clone(),
                    signature: signature.clone(),
                }),
                Block::RedactedReasoning { data, .. } => Content::RedactedReasoning(data.clone()),
            });
        }
        Ok(Message {
            role: match message.role {
                Speaker::User => Role::User,
                Speaker::Assistant => Role::Assistant,
            },
            content,
        })
    }

    /// The model's answer as a logged message, in the order the model gave
    /// it (text, reasoning kept for this exchange's plugin, tool calls);
    /// `None` when it said nothing.
    fn answer(&self, report: &InvocationReport) -> Option<LoggedMessage> {
        let content: Vec<Block> = report
            .content
            .iter()
            .filter_map(|part| {
                Some(match part {
                    Content::Text(text) => Block::Text { text: text.clone() },
                    Content::Reasoning(reasoning) => Block::Reasoning {
                        text: reasoning.text.clone(),
                        signature: reasoning.signature.clone(),
                        plugin: self.plugin.clone(),
                    },
                    Content::RedactedReasoning(data) => Block::RedactedReasoning {
                        data: data.clone(),
                        plugin: self.plugin.clone(),
                    },
                    Content::ToolCall(call) => Block::ToolCall {
                        id: call.id.clone(),
                        name: call.name.clone(),
                        input: serde_json::from_str(&call.input)
                            .unwrap_or_else(|_| serde_json::Value::String(call.input.clone())),
                    },
                    _ => return None,
                })
            })
            .collect();
        (!content.is_empty()).then_some(LoggedMessage {
            role: Speaker::Assistant,
            content,
        })
    }

    /// Logs the user's turn before the model is called.
    pub fn begin(
        &mut self,
        model_id: &str,
        plugin: &LoadedPlugin,
        system: Option<&str>,
        prompt: &LoggedMessage,
        params: &Params,
    ) {
        self.plugin = plugin.name().to_owned();
        if !self.writes {
            return;
        }
        let Some(log) = self.log.as_mut() else {
            return;
        };
        let exchange = NewExchange {
            conversation_id: &self.id,
            model_id,
            plugin: plugin.name(),
            plugin_version: &plugin.info().version,
            system,
            prompt,
            params: params_json(params),
        };
        match log.begin_exchange(&exchange) {
            Ok(id) => self.exchange = Some(id),
            Err(error) => self.stop_logging(&error.into()),
        }
    }

    /// Logs a piece of streamed text (call it before showing the text).
    pub fn record_text(&mut self, text: &str) {
        let (Some(log), Some(exchange)) = (&self.log, self.exchange) else {
            return;
        };
        if let Err(error) = log.append_text(exchange, text) {
            self.stop_logging(&error.into());
        }
    }

    /// Logs how the exchange ended, and keeps its turns as earlier turns
    /// of the conversation (when an answer came, even part of one).
    pub fn finish(
        &mut self,
        prompt: LoggedMessage,
        report: &InvocationReport,
        stop_reason: Option<&str>,
        failure: Option<&anyhow::Error>,
    ) {
        let answer = self.answer(report);
        if let (Some(log), Some(exchange)) = (&self.log, self.exchange.take()) {
            let status = match failure {
                None => Status::Complete,
                Some(error) if error.chain().any(|cause| cause.is::<Interrupted>()) => {
                    Status::Interrupted
                }
                Some(_) => Status::Failed,
            };
            let ending = Ending {
                answer: answer.clone(),
                stop_reason: stop_reason.map(str::to_owned),
                raw_stop_reason: report.stop.as_ref().and_then(|stop| stop.raw.clone()),
                input_tokens: report.input_tokens,
                output_tokens: report.output_tokens,
                cache_read_tokens: report.cache_read_tokens,
                cache_write_tokens: report.cache_write_tokens,
                time_to_first_token_ms: report
                    .time_to_first_token
                    .map(|d| d.as_secs_f64() * 1000.0),
                latency_ms: Some(report.latency.as_secs_f64() * 1000.0),
                request_id: report.request_id.clone(),
                error: failure.map(|error| format!("{error:#}")),
            };
            if let Err(error) = log.finish_exchange(exchange, status, &ending) {
                self.stop_logging(&error.into());
            }
        }
        if let Some(answer) = answer {
            self.earlier.push(prompt);
            self.earlier.push(answer);
        }
    }

    /// Warns once and writes nothing more.
    fn stop_logging(&mut self, error: &anyhow::Error) {
        warn_unlogged(error);
        self.writes = false;
        self.exchange = None;
    }
}

fn warn_unlogged(error: &anyhow::Error) {
    eprintln!("warning: this exchange is not logged: {error:#}");
}

/// The inference parameters as they are logged.
fn params_json(params: &Params) -> serde_json::Value {
    let extra: serde_json::Map<String, serde_json::Value> = params
        .extra
        .iter()
        .map(|(key, value)| {
            let value = serde_json::from_str(value)
                .unwrap_or_else(|_| serde_json::Value::String(value.clone()));
            (key.clone(), value)
        })
        .collect();
    json!({
        "max_tokens": params.max_tokens,
        "temperature": params.temperature,
        "top_p": params.top_p,
        "top_k": params.top_k,
        "stop_sequences": params.stop_sequences,
        "seed": params.seed,
        "options": extra,
        "raw": params.raw,
    })
}
