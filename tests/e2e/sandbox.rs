//! The sandbox holds: a plugin that loops, hoards memory, overflows its
//! stack, panics or returns too much ends that request with an error naming
//! the plugin and the limit, in bounded time, and the same process (the same
//! plugin, even) serves the next request normally.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use bedrock_host::plugin::{
    CompileCache, Content, Limit, LoadedPlugin, Message, Params, PluginError, PluginRegistry,
    PluginRuntime, PluginSources, Request, Role, SandboxLimits,
};

use crate::support::plugins_dir;

const TIMEOUT: Duration = Duration::from_millis(300);

fn test_plugins_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/test-plugins");
    assert!(
        dir.join("hostile.wasm").is_file(),
        "{} has no hostile.wasm: run the tests with `cargo xtask test`",
        dir.display()
    );
    dir
}

fn limits() -> SandboxLimits {
    SandboxLimits {
        memory_bytes: 16 << 20,
        call_timeout: TIMEOUT,
        ..SandboxLimits::default()
    }
}

/// Limits for tests about something other than time: a deadline no
/// unoptimised build comes near.
fn patient_limits() -> SandboxLimits {
    SandboxLimits {
        call_timeout: Duration::from_secs(30),
        ..limits()
    }
}

async fn registry(runtime: &PluginRuntime) -> PluginRegistry {
    let sources = PluginSources::only(vec![test_plugins_dir(), plugins_dir()]);
    let registry = PluginRegistry::load(&sources, runtime).await;
    assert!(registry.failures().is_empty(), "{:?}", registry.failures());
    registry
}

