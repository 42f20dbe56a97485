//! Where plugins are found, which of them loaded, and which one serves a
//! model id.
//!
//! Invariants: the search folders are consulted in a fixed, documented order
//! and the first plugin of a given name wins; every file that could not be
//! loaded is kept with its reason, so `plugins list` can show it; routing
//! picks the single most specific pattern and refuses ties by name.
//!
//! Trust: a folder with a `plugins.lock` loads only the files it pins, and
//! only with the pinned bytes; a file it does not pin is refused, and a lock
//! file that cannot be read refuses every plugin of its folder. A folder
//! without a lock file loads every plugin in it (so a first run needs no
//! set-up); `plugins list` marks those plugins as unpinned and
//! `plugins verify` fails on them.

use std::path::{Path, PathBuf};

use super::error::PluginError;
use super::loader::{LoadedPlugin, Pin, PluginRuntime};
use super::lock::PluginLock;

/// The environment variable that names extra plugin folders (a path list).
pub const PLUGINS_ENV: &str = "BEDROCK_HOST_PLUGINS";

/// The folders searched for plugins, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginSources {
    dirs: Vec<PathBuf>,
}

impl PluginSources {
    /// Exactly these folders.
    pub fn only(dirs: Vec<PathBuf>) -> Self {
        Self { dirs }
    }

    /// The default search path: `BEDROCK_HOST_PLUGINS` (a path list), the
    /// per-user data folder, then the folder this repository's build writes
    /// plugins to.
    pub fn default_search_path() -> Self {
        let mut dirs: Vec<PathBuf> = std::env::var_os(PLUGINS_ENV)
            .map(|value| {
                std::env::split_paths(&value)
                    .filter(|p| !p.as_os_str().is_empty())
                    .collect()
            })
            .unwrap_or_default();
        if let Some(project) = crate::paths::project_dirs() {
            dirs.push(project.data_dir().join("plugins"));
        }
        dirs.push(crate::paths::repository_plugins_dir());
        Self { dirs }
    }

    /// The folders, in search order.
    pub fn dirs(&self) -> &[PathBuf] {
        &self.dirs
    }
}

/// Why no plugin serves a model id.
#[derive(Debug, thiserror::Error)]
pub enum RouteError {
    /// No pattern matches.
    #[error("no installed plugin serves `{model}`.\n{installed}")]
    NoMatch { model: String, installed: String },
    /// `--family` named a plugin that is not installed.
    #[error("no installed plugin is named `{name}`.\n{installed}")]
    UnknownPlugin { name: String, installed: String },
    /// Two plugins match equally well.
    #[error(
        "`{model}` is claimed equally by plugins `{first}` ({first_pattern}) and `{second}` ({second_pattern}); remove one of them"
    )]
    Ambiguous {
        model: String,
        first: String,
        first_pattern: String,
        second: String,
        second_pattern: String,
    },
}

/// Every plugin found, loaded or not.
pub struct PluginRegistry {
    plugins: Vec<LoadedPlugin>,
    failures: Vec<PluginError>,
    searched: Vec<PathBuf>,
}

impl PluginRegistry {
    /// Loads every `*.wasm` file in `sources`, in order.
    pub async fn load(sources: &PluginSources, runtime: &PluginRuntime) -> Self {
        let mut registry = Self {
            plugins: Vec::new(),
            failures: Vec::new(),
            searched: sources.dirs().to_vec(),
        };
        for dir in sources.dirs() {
            let files = wasm_files(dir);
            if files.is_empty() {
                continue;
            }
            let lock_path = PluginLock::path_in(dir);
            let lock = PluginLock::read_in(dir);
            for path in files {
                let refuse = |reason: String| PluginError::Load {
                    path: path.clone(),
                    reason,
                };
                let loaded = match &lock {
                    Ok(None) => runtime.load_pinned(&path, None).await,
                    Ok(Some(lock)) => match lock.pinned(&file_name(&path)) {
                        Some(sha256) => {
                            let pin = Pin {
                                sha256,
                                lock: &lock_path,
                            };
                            runtime.load_pinned(&path, Some(pin)).await
                        }
                        None => Err(refuse(format!(
                            "not pinned in {}, so it was not loaded; if you trust it, run `bedrock-host plugins pin {}` (with the same plugin folders)",
                            lock_path.display(),
                            file_stem(&path)
                        ))),
                    },
                    Err(error) => Err(refuse(format!(
                        "not loaded, because {error}; fix or delete it, then run `bedrock-host plugins pin`"
                    ))),
                };
                match loaded {
                    Ok(plugin) => registry.add(plugin),
                    Err(error) => registry.failures.push(error),
                }
            }
        }
        registry
    }

    fn add(&mut self, plugin: LoadedPlugin) {
        if let Some(first) = self.plugins.iter().find(|p| p.name() == plugin.name()) {
            self.failures.push(PluginError::Load {
                path: plugin.path().to_owned(),
                reason: format!(
                    "a plugin named `{}` was already loaded from {}",
                    plugin.name(),
                    first.path().display()
                ),
            });
        } else {
            self.plugins.push(plugin);
        }
    }

