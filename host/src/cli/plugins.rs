//! `bedrock-host plugins ...`: what is installed and what failed to load
//! (`list`), pinning plugin bytes in each folder's `plugins.lock` (`pin`),
//! checking the folders against their locks (`verify`), reading one file
//! without running it (`inspect`), and recording which plugin serves the
//! ids several plugins claim (`route`).
//!
//! Invariants: `pin` (given file names), `verify` and `inspect` never
//! compile or run a plugin; they read bytes, hash them, and (for `inspect`)
//! parse them; `pin` given a plugin's name describes the files to find it. Only `list`
//! and `route` load plugins, through the same registry `invoke` uses.
//! `route` edits the config file in place (comments and layout kept), only
//! when the file is valid before and after, and replaces it atomically.
//! Every string a plugin file chose (version, description, options, names
//! inside the component) is printed escaped in text, JSON-escaped in JSON.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::{Args, Subcommand};
use serde_json::{Value, json};

use super::exit::UsageError;
use super::session::Session;
use super::stdout::{self, outln};
use super::{Exit, OutputFormat};
use super::{plugins_install, plugins_new};
use crate::config::{self, ConfigError};
use crate::plugin::embedding::EmbeddingModel;
use crate::plugin::{
    AttachmentLimits, CONTRACT_VERSION, Capabilities, Inspection, InstalledPlugin,
    InstalledPlugins, LOCK_FILE_NAME, LoadedPlugin, PluginError, PluginLock, PluginRegistry,
    RouteError, file_name, file_stem, inspect, pattern_matches, printable, served_contracts,
    sha256_hex, wasm_files,
};

/// The `plugins` subcommands.
#[derive(Debug, Subcommand)]
pub enum PluginsCommand {
    /// List every plugin found: name, version, contract, model patterns, file,
    /// sha256 and pin, and every file that was not loaded, with the reason.
    List(OutputArgs),
    /// Pin the sha256 of plugin files in their folder's plugins.lock.
    ///
    /// With no NAME, every plugin file of every plugin folder is pinned as it
    /// is now, and entries for files that are gone are dropped. With NAMEs,
    /// only those files are (re)pinned and the rest of the lock is kept; a
    /// folder must have been pinned whole once before. The lock is written
    /// atomically. A NAME that is no file's name is taken as a plugin's
    /// name: the files are then described (from the compile cache where it
    /// has their answer) to find it; otherwise nothing is run.
    Pin(PinArgs),
    /// Check every plugin file against its folder's plugins.lock; exits 3
    /// naming each file that changed, is not pinned, or is pinned but gone.
    /// Nothing is run.
    Verify(OutputArgs),
    /// Describe a .wasm file without running it: kind, size, sha256,
    /// contract version(s), exports, imports, pin, and whether this host can
    /// load it (exit 3 when it cannot). The file is parsed and validated with
    /// wasmparser; it is neither compiled nor instantiated.
    Inspect(InspectArgs),
    /// Install an adapter from a file, an http(s) URL or an OCI registry
    /// (oci://registry/namespace/name:tag), after checking its digest, its
    /// contract version, its imports, its describe, its semver version and
    /// its publisher's signature and grant (the trust file).
    ///
    /// It is placed atomically in the per-user plugins folder (or the first
    /// --plugins-dir), pinned in its plugins.lock, and recorded with its
    /// source, digest, contract version and signer in plugins.sources.json
    /// beside it. A refusal exits 3 and names the check; a source that cannot
    /// be reached exits 7.
    Install(plugins_install::InstallArgs),
    /// Fetch an installed adapter's source again and install what it holds
    /// now, if it comes from the same signer; shows what changed (version,
    /// model patterns, imports) and keeps the previous file for `rollback`.
    Update(plugins_install::UpdateArgs),
    /// Serve the file `plugins update` replaced again.
    Rollback(plugins_install::NameArgs),
    /// Remove an installed adapter: its file, its pin, its record.
    Remove(plugins_install::NameArgs),
    /// Sign a component with an Ed25519 key (wasmsign2's embedded signature).
    Sign(plugins_install::SignArgs),
    /// Make an Ed25519 key pair for `plugins sign`.
    Keygen(plugins_install::KeygenArgs),
    /// Record that PLUGIN serves the model ids PATTERN matches, for when
    /// several installed plugins claim them.
    ///
    /// Writes `"PATTERN" = "PLUGIN"` in the [routing] table of the config
    /// file (--config FILE, else $BEDROCK_HOST_CONFIG, else the per-user
    /// one), creating the file if it is missing. The rest of the file,
    /// comments included, is kept; the file is replaced atomically.
    Route(RouteArgs),
    /// Write a new adapter project in a new folder: it builds to a component
    /// with one command (its README says which), has tests, and is served as
    /// it is (it speaks a text-completion body the local Bedrock answers).
    /// An existing folder that is not empty is refused (exit 2).
    New(plugins_new::NewArgs),
}

