//! Turning a `.wasm` file into a `LoadedPlugin`: read (within the file-size
//! limit), hash, check the hash against the pin, then take its `describe`
//! answer from the compile cache, or else compile it (through the cache,
//! within the compile budget), check the contract version, link WASI and
//! describe it, caching the answer or the refusal.
//!
//! Invariants: the bytes hashed are the bytes compiled (a file read again
//! to compile it later must hash the same); a pinned plugin whose bytes
//! changed is refused before it is compiled; a plugin is only ever
//! instantiated after its exported contract version was checked against the
//! ones this host serves; a file that fails any step is reported with the
//! reason and never half-loaded. A plugin described from the cache is not
//! compiled until its first sandbox: start-up compiles only the plugin that
//! serves the request. Every `LoadedPlugin` holds the runtime it came from,
//! and so the engine whose epoch ticker stops its calls at their deadline.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::sync::OnceCell;
use wasmtime::Engine;
use wasmtime::component::{Component, Linker, types::ComponentItem};

use super::bindings::embedding::{EmbedderIndices, EmbedderInfo, EmbeddingModel, RerankModel};
use super::bindings::{Capabilities, PluginInfo, ProviderPre};
use super::cache::CompileCache;
use super::cached_answer::{CachedAnswer, FILE_MARK, limits_fingerprint};
use super::describe_check::{DescribeRefusal, validate_embedder, validate_info};
use super::engine::{InstanceAllocation, PluginEngine};
use super::error::PluginError;
use super::limits::SandboxLimits;
use super::lock::sha256_hex;
use super::registry::file_stem;
use super::routing::pattern_matches;
use super::sandbox::{PluginCode, Sandbox, SandboxState};
use super::since_v0_1;

/// The package whose `adapter` interface plugins export.
const ADAPTER_INTERFACE: &str = "bedrock:adapter/adapter";

/// The interface of embedding and rerank models (0.2.1), exported beside
/// `adapter` by the plugins that serve such models.
const EMBEDDER_INTERFACE: &str = "bedrock:adapter/embedder@";

/// The engine, the WASI linker and the compile cache: everything needed to
/// load plugins and run them. Loaded plugins share it.
pub struct PluginRuntime {
    shared: Arc<Shared>,
}

struct Shared {
    engine: PluginEngine,
    linker: Linker<SandboxState>,
    cache: CompileCache,
    limits: SandboxLimits,
}

impl PluginRuntime {
    /// Creates a runtime whose sandboxes run under `limits`, each allocated
    /// on demand.
    pub fn new(limits: SandboxLimits, cache: CompileCache) -> wasmtime::Result<Self> {
        Self::with_allocation(limits, cache, InstanceAllocation::default())
    }

    /// Creates a runtime whose sandboxes run under `limits` and are
    /// allocated as `allocation` says.
    pub fn with_allocation(
        limits: SandboxLimits,
        cache: CompileCache,
        allocation: InstanceAllocation,
    ) -> wasmtime::Result<Self> {
        let engine = PluginEngine::new(&limits, allocation)?;
        let mut linker = Linker::new(engine.engine());
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
        Ok(Self {
            shared: Arc::new(Shared {
                engine,
                linker,
                cache,
                limits,
            }),
        })
    }

    /// The limits sandboxes run under.
    pub fn limits(&self) -> &SandboxLimits {
        &self.shared.limits
    }

    /// Loads the plugin in `path`, trusting whatever bytes it holds.
    pub async fn load(&self, path: &Path) -> Result<LoadedPlugin, PluginError> {
        self.load_pinned(path, None).await
    }

