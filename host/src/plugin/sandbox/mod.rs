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
//! - every call runs under the memory limiter (which counts all of the
//!   store's memories together) and has its output measured, per call and
//!   against the request's budget, before the host uses it; any broken
//!   limit becomes a `PluginError` naming the plugin, the call and the limit;
//! - what a plugin chose (its printed output, its function names in a
//!   backtrace) reaches the user only escaped: a trap's error carries
//!   wasmtime's description and the escaped tail of what the plugin printed,
//!   and the wasm backtrace goes to the debug log (`-vv`) only.

use std::future::Future;
use std::time::Duration;

use wasmtime::component::{ResourceAny, ResourceTable};
use wasmtime::{PoolConcurrencyLimitError, ResourceLimiter, Store, Trap, WasmBacktrace};
use wasmtime_wasi::{
    HostMonotonicClock, HostWallClock, WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView,
};

use super::bindings::embedding::{Embedder, EmbedderIndices};
use super::bindings::{
    AdapterError, Body, Event, PluginInfo, Provider, ProviderPre, Request, Response,
};
use super::budget::{Overspent, RequestBudget};
use super::error::{Limit, PluginError};
use super::event_model::{EventModel, check_response};
use super::limits::SandboxLimits;
use super::log::{CappedLog, Printed};
use super::output;
use super::printable::printable;
use super::since_v0_1;

mod embedder;

/// The longest trap description kept in an error, in bytes.
const TRAP_DESCRIPTION_BYTES: usize = 512;

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

/// Refuses memory growth that would take the store's memories together
/// past the limit, and remembers that it did, so that the trap that follows
/// can be reported as the limit it is.
struct MemoryLimiter {
    max_bytes: usize,
    /// The bytes of every memory of the store, as last allowed to grow.
    total_bytes: usize,
    exceeded: bool,
}

impl ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let total = self
            .total_bytes
            .saturating_sub(current)
            .saturating_add(desired);
        let allowed = total <= self.max_bytes;
        if allowed {
            self.total_bytes = total;
        }
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
            total_bytes: 0,
            exceeded: false,
        },
        log,
    }
}

/// A plugin's code, checked against its contract line and linked to the
/// sandbox's WASI, ready to instantiate.
#[derive(Clone)]
pub enum PluginCode {
    /// Built against `bedrock:adapter@0.1`.
    V0_1(since_v0_1::ProviderPre<SandboxState>),
    /// Built against `bedrock:adapter@0.2`; with the `embedder` interface's
    /// indices when the component exports it (0.2.1).
    V0_2(ProviderPre<SandboxState>, Option<EmbedderIndices>),
}

impl PluginCode {
    fn engine(&self) -> &wasmtime::Engine {
        match self {
            Self::V0_1(pre) => pre.engine(),
            Self::V0_2(pre, _) => pre.engine(),
        }
    }
}

/// A live instance of a plugin of either contract line.
enum Instance {
    V0_1(since_v0_1::Provider),
    V0_2(Provider, Option<Embedder>),
}

/// A live instance of one plugin, serving one request.
pub struct Sandbox {
    instance: Instance,
    core: SandboxCore,
    stream: Option<(ResourceAny, EventModel)>,
}

impl Sandbox {
    /// Instantiates `code` into a fresh store under `limits`.
    pub async fn new(
        plugin: &str,
        code: &PluginCode,
        limits: &SandboxLimits,
    ) -> Result<Self, PluginError> {
        let mut store = Store::new(code.engine(), sandbox_state(limits));
        store.limiter(|state| &mut state.limiter);
        store.epoch_deadline_trap();
        let mut core = SandboxCore {
            plugin: plugin.to_owned(),
            limits: limits.clone(),
            budget: RequestBudget::new(limits.request.clone()),
            store,
        };
        core.arm();
        let instantiated = match code {
            PluginCode::V0_1(pre) => {
                within(limits.call_timeout, pre.instantiate_async(&mut core.store))
                    .await
                    .map(Instance::V0_1)
            }
            PluginCode::V0_2(pre, embedder) => {
                within(limits.call_timeout, async {
                    let instance = pre
                        .instance_pre()
                        .instantiate_async(&mut core.store)
                        .await?;
                    let provider = Provider::new(&mut core.store, &instance)?;
                    let embedder = embedder
                        .as_ref()
                        .map(|indices| indices.load(&mut core.store, &instance))
                        .transpose()?;
                    Ok(Instance::V0_2(provider, embedder))
                })
                .await
            }
        };
        let instance = core.settle("instantiate", instantiated)?;
        Ok(Self {
            instance,
            core,
            stream: None,
        })
    }