/// Arguments of `plugins list` and `plugins verify`.
#[derive(Debug, Args)]
pub struct OutputArgs {
    /// How to print the result.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    output: OutputFormat,
}

/// Arguments of `plugins pin`.
#[derive(Debug, Args)]
pub struct PinArgs {
    /// Plugins to pin: a file name with or without `.wasm` (`anthropic`),
    /// or a plugin's name as `plugins list` shows it.
    names: Vec<String>,
    /// How to print the result.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    output: OutputFormat,
}

/// Arguments of `plugins route`.
#[derive(Debug, Args)]
pub struct RouteArgs {
    /// The model ids: a base model id (`anthropic.claude-sonnet-4-5-20250929-v1:0`)
    /// or a pattern with `*` for any run of characters (`anthropic.*`).
    pattern: String,
    /// The plugin that serves them, by the name `plugins list` shows.
    plugin: String,
}

/// Arguments of `plugins inspect`.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// The .wasm file.
    file: PathBuf,
    /// How to print the result.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    output: OutputFormat,
}

impl PluginsCommand {
    /// How the command prints its result.
    pub fn output(&self) -> OutputFormat {
        match self {
            PluginsCommand::List(args) | PluginsCommand::Verify(args) => args.output,
            PluginsCommand::Pin(args) => args.output,
            PluginsCommand::Inspect(args) => args.output,
            PluginsCommand::Route(_)
            | PluginsCommand::Install(_)
            | PluginsCommand::Update(_)
            | PluginsCommand::Rollback(_)
            | PluginsCommand::Remove(_)
            | PluginsCommand::Sign(_)
            | PluginsCommand::Keygen(_)
            | PluginsCommand::New(_) => OutputFormat::Text,
        }
    }
}

/// Runs one `plugins` subcommand.
pub async fn run(session: &Session, command: PluginsCommand) -> anyhow::Result<Exit> {
    match command {
        PluginsCommand::List(args) => list(session, args.output).await,
        PluginsCommand::Pin(args) => pin(session, &args).await,
        PluginsCommand::Verify(args) => verify(session, args.output),
        PluginsCommand::Inspect(args) => inspect_file(&args),
        PluginsCommand::Route(args) => route(session, &args).await,
        PluginsCommand::Install(args) => plugins_install::install(session, &args).await,
        PluginsCommand::Update(args) => plugins_install::update(session, &args).await,
        PluginsCommand::Rollback(args) => plugins_install::rollback(session, &args),
        PluginsCommand::Remove(args) => plugins_install::remove(session, &args),
        PluginsCommand::Sign(args) => plugins_install::sign_file(&args),
        PluginsCommand::Keygen(args) => plugins_install::keygen(&args),
        PluginsCommand::New(args) => plugins_new::run(&args),
    }
}

fn display_all(paths: &[PathBuf]) -> Vec<String> {
    paths.iter().map(|d| d.display().to_string()).collect()
}

