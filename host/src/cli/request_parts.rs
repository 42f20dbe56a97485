//! What one `invoke` asks for beyond its prompt, read from the files the
//! user named and checked before anything is sent: the conversation so
//! far, tools and tool choice, tool results, attachments, reasoning and
//! cache points; and each attachment against what the routed model takes.
//!
//! Invariants: every refusal here is a usage error (exit 2) that names what
//! was refused and why, and happens before credentials are looked up or a
//! request is made; what the model cannot take is refused naming the model
//! (and for an attachment, the file, its type and the limit).

use std::path::PathBuf;

use super::UsageError;
use super::attachments::{self, Attachment};
use super::message_json;
use super::tools::{self, ToolAnswer};
use super::turn::{self, NewTurn};
use crate::plugin::{CachePoints, Message, ReasoningConfig, Subject, Tool, ToolChoice, ToolResult};

/// What the user asked for besides the prompt, as given on the command line.
#[derive(Debug, Default)]
pub struct Asked {
    /// `--attach`, in order.
    pub attachments: Vec<PathBuf>,
    /// `--tools`.
    pub tools: Option<PathBuf>,
    /// `--tool-choice`.
    pub tool_choice: Option<String>,
    /// `--tool-result` and `--tool-error`, in order.
    pub tool_answers: Vec<ToolAnswer>,
    /// `--messages`.
    pub messages: Option<PathBuf>,
    /// `--reasoning-effort` or `--reasoning-budget`.
    pub reasoning: Option<ReasoningConfig>,
    /// `--cache`.
    pub cache: bool,
    /// Whether a system prompt is given (for its cache point).
    pub system: bool,
}

/// The parts read and checked, ready for a request.
#[derive(Debug)]
pub struct RequestParts {
    /// The conversation before this turn (from `--messages`, or a logged one).
    pub history: Vec<Message>,
    /// The tools, if any.
    pub tools: Vec<Tool>,
    /// The tool choice, if given.
    pub tool_choice: Option<ToolChoice>,
    /// The attachments, read and typed.
    pub attachments: Vec<Attachment>,
    /// The reasoning asked for.
    pub reasoning: Option<ReasoningConfig>,
    /// `--cache`.
    pub cache: bool,
    /// Whether a system prompt is given.
    system: bool,
    /// The answers to the last answer's tool calls, in the calls' order.
    tool_results: Vec<ToolResult>,
    /// The tool results as given, until the conversation is known.
    tool_answers: Vec<ToolAnswer>,
}

impl RequestParts {
    /// Reads the files `asked` names and checks what can be checked without
    /// the model (the tool results too, when `--messages` gives the
    /// conversation).
    pub fn read(asked: Asked) -> Result<Self, UsageError> {
        let usage = |error: &dyn std::fmt::Display| UsageError(error.to_string());
        let tools = match &asked.tools {
            Some(path) => tools::read_tools(path).map_err(|e| usage(&e))?,
            None => Vec::new(),
        };
        let tool_choice =
            tools::tool_choice(asked.tool_choice.as_deref(), &tools).map_err(|e| usage(&e))?;
        let history = match &asked.messages {
            Some(path) => message_json::read(path).map_err(|e| usage(&e))?,
            None => Vec::new(),
        };
        let tool_results = if history.is_empty() {
            Vec::new()
        } else {
            tools::tool_results(&asked.tool_answers, &turn::last_tool_calls(&history))
                .map_err(|e| usage(&e))?
        };
        let attachments = asked
            .attachments
            .iter()
            .map(|path| attachments::read(path))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| usage(&e))?;
        if let Some(ReasoningConfig::BudgetTokens(0)) = asked.reasoning {
            return Err(UsageError("--reasoning-budget must be at least 1".into()));
        }
        Ok(Self {
            history,
            tools,
            tool_choice,
            attachments,
            reasoning: asked.reasoning,
            cache: asked.cache,
            system: asked.system,
            tool_results,
            tool_answers: asked.tool_answers,
        })
    }

    /// Continues `earlier` (a logged conversation's turns) unless
    /// `--messages` gave the conversation; then checks the tool results
    /// against its last answer.
    pub fn continue_from(&mut self, earlier: Vec<Message>) -> Result<(), UsageError> {
        if self.history.is_empty() {
            self.history = earlier;
            if !self.tool_answers.is_empty() && self.history.is_empty() {
                return Err(UsageError(
                    "--tool-result and --tool-error answer the tool calls of a conversation: give it with --messages FILE".into(),
                ));
            }
            self.tool_results =
                tools::tool_results(&self.tool_answers, &turn::last_tool_calls(&self.history))
                    .map_err(|error| UsageError(error.to_string()))?;
        }
        Ok(())
    }

    /// Whether the run can do without a prompt: a conversation to continue,
    /// attachments or tool results to send make the prompt optional.
    pub fn prompt_optional(&self) -> bool {
        !self.history.is_empty() || !self.attachments.is_empty() || !self.tool_answers.is_empty()
    }

    /// Refuses an attachment the routed model cannot take, naming the
    /// file (the rest of the request is checked once it is built).
    pub fn check_attachments(&self, subject: &Subject<'_>) -> Result<(), UsageError> {
        attachments::check(&self.attachments, subject)
            .map_err(|error| UsageError(error.to_string()))
    }

    /// Where the request's cache points go outside the messages.
    pub fn cache_points(&self) -> CachePoints {
        CachePoints {
            system: self.cache && self.system,
            tools: self.cache && !self.tools.is_empty(),
        }
    }

    /// The conversation to send: the history and the new user turn.
    pub fn messages(&mut self, prompt: Option<String>) -> Result<Vec<Message>, UsageError> {
        let turn = NewTurn {
            tool_results: std::mem::take(&mut self.tool_results),
            attachments: attachments::contents(std::mem::take(&mut self.attachments)),
            cache_attachments: self.cache,
            prompt,
        };
        turn::compose(std::mem::take(&mut self.history), turn)
            .map_err(|error| UsageError(error.to_string()))
    }
}
