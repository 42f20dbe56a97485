//! The trust file: which publisher keys the user trusts, and for what. It is
//! `trust.toml` in the per-user config folder (`~/.config/bedrock-host/` on
//! Linux), or the file `BEDROCK_HOST_TRUST` names:
//!
//! ```toml
//! [[publisher]]
//! name = "Example Models"                  # shown in `plugins list`
//! key = "ssh-ed25519 AAAAC3Nza... vendor"  # OpenSSH or PEM Ed25519 public key
//! plugins = ["echo"]                       # plugin names it may sign (`*` allowed)
//! models = ["echo.*"]                      # model-id patterns its plugins may claim
//! ```
//!
//! Invariants: a file that does not parse, or a publisher without a name, a
//! key that reads, or with no grant, is an error naming the file (never a
//! partial trust list); a missing file trusts nobody. A grant covers a
//! plugin when its name matches one of `plugins` and every model pattern it
//! claims, read as text, matches one of `models` (so `echo.*` covers
//! `echo.v2-*`, and `*` alone covers everything).

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::routing::pattern_matches;
use super::signature::{TrustedKey, parse_public_key};

/// The environment variable that names the trust file.
pub const TRUST_ENV: &str = "BEDROCK_HOST_TRUST";

/// The trust file's name in the per-user config folder.
pub const TRUST_FILE_NAME: &str = "trust.toml";

/// Why the trust file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum TrustFileError {
    /// It exists but cannot be read.
    #[error("cannot read the trust file {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// It does not say what it must.
    #[error("the trust file {} is invalid: {reason}", path.display())]
    Invalid { path: PathBuf, reason: String },
}

/// One trusted publisher and what it may sign.
#[derive(Debug, Clone)]
pub struct Publisher {
    /// Its key, with its name.
    pub key: TrustedKey,
    /// The plugin names it may sign.
    pub plugins: Vec<String>,
    /// The model-id patterns its plugins may claim.
    pub models: Vec<String>,
}

impl Publisher {
    /// Whether this publisher may sign a plugin named `name` claiming
    /// `patterns`; `Err` is what it may not.
    pub fn grants(&self, name: &str, patterns: &[String]) -> Result<(), String> {
        if !self
            .plugins
            .iter()
            .any(|grant| pattern_matches(grant, name))
        {
            return Err(format!(
                "publisher `{}` is not granted the plugin name `{name}` (its grant: {})",
                self.key.publisher,
                self.plugins.join(", ")
            ));
        }
        let outside: Vec<&str> = patterns
            .iter()
            .filter(|pattern| !self.covers(pattern))
            .map(String::as_str)
            .collect();
        if !outside.is_empty() {
            return Err(format!(
                "publisher `{}` is not granted the model patterns {} (its grant: {})",
                self.key.publisher,
                outside.join(", "),
                self.models.join(", ")
            ));
        }
        Ok(())
    }

    /// Whether the model-id pattern (or id) `pattern` is within the grant.
    pub fn covers(&self, pattern: &str) -> bool {
        self.models
            .iter()
            .any(|grant| pattern_matches(grant, pattern))
    }
}