async fn list(session: &Session, output: OutputFormat) -> anyhow::Result<Exit> {
    let registry = session.plugins().await?;
    if output == OutputFormat::Json {
        let plugins: Vec<_> = registry
            .plugins()
            .iter()
            .map(|p| {
                json!({
                    "name": p.name(),
                    "version": p.info().version,
                    "contract": format!("bedrock:adapter@{}", p.contract_version()),
                    "description": p.info().description,
                    "models": p.info().models,
                    "embedder": p.embedder(),
                    "options": p.info().options,
                    "file": p.path(),
                    "sha256": p.sha256(),
                    "pinned_in": p.pinned_in(),
                    "installed": installed_of(p).map(|record| json!({
                        "source": record.source,
                        "resolved": record.resolved,
                        "contract": record.contract,
                        "signer": record.signer,
                        "key_id": record.key_id,
                        "signed": record.signer.is_some(),
                        "granted": record.granted,
                    })),
                })
            })
            .collect();
        let failures: Vec<_> = registry.failures().iter().map(|f| f.to_string()).collect();
        let duplicates: Vec<_> = registry
            .duplicates()
            .iter()
            .map(|duplicate| json!({"name": duplicate.name, "files": duplicate.files}))
            .collect();
        stdout::json(&json!({
            "host_contract": CONTRACT_VERSION,
            "serves": served_contracts(),
            "plugins": plugins,
            "failures": failures,
            "duplicate_names": duplicates,
            "searched": display_all(registry.searched()),
        }))?;
        return Ok(refuse_duplicates(registry));
    }
    outln!(
        "This host serves plugins built against {}.",
        served_contracts()
    );
    if registry.plugins().is_empty() {
        outln!("No plugins found.");
    }
    for plugin in registry.plugins() {
        let info = plugin.info();
        outln!(
            "{} {}  (bedrock:adapter@{})",
            info.name,
            printable(&info.version),
            plugin.contract_version()
        );
        outln!("  {}", printable(&info.description));
        outln!("  models:");
        for model in &info.models {
            outln!(
                "    {}  {}",
                model.pattern,
                capability_summary(&model.capabilities)
            );
        }
        if let Some(embedder) = plugin.embedder() {
            for model in &embedder.embedding_models {
                outln!("    {}  {}", model.pattern, embedding_summary(model));
            }
            for model in &embedder.rerank_models {
                outln!(
                    "    {}  rerank, at most {} documents a call",
                    model.pattern,
                    model.max_documents
                );
            }
        }
        if !info.options.is_empty() {
            let options: Vec<String> = info.options.iter().map(|o| printable(o)).collect();
            outln!("  options:   {}", options.join(", "));
        }
        outln!("  file:      {}", plugin.path().display());
        outln!("  sha256:    {}", plugin.sha256());
        match plugin.pinned_in() {
            Some(lock) => outln!("  pinned:    yes, in {}", lock.display()),
            None => outln!("  pinned:    no ({LOCK_FILE_NAME} absent from its folder)"),
        }
        if let Some(record) = installed_of(plugin) {
            outln!("  installed: from {}", record.resolved);
            outln!("  signer:    {}", plugins_install::signer_words(&record));
        }
    }
    for failure in registry.failures() {
        outln!("could not load {failure}");
    }
    outln!("searched: {}", display_all(registry.searched()).join(", "));
    Ok(refuse_duplicates(registry))
}

/// What `plugins install` recorded about the bytes `plugin` was loaded
/// from, if it placed them (a record for other bytes says nothing).
fn installed_of(plugin: &LoadedPlugin) -> Option<InstalledPlugin> {
    let dir = plugin.path().parent()?;
    let installed = InstalledPlugins::read_in(dir).ok()?;
    installed
        .for_bytes(&file_name(plugin.path()), plugin.sha256())
        .cloned()
}

