//! What `plugins install` records about each adapter it placed:
//! `plugins.sources.json`, beside the folder's `plugins.lock`. The lock
//! stays what `sha256sum --check` reads (its format has no room for more);
//! this file adds, per file name, the plugin's name and version, the source
//! as given and as resolved, its sha256, contract version, signer (or none),
//! whether the signer's grant covered it, its patterns and imports, and the
//! file it replaced (kept in `previous/` for `plugins rollback`).
//!
//! Invariants: the file is written to a temporary file in the same folder
//! and renamed into place; a record is only trusted for the bytes it names
//! (a record whose sha256 differs from the file's says nothing about it);
//! one that does not parse is an error naming the file, never a partial
//! list.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The record file's name inside a plugins folder.
pub const INSTALLED_FILE_NAME: &str = "plugins.sources.json";

/// The folder, inside a plugins folder, that keeps replaced files.
pub const PREVIOUS_DIR_NAME: &str = "previous";

/// Why the record file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum InstalledError {
    /// It exists but cannot be read or parsed.
    #[error("cannot read {}: {reason}; fix or delete it", path.display())]
    Read { path: PathBuf, reason: String },
    /// It could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// One installed adapter, as `plugins install` placed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstalledPlugin {
    /// The plugin's name (its `describe`).
    pub name: String,
    /// Its semver version.
    pub version: String,
    /// The source as given (what `plugins update` fetches again).
    pub source: String,
    /// What was fetched: the file or URL, or the OCI manifest digest.
    pub resolved: String,
    /// The sha256 of the file's bytes.
    pub sha256: String,
    /// The contract version it was built against.
    pub contract: String,
    /// The trusted publisher that signed it; `None` when unsigned.
    pub signer: Option<String>,
    /// The id of the signer's key.
    pub key_id: Option<String>,
    /// Whether the signer's grant covers its name and every pattern.
    pub granted: bool,
    /// Its model patterns (chat, embedding and rerank).
    pub patterns: Vec<String>,
    /// Its imports, by name.
    pub imports: Vec<String>,
    /// The file it replaced, kept in `previous/` under the same name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<Box<InstalledPlugin>>,
}

/// Every installed adapter of one folder, by file name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstalledPlugins {
    /// The records, by file name.
    pub plugins: BTreeMap<String, InstalledPlugin>,
}

impl InstalledPlugins {
    /// Where the record file of `dir` is.
    pub fn path_in(dir: &Path) -> PathBuf {
        dir.join(INSTALLED_FILE_NAME)
    }

    /// Reads the records of `dir`; empty when there is no file.
    pub fn read_in(dir: &Path) -> Result<Self, InstalledError> {
        let path = Self::path_in(dir);
        let text = match std::fs::read(&path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Self::default());
            }
            Err(error) => {
                return Err(InstalledError::Read {
                    path,
                    reason: error.to_string(),
                });
            }
        };
        serde_json::from_slice(&text).map_err(|error| InstalledError::Read {
            path,
            reason: error.to_string(),
        })
    }

    /// Writes the records of `dir`, atomically.
    pub fn write_in(&self, dir: &Path) -> Result<(), InstalledError> {
        let path = Self::path_in(dir);
        let write = || -> std::io::Result<()> {
            let mut text = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
            text.push(b'\n');
            let mut file = tempfile::NamedTempFile::new_in(dir)?;
            file.write_all(&text)?;
            file.as_file().sync_all()?;
            file.persist(&path).map_err(|error| error.error)?;
            Ok(())
        };
        write().map_err(|source| InstalledError::Write {
            path: path.clone(),
            source,
        })
    }

    /// The record of `file`, if it is for the bytes whose sha256 is `sha256`.
    pub fn for_bytes(&self, file: &str, sha256: &str) -> Option<&InstalledPlugin> {
        self.plugins
            .get(file)
            .filter(|record| record.sha256 == sha256)
    }

    /// The file name and record of the plugin named `name`.
    pub fn named(&self, name: &str) -> Option<(&str, &InstalledPlugin)> {
        self.plugins
            .iter()
            .find(|(_, record)| record.name == name)
            .map(|(file, record)| (file.as_str(), record))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(name: &str, sha256: &str) -> InstalledPlugin {
        InstalledPlugin {
            name: name.into(),
            version: "1.0.0".into(),
            source: "oci://127.0.0.1:5000/v/echo:1".into(),
            resolved: "oci://127.0.0.1:5000/v/echo@sha256:00".into(),
            sha256: sha256.into(),
            contract: "0.2.1".into(),
            signer: Some("Vendor".into()),
            key_id: Some("0011".into()),
            granted: true,
            patterns: vec!["echo.*".into()],
            imports: vec!["wasi:io/streams@0.2.0".into()],
            previous: None,
        }
    }

    #[test]
    fn records_round_trip_and_hold_only_for_their_bytes() {
        let dir = tempfile::tempdir().expect("temp dir");
        assert_eq!(
            InstalledPlugins::read_in(dir.path()).expect("none"),
            InstalledPlugins::default()
        );
        let mut installed = InstalledPlugins::default();
        let mut echo = record("echo", "aa");
        echo.previous = Some(Box::new(record("echo", "bb")));
        installed.plugins.insert("echo.wasm".into(), echo);
        installed.write_in(dir.path()).expect("write");
        let read = InstalledPlugins::read_in(dir.path()).expect("read");
        assert_eq!(read, installed);
        assert!(read.for_bytes("echo.wasm", "aa").is_some());
        assert!(read.for_bytes("echo.wasm", "bb").is_none());
        assert_eq!(read.named("echo").map(|(file, _)| file), Some("echo.wasm"));
        std::fs::write(InstalledPlugins::path_in(dir.path()), "{").expect("corrupt");
        let error = InstalledPlugins::read_in(dir.path()).expect_err("corrupt");
        assert!(error.to_string().contains(INSTALLED_FILE_NAME), "{error}");
    }
}
