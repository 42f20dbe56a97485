//! The one wasmtime `Engine` of the process, and the ticker that drives its
//! epoch.
//!
//! Invariant: the engine's configuration is fixed here, so the compile cache
//! can key precompiled code by the engine's compatibility hash and never load
//! code compiled under other settings. The epoch ticker runs for as long as
//! any clone of the engine lives: every compiled component, loaded plugin
//! and sandbox (its `Store`) holds one, so a deadline fires for as long as
//! there is plugin code that could run, and nobody has to keep a runtime
//! value alive for it; the ticker ends at its first tick after the last
//! clone is dropped. How
//! instances are allocated ([`InstanceAllocation`]) changes no compiled code,
//! only where a sandbox's memory, tables and call stack come from.

use std::thread;

use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

use super::limits::SandboxLimits;

/// Where a sandbox's linear memories, tables and call stack come from.
///
/// On-demand is the default: a one-shot CLI holds nothing it does not use
/// and has no cap on concurrent sandboxes. Pooling reserves slots up front
/// and reuses them, for a long-lived process that makes many sandboxes
/// (the benchmarks measure both: `benches/benches/sandbox.rs`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum InstanceAllocation {
    /// Each sandbox maps its own memory and stack, unmapped when it ends
    /// (wasmtime's on-demand allocator).
    #[default]
    OnDemand,
    /// Sandboxes take pre-reserved slots and give them back when they end
    /// (wasmtime's pooling allocator); instantiating more than
    /// `max_sandboxes` at once fails.
    Pooling {
        /// How many sandboxes may be live at the same time.
        max_sandboxes: u32,
    },
}

impl InstanceAllocation {
    /// Core instances, memories and tables one plugin component may hold:
    /// the adapter's module, WASI's preview-1 adapter and the small shim
    /// modules `wit-component` adds between them.
    const PER_SANDBOX: u32 = 8;

    fn strategy(self, limits: &SandboxLimits) -> InstanceAllocationStrategy {
        match self {
            Self::OnDemand => InstanceAllocationStrategy::OnDemand,
            Self::Pooling { max_sandboxes } => {
                let each = max_sandboxes.saturating_mul(Self::PER_SANDBOX);
                let mut pool = PoolingAllocationConfig::new();
                pool.total_component_instances(max_sandboxes)
                    .total_stacks(max_sandboxes)
                    .total_core_instances(each)
                    .total_memories(each)
                    .total_tables(each)
                    .max_memory_size(limits.memory_bytes);
                InstanceAllocationStrategy::Pooling(pool)
            }
        }
    }
}

/// A configured engine whose epoch a background thread advances.
pub struct PluginEngine {
    engine: Engine,
}

impl PluginEngine {
    /// Creates the engine for the given limits and allocation, and starts
    /// its epoch ticker.
    pub fn new(limits: &SandboxLimits, allocation: InstanceAllocation) -> wasmtime::Result<Self> {
        let mut config = Config::new();
        config
            .wasm_component_model(true)
            .epoch_interruption(true)
            .max_wasm_stack(limits.stack_bytes)
            // Async calls run on a fiber whose stack must hold the wasm stack
            // and the host frames below it.
            .async_stack_size(limits.stack_bytes + (1 << 20))
            .allocation_strategy(allocation.strategy(limits));
        let engine = Engine::new(&config)?;
        // The ticker holds the engine weakly: it never keeps it alive, and
        // stops once nothing else does.
        let ticker_engine = engine.weak();
        thread::Builder::new()
            .name("plugin-epoch".into())
            .spawn(move || {
                loop {
                    thread::sleep(SandboxLimits::EPOCH_TICK);
                    match ticker_engine.upgrade() {
                        Some(engine) => engine.increment_epoch(),
                        None => break,
                    }
                }
            })
            .map_err(wasmtime::Error::from)?;
        Ok(Self { engine })
    }

    /// The engine, for compiling and instantiating components.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }
}