    /// Loads the plugin in `path`; when `pin` is given, only if the file's
    /// sha256 is the pinned one. Its `describe` answer comes from the cache
    /// when the cache has one for these bytes; otherwise it is compiled and
    /// described now.
    pub async fn load_pinned(
        &self,
        path: &Path,
        pin: Option<Pin<'_>>,
    ) -> Result<LoadedPlugin, PluginError> {
        let shared = &self.shared;
        let fail = |reason: String| PluginError::Load {
            path: path.to_owned(),
            reason,
        };
        let wasm = read_plugin_file(path, shared.limits.file_bytes).map_err(fail)?;
        let sha256 = sha256_hex(&wasm);
        if let Some(pin) = pin
            && pin.sha256 != sha256
        {
            return Err(fail(format!(
                "plugin `{}` changed since it was pinned in {}: pinned sha256 {}, file sha256 {sha256}; it was not loaded. If you trust the new bytes, run `bedrock-host plugins pin {}` (with the same plugin folders)",
                file_stem(path),
                pin.lock.display(),
                pin.sha256,
                file_stem(path),
            )));
        }
        if wasm.is_empty() {
            return Err(fail("the file is empty".into()));
        }
        let label = file_label(path);
        let limits_now = limits_fingerprint(&shared.limits);
        let loaded = |info: PluginInfo,
                      contract_version: String,
                      embedder: Option<EmbedderInfo>,
                      code: OnceCell<_>| {
            check_description(&info, embedder.as_ref())
                .map_err(|refusal| fail(refusal.to_string()))?;
            Ok(LoadedPlugin {
                patterns: info.patterns().map(str::to_owned).collect(),
                embedding_patterns: embedder.as_ref().map_or_else(Vec::new, |embedder| {
                    embedder
                        .embedding_models
                        .iter()
                        .map(|model| model.pattern.clone())
                        .chain(
                            embedder
                                .rerank_models
                                .iter()
                                .map(|model| model.pattern.clone()),
                        )
                        .collect()
                }),
                embedder,
                info,
                path: path.to_owned(),
                sha256: sha256.clone(),
                contract_version,
                pinned_in: pin.map(|pin| pin.lock.to_owned()),
                runtime: Arc::clone(shared),
                code,
            })
        };
        match shared.cache.load_answer(&sha256) {
            Some(CachedAnswer::Described {
                info,
                contract_version,
                embedder,
            }) => {
                tracing::debug!(plugin = %label, "described from the compile cache");
                return loaded(info, contract_version, embedder, OnceCell::new());
            }
            Some(CachedAnswer::Refused { reason, limits }) if limits == limits_now => {
                tracing::info!(plugin = %label, "refused as its cached answer says, under the same limits");
                return Err(fail(reason.replace(FILE_MARK, &label)));
            }
            Some(CachedAnswer::Refused { .. }) | None => {}
        }
        tracing::info!(plugin = %label, "compiling and describing");
        let component = shared.component(wasm, &sha256).await.map_err(fail)?;
        match shared.describe(&component, &label).await {
            Ok(Described {
                info,
                contract_version,
                embedder,
                code,
            }) => {
                shared.cache.save_answer(
                    &sha256,
                    &CachedAnswer::Described {
                        info: info.clone(),
                        contract_version: contract_version.clone(),
                        embedder: embedder.clone(),
                    },
                );
                loaded(
                    info,
                    contract_version,
                    embedder,
                    OnceCell::new_with(Some(code)),
                )
            }
            Err(reason) => {
                shared.cache.save_answer(
                    &sha256,
                    &CachedAnswer::Refused {
                        reason: reason.replace(&label, FILE_MARK),
                        limits: limits_now,
                    },
                );
                Err(fail(reason))
            }
        }
    }
}

impl Shared {
    /// The compiled component for `wasm`, whose sha256 is `sha256`: from the
    /// cache, or compiled within the compile budget (and then cached).
    async fn component(&self, wasm: Vec<u8>, sha256: &str) -> Result<Component, String> {
        let engine = self.engine.engine();
        if let Some(component) = self.cache.load_code(engine, sha256) {
            return Ok(component);
        }
        let compiled = compile_within(engine, wasm, &self.limits).await?;
        self.cache.save_code(engine, sha256, &compiled);
        // SAFETY: `compiled` was produced just above by this engine.
        unsafe { Component::deserialize(engine, &compiled) }
            .map_err(|error| format!("not a valid WebAssembly component: {error:#}"))
    }

    /// `component` checked against the contract and linked to the sandbox's
    /// WASI, ready to instantiate, with the contract version it exports.
    fn prepare(&self, component: &Component) -> Result<(String, PluginCode), String> {
        let engine = self.engine.engine();
        let exported: Vec<String> = component
            .component_type()
            .exports(engine)
            .filter(|(_, item)| matches!(item.ty, ComponentItem::ComponentInstance(_)))
            .map(|(name, _)| name.to_owned())
            .collect();
        let contract_version = check_contract(&exported)?;
        let instance = self
            .linker
            .instantiate_pre(component)
            .map_err(|error| format!("imports something the sandbox does not offer: {error:#}"))?;
        let not_adapter =
            |error: wasmtime::Error| format!("does not export the adapter interface: {error:#}");
        let embeds = exported
            .iter()
            .any(|name| name.starts_with(EMBEDDER_INTERFACE));
        let code = match contract_line(&contract_version) {
            Some(ContractLine::V0_1) => {
                PluginCode::V0_1(since_v0_1::ProviderPre::new(instance).map_err(not_adapter)?)
            }
            _ => {
                let embedder = embeds
                    .then(|| EmbedderIndices::new(&instance))
                    .transpose()
                    .map_err(|error| {
                        format!("exports an embedder interface this host cannot use: {error:#}")
                    })?;
                PluginCode::V0_2(ProviderPre::new(instance).map_err(not_adapter)?, embedder)
            }
        };
        Ok((contract_version, code))
    }

