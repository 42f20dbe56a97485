//! The sandbox holds against deliberately bad plugins (`tests/hostile`).
//!
//! Every case proves the same four things: the bad call ends in bounded time
//! (the configured deadline plus [`SLACK`]) with an error naming the plugin
//! and the limit; the same plugin and a real one still serve in the same
//! process afterwards; and the compile cache is not poisoned (its entries
//! load again, unchanged, and serve). [`World`] holds what that needs.
//!
//! - `calls`: misbehaviour inside a call (loops in every export, memory,
//!   stack, clock, sleep, enormous outputs, millions of events, traps);
//! - `loading`: files that must not load (a `describe` that never returns,
//!   a future contract, the wrong world, a core module, corrupt and empty
//!   files), the others loading beside them;
//! - `routing`: plugins that claim other plugins' ids (an exact id, scattered
//!   patterns, `*`, a copied pattern) or name; the user decides;
//! - `isolation`: nothing of the user's reaches a plugin (environment,
//!   secrets, files, network, processes, clock), and printing cannot hurt;
//! - `contract`: a 0.2 plugin that breaks the event model, rule by rule,
//!   and is refused what its capabilities exclude;
//! - `embedder`: a 0.2.1 embedding plugin whose answers break the
//!   embedder's rules, whose calls never return or flood, and which claims
//!   a first-party embedding family.

mod calls;
mod contract;
mod embedder;
mod isolation;
mod loading;
mod routing;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use bedrock_host::plugin::{
    CachePoints, CompileCache, Content, LoadedPlugin, Message, Params, PluginError, PluginRegistry,
    PluginRuntime, PluginSources, Request, Role, SandboxLimits,
};
use sha2::{Digest, Sha256};

use crate::support::plugins_dir;

/// The per-call deadline of these tests.
const TIMEOUT: Duration = Duration::from_millis(200);

/// How far past the deadline a stopped call may end: the epoch ticks every
/// 10 ms, and the machine running the tests may be busy.
const SLACK: Duration = Duration::from_secs(1);

/// A real plugin, to show the others still serve.
const REAL_MODEL: &str = "anthropic.claude-3-haiku-20240307-v1:0";

/// The folder `cargo xtask test` writes `hostile.wasm` to.
fn test_plugins_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/test-plugins");
    assert!(
        dir.join("hostile.wasm").is_file() && dir.join("misfits").is_dir(),
        "{} has no hostile.wasm and misfits/: run `cargo xtask test-plugins` (or the whole suite with `cargo xtask test`)",
        dir.display()
    );
    dir
}

/// A misfit component built by `cargo xtask test`.
fn misfit(name: &str) -> PathBuf {
    test_plugins_dir()
        .join("misfits")
        .join(format!("{name}.wasm"))
}

/// Limits with the short test deadline and 16 MiB of memory.
fn limits() -> SandboxLimits {
    SandboxLimits {
        memory_bytes: 16 << 20,
        call_timeout: TIMEOUT,
        ..SandboxLimits::default()
    }
}

/// Fails unless `took` is within `deadline` plus the slack.
fn assert_bounded(what: &str, took: Duration, deadline: Duration) {
    assert!(
        took < deadline + SLACK,
        "{what} took {took:?}, more than {deadline:?} + {SLACK:?}"
    );
}

fn sha256_of(path: &Path) -> String {
    hex::encode(Sha256::digest(std::fs::read(path).expect("read plugin")))
}

/// A plugins folder (the hostile plugin, a real one, and any extra files),
/// a private compile cache, and the runtime and registry loaded from them.
struct World {
    plugins: tempfile::TempDir,
    cache: tempfile::TempDir,
    runtime: PluginRuntime,
    registry: PluginRegistry,
}

impl World {
    /// A world whose every file must load.
    async fn new(limits: SandboxLimits) -> Self {
        let world = Self::with_files(limits, &[]).await;
        assert!(
            world.registry.failures().is_empty(),
            "{:?}",
            world.registry.failures()
        );
        world
    }

