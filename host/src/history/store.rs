//! The conversation log: one SQLite database holding every exchange (the
//! prompt, the answer, the model, the plugin, usage, timings and errors),
//! grouped into conversations, with attachments' bytes kept once each in a
//! blob table keyed by their sha256.
//!
//! Invariants: the database file is this user's alone (a 0600 file in a
//! folder nobody else can write, never a symbolic link), like the compile
//! cache's key. It is in WAL mode with a busy timeout, so several processes
//! may write at once and each waits its turn. An exchange's user turn is
//! committed before the model is called, each piece of streamed text is
//! committed as it arrives (before it is shown), and the answer when it
//! completes: a process that dies part-way, even by SIGKILL, leaves an
//! exchange marked `pending` with all the text it had shown. A streamed
//! piece is a row of its own (`streamed_pieces`), so logging an answer
//! costs in proportion to its length, whatever the number of pieces; the
//! exchange's end folds the pieces into the exchange and deletes them.
//! Every statement is its own transaction but `begin_exchange`, which takes
//! the next turn number and writes the turn in one, and `finish_exchange`.

use std::fs::OpenOptions;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, OptionalExtension as _, TransactionBehavior, params};
use serde::Serialize;

use super::content::{LoggedMessage, Speaker};
use crate::plugin::{private_fs, sha256_hex};

/// How long a writer waits for another process's transaction to end.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// The schema's version, kept in `PRAGMA user_version`: 2 added
/// `streamed_pieces` (version 1 appended streamed text to
/// `exchanges.streamed_text`, which is still read for a log it left pending).
const SCHEMA_VERSION: i64 = 2;

/// The tables, created when missing.
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS conversations (
    id          TEXT PRIMARY KEY,
    created_ms  INTEGER NOT NULL,
    updated_ms  INTEGER NOT NULL,
    title       TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS conversations_by_update ON conversations (updated_ms);
CREATE TABLE IF NOT EXISTS exchanges (
    id                     INTEGER PRIMARY KEY,
    conversation_id        TEXT NOT NULL REFERENCES conversations (id),
    turn                   INTEGER NOT NULL,
    started_ms             INTEGER NOT NULL,
    model_id               TEXT NOT NULL,
    plugin                 TEXT NOT NULL,
    plugin_version         TEXT NOT NULL,
    system                 TEXT,
    prompt                 TEXT NOT NULL,
    params                 TEXT NOT NULL,
    status                 TEXT NOT NULL,
    streamed_text          TEXT NOT NULL DEFAULT '',
    answer                 TEXT,
    stop_reason            TEXT,
    raw_stop_reason        TEXT,
    input_tokens           INTEGER,
    output_tokens          INTEGER,
    cache_read_tokens      INTEGER,
    cache_write_tokens     INTEGER,
    time_to_first_token_ms REAL,
    latency_ms             REAL,
    request_id             TEXT,
    error                  TEXT,
    UNIQUE (conversation_id, turn)
);
CREATE TABLE IF NOT EXISTS streamed_pieces (
    exchange_id INTEGER NOT NULL REFERENCES exchanges (id),
    piece       INTEGER NOT NULL,
    text        TEXT NOT NULL,
    PRIMARY KEY (exchange_id, piece)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS blobs (
    sha256 TEXT PRIMARY KEY,
    bytes  BLOB NOT NULL
);
";

/// An exchange's streamed text so far: what version 1 of the schema
/// appended in place, then the pieces logged since, in order.
const STREAMED_TEXT: &str =
    "streamed_text || COALESCE((SELECT group_concat(p.text, '' ORDER BY p.piece)
     FROM streamed_pieces p WHERE p.exchange_id = exchanges.id), '')";

/// How a time in milliseconds since the epoch is shown: UTC, to the second.
const SHOWN_TIME: &str = "strftime('%Y-%m-%dT%H:%M:%SZ', {} / 1000, 'unixepoch')";

