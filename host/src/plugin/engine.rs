//! The one wasmtime `Engine` of the process, and the ticker that drives its
//! epoch.
//!
//! Invariant: the engine's configuration is fixed here, so the compile cache
//! can key precompiled code by the engine's compatibility hash and never load
//! code compiled under other settings. The epoch ticker runs for as long as
//! the `PluginEngine` lives; without it, deadlines would never fire.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;

use wasmtime::{Config, Engine};

use super::limits::SandboxLimits;

/// A configured engine plus the background thread that advances its epoch.
pub struct PluginEngine {
    engine: Engine,
    stop: Arc<AtomicBool>,
}

impl PluginEngine {
    /// Creates the engine for the given limits and starts its epoch ticker.
    pub fn new(limits: &SandboxLimits) -> wasmtime::Result<Self> {
        let mut config = Config::new();
        config
            .wasm_component_model(true)
            .epoch_interruption(true)
            .max_wasm_stack(limits.stack_bytes)
            // Async calls run on a fiber whose stack must hold the wasm stack
            // and the host frames below it.
            .async_stack_size(limits.stack_bytes + (1 << 20));
        let engine = Engine::new(&config)?;
        let stop = Arc::new(AtomicBool::new(false));
        let ticker_engine = engine.weak();
        let ticker_stop = Arc::clone(&stop);
        thread::Builder::new()
            .name("plugin-epoch".into())
            .spawn(move || {
                while !ticker_stop.load(Ordering::Relaxed) {
                    thread::sleep(SandboxLimits::EPOCH_TICK);
                    match ticker_engine.upgrade() {
                        Some(engine) => engine.increment_epoch(),
                        None => break,
                    }
                }
            })
            .map_err(wasmtime::Error::from)?;
        Ok(Self { engine, stop })
    }

    /// The engine, for compiling and instantiating components.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }
}

impl Drop for PluginEngine {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}
