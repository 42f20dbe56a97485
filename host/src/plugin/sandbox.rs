//! One request's sandbox: a fresh `Store` instantiated from a plugin's cached
//! `InstancePre`, and the guarded calls into it.
//!
//! Invariants:
//! - a store serves one request and is dropped with it, so a trap (which
//!   poisons a wasmtime store) can only end the request that caused it;
//! - the plugin sees WASI through a context that grants nothing: no
//!   environment, arguments, directories, sockets or stdin; clocks frozen at
//!   zero and randomness deterministic, so a plugin is a pure function of the
//!   bytes it is given;
//! - every call is armed with the wall-clock deadline, twice: the epoch
//!   deadline interrupts wasm code, and a timer ends a call that waits in the
//!   host on the plugin's behalf (a WASI sleep or poll, which real time
//!   drives even though the plugin's clocks are frozen);
//! - every call runs under the memory limiter and has its output measured
//!   before the host uses it; any broken limit becomes a `PluginError` naming
//!   the plugin, the call and the limit.

use std::future::Future;
use std::time::Duration;

use wasmtime::component::{ResourceAny, ResourceTable};
use wasmtime::{ResourceLimiter, Store, Trap};
use wasmtime_wasi::{
    HostMonotonicClock, HostWallClock, WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView,
};

use super::bindings::{
    AdapterError, Body, Event, PluginInfo, Provider, ProviderPre, Request, Response,
};
use super::error::{Limit, PluginError};
use super::limits::SandboxLimits;
use super::log::CappedLog;
use super::output;

/// What a sandbox's store holds: WASI state, the memory limiter and the log.
pub struct SandboxState {
    wasi: WasiCtx,
    table: ResourceTable,
    limiter: MemoryLimiter,
    log: CappedLog,
}

impl WasiView for SandboxState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

/// Refuses memory growth past the limit and remembers that it did, so that
/// the trap that follows can be reported as the limit it is.
struct MemoryLimiter {
    max_bytes: usize,
    exceeded: bool,
}

impl ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let allowed = desired <= self.max_bytes;
        self.exceeded |= !allowed;
        Ok(allowed)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= 100_000)
    }
}

/// A wall clock and a monotonic clock that never move.
struct FrozenClock;

impl HostWallClock for FrozenClock {
    fn resolution(&self) -> Duration {
        Duration::from_secs(1)
    }
    fn now(&self) -> Duration {
        Duration::ZERO
    }
}

impl HostMonotonicClock for FrozenClock {
    fn resolution(&self) -> u64 {
        1_000_000_000
    }
    fn now(&self) -> u64 {
        0
    }
}

/// Builds the deny-all store state for one request.
fn sandbox_state(limits: &SandboxLimits) -> SandboxState {
    let log = CappedLog::new(limits.log_bytes);
    let wasi = WasiCtxBuilder::new()
        .stdout(log.clone())
        .stderr(log.clone())
        .wall_clock(FrozenClock)
        .monotonic_clock(FrozenClock)
        .secure_random(wasmtime_wasi::Deterministic::new(vec![0x5a; 32]))
        .insecure_random(wasmtime_wasi::Deterministic::new(vec![0xa5; 32]))
        .insecure_random_seed(0)
        .allow_tcp(false)
        .allow_udp(false)
        .allow_ip_name_lookup(false)
        .build();
    SandboxState {
        wasi,
        table: ResourceTable::new(),
        limiter: MemoryLimiter {
            max_bytes: limits.memory_bytes,
            exceeded: false,
        },
        log,
    }
}

/// A live instance of one plugin, serving one request.
pub struct Sandbox {
    bindings: Provider,
    core: SandboxCore,
    decoder: Option<ResourceAny>,
}

impl Sandbox {
    /// Instantiates `pre` into a fresh store under `limits`.
    pub async fn new(
        plugin: &str,
        pre: &ProviderPre<SandboxState>,
        limits: &SandboxLimits,
    ) -> Result<Self, PluginError> {
        let mut store = Store::new(pre.engine(), sandbox_state(limits));
        store.limiter(|state| &mut state.limiter);
        store.epoch_deadline_trap();
        let mut core = SandboxCore {
            plugin: plugin.to_owned(),
            limits: limits.clone(),
            store,
        };
        core.arm();
        let instantiated =
            within(limits.call_timeout, pre.instantiate_async(&mut core.store)).await;
        let bindings = core.settle("instantiate", instantiated)?;
        Ok(Self {
            bindings,
            core,
            decoder: None,
        })
    }

    /// Calls `describe`.
    pub async fn describe(&mut self) -> Result<PluginInfo, PluginError> {
        let core = self.core.arm();
        let result = within(
            core.limits.call_timeout,
            self.bindings
                .bedrock_adapter_adapter()
                .call_describe(&mut core.store),
        )
        .await;
        let info = core.settle("describe", result)?;
        core.check_output("describe", output::describe_size(&info))?;
        Ok(info)
    }

    /// Calls `build-request`.
    pub async fn build_request(&mut self, request: &Request) -> Result<Body, PluginError> {
        let core = self.core.arm();
        let result = within(
            core.limits.call_timeout,
            self.bindings
                .bedrock_adapter_adapter()
                .call_build_request(&mut core.store, request),
        )
        .await;
        let body = core.settle_adapter("build-request", result)?;
        core.check_output("build-request", output::body_size(&body))?;
        Ok(body)
    }