    /// The plugins that loaded, in search order.
    pub fn plugins(&self) -> &[LoadedPlugin] {
        &self.plugins
    }

    /// The files that did not load, with their reasons.
    pub fn failures(&self) -> &[PluginError] {
        &self.failures
    }

    /// The folders that were searched.
    pub fn searched(&self) -> &[PathBuf] {
        &self.searched
    }

    /// The plugin that serves `base_model_id`.
    pub fn route(&self, base_model_id: &str) -> Result<&LoadedPlugin, RouteError> {
        let mut best: Vec<(&LoadedPlugin, &str, usize)> = Vec::new();
        for plugin in &self.plugins {
            let most_specific = plugin
                .info()
                .models
                .iter()
                .filter(|pattern| pattern_matches(pattern, base_model_id))
                .map(|pattern| (pattern.as_str(), specificity(pattern)))
                .max_by_key(|(_, score)| *score);
            if let Some((pattern, score)) = most_specific {
                match best.first() {
                    Some((_, _, top)) if score < *top => {}
                    Some((_, _, top)) if score == *top => best.push((plugin, pattern, score)),
                    _ => best = vec![(plugin, pattern, score)],
                }
            }
        }
        match best.as_slice() {
            [(plugin, _, _)] => Ok(plugin),
            [(first, first_pattern, _), (second, second_pattern, _), ..] => {
                Err(RouteError::Ambiguous {
                    model: base_model_id.to_owned(),
                    first: first.name().to_owned(),
                    first_pattern: (*first_pattern).to_owned(),
                    second: second.name().to_owned(),
                    second_pattern: (*second_pattern).to_owned(),
                })
            }
            [] => Err(RouteError::NoMatch {
                model: base_model_id.to_owned(),
                installed: self.describe_installed(),
            }),
        }
    }

    /// The plugin named `name`, for when the user chooses it directly.
    pub fn named(&self, name: &str) -> Result<&LoadedPlugin, RouteError> {
        self.plugins
            .iter()
            .find(|plugin| plugin.name() == name)
            .ok_or_else(|| RouteError::UnknownPlugin {
                name: name.to_owned(),
                installed: self.describe_installed(),
            })
    }

    fn describe_installed(&self) -> String {
        let mut described = self.describe_loaded();
        if !self.failures.is_empty() {
            let failures: Vec<String> = self
                .failures
                .iter()
                .map(|failure| format!("  {failure}"))
                .collect();
            described.push_str("\nFiles that were not loaded:\n");
            described.push_str(&failures.join("\n"));
        }
        described
    }

    fn describe_loaded(&self) -> String {
        if self.plugins.is_empty() {
            let dirs: Vec<String> = self
                .searched
                .iter()
                .map(|d| d.display().to_string())
                .collect();
            return format!(
                "No plugins are installed (searched: {}). Build them with `cargo xtask plugins`, or point --plugins-dir at a folder of .wasm plugins.",
                dirs.join(", ")
            );
        }
        let lines: Vec<String> = self
            .plugins
            .iter()
            .map(|p| {
                format!(
                    "  {} {}: {}",
                    p.name(),
                    p.info().version,
                    p.info().models.join(", ")
                )
            })
            .collect();
        format!(
            "Installed plugins and the models they serve:\n{}",
            lines.join("\n")
        )
    }
}

/// The `*.wasm` files directly in `dir`, sorted by name; none if `dir` does
/// not exist.
pub fn wasm_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "wasm") && path.is_file())
        .collect();
    files.sort();
    files
}

/// The file's name, as a lock file records it.
pub fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The file's name without `.wasm`: the name `plugins pin` takes.
pub fn file_stem(path: &Path) -> String {
    path.file_stem()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Whether `pattern` (with `*` for any run of characters) matches `id` whole.
fn pattern_matches(pattern: &str, id: &str) -> bool {
    let mut pieces = pattern.split('*');
    let first = pieces.next().unwrap_or_default();
    let Some(mut rest) = id.strip_prefix(first) else {
        return false;
    };
    let pieces: Vec<&str> = pieces.collect();
    let Some((last, middle)) = pieces.split_last() else {
        return rest.is_empty();
    };
    for piece in middle {
        match rest.find(piece) {
            Some(at) => rest = &rest[at + piece.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// How specific a pattern is: its number of literal characters.
fn specificity(pattern: &str) -> usize {
    pattern.chars().filter(|&c| c != '*').count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_whole_ids() {
        assert!(pattern_matches("anthropic.claude-*", "anthropic.claude-v2"));
        assert!(pattern_matches("*", "anything"));
        assert!(pattern_matches("a*b*c", "a-x-b-y-c"));
        assert!(pattern_matches("exact", "exact"));
        assert!(!pattern_matches("exact", "exactly"));
        assert!(!pattern_matches("anthropic.claude-*", "amazon.titan"));
        assert!(!pattern_matches("a*bc", "abc-bc-x"));
        assert!(!pattern_matches("ab*ba", "aba"));
    }

    #[test]
    fn specificity_counts_literal_characters() {
        assert!(specificity("anthropic.claude-3*") > specificity("anthropic.*"));
        assert_eq!(specificity("*"), 0);
    }
}