    /// Calls `describe`.
    pub async fn describe(&mut self) -> Result<PluginInfo, PluginError> {
        let core = self.core.arm();
        let timeout = core.limits.call_timeout;
        let result = match &self.instance {
            Instance::V0_2(p, _) => {
                within(
                    timeout,
                    p.bedrock_adapter_adapter().call_describe(&mut core.store),
                )
                .await
            }
            Instance::V0_1(p) => within(
                timeout,
                p.bedrock_adapter_adapter().call_describe(&mut core.store),
            )
            .await
            .map(since_v0_1::plugin_info),
        };
        let info = core.settle("describe", result)?;
        core.check_output("describe", output::describe_size(&info))?;
        Ok(info)
    }

    /// Calls `build-request`.
    pub async fn build_request(&mut self, request: &Request) -> Result<Body, PluginError> {
        let core = self.core.arm();
        core.budget.give(output::request_size(request));
        let timeout = core.limits.call_timeout;
        let result = match &self.instance {
            Instance::V0_2(p, _) => {
                within(
                    timeout,
                    p.bedrock_adapter_adapter()
                        .call_build_request(&mut core.store, request),
                )
                .await
            }
            Instance::V0_1(p) => within(
                timeout,
                p.bedrock_adapter_adapter()
                    .call_build_request(&mut core.store, &since_v0_1::request(request)),
            )
            .await
            .map(|built| {
                built
                    .map(since_v0_1::body)
                    .map_err(since_v0_1::adapter_error)
            }),
        };
        let body = core.settle_adapter("build-request", result)?;
        let size = output::body_size(&body);
        core.check_output("build-request", size)?;
        core.charge("build-request", size, 0)?;
        Ok(body)
    }

    /// Calls `parse-response` on the body of a non-streamed invocation.
    pub async fn parse_response(
        &mut self,
        model_id: &str,
        body: &[u8],
    ) -> Result<Response, PluginError> {
        let core = self.core.arm();
        core.budget.give(body.len());
        let timeout = core.limits.call_timeout;
        let result = match &self.instance {
            Instance::V0_2(p, _) => {
                within(
                    timeout,
                    p.bedrock_adapter_adapter().call_parse_response(
                        &mut core.store,
                        model_id,
                        body,
                    ),
                )
                .await
            }
            Instance::V0_1(p) => within(
                timeout,
                p.bedrock_adapter_adapter()
                    .call_parse_response(&mut core.store, model_id, body),
            )
            .await
            .map(|parsed| {
                parsed
                    .map(since_v0_1::response)
                    .map_err(since_v0_1::adapter_error)
            }),
        };
        let response = core.settle_adapter("parse-response", result)?;
        check_response(&response)
            .map_err(|detail| core.broke_contract("parse-response", detail))?;
        let size = output::response_size(&response);
        core.check_output("parse-response", size)?;
        core.charge("parse-response", size, response.outputs.len())?;
        Ok(response)
    }

    /// Creates this request's stream decoder for `model_id`.
    pub async fn start_stream(&mut self, model_id: &str) -> Result<(), PluginError> {
        let core = self.core.arm();
        let timeout = core.limits.call_timeout;
        let result = match &self.instance {
            Instance::V0_2(p, _) => {
                within(
                    timeout,
                    p.bedrock_adapter_adapter()
                        .stream_decoder()
                        .call_constructor(&mut core.store, model_id),
                )
                .await
            }
            Instance::V0_1(p) => {
                within(
                    timeout,
                    p.bedrock_adapter_adapter()
                        .stream_decoder()
                        .call_constructor(&mut core.store, model_id),
                )
                .await
            }
        };
        let decoder = core.settle("stream-decoder", result)?;
        self.stream = Some((decoder, EventModel::default()));
        Ok(())
    }

