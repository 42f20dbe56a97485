//! The process exit codes, and which error gets which.
//!
//! Invariant: the codes are part of the interface (documented in `--help`
//! and the README); each class of failure has its own code so a script can
//! tell "fix your input" from "try again later".

use std::process::ExitCode;

use crate::aws::{AwsError, AwsErrorClass};
use crate::config::ConfigError;
use crate::invocation::InvocationError;
use crate::model_id::ModelIdError;
use crate::plugin::{LockError, PluginError, RouteError};

/// The documented exit codes, for `--help`.
pub const EXIT_CODES_HELP: &str = "\
Exit codes:
  0  success
  1  internal error (a bug: please report it)
  2  usage error: bad arguments or input
  3  plugin error: no plugin serves the model, or the plugin refused, trapped or broke a limit
  4  AWS rejected the request (validation, access denied, model not found, ...),
     or the model's content filter stopped the answer
  5  AWS throttled or was unavailable after every retry
  6  credentials or configuration missing or invalid (region, keys, profile,
     the config file, a plugins.lock)
  7  network failure, timeout, a stream that broke off part-way, or a response
     over --max-response-mib";

/// A usage error found after argument parsing (bad input, a missing prompt).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// The exit code for an error from any command.
pub fn exit_code_for(error: &anyhow::Error) -> ExitCode {
    for cause in error.chain() {
        if cause.is::<UsageError>() || cause.is::<ModelIdError>() {
            return ExitCode::from(2);
        }
        if cause.is::<super::invoke::ContentFiltered>() {
            return ExitCode::from(4);
        }
        if cause.is::<ConfigError>() || cause.is::<LockError>() {
            return ExitCode::from(6);
        }
        if cause.is::<PluginError>() || cause.is::<RouteError>() {
            return ExitCode::from(3);
        }
        if let Some(aws) = cause.downcast_ref::<AwsError>() {
            return aws_code(aws);
        }
        if let Some(invocation) = cause.downcast_ref::<InvocationError>() {
            return match invocation {
                InvocationError::Plugin(_) => ExitCode::from(3),
                InvocationError::Aws(aws) => aws_code(aws),
                InvocationError::Output(_) => ExitCode::from(1),
            };
        }
    }
    ExitCode::from(1)
}

fn aws_code(error: &AwsError) -> ExitCode {
    ExitCode::from(match error.class {
        AwsErrorClass::Rejected => 4,
        AwsErrorClass::Unavailable => 5,
        AwsErrorClass::Configuration => 6,
        AwsErrorClass::Transport => 7,
    })
}
