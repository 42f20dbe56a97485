//! The lock file that pins each plugin's bytes: `plugins.lock`, one per
//! plugins folder, beside the `.wasm` files it covers.
//!
//! The format is the one `sha256sum` writes: one line per plugin file, the
//! sha256 of its bytes in lower-case hex, two spaces (or a space and `*`),
//! and the file's name, which must be a plain name in the same folder.
//! Blank lines and lines starting with `#` are ignored. The host writes the
//! lines sorted by file name and nothing else, so `sha256sum --check --strict
//! plugins.lock` run in the folder checks it without bedrock-host.
//!
//! Invariants: a lock file that does not parse is an error naming the file
//! and the line, never a partial lock (a folder whose lock cannot be read
//! loads none of its plugins); the file is written to a temporary file in
//! the same folder and renamed into place, so a reader sees the old lock or
//! the new one, never half of one.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// The lock file's name inside a plugins folder.
pub const LOCK_FILE_NAME: &str = "plugins.lock";

/// Why a lock file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// The file exists but could not be read.
    #[error("cannot read the lock file {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A line is not `SHA256  FILE`.
    #[error("the lock file {} is invalid at line {line}: {reason}", path.display())]
    Invalid {
        path: PathBuf,
        line: usize,
        reason: String,
    },
    /// The new lock could not be written.
    #[error("cannot write the lock file {}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The pinned sha256 of each plugin file of one folder.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PluginLock {
    pins: BTreeMap<String, String>,
}

impl PluginLock {
    /// Where the lock file of `dir` lives.
    pub fn path_in(dir: &Path) -> PathBuf {
        dir.join(LOCK_FILE_NAME)
    }

    /// Reads the lock file of `dir`: `None` when there is none.
    pub fn read_in(dir: &Path) -> Result<Option<Self>, LockError> {
        let path = Self::path_in(dir);
        let text = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(LockError::Read { path, source }),
        };
        let text = String::from_utf8(text).map_err(|error| LockError::Invalid {
            path: path.clone(),
            line: line_of_byte(error.as_bytes(), error.utf8_error().valid_up_to()),
            reason: "the file is not UTF-8 text".into(),
        })?;
        Self::parse(&text)
            .map(Some)
            .map_err(|(line, reason)| LockError::Invalid { path, line, reason })
    }

    /// Parses the text of a lock file; an error is the 1-based line number
    /// and what is wrong with it.
    pub fn parse(text: &str) -> Result<Self, (usize, String)> {
        let mut pins = BTreeMap::new();
        for (index, line) in text.lines().enumerate() {
            let number = index + 1;
            let line = line.strip_suffix('\r').unwrap_or(line);
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let (hash, file) = line
                .split_once("  ")
                .or_else(|| line.split_once(" *"))
                .ok_or_else(|| {
                    (
                        number,
                        "expected a sha256, two spaces and a file name".to_owned(),
                    )
                })?;
            if hash.len() != 64 || !hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
                return Err((
                    number,
                    format!("{hash:?} is not a sha256 (64 lower-case hex digits)"),
                ));
            }
            check_file_name(file).map_err(|reason| (number, reason))?;
            if pins.insert(file.to_owned(), hash.to_owned()).is_some() {
                return Err((number, format!("`{file}` is pinned twice")));
            }
        }
        Ok(Self { pins })
    }

    /// The text of this lock, as written to disk.
    pub fn render(&self) -> String {
        let mut text = String::new();
        for (file, hash) in &self.pins {
            // Writing to a String cannot fail.
            let _ = writeln!(text, "{hash}  {file}");
        }
        text
    }

    /// Writes this lock as the lock file of `dir`, atomically.
    pub fn write_in(&self, dir: &Path) -> Result<(), LockError> {
        let path = Self::path_in(dir);
        let write = || -> std::io::Result<()> {
            let mut file = tempfile::NamedTempFile::new_in(dir)?;
            file.write_all(self.render().as_bytes())?;
            file.as_file().sync_all()?;
            file.persist(&path).map_err(|error| error.error)?;
            Ok(())
        };
        write().map_err(|source| LockError::Write {
            path: path.clone(),
            source,
        })
    }

    /// The pinned sha256 of the file named `file`, if it is pinned.
    pub fn pinned(&self, file: &str) -> Option<&str> {
        self.pins.get(file).map(String::as_str)
    }

    /// Pins `file` to `sha256`, replacing any earlier pin; returns the
    /// earlier pin.
    pub fn pin(&mut self, file: &str, sha256: &str) -> Option<String> {
        self.pins.insert(file.to_owned(), sha256.to_owned())
    }

    /// Drops the pin of `file`; returns it.
    pub fn unpin(&mut self, file: &str) -> Option<String> {
        self.pins.remove(file)
    }

    /// Every pinned file name with its sha256, sorted by name.
    pub fn entries(&self) -> impl Iterator<Item = (&str, &str)> {
        self.pins
            .iter()
            .map(|(file, hash)| (file.as_str(), hash.as_str()))
    }
}

