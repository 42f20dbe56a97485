//! The resolved session: everything the global options, their environment
//! variables and the config file decide, resolved once after the command
//! line is parsed, and handed to the command that runs.
//!
//! Invariants: nothing below this reads a global flag, its environment
//! variable or the config file again; settings are resolved here, in one
//! place (the AWS client settings, the sandbox limits, the plugin folders,
//! the `[routing]` table and where the config file is).
//! The costly parts are started on demand and at most once: the local
//! Bedrock (with `--local`) when a command first needs the client settings,
//! and the plugin runtime and registry when a command first needs a plugin.

use std::time::Duration;

use anyhow::Context as _;
use bedrock_emulator::{Emulator, EmulatorConfig, RunningEmulator};
use tokio::sync::OnceCell;

use super::{GlobalArgs, RetryMode, UsageError};
use crate::aws::{
    AssumedRole, ClientSettings, StaticCredentials, check_endpoint_url, check_region,
};
use crate::config::{self, Config, ConfigError, LimitSettings, NamedBy};
use crate::paths;
use crate::plugin::{
    CompileCache, PluginRegistry, PluginRuntime, PluginSources, RoutingTable, SandboxLimits,
};

/// What one run of the CLI works with.
pub struct Session {
    /// The config file's model defaults, aliases and `[history]`.
    conversation_settings: ConversationSettings,
    /// The client settings the options describe (before `--local`).
    client_settings: ClientSettings,
    /// Whether to run against a local Bedrock started in this process.
    local: bool,
    /// The sandbox limits: flags over the config file over the defaults.
    limits: SandboxLimits,
    /// The folders searched for plugins.
    plugin_sources: PluginSources,
    /// The config file's `[routing]`; its `file` is where the config file
    /// is (or would be), even when there is none yet.
    routing: RoutingTable,
    /// The local Bedrock and the settings that point at it, once started.
    local_bedrock: OnceCell<LocalBedrock>,
    /// Every plugin found, once loaded (each holds the runtime it needs).
    plugins: OnceCell<PluginRegistry>,
}

/// What the config file says about models and the conversation log.
pub struct ConversationSettings {
    /// `default-model`.
    pub default_model: Option<String>,
    /// `[aliases]`: short name → model id.
    pub aliases: std::collections::BTreeMap<String, String>,
    /// `[history] enabled = false`.
    pub history_disabled: bool,
}

impl ConversationSettings {
    /// The model id `name` stands for: its alias's value, else itself.
    pub fn model_id<'a>(&'a self, name: &'a str) -> &'a str {
        self.aliases.get(name).map_or(name, String::as_str)
    }
}

/// The local Bedrock of `--local`, running for as long as the session.
struct LocalBedrock {
    /// Dropping it stops the server.
    _emulator: RunningEmulator,
    settings: ClientSettings,
}

impl Session {
    /// Resolves the global options: reads the config file (named by
    /// `--config` or its environment variable, as `config_named_by` says,
    /// else the per-user one) and lays the flags over it. A named file must
    /// exist unless `config_may_be_missing` (for a command that creates it).
    pub fn resolve(
        global: GlobalArgs,
        config_named_by: NamedBy,
        config_may_be_missing: bool,
    ) -> anyhow::Result<Self> {
        let named = global.config.as_deref().map(|path| (path, config_named_by));
        let config = match Config::load(named) {
            Err(ConfigError::Missing { .. }) if config_may_be_missing => Config::default(),
            loaded => loaded?,
        };
        if let Some(path) = &config.path {
            tracing::info!(config = %path.display(), "read the config file");
        }
        let flags = LimitSettings {
            memory_mib: global.plugin_memory,
            timeout_ms: global.plugin_timeout,
            ..LimitSettings::default()
        };
        let limits = flags.over(config.plugin_limits.over(SandboxLimits::default()));
        let mut routing = config.routing;
        if routing.file.is_none() {
            routing.file = config::resolve_path(named).map(|(path, _)| path);
        }
        let plugin_sources = if global.plugins_dir.is_empty() {
            PluginSources::default_search_path()
        } else {
            PluginSources::only(global.plugins_dir.clone())
        };
        let mut client_settings = client_settings(&global);
        if client_settings.region.is_none() && !region_in_environment() {
            client_settings.region = config.default_region.clone();
        }
        Ok(Self {
            conversation_settings: ConversationSettings {
                default_model: config.default_model,
                aliases: config.aliases,
                history_disabled: config.history_disabled,
            },
            client_settings,
            local: global.local,
            limits,
            plugin_sources,
            routing,
            local_bedrock: OnceCell::new(),
            plugins: OnceCell::new(),
        })
    }

    /// The config file's model defaults, aliases and `[history]`.
    pub fn conversation_settings(&self) -> &ConversationSettings {
        &self.conversation_settings
    }

