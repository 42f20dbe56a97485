//! The legacy-model warning of `invoke` and `chat`: whether the model is
//! legacy is looked up while the model answers, and said in one line on
//! stderr after the answer.
//!
//! Invariants: the lookup never fails or holds up the command. It runs
//! beside the invocation, from the per-user cache of the region's model
//! list (see [`crate::lifecycle`]), fetching the list at most once a day
//! (never cached for `--local`, whose port changes each run), with one
//! attempt and short timeouts; what it cannot learn (no credentials for the
//! control plane, offline, an unlisted model) is a `debug` log line and no
//! warning. It waits at most [`GRACE`] once the answer is done. The warning
//! is printed at most once per command, on stderr only.

use std::time::{Duration, SystemTime};

use tokio::task::JoinHandle;

use super::session::Session;
use crate::aws::{self, ClientSettings, ModelFilters};
use crate::lifecycle::{self, CachedList, LifecycleCache, ListedModel};
use crate::model_id::ModelId;

/// How long the warning waits for the lookup once the answer is done.
const GRACE: Duration = Duration::from_secs(5);

/// The longest wait for the control plane's connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// The longest wait for the model list.
const READ_TIMEOUT: Duration = Duration::from_secs(10);

/// A lookup under way, and whether its warning was given.
pub struct LegacyCheck {
    lookup: Option<JoinHandle<Option<String>>>,
}

impl LegacyCheck {
    /// Starts looking up whether `model` is legacy, beside whatever comes
    /// next.
    pub async fn start(session: &Session, model: &ModelId) -> Self {
        let settings = match session.client_settings().await {
            Ok(settings) => settings.clone(),
            Err(error) => {
                tracing::debug!("no model-lifecycle lookup: {error:#}");
                return Self { lookup: None };
            }
        };
        let cached = !session.local();
        let given = model.as_given().to_owned();
        let base = model.base().to_owned();
        let lookup = tokio::spawn(async move {
            let listed = listed_model(settings, cached, &base).await?;
            warning(&given, &base, &listed)
        });
        Self {
            lookup: Some(lookup),
        }
    }

    /// Prints the warning when the model is legacy, the first time only;
    /// gives up on a lookup still under way after [`GRACE`].
    pub async fn warn(&mut self) {
        let Some(lookup) = self.lookup.take() else {
            return;
        };
        let abort = lookup.abort_handle();
        match tokio::time::timeout(GRACE, lookup).await {
            Ok(Ok(Some(line))) => eprintln!("{line}"),
            Ok(Ok(None)) => {}
            Ok(Err(error)) => tracing::debug!("the model-lifecycle lookup failed: {error}"),
            Err(_) => {
                abort.abort();
                tracing::debug!("the model-lifecycle lookup took too long; no warning");
            }
        }
    }

    /// Stops a lookup still under way, with no warning (after Ctrl-C).
    pub fn abandon(&mut self) {
        if let Some(lookup) = self.lookup.take() {
            lookup.abort();
        }
    }
}

/// What the region's model list says of `base`: from the cache when it is
/// fresh, else fetched (and cached); `None` when it cannot be known.
async fn listed_model(settings: ClientSettings, cached: bool, base: &str) -> Option<ListedModel> {
    let settings = ClientSettings {
        max_attempts: 1,
        connect_timeout: settings.connect_timeout.min(CONNECT_TIMEOUT),
        read_timeout: settings.read_timeout.min(READ_TIMEOUT),
        ..settings
    };
    let client = match aws::control_client(&settings).await {
        Ok(client) => client,
        Err(error) => {
            tracing::debug!("no model-lifecycle lookup: {error}");
            return None;
        }
    };
    let region = client.config().region()?.to_string();
    let cache = LifecycleCache::default_folder()
        .filter(|_| cached)
        .map(|folder| LifecycleCache::new(&folder, &region, settings.endpoint_url.as_deref()));
    let earlier = cache.as_ref().and_then(|cache| {
        cache
            .read()
            .inspect_err(|error| tracing::debug!("{error}"))
            .ok()
            .flatten()
    });
    let now = SystemTime::now();
    if let Some(earlier) = earlier.as_ref().filter(|list| list.is_fresh(now)) {
        tracing::debug!(%region, "model lifecycles from the cache");
        return earlier.model(base).cloned();
    }
    let list = match aws::list_foundation_models(&client, &ModelFilters::default()).await {
        Ok(models) => {
            tracing::debug!(%region, "model lifecycles fetched");
            CachedList::fetched(&models, now)
        }
        Err(error) => {
            tracing::debug!(%region, "cannot list the models for their lifecycles: {error}");
            earlier.unwrap_or_default().failed(now)
        }
    };
    if let Some(cache) = &cache
        && let Err(error) = cache.write(&list)
    {
        tracing::debug!("{error}");
    }
    list.model(base).cloned()
}

/// The one-line warning for a legacy model: its id, the dates AWS gives,
/// and the `models` command that lists the provider's active models.
fn warning(given: &str, base: &str, listed: &ListedModel) -> Option<String> {
    let lifecycle = listed
        .lifecycle
        .as_ref()
        .filter(|lifecycle| lifecycle.status == "LEGACY")?;
    let named = if given == base {
        given.to_owned()
    } else {
        format!("{given} ({base})")
    };
    let dates: Vec<String> = lifecycle::dates(lifecycle)
        .iter()
        .map(|(what, day)| format!("{what} {day}"))
        .collect();
    let dates = if dates.is_empty() {
        String::new()
    } else {
        format!(" ({})", dates.join(", "))
    };
    let provider = listed
        .provider
        .as_deref()
        .map(|provider| {
            if provider.contains(' ') {
                format!(" --by-provider '{provider}'")
            } else {
                format!(" --by-provider {provider}")
            }
        })
        .unwrap_or_default();
    Some(format!(
        "warning: {named} is a legacy model{dates}; AWS will retire it: find an active successor with `bedrock-host models --lifecycle active{provider}`"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::ModelLifecycle;

    fn listed(status: &str, end: Option<&str>, provider: &str) -> ListedModel {
        ListedModel {
            provider: Some(provider.into()),
            lifecycle: Some(ModelLifecycle {
                status: status.into(),
                start_of_life_time: None,
                legacy_time: None,
                public_extended_access_time: None,
                end_of_life_time: end.map(str::to_owned),
            }),
        }
    }

    #[test]
    fn a_legacy_model_is_named_with_its_date_and_the_command_to_run() {
        let id = "anthropic.claude-3-haiku-20240307-v1:0";
        assert_eq!(
            warning(
                &format!("us.{id}"),
                id,
                &listed("LEGACY", Some("2026-03-01T00:00:00Z"), "Anthropic")
            )
            .as_deref(),
            Some(
                "warning: us.anthropic.claude-3-haiku-20240307-v1:0 (anthropic.claude-3-haiku-20240307-v1:0) is a legacy model (end of life 2026-03-01); AWS will retire it: find an active successor with `bedrock-host models --lifecycle active --by-provider Anthropic`"
            )
        );
        let mistral = warning("m", "m", &listed("LEGACY", None, "Mistral AI")).expect("legacy");
        assert!(
            mistral.ends_with("--by-provider 'Mistral AI'`"),
            "{mistral}"
        );
        assert!(mistral.contains("m is a legacy model;"), "{mistral}");
        assert_eq!(warning(id, id, &listed("ACTIVE", None, "Anthropic")), None);
        let unknown = ListedModel {
            provider: None,
            lifecycle: None,
        };
        assert_eq!(warning(id, id, &unknown), None);
    }
}
