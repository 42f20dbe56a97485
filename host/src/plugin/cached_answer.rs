//! A plugin's `describe` answer (or the reason it was refused) as the compile
//! cache keeps it, so that routing and `plugins list` need no compile and no
//! call into the plugin.
//!
//! Invariant: the payload is plain JSON written only by [`CachedAnswer::to_bytes`]
//! and authenticated by the cache before [`CachedAnswer::from_bytes`] reads it;
//! an answer is still checked (`validate_info`) each time it is used, so a
//! stricter host refuses what an older one cached. A refusal records the
//! limits it was made under and counts only under the same limits: a
//! `describe` stopped at a 200 ms deadline is described again under 2 s.

use serde::{Deserialize, Serialize};

use super::bindings::PluginInfo;
use super::bindings::embedding::EmbedderInfo;
use super::limits::SandboxLimits;

/// What `describe` gave, or why the plugin was refused after it compiled.
#[derive(Debug, Clone)]
pub(crate) enum CachedAnswer {
    /// The plugin described itself.
    Described {
        /// Its answer.
        info: PluginInfo,
        /// The contract version its component exports.
        contract_version: String,
        /// What `describe-embedder` gave, when it exports `embedder`.
        embedder: Option<EmbedderInfo>,
    },
    /// The plugin was refused: a contract this host does not serve, imports
    /// the sandbox does not offer, or a `describe` that failed.
    Refused {
        /// Why, in the words of the load error, with [`FILE_MARK`] where the
        /// file's name goes.
        reason: String,
        /// [`limits_fingerprint`] of the limits it was refused under.
        limits: String,
    },
}

/// Stands for the plugin file's name in a cached refusal, so the same bytes
/// under another name are reported under that name.
pub(crate) const FILE_MARK: &str = "\u{0}file\u{0}";

/// The limits a `describe` runs under, in a form a refusal can record.
pub(crate) fn limits_fingerprint(limits: &SandboxLimits) -> String {
    format!(
        "memory={} timeout-us={} stack={} output={}",
        limits.memory_bytes,
        limits.call_timeout.as_micros(),
        limits.stack_bytes,
        limits.output_bytes
    )
}

/// The payload's shape. An entry written by a host of another shape (0.1's
/// answers had no capabilities, 0.2.0's no embedder) does not read, and is
/// described again.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
enum Stored {
    Described {
        info: PluginInfo,
        contract: String,
        embedder: Option<EmbedderInfo>,
    },
    Refused {
        reason: String,
        limits: String,
    },
}

impl CachedAnswer {
    /// The payload of a cache entry.
    pub(crate) fn to_bytes(&self) -> Vec<u8> {
        let stored = match self.clone() {
            Self::Described {
                info,
                contract_version,
                embedder,
            } => Stored::Described {
                info,
                contract: contract_version,
                embedder,
            },
            Self::Refused { reason, limits } => Stored::Refused { reason, limits },
        };
        serde_json::to_vec(&stored).unwrap_or_default()
    }

    /// The answer in an authenticated payload; `None` for one this host
    /// cannot read.
    pub(crate) fn from_bytes(payload: &[u8]) -> Option<Self> {
        Some(match serde_json::from_slice(payload).ok()? {
            Stored::Described {
                info,
                contract,
                embedder,
            } => Self::Described {
                info,
                contract_version: contract,
                embedder,
            },
            Stored::Refused { reason, limits } => Self::Refused { reason, limits },
        })
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::plugin::bindings::embedding::RerankModel;
    use crate::plugin::{AttachmentLimits, Capabilities, ModelSupport};

    #[test]
    fn answers_and_refusals_read_back_as_written() {
        let capabilities = Capabilities {
            system: true,
            tools: true,
            images: Some(AttachmentLimits {
                media_types: vec!["image/png".into()],
                max_bytes: 3_932_160,
                max_count: 20,
            }),
            documents: None,
            reasoning: true,
            caching: false,
            streaming: true,
        };
        let described = CachedAnswer::Described {
            info: PluginInfo {
                name: "p".into(),
                version: "1.0\u{1b}]".into(),
                description: "d\n".into(),
                models: ["a.*", "b"]
                    .map(|pattern| ModelSupport {
                        pattern: pattern.into(),
                        capabilities: capabilities.clone(),
                    })
                    .into(),
                options: vec!["x".into()],
            },
            contract_version: "0.2.1".into(),
            embedder: Some(EmbedderInfo {
                embedding_models: Vec::new(),
                rerank_models: vec![RerankModel {
                    pattern: "r.*".into(),
                    max_documents: 100,
                }],
            }),
        };
        let refused = CachedAnswer::Refused {
            reason: format!("plugin `{FILE_MARK}` stopped in describe"),
            limits: limits_fingerprint(&SandboxLimits::default()),
        };
        for answer in [described, refused] {
            let read = CachedAnswer::from_bytes(&answer.to_bytes()).expect("reads back");
            assert_eq!(read.to_bytes(), answer.to_bytes());
            assert_eq!(format!("{read:?}"), format!("{answer:?}"));
        }
        assert!(CachedAnswer::from_bytes(b"{\"other\":1}").is_none());
        let written_by_0_1_hosts = br#"{"described":{"name":"p","version":"1","description":"d","models":["a"],"streaming":true,"options":[],"contract":"0.1.0"}}"#;
        assert!(CachedAnswer::from_bytes(written_by_0_1_hosts).is_none());
        assert!(CachedAnswer::from_bytes(b"").is_none());
    }

    #[test]
    fn a_refusal_is_tied_to_the_limits_describe_ran_under() {
        let short = SandboxLimits {
            call_timeout: Duration::from_millis(200),
            ..SandboxLimits::default()
        };
        assert_ne!(
            limits_fingerprint(&short),
            limits_fingerprint(&SandboxLimits::default())
        );
    }
}