/// What an embedding pattern takes, in one line of `plugins list`.
fn embedding_summary(model: &EmbeddingModel) -> String {
    let mut parts = vec![format!("embedding, {} inputs a call", model.max_inputs)];
    if model.texts {
        parts.push("text".into());
    }
    if let Some(images) = &model.images {
        parts.push(format!("images ({})", images.media_types.join(" ")));
    }
    if !model.dimensions.is_empty() {
        let dimensions: Vec<String> = model.dimensions.iter().map(u32::to_string).collect();
        parts.push(format!("dimensions {}", dimensions.join("/")));
    }
    if !model.purposes.is_empty() {
        parts.push("input types".into());
    }
    if model.normalize {
        parts.push("normalize".into());
    }
    if !model.formats.is_empty() {
        let formats: Vec<String> = model
            .formats
            .iter()
            .map(|format| format.name().to_owned())
            .collect();
        parts.push(format!("types {}", formats.join("/")));
    }
    parts.join(", ")
}

/// Success, unless files share a plugin name: then an error on stderr
/// naming each name and its files, and exit 3.
fn refuse_duplicates(registry: &PluginRegistry) -> Exit {
    if registry.duplicates().is_empty() {
        return Exit::Success;
    }
    for duplicate in registry.duplicates() {
        eprintln!(
            "error: {} files are named plugin `{}`, so none of them was loaded: {}",
            duplicate.files.len(),
            printable(&duplicate.name),
            display_all(&duplicate.files).join(", ")
        );
    }
    Exit::Plugin
}

/// `plugins route PATTERN PLUGIN`: checks that the plugin is installed (and,
/// for an exact id, that it claims it), then records the choice.
async fn route(session: &Session, args: &RouteArgs) -> anyhow::Result<Exit> {
    for (what, text) in [("pattern", &args.pattern), ("plugin name", &args.plugin)] {
        if text.is_empty() || text.chars().any(char::is_control) {
            return Err(UsageError(format!(
                "the {what} `{}` must be non-empty, without control characters",
                printable(text)
            ))
            .into());
        }
    }
    let registry = session.plugins().await?;
    let Some(plugin) = registry.plugins().iter().find(|p| p.name() == args.plugin) else {
        let names: Vec<String> = registry
            .plugins()
            .iter()
            .map(|p| printable(p.name()))
            .collect();
        return Err(RouteError::UnknownPlugin {
            name: args.plugin.clone(),
            installed: format!(
                "Installed plugins: {}; `bedrock-host plugins list` shows them and the files that did not load.",
                if names.is_empty() { "none".to_owned() } else { names.join(", ") }
            ),
        }
        .into());
    };
    let exact_id = !args.pattern.contains('*');
    if exact_id
        && !plugin
            .patterns()
            .iter()
            .any(|pattern| pattern_matches(pattern, &args.pattern))
    {
        return Err(UsageError(format!(
            "plugin `{}` does not claim `{}` (its patterns: {}), so it cannot serve it",
            printable(plugin.name()),
            args.pattern,
            printable(&plugin.patterns().join(", "))
        ))
        .into());
    }
    if exact_id
        && let Some(other) = session.routing().rules.iter().find(|rule| {
            rule.pattern != args.pattern
                && rule.plugin != args.plugin
                && pattern_matches(&rule.pattern, &args.pattern)
        })
    {
        return Err(UsageError(format!(
            "[routing] \"{}\" = \"{}\" (line {}) also matches `{}` and names another plugin, so the two keys would disagree; change or remove that line first",
            printable(&other.pattern),
            printable(&other.plugin),
            other.line,
            args.pattern
        ))
        .into());
    }
    let path = session.routing().file.as_deref().ok_or_else(|| {
        UsageError("there is no home folder to keep the config file in; pass --config FILE".into())
    })?;
    let previous = record_route(path, &args.pattern, &args.plugin)?;
    let change = match previous {
        Some(old) if old == args.plugin => " (unchanged)".to_owned(),
        Some(old) => format!(" (was \"{}\")", printable(&old)),
        None => String::new(),
    };
    outln!(
        "recorded in {}: [routing] \"{}\" = \"{}\"{change}",
        path.display(),
        args.pattern,
        args.plugin
    );
    Ok(Exit::Success)
}

