//! `bedrock-host chat`: a conversation with one model, turn after turn,
//! each answer streamed and every turn logged as one conversation.
//!
//! Invariants: input is read on a thread of its own (a line editor with
//! history on a terminal, plain lines from a pipe), and only between
//! answers. A line ending in `\` continues on the next line; a line that is
//! only `"""` opens a block that the next such line closes. Ctrl-C stops the
//! answer under way (what streamed is kept, on screen and in the log) and
//! the chat goes on; Ctrl-D (or the end of piped input) leaves. A failed
//! turn prints its error and the chat goes on; only a closed stdout ends it.

use std::io::{self, BufRead as _, IsTerminal as _, Write as _};
use std::path::PathBuf;
use std::time::Instant;

use clap::Args;
use tokio::sync::mpsc;

use super::conversation::{self, Conversation, ConversationArgs, MODEL_ENV};
use super::invoke::{resolve_model, stop_reason_name, summary_line};
use super::legacy_warning::LegacyCheck;
use super::session::Session;
use super::stdout::StdoutError;
use super::{Exit, Interrupted};
use crate::history::{LoggedMessage, Speaker};
use crate::invocation::{self, InvocationError, InvocationFailure, InvocationReport, Shown};
use crate::model_id::{ModelId, ModelIdError};
use crate::paths;
use crate::plugin::{CachePoints, Params, Request, UserChoice, terminal_text};

/// The largest answer accepted, in MiB, as `invoke`'s default.
const MAX_RESPONSE_MIB: u32 = crate::aws::DEFAULT_MAX_RESPONSE_MIB;

/// What opens and closes a block of lines.
const BLOCK_FENCE: &str = "\"\"\"";

/// Arguments of `chat`.
#[derive(Debug, Args)]
#[command(after_help = "\
Input: Enter sends the line. A line ending in \\ continues on the next line;
a line that is only \"\"\" starts a block of lines that the next \"\"\" line ends.
Ctrl-C stops the answer under way (what streamed is kept, and logged) and the
chat goes on; Ctrl-D leaves. Piped input is read line by line the same way.")]
pub struct ChatArgs {
    /// Model id, inference-profile id or ARN, or an alias from the config
    /// file's [aliases]. Without it: a continued conversation's model, else
    /// the config file's default-model.
    #[arg(short, long, value_name = "ID", env = MODEL_ENV)]
    model: Option<String>,
    /// Use this plugin instead of choosing one from the model id.
    #[arg(long, value_name = "NAME")]
    family: Option<String>,
    /// System prompt (a continued conversation keeps its own without it).
    #[arg(long, value_name = "TEXT")]
    system: Option<String>,
    /// Most tokens to generate per answer.
    #[arg(long, value_name = "N")]
    max_tokens: Option<u32>,
    /// Sampling temperature.
    #[arg(long, value_name = "F")]
    temperature: Option<f32>,
    #[command(flatten)]
    conversation: ConversationArgs,
}