    /// Feeds one decoded chunk to the stream decoder.
    pub async fn feed(&mut self, chunk: &[u8]) -> Result<Vec<Event>, PluginError> {
        const CALL: &str = "stream-decoder.feed";
        let Some((decoder, model)) = &mut self.stream else {
            return Err(self.core.not_started(CALL));
        };
        let core = self.core.arm();
        core.budget.give(chunk.len());
        let timeout = core.limits.call_timeout;
        let result = match &self.instance {
            Instance::V0_2(p, _) => {
                within(
                    timeout,
                    p.bedrock_adapter_adapter().stream_decoder().call_feed(
                        &mut core.store,
                        *decoder,
                        chunk,
                    ),
                )
                .await
            }
            Instance::V0_1(p) => within(
                timeout,
                p.bedrock_adapter_adapter().stream_decoder().call_feed(
                    &mut core.store,
                    *decoder,
                    chunk,
                ),
            )
            .await
            .map(|fed| {
                fed.map(since_v0_1::events)
                    .map_err(since_v0_1::adapter_error)
            }),
        };
        let events = core.settle_adapter(CALL, result)?;
        core.check_events(CALL, &events)?;
        model
            .accept(&events)
            .map_err(|detail| core.broke_contract(CALL, detail))?;
        Ok(events)
    }