/// Sets `[routing] "pattern" = "plugin"` in the config file at `path`
/// (created if missing; a symlink is followed, not replaced), keeping the
/// rest of the file, and returns the plugin the key named before.
fn record_route(path: &Path, pattern: &str, plugin: &str) -> anyhow::Result<Option<String>> {
    let target = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned());
    let text = match std::fs::read_to_string(&target) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(source) => {
            return Err(ConfigError::Read {
                path: target,
                source,
            }
            .into());
        }
    };
    let invalid = |(line, message): (usize, String)| ConfigError::Invalid {
        path: target.clone(),
        line,
        message,
    };
    config::check_text(&text).map_err(invalid)?;
    let mut document: toml_edit::DocumentMut = text
        .parse()
        .map_err(|error: toml_edit::TomlError| invalid((1, error.message().to_owned())))?;
    let table = document
        .entry("routing")
        .or_insert_with(toml_edit::table)
        .as_table_like_mut()
        .ok_or_else(|| invalid((1, "`routing` is not a table".to_owned())))?;
    let previous = match table
        .get_mut(pattern)
        .and_then(toml_edit::Item::as_value_mut)
    {
        Some(value) => {
            let old = value.as_str().map(str::to_owned);
            let decor = value.decor().clone();
            *value = plugin.into();
            *value.decor_mut() = decor;
            old
        }
        None => {
            table.insert(pattern, toml_edit::value(plugin));
            None
        }
    };
    let updated = document.to_string();
    config::check_text(&updated).map_err(invalid)?;
    write_atomically(&target, updated.as_bytes())
        .with_context(|| format!("cannot write the config file {}", target.display()))?;
    Ok(previous)
}

/// Writes `bytes` to a new file beside `path` and renames it over `path`,
/// keeping the old file's permissions; creates the folder if it is missing.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let dir = path
        .parent()
        .filter(|dir| !dir.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut file = tempfile::NamedTempFile::new_in(dir)?;
    file.write_all(bytes)?;
    if let Ok(metadata) = std::fs::metadata(path) {
        file.as_file().set_permissions(metadata.permissions())?;
    }
    file.as_file().sync_all()?;
    file.persist(path).map_err(|error| error.error)?;
    Ok(())
}

/// One plugin file's bytes, hashed.
fn hash_file(path: &Path) -> anyhow::Result<String> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(sha256_hex(&bytes))
}

/// The plugin name of each file in the plugin folders, when some of
/// `names` is no file's name: read from `describe` (the compile cache's
/// answer where it has one), with no pin applied.
async fn plugin_names(
    session: &Session,
    names: &[String],
) -> anyhow::Result<Vec<(String, PathBuf)>> {
    let files: Vec<PathBuf> = session
        .plugin_sources()
        .dirs()
        .iter()
        .flat_map(|dir| wasm_files(dir))
        .collect();
    let by_file = |name: &String| {
        files
            .iter()
            .any(|path| *name == file_name(path) || *name == file_stem(path))
    };
    if names.iter().all(by_file) {
        return Ok(Vec::new());
    }
    let runtime = session.plugin_runtime()?;
    let mut named = Vec::new();
    for path in files {
        if let Ok(plugin) = runtime.load(&path).await {
            named.push((plugin.name().to_owned(), path));
        }
    }
    Ok(named)
}