/// Why the conversation log cannot be used, or a conversation not found.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    /// The database's folder or file is not private to this user.
    #[error("cannot use the conversation log {}: {reason}", path.display())]
    NotPrivate { path: PathBuf, reason: String },
    /// SQLite failed.
    #[error("the conversation log {} failed: {source}", path.display())]
    Database {
        path: PathBuf,
        source: rusqlite::Error,
    },
    /// A stored value is not what this version writes.
    #[error("the conversation log {} holds an unreadable {what}: {source}", path.display())]
    Unreadable {
        path: PathBuf,
        what: &'static str,
        source: serde_json::Error,
    },
    /// No conversation has this id (or an id starting with it).
    #[error("{}", unknown_message(given, recent))]
    UnknownConversation {
        /// The id asked for.
        given: String,
        /// The newest conversations' ids, to try instead.
        recent: Vec<String>,
    },
    /// `--continue` with nothing logged yet.
    #[error("there is no conversation to continue yet")]
    NothingToContinue,
}

fn unknown_message(given: &str, recent: &[String]) -> String {
    let given = crate::plugin::printable(given);
    if recent.is_empty() {
        format!("no conversation has the id `{given}`, and none is logged yet")
    } else {
        format!(
            "no conversation has the id `{given}`; the newest are: {} (see `bedrock-host logs`)",
            recent.join(", ")
        )
    }
}

/// An exchange about to be sent: what is written before the model is called.
#[derive(Debug, Clone)]
pub struct NewExchange<'a> {
    /// The conversation it belongs to (created if it is new).
    pub conversation_id: &'a str,
    /// The model id as the user gave it.
    pub model_id: &'a str,
    /// The plugin that serves it.
    pub plugin: &'a str,
    /// That plugin's version.
    pub plugin_version: &'a str,
    /// The system prompt sent.
    pub system: Option<&'a str>,
    /// The user's turn.
    pub prompt: &'a LoggedMessage,
    /// The inference parameters, as JSON.
    pub params: serde_json::Value,
}

/// How an exchange ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Sent; no end was recorded (the process may have died).
    Pending,
    /// The model answered.
    Complete,
    /// It failed part-way or before any answer.
    Failed,
    /// The user stopped it.
    Interrupted,
}

impl Status {
    fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Complete => "complete",
            Status::Failed => "failed",
            Status::Interrupted => "interrupted",
        }
    }

    fn parse(text: &str) -> Self {
        match text {
            "complete" => Status::Complete,
            "failed" => Status::Failed,
            "interrupted" => Status::Interrupted,
            _ => Status::Pending,
        }
    }
}

/// What is written when an exchange ends.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Ending {
    /// The answer, as far as it came (shown as `LoggedExchange::answer`).
    #[serde(skip)]
    pub answer: Option<LoggedMessage>,
    /// The neutral stop reason (`end_turn`, `tool_use`, ...).
    pub stop_reason: Option<String>,
    /// The model's own stop reason.
    pub raw_stop_reason: Option<String>,
    /// Input tokens.
    pub input_tokens: Option<u32>,
    /// Output tokens.
    pub output_tokens: Option<u32>,
    /// Input tokens read from the prompt cache.
    pub cache_read_tokens: Option<u32>,
    /// Input tokens written to the prompt cache.
    pub cache_write_tokens: Option<u32>,
    /// Time to the first streamed text.
    pub time_to_first_token_ms: Option<f64>,
    /// Time to the end of the answer.
    pub latency_ms: Option<f64>,
    /// The AWS request id.
    pub request_id: Option<String>,
    /// What went wrong, for a failed or interrupted exchange.
    pub error: Option<String>,
}

/// One line of `logs`: a conversation.
#[derive(Debug, Clone, Serialize)]
pub struct ConversationSummary {
    /// Its id.
    pub id: String,
    /// When its last exchange started (UTC).
    pub updated: String,
    /// The model of its last exchange, as given.
    pub model_id: String,
    /// How many exchanges it has.
    pub turns: u32,
    /// The first line of its first prompt.
    pub title: String,
}

