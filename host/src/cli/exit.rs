//! The process exit codes, and which error gets which.
//!
//! Invariant: the codes are part of the interface. `Exit` is their one
//! definition: each variant's doc comment is its meaning, and `--help` and
//! the README's table are made from (or checked against) those comments.
//! Each class of failure has its own code, so a script can tell "fix your
//! input" from "try again later".

use std::process::ExitCode;

use crate::aws::{AwsError, AwsErrorClass};
use crate::config::ConfigError;
use crate::history::HistoryError;
use crate::invocation::InvocationError;
use crate::model_id::ModelIdError;
use crate::plugin::{
    InstalledError, LockError, PluginError, RouteError, SourceError, TrustFileError,
};

use super::images::ImagesNotWritten;
use super::stdout::StdoutError;

/// Declares `Exit` with its codes, and `Exit::ALL` with each code's meaning
/// taken from its doc comment.
macro_rules! exit_codes {
    ($($(#[doc = $doc:literal])+ $variant:ident = $code:literal,)+) => {
        /// How the process ends; the number is the exit status.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Exit {
            $($(#[doc = $doc])+ $variant,)+
        }

        impl Exit {
            /// Every exit code, in order, with the lines of its meaning.
            pub const ALL: &[(Exit, &[&str])] = &[$((Exit::$variant, &[$($doc),+]),)+];

            /// The exit status.
            pub fn code(self) -> u8 {
                match self {
                    $(Exit::$variant => $code,)+
                }
            }
        }
    };
}

exit_codes! {
    /// success
    Success = 0,
    /// internal error (a bug: please report it)
    Internal = 1,
    /// usage error: bad arguments or input
    Usage = 2,
    /// plugin error: no plugin serves the model (or several claim it and
    /// none was chosen), or the plugin refused, trapped or broke a limit
    Plugin = 3,
    /// AWS rejected the request (validation, access denied, model not
    /// found, ...), or the model's content filter stopped the answer
    Rejected = 4,
    /// AWS throttled or was unavailable after every retry
    Unavailable = 5,
    /// credentials or configuration missing or invalid (region, keys,
    /// profile, the config file and its `[routing]`, a `plugins.lock`)
    Configuration = 6,
    /// network failure, timeout, a stream that broke off part-way (a cut
    /// connection, a spoiled frame, a `modelStreamErrorException` or
    /// `modelTimeoutException`), or a response over `--max-response-mib`
    Network = 7,
    /// `batch run`: some records failed (each has its `error` in the
    /// output file); every other record was answered
    RecordsFailed = 8,
    /// interrupted by Ctrl-C (SIGINT); text already streamed stays on stdout
    Interrupted = 130,
    /// stdout was closed before everything was written (a pipe into `head`,
    /// as a shell reports SIGPIPE); nothing is printed about it
    StdoutClosed = 141,
}

impl Exit {
    /// The meaning of this code, in one line.
    pub fn meaning(self) -> String {
        Self::ALL
            .iter()
            .find(|(exit, _)| *exit == self)
            .map(|(_, lines)| joined(lines))
            .unwrap_or_default()
    }

    /// The exit code for an error from any command.
    pub fn for_error(error: &anyhow::Error) -> Self {
        for cause in error.chain() {
            if cause.is::<UsageError>()
                || cause.is::<ModelIdError>()
                || cause.is::<ImagesNotWritten>()
            {
                return Exit::Usage;
            }
            if cause.is::<super::invoke::ContentFiltered>() {
                return Exit::Rejected;
            }
            if cause.is::<Interrupted>() {
                return Exit::Interrupted;
            }
            if cause.is::<ConfigError>() || cause.is::<LockError>() || cause.is::<HistoryError>() {
                return Exit::Configuration;
            }
            if cause.is::<TrustFileError>() || cause.is::<InstalledError>() {
                return Exit::Configuration;
            }
            if let Some(source) = cause.downcast_ref::<SourceError>() {
                return if source.is_usage() {
                    Exit::Usage
                } else if source.is_network() {
                    Exit::Network
                } else {
                    Exit::Plugin
                };
            }
            if let Some(route) = cause.downcast_ref::<RouteError>() {
                return if route.is_configuration() {
                    Exit::Configuration
                } else {
                    Exit::Plugin
                };
            }
            if cause.is::<PluginError>() {
                return Exit::Plugin;
            }
            if let Some(stdout) = cause.downcast_ref::<StdoutError>() {
                return match stdout {
                    StdoutError::Closed => Exit::StdoutClosed,
                    StdoutError::Failed(_) => Exit::Internal,
                };
            }
            if let Some(aws) = cause.downcast_ref::<AwsError>() {
                return Self::for_aws(aws);
            }
            if let Some(invocation) = cause.downcast_ref::<InvocationError>() {
                return match invocation {
                    InvocationError::Plugin(_) => Exit::Plugin,
                    InvocationError::Aws(aws) => Self::for_aws(aws),
                    InvocationError::Output(error)
                        if error.kind() == std::io::ErrorKind::BrokenPipe =>
                    {
                        Exit::StdoutClosed
                    }
                    InvocationError::Output(_) => Exit::Internal,
                };
            }
        }
        Exit::Internal
    }

    fn for_aws(error: &AwsError) -> Self {
        match error.class {
            AwsErrorClass::Rejected => Exit::Rejected,
            AwsErrorClass::Unavailable => Exit::Unavailable,
            AwsErrorClass::Configuration => Exit::Configuration,
            AwsErrorClass::Transport => Exit::Network,
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> Self {
        ExitCode::from(exit.code())
    }
}

/// A doc comment's lines as one line of text.
fn joined(lines: &[&str]) -> String {
    lines
        .iter()
        .map(|line| line.trim())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The exit codes as `--help` shows them: one code a line, the meaning
/// wrapped under it.
pub fn help() -> String {
    const WIDTH: usize = 78;
    const INDENT: &str = "      ";
    let mut help = String::from("Exit codes:");
    for (exit, _) in Exit::ALL {
        let mut line = format!("  {:<4}", exit.code());
        let mut line_is_empty = true;
        for word in exit.meaning().split_whitespace() {
            if !line_is_empty && line.len() + 1 + word.len() > WIDTH {
                help.push('\n');
                help.push_str(&line);
                line = INDENT.to_owned();
                line_is_empty = true;
            }
            if !line_is_empty {
                line.push(' ');
            }
            line.push_str(word);
            line_is_empty = false;
        }
        help.push('\n');
        help.push_str(&line);
    }
    help
}

/// The user pressed Ctrl-C (SIGINT) before the command finished.
#[derive(Debug, thiserror::Error)]
#[error("interrupted (Ctrl-C)")]
pub struct Interrupted;

/// A usage error found after argument parsing (bad input, a missing prompt).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

#[cfg(test)]
mod tests {
    use super::*;

    /// The README's exit-code table says what `Exit` says, code for code.
    #[test]
    fn the_readme_table_is_the_enum() {
        let readme = include_str!("../../../README.md");
        let section = readme
            .split("### Exit codes")
            .nth(1)
            .expect("the README has an exit-code section");
        let rows: Vec<(u8, String)> = section
            .lines()
            .skip_while(|line| !line.starts_with('|'))
            .take_while(|line| line.starts_with('|'))
            .skip(2)
            .map(|row| {
                let cells: Vec<&str> = row.trim_matches('|').split('|').map(str::trim).collect();
                let code = cells[0].parse().expect("a code in the first column");
                (code, cells[1..].join("|"))
            })
            .collect();
        let expected: Vec<(u8, String)> = Exit::ALL
            .iter()
            .map(|(exit, _)| (exit.code(), exit.meaning()))
            .collect();
        assert_eq!(rows, expected);
    }

    #[test]
    fn help_lists_every_code_once_with_its_meaning() {
        let help = help();
        for (exit, _) in Exit::ALL {
            let code = format!("\n  {:<4}", exit.code());
            assert_eq!(help.matches(&code).count(), 1, "{help}");
        }
        let words: Vec<&str> = help.split_whitespace().collect();
        for (exit, _) in Exit::ALL {
            let meaning = exit.meaning();
            let meaning_words: Vec<&str> = meaning.split_whitespace().collect();
            assert!(
                words
                    .windows(meaning_words.len())
                    .any(|w| w == meaning_words),
                "{meaning} in {help}"
            );
        }
        assert!(help.lines().all(|line| line.len() <= 80), "{help}");
    }
}