fn request(model: &str) -> Request {
    Request {
        model_id: model.into(),
        system: None,
        messages: vec![Message {
            role: Role::User,
            content: vec![Content::Text("hello".into())],
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
    }
}

async fn build(plugin: &LoadedPlugin, model: &str) -> (Result<Vec<u8>, PluginError>, Duration) {
    let started = Instant::now();
    let result = match plugin.sandbox().await {
        Ok(mut sandbox) => sandbox
            .build_request(&request(model))
            .await
            .map(|body| body.bytes),
        Err(error) => Err(error),
    };
    (result, started.elapsed())
}

/// Runs `model` on the hostile plugin, expects `check` of the error, then
/// shows the plugin and its neighbour still serve.
async fn breaks_then_recovers(model: &str, check: impl Fn(&PluginError) -> bool, bound: Duration) {
    let runtime = PluginRuntime::new(limits(), CompileCache::disabled()).expect("engine");
    let registry = registry(&runtime).await;
    let hostile = registry.route(model).expect("routes to hostile");
    assert_eq!(hostile.name(), "hostile");

    let (result, took) = build(hostile, model).await;
    let error = result.expect_err("the hostile call must fail");
    assert!(check(&error), "{model}: unexpected error {error}");
    assert!(
        error.to_string().contains("plugin `hostile`"),
        "names the plugin: {error}"
    );
    assert!(took < bound, "{model} took {took:?}, more than {bound:?}");

    let (again, _) = build(hostile, "hostile.polite").await;
    assert_eq!(
        again.expect("the same plugin serves the next request"),
        b"{}"
    );
    let anthropic = registry
        .route("anthropic.claude-3-haiku-20240307-v1:0")
        .expect("anthropic");
    let (body, _) = build(anthropic, "anthropic.claude-3-haiku-20240307-v1:0").await;
    assert!(body.expect("the other plugin serves").starts_with(b"{"));
}

#[tokio::test]
async fn an_infinite_loop_is_stopped_at_the_deadline() {
    breaks_then_recovers(
        "hostile.loop",
        |e| matches!(e, PluginError::Limit { limit: Limit::Time(t), call: "build-request", .. } if *t == TIMEOUT),
        TIMEOUT + Duration::from_secs(2),
    )
    .await;
}

#[tokio::test]
async fn memory_hoarding_is_stopped_at_the_memory_limit() {
    breaks_then_recovers(
        "hostile.memory",
        |e| matches!(e, PluginError::Limit { limit: Limit::Memory(m), .. } if *m == 16 << 20),
        Duration::from_secs(5),
    )
    .await;
}

#[tokio::test]
async fn unbounded_recursion_is_stopped_at_the_stack_limit() {
    breaks_then_recovers(
        "hostile.stack",
        |e| {
            matches!(
                e,
                PluginError::Limit {
                    limit: Limit::Stack(_),
                    ..
                }
            )
        },
        Duration::from_secs(5),
    )
    .await;
}

#[tokio::test]
async fn a_panic_is_a_trap_that_names_the_call() {
    breaks_then_recovers(
        "hostile.trap",
        |e| {
            matches!(
                e,
                PluginError::Trap {
                    call: "build-request",
                    ..
                }
            )
        },
        Duration::from_secs(5),
    )
    .await;
}

#[tokio::test]
async fn an_oversized_result_is_refused() {
    let runtime = PluginRuntime::new(
        SandboxLimits {
            memory_bytes: 128 << 20,
            ..patient_limits()
        },
        CompileCache::disabled(),
    )
    .expect("engine");
    let registry = registry(&runtime).await;
    let hostile = registry.route("hostile.big-output").expect("hostile");
    let (result, _) = build(hostile, "hostile.big-output").await;
    let error = result.expect_err("too big");
    assert!(
        matches!(error, PluginError::Limit { limit: Limit::Output { size, max }, .. } if size >= 40 << 20 && max == 32 << 20),
        "{error}"
    );
}

#[tokio::test]
async fn the_environment_is_empty_and_printing_cannot_hurt() {
    let runtime = PluginRuntime::new(patient_limits(), CompileCache::disabled()).expect("engine");
    let registry = registry(&runtime).await;
    let hostile = registry.route("hostile.env").expect("hostile");
    let (seen, _) = build(hostile, "hostile.env").await;
    assert_eq!(seen.expect("env is readable, and empty"), b"[]");
    let (printed, _) = build(hostile, "hostile.print").await;
    assert_eq!(
        printed.expect("a flood of output is capped, not fatal"),
        b"{}"
    );
}

#[tokio::test]
async fn a_compile_cache_entry_is_reused_and_a_corrupt_one_is_replaced() {
    let dir = tempfile::tempdir().expect("temp dir");
    let runtime = PluginRuntime::new(limits(), CompileCache::in_dir(dir.path())).expect("engine");
    let first = registry(&runtime).await;
    let entries: Vec<PathBuf> = std::fs::read_dir(dir.path())
        .expect("cache dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    assert_eq!(
        entries.len(),
        first.plugins().len(),
        "one entry per plugin: {entries:?}"
    );
    for entry in &entries {
        let name = entry
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        assert!(
            first.plugins().iter().any(|p| name.starts_with(p.sha256())),
            "{name} is keyed by a plugin's sha256"
        );
        std::fs::write(entry, b"corrupt").expect("corrupt the entry");
    }
    let second = registry(&runtime).await;
    assert_eq!(
        second.plugins().len(),
        first.plugins().len(),
        "corrupt entries are recompiled"
    );
    for entry in &entries {
        assert!(
            std::fs::metadata(entry).expect("entry").len() > 1000,
            "rewritten: {}",
            entry.display()
        );
    }
}

#[tokio::test]
async fn a_decoder_that_traps_mid_stream_keeps_what_it_returned_before() {
    let runtime = PluginRuntime::new(limits(), CompileCache::disabled()).expect("engine");
    let registry = registry(&runtime).await;
    let hostile = registry.route("hostile.stream").expect("hostile");
    let mut sandbox = hostile.sandbox().await.expect("sandbox");
    sandbox
        .start_stream("hostile.stream")
        .await
        .expect("decoder");
    let first = sandbox.feed(b"{}").await.expect("the first chunk decodes");
    assert!(matches!(first.as_slice(), [bedrock_host::plugin::Event::Text(t)] if t == "first "));
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
    let (next, _) = build(hostile, "hostile.polite").await;
    assert_eq!(next.expect("a fresh sandbox serves"), b"{}");
}

#[test]
fn the_limits_are_set_per_run_on_the_command_line() {
    let invoke = |model: &str, limit: &[&str]| {
        let mut command = crate::support::bedrock_host_without_plugins();
        command
            .arg("--plugins-dir")
            .arg(test_plugins_dir())
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