/// The sha256 of `bytes`, in lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn check_file_name(file: &str) -> Result<(), String> {
    if file.is_empty() {
        return Err("the file name is missing".into());
    }
    if file.contains(['/', '\\']) || file == "." || file == ".." {
        return Err(format!(
            "`{file}` is not a plain file name: a lock file pins only the files beside it"
        ));
    }
    Ok(())
}

fn line_of_byte(bytes: &[u8], at: usize) -> usize {
    bytes[..at].iter().filter(|&&b| b == b'\n').count() + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    const B: &str = "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";

    #[test]
    fn parses_sha256sum_lines_comments_and_blank_lines() {
        let text = format!("# pinned by hand\n\n{A}  anthropic.wasm\r\n{B} *meta.wasm\n");
        let lock = PluginLock::parse(&text).expect("valid");
        assert_eq!(lock.pinned("anthropic.wasm"), Some(A));
        assert_eq!(lock.pinned("meta.wasm"), Some(B));
        assert_eq!(lock.pinned("mistral.wasm"), None);
    }

    #[test]
    fn a_file_name_may_contain_spaces() {
        let lock = PluginLock::parse(&format!("{A}  my plugin.wasm\n")).expect("valid");
        assert_eq!(lock.pinned("my plugin.wasm"), Some(A));
    }

    #[test]
    fn renders_sorted_and_parses_back() {
        let mut lock = PluginLock::default();
        lock.pin("meta.wasm", B);
        lock.pin("anthropic.wasm", A);
        let text = lock.render();
        assert_eq!(text, format!("{A}  anthropic.wasm\n{B}  meta.wasm\n"));
        assert_eq!(PluginLock::parse(&text).expect("round trip"), lock);
    }

    #[test]
    fn pinning_again_replaces_and_returns_the_old_hash() {
        let mut lock = PluginLock::default();
        assert_eq!(lock.pin("a.wasm", A), None);
        assert_eq!(lock.pin("a.wasm", B).as_deref(), Some(A));
        assert_eq!(lock.pinned("a.wasm"), Some(B));
    }

    #[test]
    fn each_bad_line_is_named_by_number() {
        let cases = [
            (format!("{A}  a.wasm\nnonsense\n"), 2, "two spaces"),
            (format!("{}  a.wasm\n", &A[..63]), 1, "not a sha256"),
            (format!("{}  a.wasm\n", A.to_uppercase()), 1, "not a sha256"),
            (format!("{A}  \n"), 1, "missing"),
            (format!("{A}  ../evil.wasm\n"), 1, "not a plain file name"),
            (format!("{A}  sub/a.wasm\n"), 1, "not a plain file name"),
            (format!("\n{A}  a.wasm\n{B}  a.wasm\n"), 3, "pinned twice"),
        ];
        for (text, line, reason) in cases {
            let (got_line, got_reason) = PluginLock::parse(&text).expect_err(&text);
            assert_eq!(got_line, line, "{text:?}: {got_reason}");
            assert!(got_reason.contains(reason), "{text:?}: {got_reason}");
        }
    }

    #[test]
    fn reads_writes_and_reports_the_file_and_line() {
        let dir = tempfile::tempdir().expect("temp dir");
        assert_eq!(PluginLock::read_in(dir.path()).expect("no lock"), None);
        let mut lock = PluginLock::default();
        lock.pin("a.wasm", A);
        lock.write_in(dir.path()).expect("write");
        assert_eq!(
            PluginLock::read_in(dir.path()).expect("read"),
            Some(lock.clone())
        );
        std::fs::write(
            PluginLock::path_in(dir.path()),
            [format!("{A}  a.wasm\n").as_bytes(), b"\xff\n"].concat(),
        )
        .expect("corrupt");
        let error = PluginLock::read_in(dir.path()).expect_err("not UTF-8");
        let text = error.to_string();
        assert!(
            text.contains("plugins.lock") && text.contains("line 2") && text.contains("UTF-8"),
            "{text}"
        );
    }

    #[test]
    fn hashes_are_lower_case_hex_sha256() {
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
