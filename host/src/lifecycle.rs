//! Model lifecycles: how a status and its dates read, and the per-user cache
//! of one region's lifecycles that lets `invoke` tell a legacy model without
//! asking the control plane each time.
//!
//! Invariants: a cache file is one region's (and one endpoint's) list, kept
//! in a folder of this user's that nobody else can write, read only when it
//! is a regular file of this user's (never through a symbolic link), and
//! replaced whole by a rename, so a reader sees an old list or a new one,
//! never half of one. A list is fresh for [`FRESH_FOR`] after it was
//! fetched; after a failed fetch, the next try waits [`RETRY_AFTER_FAILURE`].
//! A file that cannot be read or parsed counts as no file.

use std::collections::BTreeMap;
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use sha2::Digest as _;

use crate::aws::{FoundationModel, ModelLifecycle};
use crate::paths;
use crate::plugin::private_fs::{ensure_private_dir, open_private_file};

/// How long a fetched list answers without a new fetch.
pub const FRESH_FOR: Duration = Duration::from_secs(24 * 60 * 60);

/// How long after a failed fetch the next one is tried.
pub const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(60 * 60);

/// The largest cache file read (a region lists a few hundred models).
const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// The dates of a lifecycle that a user acts on, as `(what, YYYY-MM-DD)`,
/// in the order they come.
pub fn dates(lifecycle: &ModelLifecycle) -> Vec<(&'static str, &str)> {
    [
        ("legacy from", &lifecycle.legacy_time),
        (
            "public extended access from",
            &lifecycle.public_extended_access_time,
        ),
        ("end of life", &lifecycle.end_of_life_time),
    ]
    .into_iter()
    .filter_map(|(what, time)| time.as_deref().map(|time| (what, day(time))))
    .collect()
}

/// The status, with the dates of [`dates`] when AWS gives any:
/// `LEGACY (legacy from 2025-01-15, end of life 2026-01-15)`.
pub fn summary(lifecycle: &ModelLifecycle) -> String {
    let dates = dates(lifecycle);
    if dates.is_empty() {
        return lifecycle.status.clone();
    }
    let dates: Vec<String> = dates
        .iter()
        .map(|(what, day)| format!("{what} {day}"))
        .collect();
    format!("{} ({})", lifecycle.status, dates.join(", "))
}

/// The day of an RFC 3339 time (`2025-01-15T00:00:00Z` → `2025-01-15`); the
/// text as it is when it does not start with one.
fn day(time: &str) -> &str {
    match time.get(..10) {
        Some(day) if day.as_bytes()[4] == b'-' && day.as_bytes()[7] == b'-' => day,
        _ => time,
    }
}

/// What the cache keeps of one listed model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListedModel {
    /// The provider's name (`Anthropic`), for the `models` command to suggest.
    pub provider: Option<String>,
    /// The model's lifecycle, when AWS gave one.
    pub lifecycle: Option<ModelLifecycle>,
}

/// One region's lifecycles, as cached.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CachedList {
    /// When the list was last fetched, in seconds since the Unix epoch.
    pub fetched_at: Option<u64>,
    /// When the last fetch failed, if it failed after the last success.
    pub failed_at: Option<u64>,
    /// Every listed model, by base id.
    pub models: BTreeMap<String, ListedModel>,
}

impl CachedList {
    /// A list just fetched.
    pub fn fetched(models: &[FoundationModel], now: SystemTime) -> Self {
        Self {
            fetched_at: Some(seconds(now)),
            failed_at: None,
            models: models
                .iter()
                .map(|model| {
                    let listed = ListedModel {
                        provider: model.provider.clone(),
                        lifecycle: model.lifecycle.clone(),
                    };
                    (model.model_id.clone(), listed)
                })
                .collect(),
        }
    }

    /// This list, with a failed fetch at `now` noted (its models kept).
    pub fn failed(self, now: SystemTime) -> Self {
        Self {
            failed_at: Some(seconds(now)),
            ..self
        }
    }

    /// Whether the list answers at `now` without a new fetch: fetched less
    /// than [`FRESH_FOR`] ago, or a fetch failed less than
    /// [`RETRY_AFTER_FAILURE`] ago. A time in the future (a clock set back)
    /// is not fresh.
    pub fn is_fresh(&self, now: SystemTime) -> bool {
        let now = seconds(now);
        let within = |at: Option<u64>, span: Duration| {
            at.is_some_and(|at| at <= now && now - at < span.as_secs())
        };
        within(self.fetched_at, FRESH_FOR) || within(self.failed_at, RETRY_AFTER_FAILURE)
    }

    /// The listed model with this base id.
    pub fn model(&self, base_id: &str) -> Option<&ListedModel> {
        self.models.get(base_id)
    }
}

/// Seconds since the Unix epoch (0 before it).
fn seconds(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs())
}

/// Why the cache could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum LifecycleCacheError {
    /// The folder is not this user's alone, or cannot be created.
    #[error("the model-lifecycle cache folder {} cannot be used: {reason}", folder.display())]
    Folder { folder: PathBuf, reason: String },
    /// The file is not this user's regular file, or cannot be read.
    #[error("the model-lifecycle cache {} cannot be read: {reason}", file.display())]
    Unreadable { file: PathBuf, reason: String },
    /// The new list could not be written.
    #[error("cannot write the model-lifecycle cache {}: {source}", file.display())]
    Write {
        file: PathBuf,
        source: std::io::Error,
    },
}