/// Chats until the input ends.
pub async fn run(session: &Session, args: ChatArgs) -> anyhow::Result<Exit> {
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
    let settings = session.client_settings().await?;
    let model = resolve_model(settings, parsed, &model_name, args.family.is_some()).await?;
    let registry = session.plugins().await?;
    let choice = UserChoice {
        family: args.family.as_deref(),
        table: Some(session.routing()),
    };
    let plugin = registry.route_with(model.base(), choice)?.plugin;
    let mut legacy = LegacyCheck::start(session, &model).await;
    let client = crate::aws::runtime_client(settings).await?;
    let system = args
        .system
        .clone()
        .or_else(|| conversation.earlier_system().map(str::to_owned));
    let params = Params {
        max_tokens: args.max_tokens,
        temperature: args.temperature,
        top_p: None,
        top_k: None,
        stop_sequences: Vec::new(),
        seed: None,
        extra: Vec::new(),
        raw: false,
    };
    let terminal = io::stdin().is_terminal();
    if terminal {
        eprintln!(
            "chatting with {model} (plugin {}), conversation {}; Ctrl-C stops an answer, Ctrl-D leaves",
            plugin.name(),
            conversation.id()
        );
    }
    let line_history = (terminal && !args.conversation.no_log())
        .then(paths::history_file)
        .flatten()
        .map(|file| file.with_file_name("chat-lines.txt"));
    let mut input = Input::start(line_history);
    loop {
        let asked = tokio::select! {
            biased;
            asked = input.next() => asked,
            Interrupted = super::ctrl_c() => return Err(Interrupted.into()),
        };
        let Some(asked) = asked else {
            break;
        };
        if asked.trim().is_empty() {
            continue;
        }
        let prompt = LoggedMessage::text(Speaker::User, asked);
        let streaming = plugin.streams(model.base());
        let request = Request {
            model_id: model.base().to_owned(),
            system: system.clone(),
            messages: conversation.messages(plugin.name(), &prompt)?,
            params: params.clone(),
            tools: Vec::new(),
            tool_choice: None,
            reasoning: None,
            cache: CachePoints {
                system: false,
                tools: false,
            },
            streamed: streaming,
        };
        conversation.begin(
            model.as_given(),
            plugin,
            request.system.as_deref(),
            &prompt,
            &request.params,
        );
        let mut sandbox = plugin.sandbox().await?;
        let mut received = String::new();
        let mut on_shown = |shown: Shown<'_>| -> io::Result<()> {
            if let Shown::Text(text) = shown {
                conversation.record_text(text);
                show(text)?;
                received.push_str(text);
            }
            Ok(())
        };
        let interrupted = super::ctrl_c();
        let started = Instant::now();
        let max_response_bytes = u64::from(MAX_RESPONSE_MIB) * 1024 * 1024;
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
                invocation::invoke(&client, &mut sandbox, &model, &request, max_response_bytes)
                    .await
            }
        };
        let outcome = tokio::select! {
            biased;
            outcome = call => Some(outcome),
            _ = interrupted => None,
        };
        let (report, failure) = match outcome {
            Some(Ok(report)) => (report, None),
            Some(Err(InvocationFailure { partial, error })) => (partial, Some(error.into())),
            None => {
                let partial = InvocationReport {
                    text: received,
                    latency: started.elapsed(),
                    ..InvocationReport::default()
                };
                (partial, Some(anyhow::Error::new(Interrupted)))
            }
        };
        if !streaming {
            show(&report.text).map_err(StdoutError::from)?;
        }
        if !report.text.ends_with('\n') {
            show("\n").map_err(StdoutError::from)?;
        }
        let stop_reason = report
            .stop
            .as_ref()
            .map(|stop| stop_reason_name(stop.reason));
        conversation.finish(prompt, &report, stop_reason, failure.as_ref());
        match failure {
            Some(error) if closed_stdout(&error) => return Err(error),
            Some(error) if error.chain().any(|cause| cause.is::<Interrupted>()) => {
                eprintln!("(stopped)");
            }
            Some(error) => eprintln!("error: {error:#}"),
            None if terminal => eprintln!("{}", summary_line(&report, plugin.name())),
            None => {}
        }
        legacy.warn().await;
        input.ready();
    }
    Ok(Exit::Success)
}

/// Whether the error is stdout going away (which ends the chat).
fn closed_stdout(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        matches!(
            cause.downcast_ref::<InvocationError>(),
            Some(InvocationError::Output(error)) if error.kind() == io::ErrorKind::BrokenPipe
        ) || matches!(
            cause.downcast_ref::<StdoutError>(),
            Some(StdoutError::Closed)
        )
    })
}

/// Writes model text to stdout and flushes it; on a terminal, with control
/// characters (but newline and tab) escaped.
fn show(text: &str) -> io::Result<()> {
    let mut out = io::stdout().lock();
    if out.is_terminal() {
        out.write_all(terminal_text(text).as_bytes())?;
    } else {
        out.write_all(text.as_bytes())?;
    }
    out.flush()
}