/// Every trusted publisher, and the file they came from.
#[derive(Debug, Clone, Default)]
pub struct TrustFile {
    /// Where the file is (or would be).
    pub path: Option<PathBuf>,
    /// Its publishers, in file order.
    pub publishers: Vec<Publisher>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileText {
    #[serde(default)]
    publisher: Vec<PublisherText>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PublisherText {
    name: String,
    key: String,
    #[serde(default)]
    plugins: Vec<String>,
    #[serde(default)]
    models: Vec<String>,
}

impl TrustFile {
    /// Where the trust file is: `BEDROCK_HOST_TRUST`, else `trust.toml` in
    /// the per-user config folder.
    pub fn default_path() -> Option<PathBuf> {
        if let Some(path) = std::env::var_os(TRUST_ENV).filter(|v| !v.is_empty()) {
            return Some(PathBuf::from(path));
        }
        crate::paths::project_dirs().map(|dirs| dirs.config_dir().join(TRUST_FILE_NAME))
    }

    /// Reads the trust file at its default path; a missing file trusts nobody.
    pub fn load() -> Result<Self, TrustFileError> {
        match Self::default_path() {
            Some(path) => Self::read(&path),
            None => Ok(Self::default()),
        }
    }

    /// Reads the trust file at `path`; a missing file trusts nobody.
    pub fn read(path: &Path) -> Result<Self, TrustFileError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Self {
                    path: Some(path.to_owned()),
                    publishers: Vec::new(),
                });
            }
            Err(source) => {
                return Err(TrustFileError::Read {
                    path: path.to_owned(),
                    source,
                });
            }
        };
        let invalid = |reason: String| TrustFileError::Invalid {
            path: path.to_owned(),
            reason,
        };
        let parsed: FileText = toml::from_str(&text).map_err(|error| invalid(error.to_string()))?;
        let mut publishers = Vec::new();
        for (index, publisher) in parsed.publisher.into_iter().enumerate() {
            let number = index + 1;
            if publisher.name.trim().is_empty() || publisher.name.chars().any(char::is_control) {
                return Err(invalid(format!(
                    "publisher {number} has an empty name or control characters in it"
                )));
            }
            if publisher.plugins.is_empty() || publisher.models.is_empty() {
                return Err(invalid(format!(
                    "publisher `{}` grants nothing: give it `plugins` (names) and `models` (patterns)",
                    publisher.name
                )));
            }
            let key = parse_public_key(&publisher.key)
                .map_err(|error| invalid(format!("publisher `{}`: {error}", publisher.name)))?;
            publishers.push(Publisher {
                key: TrustedKey {
                    publisher: publisher.name,
                    key,
                },
                plugins: publisher.plugins,
                models: publisher.models,
            });
        }
        Ok(Self {
            path: Some(path.to_owned()),
            publishers,
        })
    }

    /// The keys, for `signature::verify`.
    pub fn keys(&self) -> Vec<TrustedKey> {
        self.publishers.iter().map(|p| p.key.clone()).collect()
    }

    /// The publisher named `name`.
    pub fn publisher(&self, name: &str) -> Option<&Publisher> {
        self.publishers.iter().find(|p| p.key.publisher == name)
    }

    /// The file's path for messages.
    pub fn shown(&self) -> String {
        self.path.as_deref().map_or_else(
            || "the trust file (no home folder to find it in)".to_owned(),
            |path| path.display().to_string(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::signature::generate_key_pair;

    fn write(text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join(TRUST_FILE_NAME);
        std::fs::write(&path, text).expect("write");
        (dir, path)
    }

    #[test]
    fn a_grant_covers_names_and_patterns_within_it() {
        let (_, public) = generate_key_pair("v");
        let (_dir, path) = write(&format!(
            "[[publisher]]\nname = \"Vendor\"\nkey = \"{public}\"\nplugins = [\"echo\"]\nmodels = [\"echo.*\"]\n"
        ));
        let trust = TrustFile::read(&path).expect("valid");
        let vendor = trust.publisher("Vendor").expect("listed");
        assert!(vendor.grants("echo", &["echo.v2-*".into()]).is_ok());
        let outside = vendor
            .grants("echo", &["echo.*".into(), "anthropic.*".into()])
            .expect_err("outside");
        assert!(
            outside.contains("anthropic.*") && !outside.contains("echo.*,"),
            "{outside}"
        );
        assert!(vendor.grants("other", &["echo.x".into()]).is_err());
        assert!(vendor.covers("echo.x") && !vendor.covers("meta.llama"));
    }

    #[test]
    fn a_missing_file_trusts_nobody_and_a_bad_one_is_named() {
        let dir = tempfile::tempdir().expect("temp dir");
        let missing = TrustFile::read(&dir.path().join("none.toml")).expect("missing is empty");
        assert!(missing.publishers.is_empty());
        for text in [
            "[[publisher]]\nname = \"V\"\nkey = \"nonsense\"\nplugins = [\"a\"]\nmodels = [\"a.*\"]\n",
            "[[publisher]]\nname = \"V\"\nkey = \"x\"\n",
            "publisher = 3\n",
        ] {
            let (_dir, path) = write(text);
            let error = TrustFile::read(&path).expect_err(text).to_string();
            assert!(error.contains(TRUST_FILE_NAME), "{error}");
        }
    }
}
