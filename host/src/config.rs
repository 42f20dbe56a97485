//! The configuration file: where it is, what it may say, and how its values
//! combine with the command line.
//!
//! The file is TOML, found at `--config FILE`, else `$BEDROCK_HOST_CONFIG`,
//! else `config.toml` in the per-user config folder
//! (`$XDG_CONFIG_HOME/bedrock-host/`, by default `~/.config/bedrock-host/`
//! on Linux). It holds two top-level keys, `default-model` and
//! `default-region`, and four tables: `[plugin-limits]`, whose keys are
//! listed in `LIMIT_KEYS` with their units, ranges and defaults;
//! `[routing]`, whose keys are model-id patterns and whose values name the
//! plugin that serves them when several claim an id (see
//! `plugin/routing.rs`; `bedrock-host plugins route` writes it);
//! `[aliases]`, short names for model ids; and `[history]`, whose
//! `enabled = false` turns the conversation log off.
//!
//! Invariants: a file named explicitly must exist; the default file may be
//! absent (every value then has its default); a file that exists is either
//! wholly valid or an error naming the file, the line and the key, never
//! half-applied (unknown tables and keys are errors, so a typo is not
//! silently ignored). A value given on the command line or in the
//! environment beats the file, which beats the default.

use std::collections::BTreeMap;
use std::ops::{Range, RangeInclusive};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use crate::plugin::{RequestLimits, RoutingRule, RoutingTable, SandboxLimits};

/// The environment variable that names the config file.
pub const CONFIG_ENV: &str = "BEDROCK_HOST_CONFIG";

/// The config file's name inside the per-user config folder.
pub const CONFIG_FILE_NAME: &str = "config.toml";

/// One key of `[plugin-limits]`: its name, unit, accepted range, and how it
/// reads its default from `SandboxLimits::default()`.
pub struct LimitKey {
    /// The key, as written in the file.
    pub name: &'static str,
    /// The unit of its value, for help text.
    pub unit: &'static str,
    /// What it limits, for help text.
    pub meaning: &'static str,
    /// The values accepted.
    pub range: RangeInclusive<u64>,
    /// Its value in `limits`, in the key's unit.
    pub value_in: fn(&SandboxLimits) -> u64,
}

/// The linear-memory limit, in MiB.
pub const MEMORY_MIB: LimitKey = LimitKey {
    name: "memory-mib",
    unit: "MiB",
    meaning: "largest linear memory of one plugin instance",
    range: 1..=4096,
    value_in: |limits| to_u64(limits.memory_bytes >> 20),
};

/// The per-call wall-clock limit, in milliseconds.
pub const TIMEOUT_MS: LimitKey = LimitKey {
    name: "timeout-ms",
    unit: "ms",
    meaning: "wall-clock time one plugin call may take",
    range: 10..=600_000,
    value_in: |limits| u64::try_from(limits.call_timeout.as_millis()).unwrap_or(u64::MAX),
};

/// The wasm stack limit, in KiB.
pub const STACK_KIB: LimitKey = LimitKey {
    name: "stack-kib",
    unit: "KiB",
    meaning: "largest wasm stack; deeper recursion is stopped",
    range: 64..=16_384,
    value_in: |limits| to_u64(limits.stack_bytes >> 10),
};

/// The limit on what one call returns, in MiB.
pub const OUTPUT_MIB: LimitKey = LimitKey {
    name: "output-mib",
    unit: "MiB",
    meaning: "largest total of bytes one call may return",
    range: 1..=1024,
    value_in: |limits| to_u64(limits.output_bytes >> 20),
};

/// The limit on how many events one stream-decoder call returns.
pub const MAX_EVENTS: LimitKey = LimitKey {
    name: "max-events",
    unit: "events",
    meaning: "most events one stream-decoder call may return",
    range: 1..=10_000_000,
    value_in: |limits| to_u64(limits.max_events),
};

