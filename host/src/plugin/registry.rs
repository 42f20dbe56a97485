//! Where plugins are found, which of them loaded, and which one serves a
//! model id.
//!
//! Invariants: the search folders are consulted in a fixed, documented
//! order; every file that could not be loaded is kept with its reason, so
//! `plugins list` can show it. A plugin name is one plugin: when files in
//! the same or different folders describe themselves with the same name,
//! none of them is loaded, and each refusal names the other files. Routing
//! follows `routing.rs`: one candidate serves, several need the user's
//! choice, and the decision is logged (`-v`).
//!
//! Grants: an adapter `plugins install` placed (its record in the folder's
//! `plugins.sources.json` names these very bytes), signed by a publisher the
//! trust file still lists with the same key and whose grant covers its name
//! and patterns, carries that grant into routing. Nothing else does.
//!
//! Trust: a folder with a `plugins.lock` loads only the files it pins, and
//! only with the pinned bytes; a file it does not pin is refused, and a lock
//! file that cannot be read refuses every plugin of its folder. A folder
//! without a lock file loads every plugin in it (so a first run needs no
//! set-up); `plugins list` marks those plugins as unpinned and
//! `plugins verify` fails on them.

use std::path::{Path, PathBuf};

use super::error::PluginError;
use super::installed::InstalledPlugins;
use super::loader::{LoadedPlugin, Pin, PluginRuntime};
use super::lock::PluginLock;
use super::printable::printable;
use super::routing::{self, Claimant, Decision, Grant, RouteError, UserChoice};
use super::signature::key_id;
use super::trust_file::TrustFile;

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
    /// per-user data folder, then, in a debug build only, the folder this
    /// repository's build writes plugins to.
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
        dirs.extend(crate::paths::repository_plugins_dir());
        Self { dirs }
    }

    /// The folders, in search order.
    pub fn dirs(&self) -> &[PathBuf] {
        &self.dirs
    }
}

/// A plugin name that more than one file describes itself with: none of
/// those files is loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateName {
    /// The name the files share.
    pub name: String,
    /// Every file of that name, in search order.
    pub files: Vec<PathBuf>,
}

/// The plugin that serves a model id, and the decision that chose it.
pub struct Routed<'r> {
    /// The plugin.
    pub plugin: &'r LoadedPlugin,
    /// Why it serves, and every candidate there was.
    pub decision: Decision,
}

/// Every plugin found, loaded or not.
pub struct PluginRegistry {
    plugins: Vec<LoadedPlugin>,
    /// The grant each installed, signed, granted plugin holds, by file.
    grants: Vec<(PathBuf, Grant)>,
    failures: Vec<PluginError>,
    duplicates: Vec<DuplicateName>,
    searched: Vec<PathBuf>,
}