/// The user's inputs, read on a thread of their own one at a time: the
/// thread reads the next input only once `ready` is called.
struct Input {
    inputs: mpsc::UnboundedReceiver<String>,
    go_on: std::sync::mpsc::Sender<()>,
}

impl Input {
    /// Starts the reader: a line editor on a terminal (its lines kept in
    /// `line_history`, when given), plain lines otherwise.
    fn start(line_history: Option<PathBuf>) -> Self {
        let (sender, inputs) = mpsc::unbounded_channel();
        let (go_on, wait) = std::sync::mpsc::channel::<()>();
        std::thread::spawn(move || {
            let mut lines = Lines::new(line_history);
            while let Some(input) = read_input(&mut lines) {
                if sender.send(input).is_err() || wait.recv().is_err() {
                    break;
                }
            }
            lines.save();
        });
        Self { inputs, go_on }
    }

    /// The next input; `None` when the input has ended.
    async fn next(&mut self) -> Option<String> {
        self.inputs.recv().await
    }

    /// Lets the reader read the next input.
    fn ready(&self) {
        let _ = self.go_on.send(());
    }
}

/// One input: a line, lines joined by a trailing `\`, or a `"""` block;
/// `None` at the end of the input.
fn read_input(lines: &mut Lines) -> Option<String> {
    let first = lines.read("> ")?;
    if first.trim() == BLOCK_FENCE {
        let mut block = Vec::new();
        while let Some(line) = lines.read("… ") {
            if line.trim() == BLOCK_FENCE {
                break;
            }
            block.push(line);
        }
        let input = block.join("\n");
        lines.remember(&input);
        return Some(input);
    }
    let mut input = String::new();
    let mut line = first;
    loop {
        match line.strip_suffix('\\') {
            Some(continued) => {
                input.push_str(continued);
                input.push('\n');
                match lines.read("… ") {
                    Some(next) => line = next,
                    None => break,
                }
            }
            None => {
                input.push_str(&line);
                break;
            }
        }
    }
    lines.remember(&input);
    Some(input)
}

/// Where lines come from: a line editor on a terminal, stdin otherwise.
enum Lines {
    Editor {
        editor: Box<rustyline::DefaultEditor>,
        history: Option<PathBuf>,
    },
    Piped(io::StdinLock<'static>),
}

impl Lines {
    fn new(history: Option<PathBuf>) -> Self {
        if io::stdin().is_terminal()
            && let Ok(mut editor) = rustyline::DefaultEditor::new()
        {
            if let Some(file) = &history {
                let _ = editor.load_history(file);
            }
            return Lines::Editor {
                editor: Box::new(editor),
                history,
            };
        }
        Lines::Piped(io::stdin().lock())
    }

    /// The next line; `None` at the end of the input (Ctrl-D). Ctrl-C at
    /// the prompt drops the line and asks again.
    fn read(&mut self, prompt: &str) -> Option<String> {
        match self {
            Lines::Editor { editor, .. } => loop {
                match editor.readline(prompt) {
                    Ok(line) => return Some(line),
                    Err(rustyline::error::ReadlineError::Interrupted) => {}
                    Err(_) => return None,
                }
            },
            Lines::Piped(stdin) => {
                let mut line = String::new();
                match stdin.read_line(&mut line) {
                    Ok(0) | Err(_) => None,
                    Ok(_) => {
                        let line = line.strip_suffix('\n').unwrap_or(&line);
                        Some(line.strip_suffix('\r').unwrap_or(line).to_owned())
                    }
                }
            }
        }
    }

    /// Adds a whole input to the line editor's history.
    fn remember(&mut self, input: &str) {
        if let Lines::Editor { editor, .. } = self
            && !input.trim().is_empty()
        {
            let _ = editor.add_history_entry(input);
        }
    }

    /// Saves the line editor's history, private to this user.
    fn save(&mut self) {
        if let Lines::Editor {
            editor,
            history: Some(file),
        } = self
            && editor.save_history(file).is_ok()
        {
            use std::os::unix::fs::PermissionsExt as _;
            let _ = std::fs::set_permissions(&*file, std::fs::Permissions::from_mode(0o600));
        }
    }
}