/// How much plugin stdout/stderr is kept, in KiB.
pub const LOG_KIB: LimitKey = LimitKey {
    name: "log-kib",
    unit: "KiB",
    meaning: "how much of a plugin's stdout and stderr is kept for -vv",
    range: 0..=16_384,
    value_in: |limits| to_u64(limits.log_bytes >> 10),
};

/// How many times the bytes it was given one request's plugin may return.
pub const OUTPUT_RATIO: LimitKey = LimitKey {
    name: "output-ratio",
    unit: "times",
    meaning: "a request's plugin returns at most this many times the bytes it was given, + 1 MiB",
    range: 1..=1024,
    value_in: |limits| limits.request.output_ratio,
};

/// The most one request's plugin may return, in MiB.
pub const REQUEST_OUTPUT_MIB: LimitKey = LimitKey {
    name: "request-output-mib",
    unit: "MiB",
    meaning: "most bytes a request's plugin returns over all its calls",
    range: 1..=65_536,
    value_in: |limits| limits.request.output_bytes >> 20,
};

/// The most events and outputs one request's plugin may return.
pub const REQUEST_EVENTS: LimitKey = LimitKey {
    name: "request-events",
    unit: "events",
    meaning: "most events and outputs a request's plugin returns (also at most one per byte given + 10000)",
    range: 1..=1_000_000_000,
    value_in: |limits| limits.request.items,
};

/// The largest plugin file, in MiB.
pub const FILE_MIB: LimitKey = LimitKey {
    name: "file-mib",
    unit: "MiB",
    meaning: "largest plugin file; a larger one is not loaded",
    range: 1..=1024,
    value_in: |limits| limits.file_bytes >> 20,
};

/// The compile budget of one plugin, in milliseconds.
pub const COMPILE_MS: LimitKey = LimitKey {
    name: "compile-ms",
    unit: "ms",
    meaning: "longest a plugin's compile may take; a slower one is not loaded",
    range: 1..=600_000,
    value_in: |limits| u64::try_from(limits.compile_timeout.as_millis()).unwrap_or(u64::MAX),
};

/// Every key of `[plugin-limits]`, in the order the help lists them.
pub const LIMIT_KEYS: [&LimitKey; 11] = [
    &MEMORY_MIB,
    &TIMEOUT_MS,
    &STACK_KIB,
    &OUTPUT_MIB,
    &MAX_EVENTS,
    &LOG_KIB,
    &OUTPUT_RATIO,
    &REQUEST_OUTPUT_MIB,
    &REQUEST_EVENTS,
    &FILE_MIB,
    &COMPILE_MS,
];

fn to_u64(value: usize) -> u64 {
    u64::try_from(value).unwrap_or(u64::MAX)
}

/// Why the config file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A file named by `--config` or `BEDROCK_HOST_CONFIG` does not exist.
    #[error("the config file {} does not exist (named by {named_by})", path.display())]
    Missing {
        path: PathBuf,
        named_by: &'static str,
    },
    /// The file exists but could not be read.
    #[error("cannot read the config file {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The file is not valid: bad TOML, an unknown key, a value out of range.
    #[error("invalid config file {}, line {line}: {message}", path.display())]
    Invalid {
        path: PathBuf,
        line: usize,
        message: String,
    },
}

/// Where the config file was named, for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NamedBy {
    /// `--config FILE`.
    Flag,
    /// `BEDROCK_HOST_CONFIG`.
    Environment,
}

/// The plugin limits a config file sets; `None` where it says nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LimitSettings {
    /// `memory-mib`.
    pub memory_mib: Option<u64>,
    /// `timeout-ms`.
    pub timeout_ms: Option<u64>,
    /// `stack-kib`.
    pub stack_kib: Option<u64>,
    /// `output-mib`.
    pub output_mib: Option<u64>,
    /// `max-events`.
    pub max_events: Option<u64>,
    /// `log-kib`.
    pub log_kib: Option<u64>,
    /// `output-ratio`.
    pub output_ratio: Option<u64>,
    /// `request-output-mib`.
    pub request_output_mib: Option<u64>,
    /// `request-events`.
    pub request_events: Option<u64>,
    /// `file-mib`.
    pub file_mib: Option<u64>,
    /// `compile-ms`.
    pub compile_ms: Option<u64>,
}