async fn pin(session: &Session, args: &PinArgs) -> anyhow::Result<Exit> {
    let plugin_names = plugin_names(session, &args.names).await?;
    let is_named = |name: &String, path: &Path| {
        *name == file_name(path)
            || *name == file_stem(path)
            || plugin_names
                .iter()
                .any(|(plugin, file)| plugin == name && file == path)
    };
    let wanted =
        |path: &Path| args.names.is_empty() || args.names.iter().any(|name| is_named(name, path));
    let mut matched = vec![false; args.names.len()];
    let mut plans = Vec::new();
    for dir in session.plugin_sources().dirs() {
        let files = wasm_files(dir);
        let old = PluginLock::read_in(dir)?;
        if files.is_empty() && old.is_none() {
            continue;
        }
        let chosen: Vec<PathBuf> = files.into_iter().filter(|path| wanted(path)).collect();
        for (index, name) in args.names.iter().enumerate() {
            matched[index] |= chosen.iter().any(|path| is_named(name, path));
        }
        if chosen.is_empty() && !args.names.is_empty() {
            continue;
        }
        if old.is_none() && !args.names.is_empty() {
            return Err(UsageError(format!(
                "{} has no {LOCK_FILE_NAME} yet: pinning only some of its plugins would refuse the others; run `bedrock-host plugins pin` with no name first to pin the folder as it is",
                dir.display()
            ))
            .into());
        }
        let mut lock = if args.names.is_empty() {
            PluginLock::default()
        } else {
            old.clone().unwrap_or_default()
        };
        let mut pinned = Vec::new();
        for path in &chosen {
            let sha256 = hash_file(path)?;
            let previous = old
                .as_ref()
                .and_then(|old| old.pinned(&file_name(path)))
                .map(str::to_owned);
            lock.pin(&file_name(path), &sha256);
            pinned.push((path.clone(), sha256, previous));
        }
        plans.push((dir.clone(), lock, pinned));
    }
    let unmatched: Vec<&str> = args
        .names
        .iter()
        .zip(&matched)
        .filter(|(_, found)| !**found)
        .map(|(name, _)| name.as_str())
        .collect();
    if !unmatched.is_empty() {
        return Err(UsageError(format!(
            "no plugin file named {} (nor a plugin of that name) in the plugin folders ({}); nothing was pinned",
            unmatched.join(", "),
            display_all(session.plugin_sources().dirs()).join(", ")
        ))
        .into());
    }
    let mut report = Vec::new();
    for (dir, lock, pinned) in plans {
        lock.write_in(&dir)?;
        let lock_path = PluginLock::path_in(&dir);
        for (path, sha256, previous) in pinned {
            if output_is_text(args.output) {
                let change = match &previous {
                    Some(old) if *old == sha256 => "unchanged".to_owned(),
                    Some(old) => format!("was {old}"),
                    None => "new".to_owned(),
                };
                outln!("pinned {}  {sha256}  ({change})", path.display());
            }
            report.push(json!({
                "file": path,
                "lock": lock_path,
                "sha256": sha256,
                "previous": previous,
            }));
        }
        if output_is_text(args.output) {
            outln!("wrote {}", lock_path.display());
        }
    }
    if args.output == OutputFormat::Json {
        stdout::json(&json!({ "pinned": report }))?;
    } else if report.is_empty() {
        outln!("No plugin files found to pin.");
    }
    Ok(Exit::Success)
}

fn output_is_text(output: OutputFormat) -> bool {
    output == OutputFormat::Text
}

/// How one plugin file stands against its folder's lock.
enum Standing {
    Ok,
    Changed { pinned: String },
    NotInLock,
    NoLock,
    Missing { pinned: String },
}

