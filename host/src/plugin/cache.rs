//! The on-disk cache of precompiled plugin code.
//!
//! Invariants:
//! - an entry is keyed by the sha256 of the component's bytes and by a hash of
//!   the engine's compatibility settings, so changed bytes or a changed engine
//!   can never load stale code;
//! - entries are written to a temporary file in the cache folder and renamed
//!   into place, so a reader sees a whole entry or none;
//! - precompiled code is only ever deserialised from this folder, which only
//!   this host writes: deserialising is unsafe for bytes of unknown origin.
//!
//! A cache that cannot be read or written is not an error: the component is
//! compiled in memory and a warning is logged.

use std::fs;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};

use wasmtime::Engine;
use wasmtime::component::Component;

/// A folder of precompiled components.
#[derive(Debug, Clone)]
pub struct CompileCache {
    dir: Option<PathBuf>,
}

impl CompileCache {
    /// A cache in `dir`, created on first write.
    pub fn in_dir(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: Some(dir.into()),
        }
    }

    /// No cache: every load compiles.
    pub fn disabled() -> Self {
        Self { dir: None }
    }

    /// The cache folder, if any.
    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// Returns the component for `wasm`, from the cache when an entry for
    /// these bytes and this engine exists, compiling (and caching) otherwise.
    pub fn component(
        &self,
        engine: &Engine,
        wasm: &[u8],
        sha256: &str,
    ) -> wasmtime::Result<Component> {
        let Some(dir) = &self.dir else {
            return Component::from_binary(engine, wasm);
        };
        let entry = dir.join(format!("{sha256}-{}.cwasm", engine_key(engine)));
        if entry.is_file() {
            // SAFETY: the entry is in the host's own cache folder, written only
            // by `store` below from `Engine::precompile_component` output for
            // an engine with the same compatibility hash.
            match unsafe { Component::deserialize_file(engine, &entry) } {
                Ok(component) => return Ok(component),
                Err(error) => {
                    tracing::warn!(entry = %entry.display(), "ignoring unusable cache entry: {error:#}");
                }
            }
        }
        let compiled = engine.precompile_component(wasm)?;
        if let Err(error) = store(dir, &entry, &compiled) {
            tracing::warn!(dir = %dir.display(), "cannot write the compile cache: {error}");
        }
        // SAFETY: `compiled` was produced just above by this engine.
        unsafe { Component::deserialize(engine, &compiled) }
    }
}

/// A stable name for the engine's compatibility settings.
fn engine_key(engine: &Engine) -> String {
    let mut hasher = DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut hasher);
    format!("{:016x}", hasher.finish())
}

fn store(dir: &Path, entry: &Path, bytes: &[u8]) -> std::io::Result<()> {
    fs::create_dir_all(dir)?;
    let mut file = tempfile::NamedTempFile::new_in(dir)?;
    file.write_all(bytes)?;
    file.as_file().sync_all()?;
    file.persist(entry).map_err(|error| error.error)?;
    Ok(())
}
