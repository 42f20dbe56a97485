//! Misbehaviour inside a call: each is stopped by its limit, with an error
//! naming the plugin, the call and the limit, and harms nothing else.

use std::time::{Duration, Instant};

use bedrock_host::plugin::{Event, Limit, PluginError, Sandbox, SandboxLimits};

use super::{TIMEOUT, World, assert_bounded, limits};

/// Limits for tests about something other than time: a deadline no
/// unoptimised build comes near, and room for 40 MiB answers.
fn roomy_limits() -> SandboxLimits {
    SandboxLimits {
        memory_bytes: 128 << 20,
        call_timeout: Duration::from_secs(30),
        ..limits()
    }
}

/// Runs `call` on a fresh hostile sandbox (after `setup`, untimed), expects
/// `check` of its error within the deadline plus slack, then proves the
/// world still serves.
async fn stopped(
    world: &World,
    setup: impl AsyncFnOnce(&mut Sandbox),
    call: impl AsyncFnOnce(&mut Sandbox) -> Result<(), PluginError>,
    check: impl Fn(&PluginError) -> bool,
) -> PluginError {
    let mut sandbox = world.hostile().sandbox().await.expect("sandbox");
    setup(&mut sandbox).await;
    let started = Instant::now();
    let error = call(&mut sandbox)
        .await
        .expect_err("the hostile call fails");
    let took = started.elapsed();
    assert!(check(&error), "unexpected error: {error}");
    assert!(
        error.to_string().starts_with("plugin `hostile` "),
        "names the plugin: {error}"
    );
    drop(sandbox);
    world.still_serving().await;
    assert_bounded(
        &error.to_string(),
        took,
        world.runtime.limits().call_timeout,
    );
    error
}

/// Whether `error` is the time limit of the test deadline, in `call`.
fn timed_out_in(call: &'static str) -> impl Fn(&PluginError) -> bool {
    move |error| matches!(error, PluginError::Limit { limit: Limit::Time(t), call: c, .. } if *t == TIMEOUT && *c == call)
}

async fn nothing(_: &mut Sandbox) {}

/// What `hostile.remember` counted, from the body it built.
async fn remembered(sandbox: &mut Sandbox) -> String {
    let body = sandbox
        .build_request(&super::request("hostile.remember"))
        .await
        .expect("hostile.remember builds");
    String::from_utf8(body.bytes).expect("a count")
}

#[tokio::test]
async fn nothing_survives_from_one_request_to_the_next() {
    let world = World::new(limits()).await;
    let mut first = world.hostile().sandbox().await.expect("sandbox");
    assert_eq!(remembered(&mut first).await, "1");
    assert_eq!(
        remembered(&mut first).await,
        "2",
        "within one request the plugin's static counts"
    );
    drop(first);
    let mut second = world.hostile().sandbox().await.expect("sandbox");
    assert_eq!(
        remembered(&mut second).await,
        "1",
        "a new request starts from a fresh instance"
    );
}

async fn build_of(sandbox: &mut Sandbox, model: &str) -> Result<(), PluginError> {
    sandbox
        .build_request(&super::request(model))
        .await
        .map(drop)
}

#[tokio::test]
async fn an_infinite_loop_in_build_request_is_stopped_at_the_deadline() {
    let world = World::new(limits()).await;
    let error = stopped(
        &world,
        nothing,
        async |s| build_of(s, "hostile.loop").await,
        timed_out_in("build-request"),
    )
    .await;
    assert_eq!(
        error.to_string(),
        "plugin `hostile` stopped in build-request: time limit of 200 ms exceeded"
    );
}

#[tokio::test]
async fn an_infinite_loop_in_parse_response_is_stopped_at_the_deadline() {
    let world = World::new(limits()).await;
    stopped(
        &world,
        nothing,
        async |s| s.parse_response("hostile.loop", b"{}").await.map(drop),
        timed_out_in("parse-response"),
    )
    .await;
}

#[tokio::test]
async fn an_infinite_loop_in_the_decoder_constructor_is_stopped_at_the_deadline() {
    let world = World::new(limits()).await;
    stopped(
        &world,
        nothing,
        async |s| s.start_stream("hostile.loop").await,
        timed_out_in("stream-decoder"),
    )
    .await;
}

#[tokio::test]
async fn an_infinite_loop_in_feed_is_stopped_at_the_deadline() {
    let world = World::new(limits()).await;
    stopped(
        &world,
        async |s| s.start_stream("hostile.loop-feed").await.expect("decoder"),
        async |s| s.feed(b"{}").await.map(drop),
        timed_out_in("stream-decoder.feed"),
    )
    .await;
}