/// One exchange of `logs show`.
#[derive(Debug, Clone, Serialize)]
pub struct LoggedExchange {
    /// Its number in the conversation, from 1.
    pub turn: u32,
    /// When it was sent (UTC).
    pub started: String,
    /// The model id as given.
    pub model_id: String,
    /// The plugin that served it.
    pub plugin: String,
    /// That plugin's version.
    pub plugin_version: String,
    /// The system prompt sent.
    pub system: Option<String>,
    /// The user's turn.
    pub prompt: LoggedMessage,
    /// The inference parameters.
    pub params: serde_json::Value,
    /// How it ended.
    pub status: Status,
    /// The answer: the stored one, else the text streamed before the end.
    pub answer: Option<LoggedMessage>,
    /// The rest of what was recorded at its end.
    #[serde(flatten)]
    pub ending: Ending,
}

/// A connection to the conversation log.
pub struct History {
    path: PathBuf,
    connection: Connection,
}

impl History {
    /// Opens (creating when missing) the database at `path`: its folder is
    /// created 0700 and must be nobody else's to write, the file 0600.
    pub fn open(path: &Path) -> Result<Self, HistoryError> {
        let not_private = |reason: String| HistoryError::NotPrivate {
            path: path.to_owned(),
            reason,
        };
        if let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            private_fs::ensure_private_dir(folder).map_err(&not_private)?;
        }
        OpenOptions::new()
            .append(true)
            .create(true)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW)
            .open(path)
            .map_err(|error| not_private(format!("cannot create it: {error}")))?;
        private_fs::open_private_file(path, true)
            .map_err(&not_private)?
            .ok_or_else(|| not_private("it vanished as it was opened".to_owned()))?;
        let connection = Connection::open(path).map_err(|source| HistoryError::Database {
            path: path.to_owned(),
            source,
        })?;
        let history = Self {
            path: path.to_owned(),
            connection,
        };
        history.prepare().map_err(|source| history.failed(source))?;
        Ok(history)
    }

    /// WAL mode, the busy timeout, and the tables.
    fn prepare(&self) -> rusqlite::Result<()> {
        self.connection.busy_timeout(BUSY_TIMEOUT)?;
        let mode = self.switch_to_wal()?;
        tracing::debug!(journal_mode = mode, "opened the conversation log");
        self.connection
            .pragma_update(None, "synchronous", "NORMAL")?;
        self.connection.pragma_update(None, "foreign_keys", true)?;
        let version: i64 = self
            .connection
            .query_row("PRAGMA user_version", [], |row| row.get(0))?;
        if version < SCHEMA_VERSION {
            self.connection.execute_batch(&format!(
                "BEGIN IMMEDIATE; {SCHEMA} PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;"
            ))?;
        }
        Ok(())
    }

    /// Puts the database in WAL mode, returning the mode it is in. SQLite
    /// answers a switch that races another process's (two first runs at
    /// once) with "database is locked" without waiting on the busy timeout,
    /// so the switch is tried again until that timeout has passed.
    fn switch_to_wal(&self) -> rusqlite::Result<String> {
        let deadline = std::time::Instant::now() + BUSY_TIMEOUT;
        loop {
            match self
                .connection
                .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
            {
                Err(rusqlite::Error::SqliteFailure(error, _))
                    if error.code == rusqlite::ErrorCode::DatabaseBusy
                        && std::time::Instant::now() < deadline =>
                {
                    std::thread::sleep(Duration::from_millis(5));
                }
                answer => return answer,
            }
        }
    }

    fn failed(&self, source: rusqlite::Error) -> HistoryError {
        HistoryError::Database {
            path: self.path.clone(),
            source,
        }
    }

    fn unreadable(&self, what: &'static str) -> impl Fn(serde_json::Error) -> HistoryError {
        let path = self.path.clone();
        move |source| HistoryError::Unreadable {
            path: path.clone(),
            what,
            source,
        }
    }

    /// A new conversation id: 16 random hex digits.
    pub fn new_conversation_id() -> String {
        let mut bytes = [0u8; 8];
        if getrandom::fill(&mut bytes).is_err() {
            // No system randomness: the clock still makes ids that differ.
            let nanos = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos());
            bytes = (nanos as u64 ^ u64::from(std::process::id())).to_be_bytes();
        }
        hex::encode(bytes)
    }

    /// The id of the conversation updated last.
    pub fn last_conversation(&self) -> Result<String, HistoryError> {
        self.connection
            .query_row(
                "SELECT id FROM conversations ORDER BY updated_ms DESC, rowid DESC LIMIT 1",
                [],
                |row| row.get(0),
            )
            .optional()
            .map_err(|source| self.failed(source))?
            .ok_or(HistoryError::NothingToContinue)
    }

    /// The conversation whose id is `given`, or the one whose id alone
    /// starts with it.
    pub fn find_conversation(&self, given: &str) -> Result<String, HistoryError> {
        let pattern = format!("{}%", given.replace(['%', '_', '\\'], ""));
        let mut statement = self
            .connection
            .prepare("SELECT id FROM conversations WHERE id = ?1 OR id LIKE ?2 LIMIT 3")
            .map_err(|source| self.failed(source))?;
        let found: Vec<String> = statement
            .query_map(params![given, pattern], |row| row.get(0))
            .and_then(Iterator::collect)
            .map_err(|source| self.failed(source))?;
        if let Some(exact) = found.iter().find(|id| *id == given) {
            return Ok(exact.clone());
        }
        match found.as_slice() {
            [only] if !given.is_empty() => Ok(only.clone()),
            _ => Err(HistoryError::UnknownConversation {
                given: given.to_owned(),
                recent: self.list(5)?.into_iter().map(|c| c.id).collect(),
            }),
        }
    }

    /// The conversation's earlier turns, oldest first, as they are sent
    /// again: each exchange's prompt and its answer (the stored one, else
    /// the text streamed before it ended); an exchange with no answer at
    /// all is left out, prompt included, so turns keep alternating.
    pub fn messages(&self, conversation_id: &str) -> Result<Vec<LoggedMessage>, HistoryError> {
        let exchanges = self.exchanges(conversation_id)?;
        let mut messages = Vec::with_capacity(exchanges.len() * 2);
        for exchange in exchanges {
            if let Some(answer) = exchange.answer.filter(|a| !a.content.is_empty()) {
                messages.push(exchange.prompt);
                messages.push(answer);
            }
        }
        Ok(messages)
    }

    /// The model id and system prompt of the conversation's last exchange.
    pub fn last_settings(
        &self,
        conversation_id: &str,
    ) -> Result<Option<(String, Option<String>)>, HistoryError> {
        self.connection
            .query_row(
                "SELECT model_id, system FROM exchanges WHERE conversation_id = ?1 ORDER BY turn DESC LIMIT 1",
                [conversation_id],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()
            .map_err(|source| self.failed(source))
    }

    /// Keeps `bytes` in the blob table (once, whoever keeps them again) and
    /// returns their sha256 in hex.
    pub fn put_blob(&self, bytes: &[u8]) -> Result<String, HistoryError> {
        let sha256 = sha256_hex(bytes);
        self.connection
            .execute(
                "INSERT OR IGNORE INTO blobs (sha256, bytes) VALUES (?1, ?2)",
                params![sha256, bytes],
            )
            .map_err(|source| self.failed(source))?;
        Ok(sha256)
    }

    /// The bytes kept under `sha256`, if any.
    pub fn blob(&self, sha256: &str) -> Result<Option<Vec<u8>>, HistoryError> {
        self.connection
            .query_row(
                "SELECT bytes FROM blobs WHERE sha256 = ?1",
                [sha256],
                |row| row.get(0),
            )
            .optional()
            .map_err(|source| self.failed(source))
    }

    /// Writes the user's turn before the model is called, and returns the
    /// exchange's row id.
    pub fn begin_exchange(&mut self, exchange: &NewExchange<'_>) -> Result<i64, HistoryError> {
        let prompt = serde_json::to_string(exchange.prompt).map_err(self.unreadable("prompt"))?;
        let params = exchange.params.to_string();
        let title = exchange
            .prompt
            .joined_text()
            .lines()
            .find(|line| !line.trim().is_empty())
            .unwrap_or_default()
            .chars()
            .take(200)
            .collect::<String>();
        let now = now_ms();
        let path = self.path.clone();
        let failed = |source| HistoryError::Database {
            path: path.clone(),
            source,
        };
        let transaction = self
            .connection
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(failed)?;
        transaction
            .execute(
                "INSERT INTO conversations (id, created_ms, updated_ms, title) VALUES (?1, ?2, ?2, ?3)
                 ON CONFLICT (id) DO UPDATE SET updated_ms = excluded.updated_ms",
                params![exchange.conversation_id, now, title],
            )
            .map_err(failed)?;
        let turn: i64 = transaction
            .query_row(
                "SELECT COALESCE(MAX(turn), 0) + 1 FROM exchanges WHERE conversation_id = ?1",
                [exchange.conversation_id],
                |row| row.get(0),
            )
            .map_err(failed)?;
        transaction
            .execute(
                "INSERT INTO exchanges (conversation_id, turn, started_ms, model_id, plugin, plugin_version, system, prompt, params, status)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                params![
                    exchange.conversation_id,
                    turn,
                    now,
                    exchange.model_id,
                    exchange.plugin,
                    exchange.plugin_version,
                    exchange.system,
                    prompt,
                    params,
                    Status::Pending.as_str()
                ],
            )
            .map_err(failed)?;
        let id = transaction.last_insert_rowid();
        transaction.commit().map_err(failed)?;
        Ok(id)
    }

    /// Adds streamed text to the exchange's answer so far: one row, whose
    /// cost does not grow with the text logged before it.
    pub fn append_text(&self, exchange: i64, text: &str) -> Result<(), HistoryError> {
        self.connection
            .prepare_cached(
                "INSERT INTO streamed_pieces (exchange_id, piece, text)
                 VALUES (?1, (SELECT COALESCE(MAX(piece), 0) + 1 FROM streamed_pieces WHERE exchange_id = ?1), ?2)",
            )
            .and_then(|mut insert| insert.execute(params![exchange, text]))
            .map(drop)
            .map_err(|source| self.failed(source))
    }

    /// Writes how the exchange ended, in one transaction: with an answer,
    /// the streamed pieces are dropped (the answer holds their text);
    /// without one, they are kept joined as the exchange's streamed text.
    pub fn finish_exchange(
        &self,
        exchange: i64,
        status: Status,
        ending: &Ending,
    ) -> Result<(), HistoryError> {
        let answer = ending
            .answer
            .as_ref()
            .map(serde_json::to_string)
            .transpose()
            .map_err(self.unreadable("answer"))?;
        let failed = |source| self.failed(source);
        let transaction = self.connection.unchecked_transaction().map_err(failed)?;
        transaction
            .execute(
                &format!(
                    "UPDATE exchanges SET status = ?2, answer = ?3,
                       streamed_text = CASE WHEN ?3 IS NULL THEN {STREAMED_TEXT} ELSE '' END, stop_reason = ?4, raw_stop_reason = ?5,
                       input_tokens = ?6, output_tokens = ?7, cache_read_tokens = ?8, cache_write_tokens = ?9,
                       time_to_first_token_ms = ?10, latency_ms = ?11, request_id = ?12, error = ?13
                     WHERE id = ?1"
                ),
                params![
                    exchange,
                    status.as_str(),
                    answer,
                    ending.stop_reason,
                    ending.raw_stop_reason,
                    ending.input_tokens,
                    ending.output_tokens,
                    ending.cache_read_tokens,
                    ending.cache_write_tokens,
                    ending.time_to_first_token_ms,
                    ending.latency_ms,
                    ending.request_id,
                    ending.error,
                ],
            )
            .map_err(failed)?;
        transaction
            .execute(
                "DELETE FROM streamed_pieces WHERE exchange_id = ?1",
                [exchange],
            )
            .map_err(failed)?;
        transaction.commit().map_err(failed)
    }

    /// The `limit` conversations updated last, newest first.
    pub fn list(&self, limit: u32) -> Result<Vec<ConversationSummary>, HistoryError> {
        let sql = format!(
            "SELECT c.id, {}, COALESCE((SELECT model_id FROM exchanges e WHERE e.conversation_id = c.id ORDER BY turn DESC LIMIT 1), ''),
                    (SELECT COUNT(*) FROM exchanges e WHERE e.conversation_id = c.id), c.title
             FROM conversations c ORDER BY c.updated_ms DESC, c.rowid DESC LIMIT ?1",
            SHOWN_TIME.replace("{}", "c.updated_ms")
        );
        let mut statement = self
            .connection
            .prepare(&sql)
            .map_err(|source| self.failed(source))?;
        statement
            .query_map([limit], |row| {
                Ok(ConversationSummary {
                    id: row.get(0)?,
                    updated: row.get(1)?,
                    model_id: row.get(2)?,
                    turns: row.get(3)?,
                    title: row.get(4)?,
                })
            })
            .and_then(Iterator::collect)
            .map_err(|source| self.failed(source))
    }

    /// Every exchange of the conversation, oldest first.
    pub fn exchanges(&self, conversation_id: &str) -> Result<Vec<LoggedExchange>, HistoryError> {
        let sql = format!(
            "SELECT turn, {}, model_id, plugin, plugin_version, system, prompt, params, status,
                    {STREAMED_TEXT}, answer, stop_reason, raw_stop_reason, input_tokens, output_tokens,
                    cache_read_tokens, cache_write_tokens, time_to_first_token_ms, latency_ms,
                    request_id, error
             FROM exchanges WHERE conversation_id = ?1 ORDER BY turn",
            SHOWN_TIME.replace("{}", "started_ms")
        );
        let mut statement = self
            .connection
            .prepare(&sql)
            .map_err(|source| self.failed(source))?;
        let rows: Vec<(StoredRow, Ending)> = statement
            .query_map([conversation_id], |row| {
                Ok((
                    StoredRow {
                        turn: row.get(0)?,
                        started: row.get(1)?,
                        model_id: row.get(2)?,
                        plugin: row.get(3)?,
                        plugin_version: row.get(4)?,
                        system: row.get(5)?,
                        prompt: row.get(6)?,
                        params: row.get(7)?,
                        status: row.get(8)?,
                        streamed_text: row.get(9)?,
                        answer: row.get(10)?,
                    },
                    Ending {
                        answer: None,
                        stop_reason: row.get(11)?,
                        raw_stop_reason: row.get(12)?,
                        input_tokens: row.get(13)?,
                        output_tokens: row.get(14)?,
                        cache_read_tokens: row.get(15)?,
                        cache_write_tokens: row.get(16)?,
                        time_to_first_token_ms: row.get(17)?,
                        latency_ms: row.get(18)?,
                        request_id: row.get(19)?,
                        error: row.get(20)?,
                    },
                ))
            })
            .and_then(Iterator::collect)
            .map_err(|source| self.failed(source))?;
        rows.into_iter()
            .map(|(row, ending)| {
                let answer = match row.answer {
                    Some(answer) => {
                        Some(serde_json::from_str(&answer).map_err(self.unreadable("answer"))?)
                    }
                    None if row.streamed_text.is_empty() => None,
                    None => Some(LoggedMessage::text(Speaker::Assistant, row.streamed_text)),
                };
                Ok(LoggedExchange {
                    turn: row.turn,
                    started: row.started,
                    model_id: row.model_id,
                    plugin: row.plugin,
                    plugin_version: row.plugin_version,
                    system: row.system,
                    prompt: serde_json::from_str(&row.prompt).map_err(self.unreadable("prompt"))?,
                    params: serde_json::from_str(&row.params)
                        .map_err(self.unreadable("parameters"))?,
                    status: Status::parse(&row.status),
                    answer,
                    ending,
                })
            })
            .collect()
    }
}