impl LimitSettings {
    /// These settings laid over `base`: each value given here replaces
    /// base's.
    pub fn over(&self, base: SandboxLimits) -> SandboxLimits {
        let mib = |v: u64| usize::try_from(v).unwrap_or(usize::MAX) << 20;
        let kib = |v: u64| usize::try_from(v).unwrap_or(usize::MAX) << 10;
        SandboxLimits {
            memory_bytes: self.memory_mib.map_or(base.memory_bytes, mib),
            call_timeout: self
                .timeout_ms
                .map_or(base.call_timeout, Duration::from_millis),
            stack_bytes: self.stack_kib.map_or(base.stack_bytes, kib),
            output_bytes: self.output_mib.map_or(base.output_bytes, mib),
            max_events: self.max_events.map_or(base.max_events, |v| {
                usize::try_from(v).unwrap_or(usize::MAX)
            }),
            log_bytes: self.log_kib.map_or(base.log_bytes, kib),
            request: RequestLimits {
                output_ratio: self.output_ratio.unwrap_or(base.request.output_ratio),
                output_bytes: self
                    .request_output_mib
                    .map_or(base.request.output_bytes, |v| v.saturating_mul(1 << 20)),
                items: self.request_events.unwrap_or(base.request.items),
            },
            file_bytes: self
                .file_mib
                .map_or(base.file_bytes, |v| v.saturating_mul(1 << 20)),
            compile_timeout: self
                .compile_ms
                .map_or(base.compile_timeout, Duration::from_millis),
        }
    }
}

/// A loaded configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Config {
    /// The file it came from; `None` when no file was read.
    pub path: Option<PathBuf>,
    /// Its `[plugin-limits]`.
    pub plugin_limits: LimitSettings,
    /// Its `[routing]`.
    pub routing: RoutingTable,
    /// Its `default-model`: the model when none is given.
    pub default_model: Option<String>,
    /// Its `default-region`: the region when neither `--region` nor the
    /// environment names one.
    pub default_region: Option<String>,
    /// Its `[aliases]`: short name → model id.
    pub aliases: BTreeMap<String, String>,
    /// Its `[history] enabled = false`: exchanges are not logged.
    pub history_disabled: bool,
}

impl Config {
    /// Loads the config file `named` (by `--config` or the environment),
    /// else the default one if it exists, else an empty configuration.
    pub fn load(named: Option<(&Path, NamedBy)>) -> Result<Self, ConfigError> {
        let Some((path, required)) = resolve_path(named) else {
            return Ok(Self::default());
        };
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return match required {
                    Some(by) => Err(ConfigError::Missing {
                        path,
                        named_by: match by {
                            NamedBy::Flag => "--config",
                            NamedBy::Environment => CONFIG_ENV,
                        },
                    }),
                    None => Ok(Self::default()),
                };
            }
            Err(source) => return Err(ConfigError::Read { path, source }),
        };
        let parsed = parse(&text).map_err(|(line, message)| ConfigError::Invalid {
            path: path.clone(),
            line,
            message,
        })?;
        Ok(Self {
            routing: RoutingTable {
                file: Some(path.clone()),
                rules: parsed.routing,
            },
            path: Some(path),
            plugin_limits: parsed.limits,
            default_model: parsed.default_model,
            default_region: parsed.default_region,
            aliases: parsed.aliases,
            history_disabled: parsed.history_disabled,
        })
    }
}

/// The config file's path: the one `named` by `--config` or the
/// environment (which must exist), else the default one (which may be
/// absent); `None` when there is no home to find the default in.
pub fn resolve_path(named: Option<(&Path, NamedBy)>) -> Option<(PathBuf, Option<NamedBy>)> {
    match named {
        Some((path, by)) => Some((path.to_owned(), Some(by))),
        None => default_path().map(|path| (path, None)),
    }
}