fn verify(session: &Session, output: OutputFormat) -> anyhow::Result<Exit> {
    let mut rows: Vec<(PathBuf, PathBuf, Option<String>, Standing)> = Vec::new();
    for dir in session.plugin_sources().dirs() {
        let files = wasm_files(dir);
        let lock = PluginLock::read_in(dir)?;
        let lock_path = PluginLock::path_in(dir);
        for path in &files {
            let sha256 = hash_file(path)?;
            let standing = match lock.as_ref().map(|lock| lock.pinned(&file_name(path))) {
                None => Standing::NoLock,
                Some(None) => Standing::NotInLock,
                Some(Some(pinned)) if pinned == sha256 => Standing::Ok,
                Some(Some(pinned)) => Standing::Changed {
                    pinned: pinned.to_owned(),
                },
            };
            rows.push((path.clone(), lock_path.clone(), Some(sha256), standing));
        }
        for (file, pinned) in lock.iter().flat_map(PluginLock::entries) {
            if !files.iter().any(|path| file_name(path) == file) {
                rows.push((
                    dir.join(file),
                    lock_path.clone(),
                    None,
                    Standing::Missing {
                        pinned: pinned.to_owned(),
                    },
                ));
            }
        }
    }
    let problems: Vec<String> = rows
        .iter()
        .filter(|(_, _, _, standing)| !matches!(standing, Standing::Ok))
        .map(|(path, _, _, standing)| {
            let what = match standing {
                Standing::Ok => "ok",
                Standing::Changed { .. } => "changed",
                Standing::NotInLock | Standing::NoLock => "unpinned",
                Standing::Missing { .. } => "missing",
            };
            format!("{} {what}", file_name(path))
        })
        .collect();
    if output == OutputFormat::Json {
        let plugins: Vec<Value> = rows
            .iter()
            .map(|(path, lock, sha256, standing)| {
                let (status, pinned) = match standing {
                    Standing::Ok => ("ok", sha256.clone()),
                    Standing::Changed { pinned } => ("changed", Some(pinned.clone())),
                    Standing::NotInLock | Standing::NoLock => ("unpinned", None),
                    Standing::Missing { pinned } => ("missing", Some(pinned.clone())),
                };
                json!({
                    "name": file_stem(path),
                    "file": path,
                    "lock": lock,
                    "lock_exists": !matches!(standing, Standing::NoLock),
                    "status": status,
                    "sha256": sha256,
                    "pinned_sha256": pinned,
                })
            })
            .collect();
        stdout::json(&json!({
            "ok": problems.is_empty(),
            "plugins": plugins,
            "searched": display_all(session.plugin_sources().dirs()),
        }))?;
    } else {
        for (path, lock, sha256, standing) in &rows {
            let file = path.display();
            let sha256 = sha256.as_deref().unwrap_or_default();
            match standing {
                Standing::Ok => outln!("ok        {file}  {sha256}"),
                Standing::Changed { pinned } => {
                    outln!("changed   {file}: pinned sha256 {pinned}, file sha256 {sha256}")
                }
                Standing::NotInLock => {
                    outln!("unpinned  {file}: not in {}", lock.display());
                }
                Standing::NoLock => outln!("unpinned  {file}: no {}", lock.display()),
                Standing::Missing { pinned } => outln!(
                    "missing   {file}: pinned in {} (sha256 {pinned}), but the file is gone",
                    lock.display()
                ),
            }
        }
        if rows.is_empty() {
            outln!(
                "No plugin files found (searched: {}).",
                display_all(session.plugin_sources().dirs()).join(", ")
            );
        }
    }
    if problems.is_empty() {
        return Ok(Exit::Success);
    }
    eprintln!(
        "error: plugins do not match their {LOCK_FILE_NAME}: {}. If you trust them as they are, run `bedrock-host plugins pin`",
        problems.join(", ")
    );
    Ok(Exit::Plugin)
}