    /// Tells the stream decoder the stream ended normally.
    pub async fn finish(&mut self) -> Result<Vec<Event>, PluginError> {
        const CALL: &str = "stream-decoder.finish";
        let Some((decoder, model)) = &mut self.stream else {
            return Err(self.core.not_started(CALL));
        };
        let core = self.core.arm();
        let timeout = core.limits.call_timeout;
        let result = match &self.instance {
            Instance::V0_2(p, _) => {
                within(
                    timeout,
                    p.bedrock_adapter_adapter()
                        .stream_decoder()
                        .call_finish(&mut core.store, *decoder),
                )
                .await
            }
            Instance::V0_1(p) => within(
                timeout,
                p.bedrock_adapter_adapter()
                    .stream_decoder()
                    .call_finish(&mut core.store, *decoder),
            )
            .await
            .map(|finished| {
                finished
                    .map(since_v0_1::events)
                    .map_err(since_v0_1::adapter_error)
            }),
        };
        let events = core.settle_adapter(CALL, result)?;
        core.check_events(CALL, &events)?;
        model
            .accept(&events)
            .and_then(|()| model.finish())
            .map_err(|detail| core.broke_contract(CALL, detail))?;
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

/// What the user is told of a trap: wasmtime's description of it (not the
/// backtrace, whose function names the plugin chose), escaped and bounded,
/// then the escaped tail of what the plugin printed, where a panic message is.
fn trap_detail(error: &wasmtime::Error, printed: Option<&Printed>) -> String {
    let description = match error.downcast_ref::<Trap>() {
        Some(trap) => trap.to_string(),
        None => error.root_cause().to_string(),
    };
    let mut description = printable(&description);
    if description.len() > TRAP_DESCRIPTION_BYTES {
        let mut end = TRAP_DESCRIPTION_BYTES;
        while !description.is_char_boundary(end) {
            end -= 1;
        }
        description.truncate(end);
        description.push_str("...");
    }
    match printed {
        Some(printed) if printed.tail.is_empty() => description,
        Some(printed) if printed.tail_cut => {
            format!("{description}; it printed, ending: ...{}", printed.tail)
        }
        Some(printed) => format!("{description}; it printed: {}", printed.tail),
        None => description,
    }
}

/// The store and what is needed to report on a call made into it, kept apart
/// from the bindings so that both can be borrowed at once.
struct SandboxCore {
    plugin: String,
    limits: SandboxLimits,
    budget: RequestBudget,
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
        let printed = state.log.take();
        let plugin = printable(&self.plugin);
        if let Some(printed) = &printed {
            tracing::debug!(plugin, call, "plugin output: {}", printed.kept);
        }
        let error = match result {
            Ok(value) => return Ok(value),
            Err(error) => error,
        };
        if let Some(backtrace) = error.downcast_ref::<WasmBacktrace>() {
            for line in backtrace.to_string().lines() {
                tracing::debug!(plugin, call, "{}", printable(line));
            }
        }
        let limit = if state.limiter.exceeded {
            Some(Limit::Memory(self.limits.memory_bytes))
        } else if error.is::<PoolConcurrencyLimitError>() {
            Some(Limit::Pool)
        } else {
            match error.downcast_ref::<Trap>() {
                Some(Trap::Interrupt) => Some(Limit::Time(self.limits.call_timeout)),
                Some(Trap::StackOverflow) => Some(Limit::Stack(self.limits.stack_bytes)),
                _ => None,
            }
        };
        let plugin = self.plugin.clone();
        Err(match limit {
            Some(limit) => PluginError::Limit {
                plugin,
                call,
                limit,
            },
            None => PluginError::Trap {
                plugin,
                call,
                detail: trap_detail(&error, printed.as_ref()),
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

    /// Charges a call's output to the request's budget.
    fn charge(&mut self, call: &'static str, size: usize, items: usize) -> Result<(), PluginError> {
        self.budget
            .charge(size, items)
            .map_err(|overspent| PluginError::Limit {
                plugin: self.plugin.clone(),
                call,
                limit: match overspent {
                    Overspent::Output { size, max } => Limit::RequestOutput { size, max },
                    Overspent::Items { count, max } => Limit::RequestItems { count, max },
                },
            })
    }

    /// Checks the number of events and their total size, for the call and
    /// for the request.
    fn check_events(&mut self, call: &'static str, events: &[Event]) -> Result<(), PluginError> {
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
        let size = output::events_size(events);
        self.check_output(call, size)?;
        self.charge(call, size, events.len())
    }

    /// An answer or events that break the contract's event model.
    fn broke_contract(&self, call: &'static str, rule: String) -> PluginError {
        PluginError::Contract {
            plugin: self.plugin.clone(),
            call,
            rule,
        }
    }

    fn not_started(&self, call: &'static str) -> PluginError {
        PluginError::Protocol {
            plugin: self.plugin.clone(),
            call,
            detail: "the stream decoder was not started".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A component holds several core instances, each with its memory: the
    /// limit is on all of them together, not on each.
    #[test]
    fn the_memory_limit_counts_every_memory_of_the_store_together() {
        let mut limiter = MemoryLimiter {
            max_bytes: 100,
            total_bytes: 0,
            exceeded: false,
        };
        assert!(limiter.memory_growing(0, 40, None).expect("asks"));
        assert!(limiter.memory_growing(0, 40, None).expect("asks"));
        assert!(!limiter.memory_growing(0, 40, None).expect("asks"));
        assert!(limiter.exceeded);
        assert!(limiter.memory_growing(40, 60, None).expect("asks"));
        assert!(!limiter.memory_growing(60, 61, None).expect("asks"));
        assert_eq!(limiter.total_bytes, 100);
    }

    #[test]
    fn a_trap_is_described_without_its_backtrace_and_with_the_escaped_tail() {
        let error = wasmtime::Error::from(Trap::UnreachableCodeReached);
        let printed = Printed {
            kept: String::new(),
            tail: printable("panicked: \u{1b}]0;owned\u{7}"),
            tail_cut: false,
        };
        assert_eq!(
            trap_detail(&error, Some(&printed)),
            "wasm trap: wasm `unreachable` instruction executed; it printed: panicked: \\u{1b}]0;owned\\u{7}"
        );
        let long = wasmtime::Error::msg(format!("\n{}", "x".repeat(2000)));
        let detail = trap_detail(&long, None);
        assert!(
            detail.starts_with("\\nxxx") && detail.ends_with("x..."),
            "{detail}"
        );
        assert_eq!(detail.len(), TRAP_DESCRIPTION_BYTES + 3);
    }
}