/// Checks the whole text of a config file as `Config::load` would; an
/// error is the 1-based line and what is wrong there.
pub fn check_text(text: &str) -> Result<(), (usize, String)> {
    parse(text).map(drop)
}

/// `config.toml` in the per-user config folder.
pub fn default_path() -> Option<PathBuf> {
    crate::paths::project_dirs().map(|dirs| dirs.config_dir().join(CONFIG_FILE_NAME))
}

/// The help text that documents the file: where it is, every key, its
/// unit, range and default.
pub fn help() -> String {
    let defaults = SandboxLimits::default();
    let mut text = format!(
        "Config file (TOML): --config FILE, else ${CONFIG_ENV}, else {}.\n\
         A value on the command line (or its environment variable) beats the file,\n\
         which beats the default.\n\n[plugin-limits]\n",
        default_path().map_or_else(
            || format!("$XDG_CONFIG_HOME/bedrock-host/{CONFIG_FILE_NAME}"),
            |path| path.display().to_string()
        )
    );
    for key in LIMIT_KEYS {
        text.push_str(&format!(
            "  {:<18} {} ({}, {}..={}; default {})\n",
            key.name,
            key.meaning,
            key.unit,
            key.range.start(),
            key.range.end(),
            (key.value_in)(&defaults)
        ));
    }
    text.push_str(ROUTING_HELP);
    text.push_str(DEFAULTS_HELP);
    text
}

/// The help text of the default model and region, `[aliases]` and
/// `[history]`.
const DEFAULTS_HELP: &str = "
default-model = \"<model id or alias>\"
              the model of `invoke` and `chat` when -m is not given (-m beats
              $BEDROCK_HOST_MODEL, which beats a continued conversation's
              model, which beats this key). Top-level keys come before tables.