/// The cache file of one region and endpoint.
#[derive(Debug, Clone)]
pub struct LifecycleCache {
    file: PathBuf,
}

impl LifecycleCache {
    /// The per-user folder of these caches: `models` in the per-user cache
    /// folder (`~/.cache/bedrock-host/models` on Linux); `None` without a
    /// home.
    pub fn default_folder() -> Option<PathBuf> {
        paths::project_dirs().map(|dirs| dirs.cache_dir().join("models"))
    }

    /// The cache of `region` in `folder`: `<region>.json` for AWS's own
    /// endpoint, `<region>-<hash of the endpoint>.json` for another.
    pub fn new(folder: &Path, region: &str, endpoint_url: Option<&str>) -> Self {
        let name = match endpoint_url {
            None => format!("{region}.json"),
            Some(endpoint) => {
                let hash = hex::encode(sha2::Sha256::digest(endpoint.as_bytes()));
                format!("{region}-{}.json", &hash[..16])
            }
        };
        Self {
            file: folder.join(name),
        }
    }

    /// The cache file.
    pub fn file(&self) -> &Path {
        &self.file
    }

    /// The cached list; `Ok(None)` when there is none, or it does not parse
    /// (an older format, a torn write by another tool).
    pub fn read(&self) -> Result<Option<CachedList>, LifecycleCacheError> {
        let unreadable = |reason: String| LifecycleCacheError::Unreadable {
            file: self.file.clone(),
            reason,
        };
        let Some(file) = open_private_file(&self.file, false).map_err(unreadable)? else {
            return Ok(None);
        };
        let mut text = String::new();
        file.take(MAX_FILE_BYTES)
            .read_to_string(&mut text)
            .map_err(|error| unreadable(error.to_string()))?;
        Ok(serde_json::from_str(&text).ok())
    }

    /// Replaces the cached list with `list`: written to a new private file
    /// beside it, then renamed over it.
    pub fn write(&self, list: &CachedList) -> Result<(), LifecycleCacheError> {
        let folder = self.file.parent().unwrap_or(Path::new("."));
        ensure_private_dir(folder).map_err(|reason| LifecycleCacheError::Folder {
            folder: folder.to_owned(),
            reason,
        })?;
        let write_error = |source: std::io::Error| LifecycleCacheError::Write {
            file: self.file.clone(),
            source,
        };
        let mut temporary = tempfile::NamedTempFile::new_in(folder).map_err(write_error)?;
        let body = serde_json::to_vec(list).map_err(|error| write_error(error.into()))?;
        temporary.write_all(&body).map_err(write_error)?;
        temporary
            .persist(&self.file)
            .map_err(|error| write_error(error.error))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lifecycle(status: &str, legacy: Option<&str>, end: Option<&str>) -> ModelLifecycle {
        ModelLifecycle {
            status: status.into(),
            start_of_life_time: Some("2024-06-20T00:00:00Z".into()),
            legacy_time: legacy.map(str::to_owned),
            public_extended_access_time: None,
            end_of_life_time: end.map(str::to_owned),
        }
    }

    #[test]
    fn a_summary_gives_the_dates_a_user_acts_on_as_days() {
        assert_eq!(summary(&lifecycle("ACTIVE", None, None)), "ACTIVE");
        assert_eq!(
            summary(&lifecycle(
                "LEGACY",
                Some("2025-01-15T00:00:00Z"),
                Some("2026-03-01T12:00:00Z")
            )),
            "LEGACY (legacy from 2025-01-15, end of life 2026-03-01)"
        );
        assert_eq!(
            summary(&lifecycle("LEGACY", None, Some("soon"))),
            "LEGACY (end of life soon)"
        );
    }

    #[test]
    fn a_list_is_fresh_for_a_day_and_a_failure_waits_an_hour() {
        let fetched = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let list = CachedList::fetched(&[], fetched);
        assert!(list.is_fresh(fetched + Duration::from_secs(23 * 3600)));
        assert!(!list.is_fresh(fetched + FRESH_FOR));
        assert!(
            !list.is_fresh(fetched - Duration::from_secs(60)),
            "clock set back"
        );
        let failed_at = fetched + FRESH_FOR;
        let failed = list.failed(failed_at);
        assert!(failed.is_fresh(failed_at + Duration::from_secs(59 * 60)));
        assert!(!failed.is_fresh(failed_at + RETRY_AFTER_FAILURE));
        assert!(!CachedList::default().is_fresh(fetched));
    }

    #[test]
    fn a_written_list_reads_back_and_each_endpoint_has_its_own_file() {
        let root = tempfile::tempdir().expect("temp dir");
        let folder = root.path().join("models");
        let aws = LifecycleCache::new(&folder, "us-east-1", None);
        let local = LifecycleCache::new(&folder, "us-east-1", Some("http://127.0.0.1:9"));
        assert_ne!(aws.file(), local.file());
        assert!(aws.read().expect("no file yet").is_none());
        let mut list = CachedList::fetched(&[], UNIX_EPOCH + Duration::from_secs(5));
        list.models.insert(
            "a.model-v1:0".into(),
            ListedModel {
                provider: Some("A".into()),
                lifecycle: Some(lifecycle("LEGACY", None, None)),
            },
        );
        aws.write(&list).expect("written");
        assert_eq!(aws.read().expect("read"), Some(list));
        assert!(local.read().expect("read").is_none());
        std::fs::write(aws.file(), b"{not json").expect("spoil");
        assert!(aws.read().expect("unparsable is no list").is_none());
    }
}
