//! The conversation log: every exchange with a model, kept in a private
//! SQLite database in the per-user data folder, so that `logs` can show it
//! and `-c`/`--cid` and `chat` can continue it on any model.
//!
//! Invariant: what is stored is provider-neutral (`content`): a
//! conversation begun on one family continues on another. Where the
//! database is and whether it is written are decided by the caller
//! (`paths::history_file`, the config file's `[history]`, `--no-log`).

mod content;
mod store;

pub use content::{Block, LoggedMessage, Speaker, ToolResultPart};
pub use store::{
    ConversationSummary, Ending, History, HistoryError, LoggedExchange, NewExchange, Status,
};