default-region = \"<region>\"
              the region when neither --region nor AWS_REGION /
              AWS_DEFAULT_REGION names one (it beats the profile's region).

[aliases]
  <name> = \"<model id>\"
              -m NAME (and default-model) stand for the model id, e.g.
              sonnet = \"us.anthropic.claude-sonnet-4-5-20250929-v1:0\".

[history]
  enabled = false
              do not log exchanges to the conversation log (as --no-log).
";

/// The help text of the `[routing]` table.
const ROUTING_HELP: &str = "
[routing]
  \"<model-id pattern>\" = \"<plugin>\"
              which plugin serves the ids the pattern matches (`*` is any run
              of characters) when several plugins claim them; --family beats
              it, and two matching keys naming different plugins are an error.
              `bedrock-host plugins route PATTERN PLUGIN` writes such a line.
";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileToml {
    #[serde(rename = "plugin-limits", default)]
    plugin_limits: LimitsToml,
    #[serde(default)]
    routing: BTreeMap<String, Spanned<String>>,
    #[serde(rename = "default-model")]
    default_model: Option<Spanned<String>>,
    #[serde(rename = "default-region")]
    default_region: Option<Spanned<String>>,
    #[serde(default)]
    aliases: BTreeMap<String, Spanned<String>>,
    #[serde(default)]
    history: HistoryToml,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct HistoryToml {
    enabled: Option<bool>,
}

/// What a config file says.
struct Parsed {
    limits: LimitSettings,
    routing: Vec<RoutingRule>,
    default_model: Option<String>,
    default_region: Option<String>,
    aliases: BTreeMap<String, String>,
    history_disabled: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct LimitsToml {
    memory_mib: Option<Spanned<u64>>,
    timeout_ms: Option<Spanned<u64>>,
    stack_kib: Option<Spanned<u64>>,
    output_mib: Option<Spanned<u64>>,
    max_events: Option<Spanned<u64>>,
    log_kib: Option<Spanned<u64>>,
    output_ratio: Option<Spanned<u64>>,
    request_output_mib: Option<Spanned<u64>>,
    request_events: Option<Spanned<u64>>,
    file_mib: Option<Spanned<u64>>,
    compile_ms: Option<Spanned<u64>>,
}

/// Parses the text of a config file; an error is the 1-based line and what
/// is wrong there.
fn parse(text: &str) -> Result<Parsed, (usize, String)> {
    let line_of = |span: Option<Range<usize>>| {
        span.map_or(1, |span| {
            text.get(..span.start)
                .map_or(1, |before| before.matches('\n').count() + 1)
        })
    };
    let file: FileToml = toml::from_str(text)
        .map_err(|error| (line_of(error.span()), error.message().trim().to_owned()))?;
    let routing = routing_rules(file.routing, &line_of)?;
    let word = |key: &str, value: Option<Spanned<String>>| -> Result<Option<String>, _> {
        let Some(value) = value else {
            return Ok(None);
        };
        let line = line_of(Some(value.span()));
        let value = value.into_inner();
        if value.trim().is_empty() || value.chars().any(char::is_control) {
            return Err((
                line,
                format!(
                    "{key} = \"{}\": it must be a non-empty value without control characters",
                    value.escape_default()
                ),
            ));
        }
        Ok(Some(value))
    };
    let default_model = word("default-model", file.default_model)?;
    let default_region = word("default-region", file.default_region)?;
    let mut aliases = BTreeMap::new();
    for (name, model) in file.aliases {
        let key = format!("[aliases] {}", name.escape_default());
        if name.trim().is_empty() || name.chars().any(char::is_control) {
            return Err((
                line_of(Some(model.span())),
                format!("{key}: an alias must be a non-empty name without control characters"),
            ));
        }
        if let Some(model) = word(&key, Some(model))? {
            aliases.insert(name, model);
        }
    }
    let history_disabled = file.history.enabled == Some(false);
    let check = |key: &LimitKey, value: Option<Spanned<u64>>| -> Result<Option<u64>, _> {
        let Some(value) = value else {
            return Ok(None);
        };
        if key.range.contains(value.get_ref()) {
            Ok(Some(*value.get_ref()))
        } else {
            Err((
                line_of(Some(value.span())),
                format!(
                    "[plugin-limits] {} = {} is out of range: it must be {}..={} ({})",
                    key.name,
                    value.get_ref(),
                    key.range.start(),
                    key.range.end(),
                    key.unit
                ),
            ))
        }
    };
    let limits = file.plugin_limits;
    let limits = LimitSettings {
        memory_mib: check(&MEMORY_MIB, limits.memory_mib)?,
        timeout_ms: check(&TIMEOUT_MS, limits.timeout_ms)?,
        stack_kib: check(&STACK_KIB, limits.stack_kib)?,
        output_mib: check(&OUTPUT_MIB, limits.output_mib)?,
        max_events: check(&MAX_EVENTS, limits.max_events)?,
        log_kib: check(&LOG_KIB, limits.log_kib)?,
        output_ratio: check(&OUTPUT_RATIO, limits.output_ratio)?,
        request_output_mib: check(&REQUEST_OUTPUT_MIB, limits.request_output_mib)?,
        request_events: check(&REQUEST_EVENTS, limits.request_events)?,
        file_mib: check(&FILE_MIB, limits.file_mib)?,
        compile_ms: check(&COMPILE_MS, limits.compile_ms)?,
    };
    Ok(Parsed {
        limits,
        routing,
        default_model,
        default_region,
        aliases,
        history_disabled,
    })
}

/// The `[routing]` keys in the order of the file, each checked: a pattern
/// and a plugin name that are not empty and hold no control character.
fn routing_rules(
    table: BTreeMap<String, Spanned<String>>,
    line_of: &dyn Fn(Option<Range<usize>>) -> usize,
) -> Result<Vec<RoutingRule>, (usize, String)> {
    let mut rules = Vec::with_capacity(table.len());
    for (pattern, plugin) in table {
        let line = line_of(Some(plugin.span()));
        let plugin = plugin.into_inner();
        let shown = format!(
            "[routing] \"{}\" = \"{}\"",
            pattern.escape_default(),
            plugin.escape_default()
        );
        if pattern.is_empty() || plugin.is_empty() {
            return Err((
                line,
                format!("{shown}: neither the pattern nor the plugin may be empty"),
            ));
        }
        if pattern.chars().chain(plugin.chars()).any(char::is_control) {
            return Err((line, format!("{shown}: a control character is not allowed")));
        }
        rules.push(RoutingRule {
            pattern,
            plugin,
            line,
        });
    }
    rules.sort_by_key(|rule| rule.line);
    Ok(rules)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_is_read_and_laid_over_the_defaults() {
        let settings = parse(
            "# limits\n[plugin-limits]\nmemory-mib = 8\ntimeout-ms = 250\nstack-kib = 256\noutput-mib = 2\nmax-events = 50\nlog-kib = 0\noutput-ratio = 2\nrequest-output-mib = 3\nrequest-events = 70\nfile-mib = 3\ncompile-ms = 1500\n",
        )
        .expect("valid")
        .limits;
        let limits = settings.over(SandboxLimits::default());
        assert_eq!(limits.memory_bytes, 8 << 20);
        assert_eq!(limits.call_timeout, Duration::from_millis(250));
        assert_eq!(limits.stack_bytes, 256 << 10);
        assert_eq!(limits.output_bytes, 2 << 20);
        assert_eq!(limits.max_events, 50);
        assert_eq!(limits.log_bytes, 0);
        assert_eq!(
            limits.request,
            RequestLimits {
                output_ratio: 2,
                output_bytes: 3 << 20,
                items: 70
            }
        );
        assert_eq!(limits.file_bytes, 3 << 20);
        assert_eq!(limits.compile_timeout, Duration::from_millis(1500));
    }

    #[test]
    fn an_empty_file_changes_nothing() {
        let parsed = parse("").expect("valid");
        assert!(parsed.routing.is_empty());
        let settings = parsed.limits;
        assert_eq!(settings, LimitSettings::default());
        assert_eq!(
            settings.over(SandboxLimits::default()),
            SandboxLimits::default()
        );
    }

    #[test]
    fn mistakes_are_named_with_their_line() {
        let cases = [
            (
                "[plugin-limits]\nmemroy-mib = 8\n",
                2,
                "unknown field `memroy-mib`",
            ),
            (
                "[plugin-limit]\nmemory-mib = 8\n",
                1,
                "unknown field `plugin-limit`",
            ),
            (
                "[plugin-limits]\n\ntimeout-ms = \"1s\"\n",
                3,
                "invalid type",
            ),
            ("[plugin-limits]\nmemory-mib = 0\n", 2, "out of range"),
            ("[plugin-limits]\ntimeout-ms = 5\n", 2, "10..=600000"),
            ("[plugin-limits]\nmemory-mib = -1\n", 2, ""),
            ("[plugin-limits\n", 1, ""),
        ];
        for (text, line, message) in cases {
            let (got_line, got_message) = parse(text).map(|_| ()).expect_err(text);
            assert_eq!(got_line, line, "{text:?}: {got_message}");
            assert!(got_message.contains(message), "{text:?}: {got_message}");
        }
    }

    #[test]
    fn defaults_aliases_and_history_are_read_and_checked() {
        let parsed = parse(
            "default-model = \"sonnet\"\ndefault-region = \"eu-west-1\"\n[aliases]\nsonnet = \"us.anthropic.claude-sonnet-4-5-20250929-v1:0\"\n[history]\nenabled = false\n",
        )
        .expect("valid");
        assert_eq!(parsed.default_model.as_deref(), Some("sonnet"));
        assert_eq!(parsed.default_region.as_deref(), Some("eu-west-1"));
        assert_eq!(
            parsed.aliases.get("sonnet").map(String::as_str),
            Some("us.anthropic.claude-sonnet-4-5-20250929-v1:0")
        );
        assert!(parsed.history_disabled);
        assert!(
            !parse("[history]\nenabled = true\n")
                .expect("valid")
                .history_disabled
        );
        let cases = [
            ("default-model = \"\"\n", 1, "non-empty"),
            ("\n[aliases]\nx = \"a\\u0007\"\n", 3, "control"),
            ("[history]\nenable = false\n", 2, "unknown field"),
            ("[aliases]\nx = 3\n", 2, "invalid type"),
        ];
        for (text, line, message) in cases {
            let (got_line, got_message) = parse(text).map(|_| ()).expect_err(text);
            assert_eq!(got_line, line, "{text:?}: {got_message}");
            assert!(got_message.contains(message), "{text:?}: {got_message}");
        }
    }

    #[test]
    fn routing_keys_are_read_in_file_order_with_their_lines() {
        let parsed = parse(
            "[plugin-limits]\nmemory-mib = 8\n\n[routing]\n# mine\n\"meta.*\" = \"meta\"\n\"anthropic.claude-*\" = \"anthropic\"\n",
        )
        .expect("valid");
        let rules: Vec<(&str, &str, usize)> = parsed
            .routing
            .iter()
            .map(|rule| (rule.pattern.as_str(), rule.plugin.as_str(), rule.line))
            .collect();
        assert_eq!(
            rules,
            [
                ("meta.*", "meta", 6),
                ("anthropic.claude-*", "anthropic", 7)
            ]
        );
    }

    #[test]
    fn bad_routing_keys_are_named_with_their_line() {
        let cases = [
            ("[routing]\n\"a.*\" = 3\n", 2, "invalid type"),
            ("[routing]\n\"a.*\" = \"\"\n", 2, "may be empty"),
            ("[routing]\n\n\"\" = \"p\"\n", 3, "may be empty"),
            (
                "[routing]\n\"a\\u001b.*\" = \"p\"\n",
                2,
                "control character",
            ),
            (
                "[routing]\n\"a.*\" = \"p\"\n\"a.*\" = \"q\"\n",
                3,
                "duplicate key",
            ),
        ];
        for (text, line, message) in cases {
            let (got_line, got_message) = parse(text).map(|_| ()).expect_err(text);
            assert_eq!(got_line, line, "{text:?}: {got_message}");
            assert!(got_message.contains(message), "{text:?}: {got_message}");
        }
    }

    #[test]
    fn the_help_states_every_key_with_its_default() {
        let help = help();
        for key in LIMIT_KEYS {
            assert!(help.contains(key.name), "{help}");
        }
        assert!(help.contains("memory-mib"), "{help}");
        assert!(help.contains("default 64)\n"), "{help}");
        assert!(help.contains("default 1000)\n"), "{help}");
        assert!(help.contains("default 512)\n"), "{help}");
        assert!(help.contains("request-output-mib"), "{help}");
        assert!(help.contains("default 1000000)\n"), "{help}");
        assert!(
            help.contains("file-mib") && help.contains("default 30000)\n"),
            "{help}"
        );
    }

    #[test]
    fn a_named_file_must_exist_and_a_bad_one_names_file_and_line() {
        let dir = tempfile::tempdir().expect("temp dir");
        let missing = dir.path().join("nope.toml");
        let error = Config::load(Some((&missing, NamedBy::Flag))).expect_err("missing");
        assert!(error.to_string().contains("--config"), "{error}");
        let bad = dir.path().join("bad.toml");
        std::fs::write(&bad, "[plugin-limits]\nstack-kib = 1\n").expect("write");
        let error = Config::load(Some((&bad, NamedBy::Environment))).expect_err("bad");
        let text = error.to_string();
        assert!(
            text.contains("bad.toml") && text.contains("line 2") && text.contains("stack-kib"),
            "{text}"
        );
    }
}
