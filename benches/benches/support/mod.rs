//! What the criterion benches share: the plugins as the host loads them (the
//! `.wasm` components `cargo xtask plugins` puts in `target/plugins`, through
//! `PluginRuntime`), the runtime the host's async calls run on, the timing of
//! those calls, and criterion's settings.
//!
//! Invariant: a plugin is loaded and called only through the host's own
//! public API (`PluginRuntime`, `LoadedPlugin`, `Sandbox`), so what is timed
//! is the path a real request takes. Paths are found at run time from the
//! working folder cargo gives a bench (the package's folder), never baked in
//! at compile time: a build folder shared between checkouts may hand one
//! checkout a binary another compiled.

use std::path::PathBuf;
use std::time::Duration;

use bedrock_host::plugin::{
    CompileCache, InstanceAllocation, LoadedPlugin, PluginRuntime, SandboxLimits,
};
use criterion::Criterion;

/// The families, in the order the tables list them.
pub const FAMILIES: [&str; 7] = [
    "ai21",
    "amazon",
    "anthropic",
    "cohere",
    "meta",
    "mistral",
    "stability",
];

/// Criterion's settings for every bench here: short enough that the three
/// benches run in a few minutes, with enough samples for a stable median.
pub fn criterion() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(30)
}

/// The single-threaded tokio runtime the benches drive the host's async
/// calls on (the host's calls are async so that WASI never blocks tokio).
pub fn tokio() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// Times `$iters` awaited runs of `$call` (an expression giving a future)
/// inside one `block_on` of `$rt`, and gives the `Duration`: what is
/// measured is the host's call, not the entering of the runtime. (A macro,
/// not a function: the future borrows what the bench holds, a sandbox.)
/// What a call returns is dropped outside the timing, in batches, as
/// criterion's `iter_batched` does on the native side; whatever the future
/// drops itself (a sandbox it created) is timed.
macro_rules! time_async {
    ($rt:expr, $iters:expr, $call:expr) => {{
        const BATCH: u64 = 16;
        let iters: u64 = $iters;
        $rt.block_on(async {
            let mut outputs = Vec::with_capacity(BATCH as usize);
            let mut total = std::time::Duration::ZERO;
            let mut left = iters;
            while left > 0 {
                let batch = left.min(BATCH);
                let start = std::time::Instant::now();
                for _ in 0..batch {
                    outputs.push($call.await);
                }
                total += start.elapsed();
                std::hint::black_box(&outputs);
                outputs.clear();
                left -= batch;
            }
            total
        })
    }};
}
pub(crate) use time_async;

/// The `target` folder of the workspace: `cargo bench` runs a bench in the
/// package's folder, `benches/`.
fn target_dir() -> PathBuf {
    PathBuf::from("../target")
}

/// A plugin runtime with the default limits, allocating as `allocation`
/// says, whose compile cache is `target/bench-compile-cache`.
pub fn runtime(allocation: InstanceAllocation) -> PluginRuntime {
    let cache = CompileCache::in_dir(target_dir().join("bench-compile-cache"));
    PluginRuntime::with_allocation(SandboxLimits::default(), cache, allocation)
        .expect("a plugin runtime")
}

/// Loads `family`'s component from `target/plugins`, as the host does.
pub fn load(rt: &tokio::runtime::Runtime, runtime: &PluginRuntime, family: &str) -> LoadedPlugin {
    let path = target_dir().join("plugins").join(format!("{family}.wasm"));
    assert!(
        path.is_file(),
        "{} is missing: run `cargo xtask plugins` first",
        path.display()
    );
    rt.block_on(runtime.load(&path))
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}
