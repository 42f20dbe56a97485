//! `bedrock-host batch`: many prompts from one JSON Lines file, through the
//! same plugins as `invoke` (the record format is in `docs/batch.md`).
//!
//! Invariant: the input format and the output format are shared by every
//! way of sending a batch, and a record's body is built by its own
//! function (`body`), so that the model's side of a record is the plugin's
//! alone whichever way it is sent.

mod body;
mod budget;
mod controller;
mod output;
mod progress;
mod record;
mod run;

use clap::Subcommand;

use super::session::Session;
use super::{Exit, OutputFormat};

/// The `batch` subcommands.
#[derive(Debug, Subcommand)]
pub enum BatchCommand {
    /// Send every record of a JSON Lines file with InvokeModel, many at
    /// once, appending each answer to the output file as it arrives; a rerun
    /// skips the records the output holds already.
    Run(run::RunArgs),
}

impl BatchCommand {
    /// How the command prints its result.
    pub fn output(&self) -> OutputFormat {
        match self {
            BatchCommand::Run(args) => args.summary(),
        }
    }
}

/// Runs a `batch` subcommand.
pub async fn run(session: &Session, command: BatchCommand) -> anyhow::Result<Exit> {
    match command {
        BatchCommand::Run(args) => run::run(session, args).await,
    }
}
