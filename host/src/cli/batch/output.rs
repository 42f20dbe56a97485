//! The batch output file: one JSON object a line, one line a finished
//! record, and what an earlier run already wrote to it.
//!
//! Invariants: a record is appended as one write of a whole line, then
//! flushed to the file, so what a crash or Ctrl-C leaves is whole lines; a
//! tail without its newline (a write a crash cut) is cut off when the file
//! is opened, so the record it held is sent again. A file that holds
//! anything but output records (each a JSON object with an `id`) is never
//! appended to.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{self, Read as _, Seek as _, Write as _};
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::record::id_key;
use crate::cli::invoke::stop_reason_name;
use crate::cli::message_json;
use crate::invocation::InvocationReport;

/// Why the output file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum OutputFileError {
    /// It cannot be opened, read or written.
    #[error("cannot use the output file {}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
    /// It holds a line that is not an output record.
    #[error(
        "the output file {} is not a batch output: line {line} {what}; give a new file, or one an earlier `batch run` wrote",
        path.display()
    )]
    NotOutput {
        path: PathBuf,
        line: usize,
        what: &'static str,
    },
}

/// What an earlier run wrote: the ids done, and whether each failed.
#[derive(Debug, Default)]
pub struct Written {
    failed_by_id: HashMap<String, bool>,
}

impl Written {
    /// Whether a record with this id is in the file, and if so whether it
    /// failed.
    pub fn failed(&self, id: &Value) -> Option<bool> {
        self.failed_by_id.get(&id_key(id)).copied()
    }
}

/// The output file, open for appending.
#[derive(Debug)]
pub struct OutputFile {
    file: File,
    path: PathBuf,
}

impl OutputFile {
    /// Opens (or creates) `path`, reads what is in it, and cuts off a last
    /// line left without its newline.
    pub fn open(path: &Path) -> Result<(Self, Written), OutputFileError> {
        let io_error = |source| OutputFileError::Io {
            path: path.to_owned(),
            source,
        };
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(path)
            .map_err(io_error)?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(io_error)?;
        let whole = match bytes.iter().rposition(|&byte| byte == b'\n') {
            Some(last_newline) => last_newline + 1,
            None => 0,
        };
        if whole < bytes.len() {
            tracing::warn!(
                "{}: dropped a last line left unfinished (its record is sent again)",
                path.display()
            );
            file.set_len(whole as u64).map_err(io_error)?;
            file.seek(io::SeekFrom::End(0)).map_err(io_error)?;
        }
        let written = read_written(path, &bytes[..whole])?;
        Ok((
            Self {
                file,
                path: path.to_owned(),
            },
            written,
        ))
    }

    /// Appends one output record as one line, with one write, and flushes it.
    pub fn append(&mut self, record: &Value) -> Result<(), OutputFileError> {
        let mut line = record.to_string();
        line.push('\n');
        self.file
            .write_all(line.as_bytes())
            .and_then(|()| self.file.flush())
            .map_err(|source| OutputFileError::Io {
                path: self.path.clone(),
                source,
            })
    }
}

/// The ids of the whole lines `bytes` holds.
fn read_written(path: &Path, bytes: &[u8]) -> Result<Written, OutputFileError> {
    let not_output = |line, what| OutputFileError::NotOutput {
        path: path.to_owned(),
        line,
        what,
    };
    let mut written = Written::default();
    for (index, line) in bytes.split(|&byte| byte == b'\n').enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let value: Value =
            serde_json::from_slice(line).map_err(|_| not_output(index + 1, "is not JSON"))?;
        let id = value
            .get("id")
            .filter(|id| id.is_string() || id.is_number())
            .ok_or_else(|| not_output(index + 1, "has no `id`"))?;
        let failed = value.get("error").is_some_and(|error| !error.is_null());
        written.failed_by_id.insert(id_key(id), failed);
    }
    Ok(written)
}

/// The output record of an answered record.
pub fn answer(id: &Value, line: usize, report: &InvocationReport) -> Value {
    let tool_calls: Vec<Value> = report
        .tool_calls
        .iter()
        .map(|call| {
            json!({"id": call.id, "name": call.name, "input": message_json::json_or_string(&call.input)})
        })
        .collect();
    let mut record = json!({
        "id": id,
        "line": line,
        "text": report.text,
        "stop_reason": report.stop.as_ref().map(|stop| stop_reason_name(stop.reason)),
        "input_tokens": report.input_tokens,
        "output_tokens": report.output_tokens,
        "tool_calls": tool_calls,
    });
    if !report.reasoning.is_empty() {
        record["reasoning"] = json!(report.reasoning);
    }
    record
}

/// The output record of a record that failed: `name` is the AWS error
/// name, or the host's name for a failure AWS did not see.
pub fn failure(id: &Value, line: usize, name: &str, message: &str) -> Value {
    json!({
        "id": id,
        "line": line,
        "error": {"name": name, "message": message},
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cut_last_line_is_dropped_and_whole_lines_are_kept() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("out.jsonl");
        std::fs::write(
            &path,
            "{\"id\": 1, \"text\": \"a\"}\n{\"id\": \"b\", \"error\": {\"name\": \"X\"}}\n{\"id\": 3, \"te",
        )
        .expect("write");
        let (mut file, written) = OutputFile::open(&path).expect("an output file");
        assert_eq!(written.failed(&json!(1)), Some(false));
        assert_eq!(written.failed(&json!("b")), Some(true));
        assert_eq!(
            written.failed(&json!(3)),
            None,
            "the cut record is not done"
        );
        assert_eq!(written.failed(&json!("1")), None);
        file.append(&failure(&json!(3), 3, "ThrottlingException", "slow down"))
            .expect("append");
        let text = std::fs::read_to_string(&path).expect("read");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3, "{text}");
        assert!(text.ends_with('\n'));
        let last: Value = serde_json::from_str(lines[2]).expect("JSON");
        assert_eq!(last["error"]["name"], "ThrottlingException");
        assert_eq!(last["line"], 3);
    }

    #[test]
    fn a_file_that_is_not_an_output_is_refused() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("notes.txt");
        std::fs::write(&path, "dear diary\n").expect("write");
        assert!(matches!(
            OutputFile::open(&path),
            Err(OutputFileError::NotOutput { line: 1, .. })
        ));
        std::fs::write(&path, "{\"prompt\": \"x\"}\n").expect("write");
        assert!(matches!(
            OutputFile::open(&path),
            Err(OutputFileError::NotOutput { line: 1, what, .. }) if what.contains("id")
        ));
        assert_eq!(
            std::fs::read_to_string(&path).expect("read"),
            "{\"prompt\": \"x\"}\n"
        );
    }
}
