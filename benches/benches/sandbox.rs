//! A fresh sandbox per request (issue 6, item 3): `LoadedPlugin::sandbox`,
//! that is a new `Store` with its deny-all WASI context and limits,
//! instantiated from the plugin's cached `InstancePre`, then dropped, as
//! every request does it; once with the engine's default on-demand
//! allocator and once with the pooling allocator
//! (`InstanceAllocation::Pooling`), for every family's component.
//!
//! Invariant: both runtimes differ only in their `InstanceAllocation`; the
//! limits, the compiled code and the call path are the same.

mod support;

use bedrock_host::plugin::InstanceAllocation;
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};

use support::{FAMILIES, load, runtime, time_async, tokio};

/// Room for more sandboxes than the bench ever holds at once (one).
const POOLED_SANDBOXES: u32 = 16;

fn fresh_sandbox(c: &mut Criterion) {
    let rt = tokio();
    let mut group = c.benchmark_group("fresh_sandbox");
    for (label, allocation) in [
        ("on_demand", InstanceAllocation::OnDemand),
        (
            "pooling",
            InstanceAllocation::Pooling {
                max_sandboxes: POOLED_SANDBOXES,
            },
        ),
    ] {
        let runtime = runtime(allocation);
        for family in FAMILIES {
            let plugin = load(&rt, &runtime, family);
            group.bench_function(BenchmarkId::new(label, family), |b| {
                b.iter_custom(|iters| {
                    time_async!(rt, iters, async {
                        plugin
                            .sandbox()
                            .await
                            .unwrap_or_else(|error| panic!("{family}: {error}"));
                    })
                });
            });
        }
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = support::criterion();
    targets = fresh_sandbox
}
criterion_main!(benches);
