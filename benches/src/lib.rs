//! Shared set-up for the benchmarks of `bedrock-host`: the criterion
//! benches in `benches/` and the whole-process and scale harnesses in
//! `src/bin/`. Nothing here is part of the host; it exists to be measured
//! against. `BENCHMARKS.md` at the repository root says how to run it all.
//!
//! Invariant: a harness talks to the local Bedrock only through the host's
//! own library API (the same client, plugin runtime and invocation loop the
//! CLI uses), signing with the emulator's documented test keys, so what it
//! measures is what `bedrock-host invoke` does minus process start-up.

use std::path::Path;

use anyhow::Context as _;
use aws_sdk_bedrockruntime::Client;
use bedrock_emulator::{DEFAULT_REGION, TEST_ACCESS_KEY_ID, TEST_SECRET_ACCESS_KEY};
use bedrock_host::aws::{self, ClientSettings, StaticCredentials};
use bedrock_host::plugin::{
    CachePoints, CompileCache, Content, Message, Params, PluginRegistry, PluginRuntime,
    PluginSources, Request, Role, SandboxLimits,
};

/// A Bedrock runtime client for the local Bedrock at `endpoint`, signing
/// with the test keys, as `bedrock-host --endpoint-url` builds it.
pub async fn local_client(endpoint: &str) -> anyhow::Result<Client> {
    let settings = ClientSettings {
        region: Some(DEFAULT_REGION.to_owned()),
        endpoint_url: Some(endpoint.to_owned()),
        credentials: Some(StaticCredentials {
            access_key_id: TEST_ACCESS_KEY_ID.to_owned(),
            secret_access_key: TEST_SECRET_ACCESS_KEY.to_owned(),
        }),
        ..ClientSettings::default()
    };
    aws::runtime_client(&settings)
        .await
        .context("cannot build the Bedrock client")
}

/// Every plugin in `plugins_dir`, under the default limits with the compile
/// cache in `cache_dir`; a plugin that fails to load is an error. The
/// plugins keep their runtime alive.
pub async fn load_plugins(plugins_dir: &Path, cache_dir: &Path) -> anyhow::Result<PluginRegistry> {
    let runtime = PluginRuntime::new(SandboxLimits::default(), CompileCache::in_dir(cache_dir))
        .map_err(|error| anyhow::anyhow!("cannot start the WebAssembly engine: {error:#}"))?;
    let registry =
        PluginRegistry::load(&PluginSources::only(vec![plugins_dir.to_owned()]), &runtime).await;
    if let Some(failure) = registry.failures().first() {
        anyhow::bail!("a plugin failed to load: {failure}");
    }
    if registry.plugins().is_empty() {
        anyhow::bail!(
            "no plugins in {}: run `cargo xtask plugins` first",
            plugins_dir.display()
        );
    }
    Ok(registry)
}

/// A one-turn text request for `base_model_id`, as `invoke PROMPT` builds it.
pub fn text_request(base_model_id: &str, prompt: &str, max_tokens: u32) -> Request {
    Request {
        model_id: base_model_id.to_owned(),
        system: None,
        messages: vec![Message {
            role: Role::User,
            content: vec![Content::Text(prompt.to_owned())],
        }],
        params: Params {
            max_tokens: Some(max_tokens),
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
        streamed: true,
    }
}

/// The process's peak resident memory so far (`VmHWM`) and current resident
/// memory (`VmRSS`), in KiB, from `/proc/self/status` (Linux only).
pub fn memory_kib() -> anyhow::Result<(u64, u64)> {
    let status =
        std::fs::read_to_string("/proc/self/status").context("cannot read /proc/self/status")?;
    let field = |name: &str| -> anyhow::Result<u64> {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|kib| kib.parse().ok())
            .with_context(|| format!("no {name} in /proc/self/status"))
    };
    Ok((field("VmHWM:")?, field("VmRSS:")?))
}