impl PluginRegistry {
    /// Loads every `*.wasm` file in `sources`, in order: each is described
    /// from the compile cache where it can be, and none is compiled before
    /// it serves (see `PluginRuntime::load_pinned`).
    pub async fn load(sources: &PluginSources, runtime: &PluginRuntime) -> Self {
        let mut registry = Self {
            plugins: Vec::new(),
            grants: Vec::new(),
            failures: Vec::new(),
            duplicates: Vec::new(),
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
                    Ok(plugin) => registry.plugins.push(plugin),
                    Err(error) => registry.failures.push(error),
                }
            }
        }
        registry.refuse_duplicate_names();
        registry.grants = grants_of(&registry.plugins);
        registry
    }

    /// Takes out every plugin whose name another loaded file also has, and
    /// records each such file as a failure naming the others.
    fn refuse_duplicate_names(&mut self) {
        for plugin in &self.plugins {
            match self.duplicates.iter_mut().find(|d| d.name == plugin.name()) {
                Some(duplicate) => duplicate.files.push(plugin.path().to_owned()),
                None => self.duplicates.push(DuplicateName {
                    name: plugin.name().to_owned(),
                    files: vec![plugin.path().to_owned()],
                }),
            }
        }
        self.duplicates
            .retain(|duplicate| duplicate.files.len() > 1);
        if self.duplicates.is_empty() {
            return;
        }
        let plugins = std::mem::take(&mut self.plugins);
        for plugin in plugins {
            let Some(duplicate) = self.duplicates.iter().find(|d| d.name == plugin.name()) else {
                self.plugins.push(plugin);
                continue;
            };
            let others: Vec<String> = duplicate
                .files
                .iter()
                .filter(|file| file.as_path() != plugin.path())
                .map(|file| file.display().to_string())
                .collect();
            self.failures.push(PluginError::Load {
                path: plugin.path().to_owned(),
                reason: format!(
                    "not loaded: its plugin name `{}` is also the name of {}; a name must be one plugin, so no file of that name is loaded until only one remains (remove the others from the plugin folders)",
                    printable(&duplicate.name),
                    others.join(" and ")
                ),
            });
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

    /// The plugin names that several files share (none of them loaded).
    pub fn duplicates(&self) -> &[DuplicateName] {
        &self.duplicates
    }

    /// The folders that were searched.
    pub fn searched(&self) -> &[PathBuf] {
        &self.searched
    }

    /// The plugin that serves `base_model_id` when the user has chosen
    /// nothing (no `--family`, no `[routing]` table).
    pub fn route(&self, base_model_id: &str) -> Result<&LoadedPlugin, RouteError> {
        self.choose(base_model_id, UserChoice::default())
            .map(|routed| routed.plugin)
    }

    /// The plugin that serves `base_model_id` given the user's choice, with
    /// the decision; logged at `-v`.
    pub fn route_with(
        &self,
        base_model_id: &str,
        choice: UserChoice<'_>,
    ) -> Result<Routed<'_>, RouteError> {
        let routed = self.choose(base_model_id, choice)?;
        let candidates: Vec<String> = routed
            .decision
            .candidates
            .iter()
            .map(ToString::to_string)
            .collect();
        tracing::info!(
            "`{base_model_id}` goes to plugin `{}` ({}): {}; candidates: {}",
            printable(routed.plugin.name()),
            routed.plugin.path().display(),
            routed.decision.reason,
            if candidates.is_empty() {
                "none".to_owned()
            } else {
                candidates.join(", ")
            }
        );
        Ok(routed)
    }

    /// As `route_with`, without the log line: for listing many ids.
    pub fn choose(
        &self,
        base_model_id: &str,
        choice: UserChoice<'_>,
    ) -> Result<Routed<'_>, RouteError> {
        self.decide(base_model_id, choice, LoadedPlugin::patterns)
    }

    /// The plugin that serves the embedding or rerank model `base_model_id`,
    /// by the patterns of `describe-embedder`, under the same rules as
    /// `route_with` (and logged as it is).
    pub fn route_embedding(
        &self,
        base_model_id: &str,
        choice: UserChoice<'_>,
    ) -> Result<Routed<'_>, RouteError> {
        let routed = self.decide(base_model_id, choice, LoadedPlugin::embedding_patterns)?;
        tracing::info!(
            "`{base_model_id}` goes to plugin `{}` ({}): {}",
            printable(routed.plugin.name()),
            routed.plugin.path().display(),
            routed.decision.reason,
        );
        Ok(routed)
    }

    /// Routing by the patterns `patterns` gives of each plugin.
    fn decide(
        &self,
        base_model_id: &str,
        choice: UserChoice<'_>,
        patterns: fn(&LoadedPlugin) -> &[String],
    ) -> Result<Routed<'_>, RouteError> {
        let claimants: Vec<Claimant<'_>> = self
            .plugins
            .iter()
            .map(|plugin| Claimant {
                name: plugin.name(),
                patterns: patterns(plugin),
                file: plugin.path(),
                grant: self
                    .grants
                    .iter()
                    .find(|(file, _)| file == plugin.path())
                    .map(|(_, grant)| grant),
            })
            .collect();
        let decision = routing::decide(&claimants, base_model_id, choice, || {
            self.describe_installed()
        })?;
        Ok(Routed {
            plugin: &self.plugins[decision.index],
            decision,
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
                let embedding = if p.embedding_patterns().is_empty() {
                    String::new()
                } else {
                    format!(
                        "; embedding and rerank: {}",
                        p.embedding_patterns().join(", ")
                    )
                };
                format!(
                    "  {} {}: {}{embedding}",
                    p.name(),
                    printable(&p.info().version),
                    p.patterns().join(", ")
                )
            })
            .collect();
        format!(
            "Installed plugins and the models they serve:\n{}",
            lines.join("\n")
        )
    }
}

/// The grants the installed plugins among `plugins` hold (see the module
/// documentation); none when the trust file cannot be read (`plugins
/// install` reports why).
fn grants_of(plugins: &[LoadedPlugin]) -> Vec<(PathBuf, Grant)> {
    let trust = match TrustFile::load() {
        Ok(trust) if !trust.publishers.is_empty() => trust,
        Ok(_) => return Vec::new(),
        Err(error) => {
            tracing::warn!("no publisher grants decide routing: {error}");
            return Vec::new();
        }
    };
    let mut grants = Vec::new();
    for plugin in plugins {
        let Some(dir) = plugin.path().parent() else {
            continue;
        };
        let Ok(installed) = InstalledPlugins::read_in(dir) else {
            continue;
        };
        let Some(record) = installed.for_bytes(&file_name(plugin.path()), plugin.sha256()) else {
            continue;
        };
        let (Some(signer), Some(signed_with)) = (&record.signer, &record.key_id) else {
            continue;
        };
        let Some(publisher) = trust.publisher(signer) else {
            continue;
        };
        let mut patterns = plugin.patterns().to_vec();
        patterns.extend(plugin.embedding_patterns().iter().cloned());
        if key_id(&publisher.key.key) != *signed_with
            || publisher.grants(plugin.name(), &patterns).is_err()
        {
            continue;
        }
        grants.push((
            plugin.path().to_owned(),
            Grant {
                publisher: signer.clone(),
                models: publisher.models.clone(),
                trust_file: trust.shown(),
            },
        ));
    }
    grants
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