/// The columns of an exchange that are read before they are parsed.
struct StoredRow {
    turn: u32,
    started: String,
    model_id: String,
    plugin: String,
    plugin_version: String,
    system: Option<String>,
    prompt: String,
    params: String,
    status: String,
    streamed_text: String,
    answer: Option<String>,
}

/// Milliseconds since the epoch, now.
fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt as _;

    use super::*;

    fn exchange<'a>(cid: &'a str, prompt: &'a LoggedMessage) -> NewExchange<'a> {
        NewExchange {
            conversation_id: cid,
            model_id: "m",
            plugin: "p",
            plugin_version: "1.0.0",
            system: None,
            prompt,
            params: serde_json::json!({}),
        }
    }

    #[test]
    fn the_file_is_private_and_turns_come_back_in_order() {
        let root = tempfile::tempdir().expect("temp dir");
        let path = root.path().join("log/history.db");
        let mut history = History::open(&path).expect("open");
        let mode = |p: &Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode(path.parent().expect("folder")), 0o700);
        assert_eq!(mode(&path), 0o600);
        let first = LoggedMessage::text(Speaker::User, "one\nmore");
        let id = history
            .begin_exchange(&exchange("c1", &first))
            .expect("begin");
        history.append_text(id, "an").expect("append");
        history.append_text(id, "swer").expect("append");
        // Cut off: the streamed text is the answer.
        assert_eq!(
            history.messages("c1").expect("messages")[1].joined_text(),
            "answer"
        );
        let ending = Ending {
            answer: Some(LoggedMessage::text(Speaker::Assistant, "answer")),
            ..Ending::default()
        };
        history
            .finish_exchange(id, Status::Complete, &ending)
            .expect("finish");
        let unanswered = LoggedMessage::text(Speaker::User, "lost");
        history
            .begin_exchange(&exchange("c1", &unanswered))
            .expect("begin");
        let messages = history.messages("c1").expect("messages");
        assert_eq!(messages.len(), 2, "the unanswered turn is not sent again");
        let listed = history.list(10).expect("list");
        assert_eq!((listed[0].turns, listed[0].title.as_str()), (2, "one"));
        assert_eq!(history.find_conversation("c").expect("prefix"), "c1");
        assert!(matches!(
            history.find_conversation("zz"),
            Err(HistoryError::UnknownConversation { recent, .. }) if recent == ["c1"]
        ));
        let sha = history.put_blob(b"bytes").expect("blob");
        assert_eq!(history.put_blob(b"bytes").expect("again"), sha);
        assert_eq!(history.blob(&sha).expect("read"), Some(b"bytes".to_vec()));
    }

    /// The streamed text of the conversation's exchange at `turn`, as
    /// `logs show` reads it.
    fn streamed(history: &History, cid: &str, turn: usize) -> Option<String> {
        history.exchanges(cid).expect("exchanges")[turn]
            .answer
            .as_ref()
            .map(LoggedMessage::joined_text)
    }

    fn pieces_left(history: &History) -> i64 {
        history
            .connection
            .query_row("SELECT COUNT(*) FROM streamed_pieces", [], |row| row.get(0))
            .expect("count")
    }

    #[test]
    fn streamed_pieces_come_back_in_order_and_end_with_the_exchange() {
        let root = tempfile::tempdir().expect("temp dir");
        let mut history = History::open(&root.path().join("history.db")).expect("open");
        let prompt = LoggedMessage::text(Speaker::User, "q");
        let first = history
            .begin_exchange(&exchange("c1", &prompt))
            .expect("begin");
        let other = history
            .begin_exchange(&exchange("c2", &prompt))
            .expect("begin");
        let pieces: Vec<String> = (0..120).map(|n| format!("{n},")).collect();
        for piece in &pieces {
            history.append_text(first, piece).expect("append");
            history.append_text(other, "x").expect("append");
        }
        assert_eq!(streamed(&history, "c1", 0), Some(pieces.concat()));
        assert_eq!(streamed(&history, "c2", 0), Some("x".repeat(120)));
        let failed = Ending {
            error: Some("cut".into()),
            ..Ending::default()
        };
        history
            .finish_exchange(first, Status::Failed, &failed)
            .expect("finish");
        assert_eq!(
            streamed(&history, "c1", 0),
            Some(pieces.concat()),
            "an exchange that ended without an answer keeps its streamed text"
        );
        let answered = Ending {
            answer: Some(LoggedMessage::text(Speaker::Assistant, "whole")),
            ..Ending::default()
        };
        history
            .finish_exchange(other, Status::Complete, &answered)
            .expect("finish");
        assert_eq!(streamed(&history, "c2", 0).as_deref(), Some("whole"));
        assert_eq!(pieces_left(&history), 0, "ended exchanges keep no pieces");
    }

    #[test]
    fn a_version_1_log_left_pending_keeps_its_text_and_takes_pieces() {
        let root = tempfile::tempdir().expect("temp dir");
        let path = root.path().join("history.db");
        let prompt = LoggedMessage::text(Speaker::User, "q");
        let id = {
            let mut history = History::open(&path).expect("open");
            let id = history
                .begin_exchange(&exchange("c1", &prompt))
                .expect("begin");
            history
                .connection
                .execute_batch(&format!(
                    "DROP TABLE streamed_pieces; PRAGMA user_version = 1;
                     UPDATE exchanges SET streamed_text = 'written by version 1, ' WHERE id = {id};"
                ))
                .expect("make it a version 1 log");
            id
        };
        let history = History::open(&path).expect("reopen");
        history.append_text(id, "then a piece").expect("append");
        assert_eq!(
            streamed(&history, "c1", 0).as_deref(),
            Some("written by version 1, then a piece")
        );
    }

    #[test]
    fn a_folder_others_can_write_is_refused() {
        let root = tempfile::tempdir().expect("temp dir");
        std::fs::set_permissions(root.path(), std::fs::Permissions::from_mode(0o777))
            .expect("chmod");
        let refused = History::open(&root.path().join("history.db"))
            .err()
            .expect("refused");
        assert!(refused.to_string().contains("can write it"), "{refused}");
    }

    /// Before `switch_to_wal` retried, about one round in fifty lost a
    /// process's exchange to "database is locked".
    #[test]
    fn first_runs_opening_a_new_log_at_once_all_write() {
        for round in 0..200 {
            let root = tempfile::tempdir().expect("temp dir");
            let path = root.path().join("log/history.db");
            let writers: Vec<_> = (0..4)
                .map(|n| {
                    let path = path.clone();
                    std::thread::spawn(move || -> Result<(), HistoryError> {
                        let prompt = LoggedMessage::text(Speaker::User, "q");
                        History::open(&path)?
                            .begin_exchange(&exchange(&format!("c{n}"), &prompt))?;
                        Ok(())
                    })
                })
                .collect();
            for writer in writers {
                if let Err(error) = writer.join().expect("the writer ends") {
                    panic!("round {round}: {error}");
                }
            }
            let listed = History::open(&path).expect("open").list(10).expect("list");
            assert_eq!(listed.len(), 4, "round {round}");
        }
    }
}
