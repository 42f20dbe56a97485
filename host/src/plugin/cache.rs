//! The on-disk cache of precompiled plugin code and of plugins' `describe`
//! answers. Compiled code is code: the cache is trusted like the plugin
//! files, and checked like them.
//!
//! Invariants:
//! - the cache folder is this user's alone: created 0700, and not used when
//!   another user owns it or group or others can write it. A folder that
//!   anyone may write (a sticky folder such as `/tmp`) is never used itself:
//!   the cache goes in a private `bedrock-host-<uid>` folder inside it, which
//!   must pass the same checks;
//! - every entry carries an HMAC-SHA256 tag under the user's secret key
//!   (`cache_key`), kept outside the cache, over the entry's kind, the
//!   plugin's sha256, the engine's compatibility hash (code) or the contract
//!   version (answers), and every byte (`cache_entry`);
//! - an entry is read whole into memory, from a regular file of this user
//!   that nobody else can write, and its tag checked before anything reads
//!   it; only then does compiled code reach `Component::deserialize` (never a
//!   file-backed load, so the bytes cannot change after the check). An entry
//!   that fails any check is ignored, with a warning, and replaced;
//! - entries are written to a temporary file in the folder and renamed into
//!   place, so a reader sees a whole entry or none.
//!
//! A cache that cannot be used is not an error: one warning, and plugins
//! are compiled in memory.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use wasmtime::Engine;
use wasmtime::component::Component;

use super::bindings::CONTRACT_VERSION;
use super::cache_entry::{self, EntryBinding, EntryKey, EntryKind};
use super::cache_key;
use super::cached_answer::CachedAnswer;
use super::private_fs::{
    ensure_private_dir, is_shared_sticky, open_private_file, private_subfolder,
};

/// A folder of precompiled components and `describe` answers.
#[derive(Debug)]
pub struct CompileCache {
    store: Option<Store>,
}

#[derive(Debug)]
struct Store {
    dir: PathBuf,
    key: EntryKey,
}

impl CompileCache {
    /// The cache in `dir` (or in a private folder inside it, when `dir` is
    /// a shared sticky folder such as `/tmp`), its entries authenticated by
    /// the per-user key (`~/.local/share/bedrock-host/private/cache.key`).
    /// When the folder or the key cannot be trusted, one warning is logged
    /// and the cache is off.
    pub fn in_dir(dir: impl Into<PathBuf>) -> Self {
        match crate::paths::cache_key_file() {
            Some(key_file) => Self::with_key_file(dir, &key_file),
            None => Self::off(
                &dir.into(),
                "there is no per-user data folder to keep its key in",
            ),
        }
    }

    /// As [`CompileCache::in_dir`], with the key kept in `key_file`.
    pub fn with_key_file(dir: impl Into<PathBuf>, key_file: &Path) -> Self {
        let mut dir = dir.into();
        if is_shared_sticky(&dir) {
            dir = private_subfolder(&dir);
        }
        if let Err(why) = ensure_private_dir(&dir) {
            return Self::off(&dir, &why);
        }
        match cache_key::load_or_create(key_file) {
            Ok(key) => Self {
                store: Some(Store { dir, key }),
            },
            Err(why) => Self::off(&dir, &why),
        }
    }

    fn off(dir: &Path, why: &str) -> Self {
        tracing::warn!(
            "not using the compile cache {}: {why}; plugins are compiled in memory",
            dir.display()
        );
        Self::disabled()
    }

    /// No cache: every load compiles and describes.
    pub fn disabled() -> Self {
        Self { store: None }
    }

    /// The folder entries are kept in, when the cache is on.
    pub fn dir(&self) -> Option<&Path> {
        self.store.as_ref().map(|store| store.dir.as_path())
    }