    /// Prepares `component` and calls its `describe` in a fresh sandbox
    /// named `label`: its answer, its contract version and the prepared
    /// component; or why it was refused.
    async fn describe(&self, component: &Component, label: &str) -> Result<Described, String> {
        let (contract_version, code) = self.prepare(component)?;
        let mut sandbox = Sandbox::new(label, &code, &self.limits)
            .await
            .map_err(|error| error.to_string())?;
        let info = sandbox
            .describe()
            .await
            .map_err(|error| error.to_string())?;
        let embedder = if sandbox.embeds() {
            let mut sandbox = Sandbox::new(label, &code, &self.limits)
                .await
                .map_err(|error| error.to_string())?;
            Some(
                sandbox
                    .describe_embedder()
                    .await
                    .map_err(|error| error.to_string())?,
            )
        } else {
            None
        };
        Ok(Described {
            info,
            contract_version,
            embedder,
            code,
        })
    }

    /// The prepared code of the plugin in `path`, described earlier with
    /// sha256 `sha256`: from the cache, or read again (it must hash the
    /// same), compiled and cached.
    async fn code_for(&self, path: &Path, sha256: &str) -> Result<PluginCode, PluginError> {
        let fail = |reason: String| PluginError::Load {
            path: path.to_owned(),
            reason,
        };
        let component = match self.cache.load_code(self.engine.engine(), sha256) {
            Some(component) => component,
            None => {
                let wasm = read_plugin_file(path, self.limits.file_bytes).map_err(fail)?;
                let now = sha256_hex(&wasm);
                if now != sha256 {
                    return Err(fail(format!(
                        "changed while it was loaded: it was described with sha256 {sha256}, and now hashes to {now}; it was not compiled"
                    )));
                }
                self.component(wasm, sha256).await.map_err(fail)?
            }
        };
        self.prepare(&component).map(|(_, pre)| pre).map_err(fail)
    }
}

/// Reads a plugin file of at most `max_bytes`; a larger one is refused
/// before (and while) it is read.
fn read_plugin_file(path: &Path, max_bytes: u64) -> Result<Vec<u8>, String> {
    let too_large = |size: u64| {
        format!(
            "the file is {size} bytes, more than the file-mib limit of {} MiB ([plugin-limits] file-mib); it was not loaded",
            max_bytes >> 20
        )
    };
    let file = std::fs::File::open(path).map_err(|error| format!("cannot read: {error}"))?;
    let size = file
        .metadata()
        .map_err(|error| format!("cannot read: {error}"))?
        .len();
    if size > max_bytes {
        return Err(too_large(size));
    }
    let mut wasm = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    file.take(max_bytes.saturating_add(1))
        .read_to_end(&mut wasm)
        .map_err(|error| format!("cannot read: {error}"))?;
    let read = u64::try_from(wasm.len()).unwrap_or(u64::MAX);
    if read > max_bytes {
        return Err(too_large(read));
    }
    Ok(wasm)
}

/// Compiles `wasm` on a thread of its own and waits at most the compile
/// budget for it. A compile past the budget is refused; its thread is left
/// to finish on its own, and its result dropped.
async fn compile_within(
    engine: &Engine,
    wasm: Vec<u8>,
    limits: &SandboxLimits,
) -> Result<Vec<u8>, String> {
    let (done, compiled) = tokio::sync::oneshot::channel();
    let engine = engine.clone();
    std::thread::Builder::new()
        .name("plugin-compile".into())
        .spawn(move || {
            // The receiver is gone only when the budget ran out.
            let _ = done.send(engine.precompile_component(&wasm));
        })
        .map_err(|error| format!("cannot start a thread to compile it: {error}"))?;
    match tokio::time::timeout(limits.compile_timeout, compiled).await {
        Ok(Ok(Ok(compiled))) => Ok(compiled),
        Ok(Ok(Err(error))) => Err(format!("not a valid WebAssembly component: {error:#}")),
        Ok(Err(_)) => Err("its compile stopped without a result".to_owned()),
        Err(_) => Err(format!(
            "its compile took longer than the compile-ms budget of {} ms ([plugin-limits] compile-ms); it was not loaded",
            limits.compile_timeout.as_millis()
        )),
    }
}