    /// A world with `extra` files (name, bytes) beside the two good plugins.
    async fn with_files(limits: SandboxLimits, extra: &[(&str, Vec<u8>)]) -> Self {
        let plugins = tempfile::tempdir().expect("plugins dir");
        for (from, name) in [
            (test_plugins_dir().join("hostile.wasm"), "hostile.wasm"),
            (plugins_dir().join("anthropic.wasm"), "anthropic.wasm"),
        ] {
            std::fs::copy(from, plugins.path().join(name)).expect("copy plugin");
        }
        for (name, bytes) in extra {
            std::fs::write(plugins.path().join(name), bytes).expect("write extra file");
        }
        let cache = tempfile::tempdir().expect("cache dir");
        let runtime =
            PluginRuntime::new(limits, CompileCache::in_dir(cache.path())).expect("engine");
        let registry = PluginRegistry::load(&Self::sources(plugins.path()), &runtime).await;
        Self {
            plugins,
            cache,
            runtime,
            registry,
        }
    }

    fn sources(dir: &Path) -> PluginSources {
        PluginSources::only(vec![dir.to_owned()])
    }

    /// Loads the plugins folder again, through the same runtime and cache.
    async fn reload(&self) -> PluginRegistry {
        PluginRegistry::load(&Self::sources(self.plugins.path()), &self.runtime).await
    }

    fn hostile(&self) -> &LoadedPlugin {
        let plugin = self.registry.route("hostile.polite").expect("routes");
        assert_eq!(plugin.name(), "hostile");
        plugin
    }

    /// The cache entries, with their modification times.
    fn cache_entries(&self) -> Vec<(String, SystemTime)> {
        let mut entries: Vec<(String, SystemTime)> = std::fs::read_dir(self.cache.path())
            .expect("cache dir")
            .filter_map(Result::ok)
            .map(|entry| {
                let modified = entry.metadata().and_then(|m| m.modified()).expect("mtime");
                (entry.file_name().to_string_lossy().into_owned(), modified)
            })
            .collect();
        entries.sort();
        entries
    }

    /// Whether the cache holds an entry for the file with this sha256.
    fn cached(&self, sha256: &str) -> bool {
        self.cache_entries()
            .iter()
            .any(|(name, _)| name.starts_with(sha256))
    }

    /// After a failure: the hostile plugin and the real one serve the next
    /// request in this process, and a reload finds every cache entry
    /// unchanged (not rewritten, not removed) and serves from it.
    async fn still_serving(&self) {
        assert_serves(&self.registry).await;
        let before = self.cache_entries();
        for plugin in self.registry.plugins() {
            assert!(self.cached(plugin.sha256()), "{} is cached", plugin.name());
        }
        let again = self.reload().await;
        assert_eq!(self.cache_entries(), before, "the cache is unchanged");
        assert_eq!(again.plugins().len(), self.registry.plugins().len());
        assert_serves(&again).await;
    }
}

/// The hostile plugin serves a polite request, and a real plugin its model.
async fn assert_serves(registry: &PluginRegistry) {
    let hostile = registry.route("hostile.polite").expect("hostile routes");
    let (polite, _) = build(hostile, "hostile.polite").await;
    assert_eq!(
        polite.expect("the same plugin serves the next request"),
        b"{}"
    );
    let real = registry.route(REAL_MODEL).expect("a real plugin routes");
    let (body, _) = build(real, REAL_MODEL).await;
    assert!(
        body.expect("the real plugin serves").starts_with(b"{"),
        "a JSON body"
    );
}

fn request(model: &str) -> Request {
    request_saying(model, "hello")
}

fn request_saying(model: &str, prompt: &str) -> Request {
    Request {
        model_id: model.into(),
        system: None,
        messages: vec![Message {
            role: Role::User,
            content: vec![Content::Text(prompt.into())],
        }],
        params: Params {
            max_tokens: Some(10),
            temperature: None,
            top_p: None,
            top_k: None,
            stop_sequences: Vec::new(),
            seed: None,
            extra: Vec::new(),
            raw: false,
        },
        tools: Vec::new(),
        tool_choice: None,
        reasoning: None,
        cache: CachePoints {
            system: false,
            tools: false,
        },
        streamed: false,
    }
}

/// `build-request` of `model` in a fresh sandbox, and how long the call took
/// (instantiation excluded).
async fn build(plugin: &LoadedPlugin, model: &str) -> (Result<Vec<u8>, PluginError>, Duration) {
    let mut sandbox = match plugin.sandbox().await {
        Ok(sandbox) => sandbox,
        Err(error) => return (Err(error), Duration::ZERO),
    };
    let started = Instant::now();
    let result = sandbox
        .build_request(&request(model))
        .await
        .map(|body| body.bytes);
    (result, started.elapsed())
}