    /// The folders searched for plugins, in order.
    pub fn plugin_sources(&self) -> &PluginSources {
        &self.plugin_sources
    }

    /// The config file's `[routing]` table (empty without a file); its
    /// `file` is the config file's path, whether it exists or not (`None`
    /// only without a home folder to find it in).
    pub fn routing(&self) -> &RoutingTable {
        &self.routing
    }

    /// Whether the session runs against a local Bedrock of its own
    /// (`--local`).
    pub fn local(&self) -> bool {
        self.local
    }

    /// The settings to build AWS clients with. With `--local`, the first
    /// call starts the local Bedrock and points them at it.
    /// A `--region` or `--endpoint-url` that cannot work is a usage error,
    /// found before anything is sent.
    pub async fn client_settings(&self) -> anyhow::Result<&ClientSettings> {
        if let Some(region) = &self.client_settings.region {
            check_region(region).map_err(|invalid| UsageError(invalid.to_string()))?;
        }
        if let Some(endpoint) = &self.client_settings.endpoint_url {
            check_endpoint_url(endpoint).map_err(|invalid| UsageError(invalid.to_string()))?;
        }
        if !self.local {
            return Ok(&self.client_settings);
        }
        let local = self
            .local_bedrock
            .get_or_try_init(|| start_local_bedrock(&self.client_settings))
            .await?;
        Ok(&local.settings)
    }

    /// Every plugin in the plugin folders; the first call starts the
    /// WebAssembly engine and loads them.
    pub async fn plugins(&self) -> anyhow::Result<&PluginRegistry> {
        self.plugins
            .get_or_try_init(|| load_plugins(&self.limits, &self.plugin_sources))
            .await
    }

    /// A plugin runtime of its own, under this session's limits and with
    /// its compile cache: for checking a file before it is in a plugins
    /// folder (`plugins install`).
    pub fn plugin_runtime(&self) -> anyhow::Result<PluginRuntime> {
        new_runtime(&self.limits)
    }

    /// The sandbox limits.
    pub fn limits(&self) -> &SandboxLimits {
        &self.limits
    }
}

/// The client settings the global options describe, before `--local`.
fn client_settings(global: &GlobalArgs) -> ClientSettings {
    ClientSettings {
        region: global.region.clone(),
        profile: global.profile.clone(),
        endpoint_url: global.endpoint_url.clone(),
        max_attempts: global.max_attempts,
        read_timeout: Duration::from_secs(global.read_timeout),
        connect_timeout: Duration::from_secs(global.connect_timeout),
        credentials: None,
        assume_role: global.assume_role.clone().map(|role_arn| AssumedRole {
            role_arn,
            session_name: global.role_session_name.clone(),
        }),
        adaptive_retries: global.retry_mode == RetryMode::Adaptive,
    }
}

/// Whether `AWS_REGION` or `AWS_DEFAULT_REGION` names a region (they beat
/// the config file's `default-region`).
fn region_in_environment() -> bool {
    ["AWS_REGION", "AWS_DEFAULT_REGION"]
        .iter()
        .any(|name| std::env::var_os(name).is_some_and(|value| !value.is_empty()))
}

/// Starts the local Bedrock on a free loopback port, with settings that
/// point `base` at it and its own credentials.
async fn start_local_bedrock(base: &ClientSettings) -> anyhow::Result<LocalBedrock> {
    let address = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
    let emulator = Emulator::start(EmulatorConfig::default(), address)
        .await
        .context("cannot start the local Bedrock")?;
    let settings = ClientSettings {
        endpoint_url: Some(emulator.endpoint()),
        region: Some(emulator.region().to_owned()),
        credentials: Some(StaticCredentials {
            access_key_id: emulator.access_key_id().to_owned(),
            secret_access_key: emulator.secret_access_key().to_owned(),
        }),
        ..base.clone()
    };
    Ok(LocalBedrock {
        _emulator: emulator,
        settings,
    })
}

/// Starts the WebAssembly engine under `limits` and loads every plugin of
/// `sources`: each described from the compile cache where it can be, none
/// compiled until it serves. The plugins keep the engine (and its deadline
/// ticker) alive.
async fn load_plugins(
    limits: &SandboxLimits,
    sources: &PluginSources,
) -> anyhow::Result<PluginRegistry> {
    let runtime = new_runtime(limits)?;
    Ok(PluginRegistry::load(sources, &runtime).await)
}

/// Starts the WebAssembly engine under `limits`, with the compile cache.
fn new_runtime(limits: &SandboxLimits) -> anyhow::Result<PluginRuntime> {
    let cache =
        paths::compile_cache_dir().map_or_else(CompileCache::disabled, CompileCache::in_dir);
    PluginRuntime::new(limits.clone(), cache)
        .map_err(|error| anyhow::anyhow!("{error:#}"))
        .context("cannot start the WebAssembly engine")
}