/// The pinned sha256 a plugin file must have, and the lock file that says so.
#[derive(Debug, Clone, Copy)]
pub struct Pin<'a> {
    /// The sha256 the file's bytes must hash to, in hex.
    pub sha256: &'a str,
    /// The lock file that pinned it, for messages.
    pub lock: &'a Path,
}

/// Given the names of the instances a component exports, the contract
/// version of its adapter interface, or why this host refuses it (naming the
/// component's version and the ones this host serves).
pub(crate) fn check_contract(exported_instances: &[String]) -> Result<String, String> {
    let Some(version) = exported_instances.iter().find_map(|name| {
        name.strip_prefix(ADAPTER_INTERFACE)
            .and_then(|rest| rest.strip_prefix('@'))
    }) else {
        return Err(format!(
            "exports no `{ADAPTER_INTERFACE}` interface (it exports: {}); it is not a bedrock-host plugin (this host serves {})",
            if exported_instances.is_empty() {
                "nothing".to_owned()
            } else {
                exported_instances.join(", ")
            },
            served_contracts()
        ));
    };
    if !serves(version) {
        return Err(format!(
            "was built against contract bedrock:adapter@{version}; this host serves {}",
            served_contracts()
        ));
    }
    Ok(version.to_owned())
}

/// The contract lines this host serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ContractLine {
    /// `bedrock:adapter@0.1.x`, adapted (`since_v0_1`).
    V0_1,
    /// `bedrock:adapter@0.2.x`, the current line.
    V0_2,
}

/// The contract versions this host serves, in words; the rule is
/// `contract_line`.
pub fn served_contracts() -> String {
    "bedrock:adapter@0.1.x and 0.2.x".to_owned()
}

fn parse_version(version: &str) -> Option<(u64, u64, u64)> {
    let mut parts = version.split('.').map(|p| p.parse::<u64>().ok());
    let parsed = (parts.next()??, parts.next()??, parts.next()??);
    parts.next().is_none().then_some(parsed)
}

/// The line a component built against contract `version` belongs to, if
/// this host serves it: for 0.x, the minor version names the line, and every
/// patch version of a line is served (it only adds to the line's first
/// version, whose bindings the host uses).
fn contract_line(version: &str) -> Option<ContractLine> {
    match parse_version(version)? {
        (0, 1, _) => Some(ContractLine::V0_1),
        (0, 2, _) => Some(ContractLine::V0_2),
        _ => None,
    }
}

/// Whether this host serves contract `version`.
fn serves(version: &str) -> bool {
    contract_line(version).is_some()
}

fn file_label(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |name| name.to_string_lossy().into_owned(),
    )
}

/// What a freshly compiled plugin said about itself, with its code.
struct Described {
    info: PluginInfo,
    contract_version: String,
    embedder: Option<EmbedderInfo>,
    code: PluginCode,
}

/// Checks both descriptions: a plugin that serves embedding or rerank
/// models may claim no text models.
fn check_description(
    info: &PluginInfo,
    embedder: Option<&EmbedderInfo>,
) -> Result<(), DescribeRefusal> {
    if let Some(embedder) = embedder {
        validate_embedder(&info.name, embedder)?;
    }
    let serves_embeddings = embedder.is_some_and(|embedder| {
        !embedder.embedding_models.is_empty() || !embedder.rerank_models.is_empty()
    });
    match validate_info(info) {
        Err(DescribeRefusal::NoModels { .. }) if serves_embeddings => Ok(()),
        checked => checked,
    }
}

/// A plugin ready to serve requests: described, and compiled at its first
/// sandbox (or already, when it was described just now).
pub struct LoadedPlugin {
    info: PluginInfo,
    patterns: Vec<String>,
    embedder: Option<EmbedderInfo>,
    embedding_patterns: Vec<String>,
    path: PathBuf,
    sha256: String,
    contract_version: String,
    pinned_in: Option<PathBuf>,
    runtime: Arc<Shared>,
    code: OnceCell<PluginCode>,
}

impl LoadedPlugin {
    /// What the plugin said about itself.
    pub fn info(&self) -> &PluginInfo {
        &self.info
    }

    /// The model patterns the plugin claims, in its order.
    pub fn patterns(&self) -> &[String] {
        &self.patterns
    }