/// How the file stands against the lock file beside it, in words.
fn pin_standing(path: &Path, sha256: &str) -> anyhow::Result<(Value, String)> {
    let dir = path
        .parent()
        .filter(|dir| !dir.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let lock_path = PluginLock::path_in(dir);
    let Some(lock) = PluginLock::read_in(dir)? else {
        return Ok((
            json!({"lock": Value::Null, "status": "no-lock"}),
            format!("no {LOCK_FILE_NAME} beside it"),
        ));
    };
    let (status, words) = match lock.pinned(&file_name(path)) {
        Some(pinned) if pinned == sha256 => ("ok", format!("matches {}", lock_path.display())),
        Some(pinned) => (
            "changed",
            format!(
                "CHANGED: {} pins sha256 {pinned}; the host refuses these bytes",
                lock_path.display()
            ),
        ),
        None => (
            "unpinned",
            format!(
                "not in {}; the host refuses it from that folder",
                lock_path.display()
            ),
        ),
    };
    Ok((json!({"lock": lock_path, "status": status}), words))
}

fn inspect_file(args: &InspectArgs) -> anyhow::Result<Exit> {
    let path = &args.file;
    let bytes = std::fs::read(path)
        .map_err(|error| UsageError(format!("cannot read {}: {error}", path.display())))?;
    let inspection: Inspection = match inspect(&bytes) {
        Ok(inspection) => inspection,
        Err(error) => {
            if args.output == OutputFormat::Json {
                stdout::json(
                    &json!({"file": path, "size": bytes.len(), "sha256": sha256_hex(&bytes), "error": error.to_string()}),
                )?;
            }
            return Err(PluginError::Load {
                path: path.clone(),
                reason: error.to_string(),
            }
            .into());
        }
    };
    let (pin_json, pin_words) = pin_standing(path, &inspection.sha256)?;
    let item_json = |items: &[crate::plugin::Item]| -> Vec<Value> {
        items
            .iter()
            .map(|item| json!({"name": item.name, "kind": item.kind}))
            .collect()
    };
    if args.output == OutputFormat::Json {
        stdout::json(&json!({
            "file": path,
            "kind": inspection.kind.as_str(),
            "size": inspection.size,
            "sha256": inspection.sha256,
            "contract_versions": inspection.contract_versions,
            "exports": item_json(&inspection.exports),
            "imports": item_json(&inspection.imports),
            "host_serves": served_contracts(),
            "loadable": inspection.verdict.is_ok(),
            "refusal": inspection.verdict.as_ref().err(),
            "pin": pin_json,
        }))?;
    } else {
        outln!("file:      {}", path.display());
        outln!("kind:      {}", inspection.kind.as_str());
        outln!("size:      {} bytes", inspection.size);
        outln!("sha256:    {}", inspection.sha256);
        let versions = if inspection.contract_versions.is_empty() {
            "none".to_owned()
        } else {
            inspection
                .contract_versions
                .iter()
                .map(|v| format!("bedrock:adapter@{}", printable(v)))
                .collect::<Vec<_>>()
                .join(", ")
        };
        outln!("contract:  {versions}");
        match &inspection.verdict {
            Ok(version) => outln!(
                "host:      can load it as bedrock:adapter@{version} (serves {})",
                served_contracts()
            ),
            Err(refusal) => outln!("host:      cannot load it: it {}", printable(refusal)),
        }
        outln!("pin:       {pin_words}");
        for (title, items) in [
            ("exports", &inspection.exports),
            ("imports", &inspection.imports),
        ] {
            outln!("{title} ({}):", items.len());
            for item in items {
                outln!("  {}  ({})", printable(&item.name), item.kind);
            }
        }
    }
    match inspection.verdict {
        Ok(_) => Ok(Exit::Success),
        Err(refusal) => Err(PluginError::Load {
            path: path.clone(),
            reason: format!("this host cannot load it: it {refusal}"),
        }
        .into()),
    }
}

/// What the models of one pattern can take and do, in one line
/// (`streaming, system, tools, images (image/png, ...; 3.75 MiB, 20 at most)`).
fn capability_summary(capabilities: &Capabilities) -> String {
    let attachments = |what: &str, limits: &Option<AttachmentLimits>| {
        limits.as_ref().map(|limits| {
            let size = if limits.max_bytes == u64::MAX {
                "any size".to_owned()
            } else {
                format!("{:.2} MiB", limits.max_bytes as f64 / (1024.0 * 1024.0))
            };
            let count = if limits.max_count == u32::MAX {
                "any number".to_owned()
            } else {
                format!("{} at most", limits.max_count)
            };
            format!(
                "{what} ({}; {size}, {count})",
                limits.media_types.join(", ")
            )
        })
    };
    let flags = [
        (capabilities.streaming, "streaming"),
        (capabilities.system, "system"),
        (capabilities.tools, "tools"),
        (capabilities.reasoning, "reasoning"),
        (capabilities.caching, "caching"),
    ];
    let mut said: Vec<String> = flags
        .into_iter()
        .filter(|(has, _)| *has)
        .map(|(_, name)| name.to_owned())
        .collect();
    said.extend(attachments("images", &capabilities.images));
    said.extend(attachments("documents", &capabilities.documents));
    if said.is_empty() {
        "text only".to_owned()
    } else {
        said.join(", ")
    }
}