#[tokio::test]
async fn an_infinite_loop_in_finish_is_stopped_at_the_deadline() {
    let world = World::new(limits()).await;
    stopped(
        &world,
        async |s| {
            s.start_stream("hostile.loop-finish")
                .await
                .expect("decoder");
            s.feed(b"{}").await.expect("a chunk decodes");
        },
        async |s| s.finish().await.map(drop),
        timed_out_in("stream-decoder.finish"),
    )
    .await;
}

#[tokio::test]
async fn a_busy_wait_on_the_frozen_clock_is_stopped_at_the_deadline() {
    let world = World::new(limits()).await;
    stopped(
        &world,
        nothing,
        async |s| build_of(s, "hostile.clock").await,
        timed_out_in("build-request"),
    )
    .await;
}

#[tokio::test]
async fn a_sleep_in_the_host_is_stopped_at_the_deadline() {
    let world = World::new(limits()).await;
    stopped(
        &world,
        nothing,
        async |s| build_of(s, "hostile.sleep").await,
        timed_out_in("build-request"),
    )
    .await;
}

#[tokio::test]
async fn memory_hoarding_is_stopped_at_the_memory_limit() {
    let world = World::new(limits()).await;
    let error = stopped(
        &world,
        nothing,
        async |s| build_of(s, "hostile.memory").await,
        |e| matches!(e, PluginError::Limit { limit: Limit::Memory(m), .. } if *m == 16 << 20),
    )
    .await;
    assert!(
        error
            .to_string()
            .ends_with("memory limit of 16 MiB exceeded"),
        "{error}"
    );
}

#[tokio::test]
async fn unbounded_recursion_is_stopped_at_the_stack_limit() {
    let world = World::new(limits()).await;
    let error = stopped(
        &world,
        nothing,
        async |s| build_of(s, "hostile.stack").await,
        |e| matches!(e, PluginError::Limit { limit: Limit::Stack(s), .. } if *s == 512 << 10),
    )
    .await;
    assert!(
        error
            .to_string()
            .ends_with("stack limit of 512 KiB exceeded"),
        "{error}"
    );
}

#[tokio::test]
async fn a_panic_is_a_trap_that_names_the_call() {
    let world = World::new(limits()).await;
    stopped(
        &world,
        nothing,
        async |s| build_of(s, "hostile.trap").await,
        |e| {
            matches!(
                e,
                PluginError::Trap {
                    call: "build-request",
                    ..
                }
            )
        },
    )
    .await;
}

/// Whether `error` is the default 32 MiB output limit broken by the 40 MiB
/// answer, in `call`.
fn too_big_in(call: &'static str) -> impl Fn(&PluginError) -> bool {
    move |error| {
        matches!(error, PluginError::Limit { limit: Limit::Output { size, max }, call: c, .. }
            if *size >= 40 << 20 && *max == 32 << 20 && *c == call)
    }
}

#[tokio::test]
async fn an_enormous_body_is_refused_at_the_output_limit() {
    let world = World::new(roomy_limits()).await;
    stopped(
        &world,
        nothing,
        async |s| build_of(s, "hostile.big-output").await,
        too_big_in("build-request"),
    )
    .await;
}

#[tokio::test]
async fn an_enormous_string_is_refused_at_the_output_limit() {
    let world = World::new(roomy_limits()).await;
    let error = stopped(
        &world,
        nothing,
        async |s| {
            s.parse_response("hostile.big-output", b"{}")
                .await
                .map(drop)
        },
        too_big_in("parse-response"),
    )
    .await;
    assert!(
        error.to_string().ends_with(&format!(
            "returned {} bytes, more than the limit of {}",
            40 << 20,
            32 << 20
        )),
        "{error}"
    );
}

#[tokio::test]
async fn millions_of_events_from_one_feed_are_refused_at_the_event_limit() {
    let world = World::new(roomy_limits()).await;
    let error = stopped(
        &world,
        async |s| s.start_stream("hostile.events").await.expect("decoder"),
        async |s| s.feed(b"{}").await.map(drop),
        |e| {
            matches!(
                e,
                PluginError::Limit {
                    limit: Limit::Events {
                        count: 2_000_000,
                        max: 10_000
                    },
                    call: "stream-decoder.feed",
                    ..
                }
            )
        },
    )
    .await;
    assert_eq!(
        error.to_string(),
        "plugin `hostile` stopped in stream-decoder.feed: returned 2000000 events, more than the limit of 10000"
    );
}