    /// What the plugin says the models of `base_model_id` can take and do:
    /// the capabilities of its first pattern that matches; `None` when none
    /// does (a plugin chosen with `--family` for an id it does not claim).
    pub fn capabilities(&self, base_model_id: &str) -> Option<&Capabilities> {
        self.info
            .models
            .iter()
            .find(|model| pattern_matches(&model.pattern, base_model_id))
            .map(|model| &model.capabilities)
    }

    /// Whether the plugin streams `base_model_id`: as its capabilities say,
    /// or, for an id it does not claim (chosen with `--family`), whether it
    /// streams any model.
    pub fn streams(&self, base_model_id: &str) -> bool {
        match self.capabilities(base_model_id) {
            Some(capabilities) => capabilities.streaming,
            None => self
                .info
                .models
                .iter()
                .any(|model| model.capabilities.streaming),
        }
    }

    /// What the plugin's `describe-embedder` said; `None` when it exports
    /// no `embedder`.
    pub fn embedder(&self) -> Option<&EmbedderInfo> {
        self.embedder.as_ref()
    }

    /// The embedding and rerank model patterns the plugin claims, embedding
    /// models first, each in its order.
    pub fn embedding_patterns(&self) -> &[String] {
        &self.embedding_patterns
    }

    /// What the plugin says the embedding model `base_model_id` takes: its
    /// first embedding pattern that matches.
    pub fn embedding_model(&self, base_model_id: &str) -> Option<&EmbeddingModel> {
        self.embedder
            .as_ref()?
            .embedding_models
            .iter()
            .find(|model| pattern_matches(&model.pattern, base_model_id))
    }

    /// What the plugin says the rerank model `base_model_id` takes: its
    /// first rerank pattern that matches.
    pub fn rerank_model(&self, base_model_id: &str) -> Option<&RerankModel> {
        self.embedder
            .as_ref()?
            .rerank_models
            .iter()
            .find(|model| pattern_matches(&model.pattern, base_model_id))
    }

    /// The plugin's name.
    pub fn name(&self) -> &str {
        &self.info.name
    }

    /// The file it was loaded from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The sha256 of the file's bytes, in hex.
    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    /// The contract version the plugin was built against.
    pub fn contract_version(&self) -> &str {
        &self.contract_version
    }

    /// The lock file that pinned its bytes; `None` when its folder has no
    /// lock file.
    pub fn pinned_in(&self) -> Option<&Path> {
        self.pinned_in.as_deref()
    }

    /// A fresh sandbox for one request. The first one compiles the plugin
    /// (or reads its code from the cache); a failure there is a load error
    /// naming the file.
    pub async fn sandbox(&self) -> Result<Sandbox, PluginError> {
        let pre = self
            .code
            .get_or_try_init(|| self.runtime.code_for(&self.path, &self.sha256))
            .await?;
        Sandbox::new(&self.info.name, pre, &self.runtime.limits).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serves_every_version_of_the_lines_it_knows() {
        assert_eq!(contract_line("0.1.0"), Some(ContractLine::V0_1));
        assert_eq!(contract_line("0.1.7"), Some(ContractLine::V0_1));
        assert_eq!(contract_line("0.2.0"), Some(ContractLine::V0_2));
        assert_eq!(
            contract_line("0.2.3"),
            Some(ContractLine::V0_2),
            "a newer version of a line only adds to it"
        );
        assert!(!serves("0.3.0"));
        assert!(!serves("1.0.0"));
        assert!(!serves("garbage"));
        assert!(!serves("0.1.0.1"));
    }

    #[test]
    fn a_refusal_names_both_versions() {
        assert_eq!(served_contracts(), "bedrock:adapter@0.1.x and 0.2.x");
        let refusal =
            check_contract(&["bedrock:adapter/adapter@9.0.0".to_owned()]).expect_err("refused");
        assert!(
            refusal.contains("bedrock:adapter@9.0.0")
                && refusal.contains("this host serves bedrock:adapter@0.1.x and 0.2.x"),
            "{refusal}"
        );
        assert_eq!(
            check_contract(&[
                "bedrock:adapter/types@0.2.0".to_owned(),
                "bedrock:adapter/adapter@0.2.0".to_owned()
            ]),
            Ok("0.2.0".to_owned())
        );
        let foreign = check_contract(&["wasi:http/handler@0.2.0".to_owned()]).expect_err("no");
        assert!(foreign.contains("wasi:http/handler@0.2.0"), "{foreign}");
    }
}
