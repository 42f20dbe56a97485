//! Turning a `.wasm` file into a `LoadedPlugin`: read, hash, check the hash
//! against the pin, compile (through the cache), check the contract version,
//! link WASI, describe.
//!
//! Invariants: the bytes are read once, and the bytes hashed are the bytes
//! compiled; a pinned plugin whose bytes changed is refused before it is
//! compiled; a plugin is only ever instantiated after its exported contract
//! version was checked against the ones this host serves; a file that fails
//! any step is reported with the reason and never half-loaded.

use std::path::{Path, PathBuf};

use wasmtime::component::{Component, Linker, types::ComponentItem};

use super::bindings::{CONTRACT_VERSION, PluginInfo, ProviderPre};
use super::cache::CompileCache;
use super::describe_check::validate_info;
use super::engine::{InstanceAllocation, PluginEngine};
use super::error::PluginError;
use super::limits::SandboxLimits;
use super::lock::sha256_hex;
use super::registry::file_stem;
use super::sandbox::{Sandbox, SandboxState};

/// The package whose `adapter` interface plugins export.
const ADAPTER_INTERFACE: &str = "bedrock:adapter/adapter";

/// The engine, the WASI linker and the compile cache: everything needed to
/// load plugins and run them.
pub struct PluginRuntime {
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
            engine,
            linker,
            cache,
            limits,
        })
    }

    /// The limits sandboxes run under.
    pub fn limits(&self) -> &SandboxLimits {
        &self.limits
    }

    /// Loads the plugin in `path`, trusting whatever bytes it holds.
    pub async fn load(&self, path: &Path) -> Result<LoadedPlugin, PluginError> {
        self.load_pinned(path, None).await
    }

    /// Loads the plugin in `path`; when `pin` is given, only if the file's
    /// sha256 is the pinned one.
    pub async fn load_pinned(
        &self,
        path: &Path,
        pin: Option<Pin<'_>>,
    ) -> Result<LoadedPlugin, PluginError> {
        let fail = |reason: String| PluginError::Load {
            path: path.to_owned(),
            reason,
        };
        let wasm = std::fs::read(path).map_err(|error| fail(format!("cannot read: {error}")))?;
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
        let component = self
            .cache
            .component(self.engine.engine(), &wasm, &sha256)
            .map_err(|error| fail(format!("not a valid WebAssembly component: {error:#}")))?;
        let contract_version = self.contract_version(&component).map_err(fail)?;
        let instance = self.linker.instantiate_pre(&component).map_err(|error| {
            fail(format!(
                "imports something the sandbox does not offer: {error:#}"
            ))
        })?;
        let pre = ProviderPre::new(instance)
            .map_err(|error| fail(format!("does not export the adapter interface: {error:#}")))?;
        let mut sandbox = Sandbox::new(&file_label(path), &pre, &self.limits).await?;
        let info = sandbox.describe().await?;
        validate_info(&info).map_err(|refusal| fail(refusal.to_string()))?;
        Ok(LoadedPlugin {
            info,
            path: path.to_owned(),
            sha256,
            contract_version,
            pinned_in: pin.map(|pin| pin.lock.to_owned()),
            pre,
            limits: self.limits.clone(),
        })
    }

    /// Finds the version of the adapter interface `component` exports, and
    /// refuses one this host cannot serve.
    fn contract_version(&self, component: &Component) -> Result<String, String> {
        let engine = self.engine.engine();
        let exported: Vec<String> = component
            .component_type()
            .exports(engine)
            .filter(|(_, item)| matches!(item.ty, ComponentItem::ComponentInstance(_)))
            .map(|(name, _)| name.to_owned())
            .collect();
        check_contract(&exported)
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

/// The contract versions this host serves, in words
/// (`bedrock:adapter@0.1.0`); the rule is `serves`.
pub fn served_contracts() -> String {
    match parse_version(CONTRACT_VERSION) {
        Some((0, minor, 0)) => format!("bedrock:adapter@0.{minor}.0"),
        Some((0, minor, patch)) => format!("bedrock:adapter@0.{minor}.0 to 0.{minor}.{patch}"),
        Some((major, 0, _)) => format!("bedrock:adapter@{major}.0.x"),
        Some((major, minor, _)) => format!("bedrock:adapter@{major}.0.x to {major}.{minor}.x"),
        None => format!("bedrock:adapter@{CONTRACT_VERSION}"),
    }
}

fn parse_version(version: &str) -> Option<(u64, u64, u64)> {
    let mut parts = version.split('.').map(|p| p.parse::<u64>().ok());
    let parsed = (parts.next()??, parts.next()??, parts.next()??);
    parts.next().is_none().then_some(parsed)
}

/// Whether this host serves contract `version`: the same major version, and
/// for 0.x the same minor version, no newer than ours.
fn serves(version: &str) -> bool {
    match (parse_version(version), parse_version(CONTRACT_VERSION)) {
        (Some((0, minor, patch)), Some((0, our_minor, our_patch))) => {
            minor == our_minor && patch <= our_patch
        }
        (Some((major, minor, _)), Some((our_major, our_minor, _))) => {
            major == our_major && minor <= our_minor
        }
        _ => false,
    }
}

fn file_label(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |name| name.to_string_lossy().into_owned(),
    )
}

/// A plugin ready to serve requests.
pub struct LoadedPlugin {
    info: PluginInfo,
    path: PathBuf,
    sha256: String,
    contract_version: String,
    pinned_in: Option<PathBuf>,
    pre: ProviderPre<SandboxState>,
    limits: SandboxLimits,
}

impl LoadedPlugin {
    /// What the plugin said about itself.
    pub fn info(&self) -> &PluginInfo {
        &self.info
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

    /// A fresh sandbox for one request.
    pub async fn sandbox(&self) -> Result<Sandbox, PluginError> {
        Sandbox::new(&self.info.name, &self.pre, &self.limits).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serves_only_compatible_contract_versions() {
        assert!(serves("0.1.0"));
        assert!(
            !serves("0.1.1"),
            "a newer minor may use what this host lacks"
        );
        assert!(!serves("0.2.0"));
        assert!(!serves("1.0.0"));
        assert!(!serves("garbage"));
        assert!(!serves("0.1.0.1"));
    }

    #[test]
    fn a_refusal_names_both_versions() {
        assert_eq!(served_contracts(), "bedrock:adapter@0.1.0");
        let refusal =
            check_contract(&["bedrock:adapter/adapter@9.0.0".to_owned()]).expect_err("refused");
        assert!(
            refusal.contains("bedrock:adapter@9.0.0")
                && refusal.contains("this host serves bedrock:adapter@0.1.0"),
            "{refusal}"
        );
        assert_eq!(
            check_contract(&[
                "bedrock:adapter/types@0.1.0".to_owned(),
                "bedrock:adapter/adapter@0.1.0".to_owned()
            ]),
            Ok("0.1.0".to_owned())
        );
        let foreign = check_contract(&["wasi:http/handler@0.2.0".to_owned()]).expect_err("no");
        assert!(foreign.contains("wasi:http/handler@0.2.0"), "{foreign}");
    }
}