    /// Calls `parse-response` on the body of a non-streamed invocation.
    pub async fn parse_response(
        &mut self,
        model_id: &str,
        body: &[u8],
    ) -> Result<Response, PluginError> {
        let core = self.core.arm();
        let result = within(
            core.limits.call_timeout,
            self.bindings.bedrock_adapter_adapter().call_parse_response(
                &mut core.store,
                model_id,
                body,
            ),
        )
        .await;
        let response = core.settle_adapter("parse-response", result)?;
        core.check_output("parse-response", output::response_size(&response))?;
        Ok(response)
    }

    /// Creates this request's stream decoder for `model_id`.
    pub async fn start_stream(&mut self, model_id: &str) -> Result<(), PluginError> {
        let core = self.core.arm();
        let result = within(
            core.limits.call_timeout,
            self.bindings
                .bedrock_adapter_adapter()
                .stream_decoder()
                .call_constructor(&mut core.store, model_id),
        )
        .await;
        self.decoder = Some(core.settle("stream-decoder", result)?);
        Ok(())
    }

    /// Feeds one decoded chunk to the stream decoder.
    pub async fn feed(&mut self, chunk: &[u8]) -> Result<Vec<Event>, PluginError> {
        const CALL: &str = "stream-decoder.feed";
        let decoder = self.decoder.ok_or_else(|| self.core.not_started(CALL))?;
        let core = self.core.arm();
        let result = within(
            core.limits.call_timeout,
            self.bindings
                .bedrock_adapter_adapter()
                .stream_decoder()
                .call_feed(&mut core.store, decoder, chunk),
        )
        .await;
        let events = core.settle_adapter(CALL, result)?;
        core.check_events(CALL, &events)?;
        Ok(events)
    }

    /// Tells the stream decoder the stream ended normally.
    pub async fn finish(&mut self) -> Result<Vec<Event>, PluginError> {
        const CALL: &str = "stream-decoder.finish";
        let decoder = self.decoder.ok_or_else(|| self.core.not_started(CALL))?;
        let core = self.core.arm();
        let result = within(
            core.limits.call_timeout,
            self.bindings
                .bedrock_adapter_adapter()
                .stream_decoder()
                .call_finish(&mut core.store, decoder),
        )
        .await;
        let events = core.settle_adapter(CALL, result)?;
        core.check_events(CALL, &events)?;
        Ok(events)
    }
}

/// Runs one call into the plugin, ending it as an interrupt when it outlives
/// `deadline` while waiting in the host, where the epoch cannot reach it.
async fn within<R>(
    deadline: Duration,
    call: impl Future<Output = wasmtime::Result<R>>,
) -> wasmtime::Result<R> {
    tokio::time::timeout(deadline, call)
        .await
        .unwrap_or_else(|_| Err(Trap::Interrupt.into()))
}

/// The store and what is needed to report on a call made into it, kept apart
/// from the bindings so that both can be borrowed at once.
struct SandboxCore {
    plugin: String,
    limits: SandboxLimits,
    store: Store<SandboxState>,
}

impl SandboxCore {
    /// Arms the wall-clock deadline for the next call.
    fn arm(&mut self) -> &mut Self {
        self.store.set_epoch_deadline(self.limits.deadline_ticks());
        self
    }

    /// Flushes the plugin's log and turns a failed call into the limit or
    /// trap that caused it.
    fn settle<R>(
        &mut self,
        call: &'static str,
        result: wasmtime::Result<R>,
    ) -> Result<R, PluginError> {
        let state = self.store.data_mut();
        if let Some(text) = state.log.take() {
            tracing::debug!(plugin = %self.plugin, call, "plugin output: {text}");
        }
        let error = match result {
            Ok(value) => return Ok(value),
            Err(error) => error,
        };
        let plugin = self.plugin.clone();
        let limit = if state.limiter.exceeded {
            Some(Limit::Memory(self.limits.memory_bytes))
        } else {
            match error.downcast_ref::<Trap>() {
                Some(Trap::Interrupt) => Some(Limit::Time(self.limits.call_timeout)),
                Some(Trap::StackOverflow) => Some(Limit::Stack(self.limits.stack_bytes)),
                _ => None,
            }
        };
        Err(match limit {
            Some(limit) => PluginError::Limit {
                plugin,
                call,
                limit,
            },
            None => PluginError::Trap {
                plugin,
                call,
                detail: format!("{error:#}"),
            },
        })
    }

    /// As `settle`, for calls whose result carries the adapter's own error.
    fn settle_adapter<R>(
        &mut self,
        call: &'static str,
        result: wasmtime::Result<Result<R, AdapterError>>,
    ) -> Result<R, PluginError> {
        self.settle(call, result)?
            .map_err(|error| PluginError::Adapter {
                plugin: self.plugin.clone(),
                call,
                error: error.into(),
            })
    }

    fn check_output(&self, call: &'static str, size: usize) -> Result<(), PluginError> {
        output::check_output_size(&self.plugin, call, size, self.limits.output_bytes)
    }

    /// Checks both the number of events and their total size.
    fn check_events(&self, call: &'static str, events: &[Event]) -> Result<(), PluginError> {
        if events.len() > self.limits.max_events {
            return Err(PluginError::Limit {
                plugin: self.plugin.clone(),
                call,
                limit: Limit::Events {
                    count: events.len(),
                    max: self.limits.max_events,
                },
            });
        }
        self.check_output(call, output::events_size(events))
    }

    fn not_started(&self, call: &'static str) -> PluginError {
        PluginError::Protocol {
            plugin: self.plugin.clone(),
            call,
            detail: "the stream decoder was not started".into(),
        }
    }
}