#[tokio::test]
async fn millions_of_events_within_a_small_memory_limit_are_stopped_there() {
    let world = World::new(limits()).await;
    stopped(
        &world,
        async |s| s.start_stream("hostile.events").await.expect("decoder"),
        async |s| s.feed(b"{}").await.map(drop),
        |e| matches!(e, PluginError::Limit { limit: Limit::Memory(m), .. } if *m == 16 << 20),
    )
    .await;
}

#[tokio::test]
async fn a_decoder_that_traps_mid_stream_keeps_what_it_returned_before() {
    let world = World::new(limits()).await;
    let mut sandbox = world.hostile().sandbox().await.expect("sandbox");
    sandbox
        .start_stream("hostile.stream")
        .await
        .expect("decoder");
    let first = sandbox.feed(b"{}").await.expect("the first chunk decodes");
    assert!(matches!(first.as_slice(), [Event::Text(t)] if t == "first "));
    let error = sandbox
        .feed(b"{}")
        .await
        .expect_err("the second chunk traps");
    assert!(
        matches!(
            error,
            PluginError::Trap {
                call: "stream-decoder.feed",
                ..
            }
        ),
        "{error}"
    );
    drop(sandbox);
    world.still_serving().await;
}

#[tokio::test]
async fn a_corrupt_cache_entry_is_replaced() {
    let world = World::new(limits()).await;
    let entries = world.cache_entries();
    assert_eq!(
        entries.len(),
        2 * world.registry.plugins().len(),
        "compiled code and a describe answer per plugin: {entries:?}"
    );
    for (name, _) in &entries {
        assert!(
            world
                .registry
                .plugins()
                .iter()
                .any(|p| name.starts_with(p.sha256())),
            "{name} is keyed by a plugin's sha256"
        );
        std::fs::write(world.cache.path().join(name), b"corrupt").expect("corrupt the entry");
    }
    let second = world.reload().await;
    assert!(second.failures().is_empty(), "{:?}", second.failures());
    assert_eq!(second.plugins().len(), world.registry.plugins().len());
    for (name, _) in &entries {
        assert_ne!(
            std::fs::read(world.cache.path().join(name)).expect("entry"),
            b"corrupt",
            "rewritten: {name}"
        );
    }
    super::assert_serves(&second).await;
}

#[test]
fn the_limits_are_set_per_run_on_the_command_line() {
    let invoke = |model: &str, limit: &[&str]| {
        let mut command = crate::support::bedrock_host_without_plugins();
        command
            .arg("--plugins-dir")
            .arg(super::test_plugins_dir())
            .args(limit)
            .args(["--local", "invoke", "--model", model, "hi"]);
        crate::support::run(command)
    };
    let looped = invoke("hostile.loop", &["--plugin-timeout", "150"]);
    assert_eq!(looped.code, Some(3), "{}", looped.stderr);
    assert!(
        looped
            .stderr
            .contains("plugin `hostile` stopped in build-request: time limit of 150 ms exceeded"),
        "{}",
        looped.stderr
    );
    let hoarded = invoke("hostile.memory", &["--plugin-memory", "8"]);
    assert_eq!(hoarded.code, Some(3), "{}", hoarded.stderr);
    assert!(
        hoarded.stderr.contains("memory limit of 8 MiB exceeded"),
        "{}",
        hoarded.stderr
    );
}

#[tokio::test]
async fn a_stream_within_every_per_call_limit_is_stopped_at_the_request_budget() {
    let world = World::new(limits()).await;
    let mut sandbox = world.hostile().sandbox().await.expect("sandbox");
    sandbox
        .start_stream("hostile.trickle")
        .await
        .expect("decoder");
    for chunk in 1..=3 {
        let events = sandbox.feed(b"{}").await.expect("within the budget");
        assert_eq!(events.len(), 100, "chunk {chunk}");
    }
    let error = sandbox
        .feed(b"{}")
        .await
        .expect_err("the fourth 300 KB answer to 2 bytes crosses the budget");
    assert!(
        matches!(
            error,
            PluginError::Limit {
                call: "stream-decoder.feed",
                limit: Limit::RequestOutput {
                    size: 1_200_000,
                    max: 1_048_608
                },
                ..
            }
        ),
        "{error}"
    );
    assert!(
        error.to_string().starts_with(
            "plugin `hostile` stopped in stream-decoder.feed: returned 1200000 bytes over the request, more than its output budget of 1048608"
        ),
        "{error}"
    );
    drop(sandbox);
    world.still_serving().await;
}