    /// The compiled code for the plugin with this sha256, when a good entry
    /// for it and this engine exists.
    pub(crate) fn load_code(&self, engine: &Engine, sha256: &str) -> Option<Component> {
        let engine_key = engine_key(engine);
        let binding = EntryBinding {
            kind: EntryKind::Code,
            sha256,
            context: &engine_key,
        };
        let name = format!("{sha256}-{engine_key}.cwasm");
        self.read(&name, &binding, |code| {
            // SAFETY: `code` is the payload of an entry whose tag, under this
            // user's secret key, binds it to this plugin's sha256 and this
            // engine's compatibility hash: it is what `save_code` wrote from
            // `Engine::precompile_component`, and it is in memory, so it
            // cannot change between the check and the load.
            unsafe { Component::deserialize(engine, code) }.map_err(|error| format!("{error:#}"))
        })
    }

    /// Keeps `compiled`, the output of `Engine::precompile_component` for the
    /// plugin with this sha256.
    pub(crate) fn save_code(&self, engine: &Engine, sha256: &str, compiled: &[u8]) {
        let engine_key = engine_key(engine);
        let binding = EntryBinding {
            kind: EntryKind::Code,
            sha256,
            context: &engine_key,
        };
        self.write(&format!("{sha256}-{engine_key}.cwasm"), &binding, compiled);
    }

    /// The cached `describe` answer of the plugin with this sha256.
    pub(crate) fn load_answer(&self, sha256: &str) -> Option<CachedAnswer> {
        let (name, context) = answer_entry(sha256);
        let binding = EntryBinding {
            kind: EntryKind::Describe,
            sha256,
            context: &context,
        };
        self.read(&name, &binding, |payload| {
            CachedAnswer::from_bytes(payload).ok_or_else(|| "it cannot be read".to_owned())
        })
    }

    /// Keeps the `describe` answer of the plugin with this sha256.
    pub(crate) fn save_answer(&self, sha256: &str, answer: &CachedAnswer) {
        let (name, context) = answer_entry(sha256);
        let binding = EntryBinding {
            kind: EntryKind::Describe,
            sha256,
            context: &context,
        };
        self.write(&name, &binding, &answer.to_bytes());
    }

    /// Reads the entry `name`, checks it, and gives its payload to `use_it`;
    /// `None` (with a warning, unless the entry is simply absent) when any
    /// step fails.
    fn read<T>(
        &self,
        name: &str,
        binding: &EntryBinding<'_>,
        use_it: impl FnOnce(&[u8]) -> Result<T, String>,
    ) -> Option<T> {
        let store = self.store.as_ref()?;
        let path = store.dir.join(name);
        let checked = open_private_file(&path, false).and_then(|file| {
            let Some(mut file) = file else {
                return Ok(None);
            };
            let mut entry = Vec::new();
            file.read_to_end(&mut entry)
                .map_err(|error| format!("cannot read it: {error}"))?;
            let payload =
                cache_entry::open(&store.key, binding, &entry).map_err(|why| why.to_string())?;
            use_it(payload).map(Some)
        });
        match checked {
            Ok(found) => found,
            Err(why) => {
                tracing::warn!(
                    "ignoring the compile-cache entry {}: {why}; it is rebuilt and replaced",
                    path.display()
                );
                None
            }
        }
    }

    fn write(&self, name: &str, binding: &EntryBinding<'_>, payload: &[u8]) {
        let Some(store) = &self.store else {
            return;
        };
        let entry = cache_entry::seal(&store.key, binding, payload);
        let written = tempfile::NamedTempFile::new_in(&store.dir).and_then(|mut file| {
            file.write_all(&entry)?;
            file.as_file().sync_all()?;
            file.persist(store.dir.join(name))
                .map_err(|error| error.error)?;
            Ok(())
        });
        if let Err(error) = written {
            tracing::warn!(dir = %store.dir.display(), "cannot write the compile cache: {error}");
        }
    }
}

/// The file name and binding context of a plugin's cached answer.
fn answer_entry(sha256: &str) -> (String, String) {
    (
        format!("{sha256}-adapter-{CONTRACT_VERSION}.describe"),
        format!("bedrock:adapter@{CONTRACT_VERSION}"),
    )
}

/// A stable name for the engine's compatibility settings.
fn engine_key(engine: &Engine) -> String {
    let mut hasher = DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut hasher);
    format!("{:016x}", hasher.finish())
}