#[tokio::test]
async fn concurrent_sandboxes_beyond_the_pool_are_refused_not_allocated() {
    let cache = tempfile::tempdir().expect("cache dir");
    let runtime = bedrock_host::plugin::PluginRuntime::with_allocation(
        limits(),
        bedrock_host::plugin::CompileCache::in_dir(cache.path()),
        bedrock_host::plugin::InstanceAllocation::Pooling { max_sandboxes: 2 },
    )
    .expect("a pooled engine");
    let plugins = bedrock_host::plugin::PluginSources::only(vec![super::test_plugins_dir()]);
    let registry = bedrock_host::plugin::PluginRegistry::load(&plugins, &runtime).await;
    let hostile = registry.route("hostile.polite").expect("routes");
    let first = hostile.sandbox().await.expect("the first sandbox");
    let mut second = hostile.sandbox().await.expect("the second sandbox");
    let error = hostile
        .sandbox()
        .await
        .err()
        .expect("a third concurrent sandbox is refused");
    assert!(
        matches!(
            error,
            PluginError::Limit {
                limit: Limit::Pool,
                ..
            }
        ),
        "{error}"
    );
    assert_eq!(
        error.to_string(),
        "plugin `hostile` stopped in instantiate: every sandbox of the pool is in use; the request was not started"
    );
    let hoarded = build_of(&mut second, "hostile.memory")
        .await
        .expect_err("a pooled sandbox keeps the memory limit");
    assert!(
        matches!(hoarded, PluginError::Limit { limit: Limit::Memory(m), .. } if m == 16 << 20),
        "{hoarded}"
    );
    drop(first);
    drop(second);
    let mut again = hostile.sandbox().await.expect("a freed slot serves again");
    build_of(&mut again, "hostile.polite")
        .await
        .expect("and the sandbox works");
}

/// `invoke` of a real model id served by the hostile plugin, which reads
/// its misbehaviour from the prompt, against the local Bedrock, in `cwd`.
pub(super) fn invoke_served_by_hostile(
    cwd: &std::path::Path,
    args: &[&str],
) -> crate::support::Run {
    let mut command = crate::support::bedrock_host_without_plugins();
    command
        .current_dir(cwd)
        .arg("--plugins-dir")
        .arg(super::test_plugins_dir())
        .args([
            "--local",
            "invoke",
            "--family",
            "hostile",
            "--model",
            super::REAL_MODEL,
        ])
        .args(args);
    crate::support::run(command)
}

#[test]
fn a_flooding_stream_ends_at_the_request_budget_with_little_on_stdout() {
    let cwd = tempfile::tempdir().expect("cwd");
    let flood = invoke_served_by_hostile(cwd.path(), &["flood"]);
    assert_eq!(flood.code, Some(3), "{}", flood.stderr);
    assert!(
        flood
            .stderr
            .contains("plugin `hostile` stopped in stream-decoder.feed: returned 300")
            && flood
                .stderr
                .contains("bytes over the request, more than its output budget of 104"),
        "names the plugin and the budget: {}",
        flood.stderr
    );
    assert!(
        flood.stdout.len() < 4 << 20,
        "{} bytes on stdout",
        flood.stdout.len()
    );
}

/// The image files in `dir`.
fn files_in(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir).expect("read the folder").count()
}

#[test]
fn more_images_than_the_cap_write_no_file() {
    let cwd = tempfile::tempdir().expect("cwd");
    let over = invoke_served_by_hostile(cwd.path(), &["--no-stream", "images 20"]);
    assert_eq!(over.code, Some(3), "{}", over.stderr);
    assert!(
        over.stderr.contains(
            "plugin `hostile` stopped in parse-response: returned 20 images, more than the cap of 10 (--max-images); none was written"
        ),
        "{}",
        over.stderr
    );
    assert_eq!(files_in(cwd.path()), 0, "no file was written");

    let flood = invoke_served_by_hostile(cwd.path(), &["--no-stream", "images 20000"]);
    assert_eq!(flood.code, Some(3), "{}", flood.stderr);
    assert!(
        flood
            .stderr
            .contains("returned 20000 events and outputs over the request, more than its budget"),
        "the request's budget refuses 20,000 images before the cap is looked at: {}",
        flood.stderr
    );
    assert_eq!(files_in(cwd.path()), 0, "no file was written");

    let allowed = invoke_served_by_hostile(
        cwd.path(),
        &["--no-stream", "--max-images", "25", "images 20"],
    );
    assert_eq!(allowed.code, Some(0), "{}", allowed.stderr);
    assert_eq!(files_in(cwd.path()), 20, "{}", allowed.stderr);
}
