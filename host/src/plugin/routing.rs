//! Which plugin serves a model id: a rule the user can predict, and a
//! decision the user can see.
//!
//! The *candidates* for a base model id are the loaded plugins with a
//! pattern that matches the id whole (`*` stands for any run of characters).
//! One candidate serves it. When several match, the user decides, in this
//! order: `--family NAME` on the command line, then the config file's
//! `[routing]` keys that match the id (`"<model-id pattern>" = "<plugin>"`,
//! written by hand or by `bedrock-host plugins route`), then the trust
//! file's grants: when exactly one candidate is an adapter `plugins install`
//! placed, signed by a publisher the trust file grants the id, it serves.
//! Without a decision the request is refused, naming every candidate
//! (plugin, pattern, file) and the exact command that records each choice.
//!
//! Invariants: how long or how literal a pattern is decides nothing, and so
//! does the order of the plugin folders, so no plugin can take another's
//! models by claiming them more precisely or by being installed elsewhere.
//! A `[routing]` key that matches the id decides only for a plugin that is a
//! candidate; one naming anything else, or two matching keys naming
//! different plugins, is a configuration error, never silently skipped.
//! `--family` names a loaded plugin directly (for ARNs that name no model).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::printable::printable;

/// One `[routing]` key of the config file: model ids matching `pattern` go
/// to the plugin named `plugin`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoutingRule {
    /// The model-id pattern (the key).
    pub pattern: String,
    /// The plugin's name (the value).
    pub plugin: String,
    /// Its 1-based line in the config file.
    pub line: usize,
}

/// The config file's `[routing]` table, with the file it came from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoutingTable {
    /// The config file; `None` when none was read.
    pub file: Option<PathBuf>,
    /// Its keys, in the order of the file.
    pub rules: Vec<RoutingRule>,
}

impl RoutingTable {
    /// The keys whose pattern matches `base_model_id`.
    fn matching<'t>(&'t self, base_model_id: &'t str) -> impl Iterator<Item = &'t RoutingRule> {
        self.rules
            .iter()
            .filter(move |rule| pattern_matches(&rule.pattern, base_model_id))
    }
}

/// What the user said about routing on this run: `--family`, and the
/// config file's `[routing]` table.
#[derive(Debug, Clone, Copy, Default)]
pub struct UserChoice<'a> {
    /// `--family NAME`: this plugin, whatever the patterns say.
    pub family: Option<&'a str>,
    /// The `[routing]` table, when a config file was read.
    pub table: Option<&'a RoutingTable>,
}

/// What routing sees of a loaded plugin.
#[derive(Debug, Clone, Copy)]
pub struct Claimant<'a> {
    /// The plugin's name.
    pub name: &'a str,
    /// Its model-id patterns.
    pub patterns: &'a [String],
    /// The file it was loaded from.
    pub file: &'a Path,
    /// The grant of the trusted publisher that signed it, when it was
    /// installed signed and within that grant.
    pub grant: Option<&'a Grant>,
}

/// A trusted publisher's grant, held by an installed adapter it signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// The publisher's name in the trust file.
    pub publisher: String,
    /// The model-id patterns it is granted.
    pub models: Vec<String>,
    /// The trust file.
    pub trust_file: String,
}

/// A plugin that claims a model id, and the first of its patterns that does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// The plugin's name.
    pub plugin: String,
    /// Its pattern that matches the id.
    pub pattern: String,
    /// The file it was loaded from.
    pub file: PathBuf,
}

impl std::fmt::Display for Candidate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "`{}` (pattern `{}`, file {})",
            printable(&self.plugin),
            printable(&self.pattern),
            self.file.display()
        )
    }
}

/// Why the chosen plugin serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// It is the only plugin whose patterns match the id.
    OnlyCandidate,
    /// `--family` named it.
    Family,
    /// It is the only candidate its publisher's grant covers the id for.
    Grant {
        /// The publisher.
        publisher: String,
        /// The trust file.
        trust_file: String,
    },
    /// A `[routing]` key of the config file named it.
    Rule {
        /// The key.
        rule: RoutingRule,
        /// The config file.
        file: Option<PathBuf>,
    },
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::OnlyCandidate => f.write_str("the only plugin whose patterns match it"),
            Self::Family => f.write_str("chosen with --family"),
            Self::Grant {
                publisher,
                trust_file,
            } => write!(
                f,
                "the only candidate signed by a publisher granted this id (`{}`, in {trust_file})",
                printable(publisher)
            ),
            Self::Rule { rule, file } => write!(
                f,
                "chosen by [routing] \"{}\" = \"{}\" in {}, line {} (written by hand or by `plugins route`)",
                printable(&rule.pattern),
                printable(&rule.plugin),
                shown_file(file.as_deref()),
                rule.line
            ),
        }
    }
}

/// The plugin that serves a model id, why, and every candidate there was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// The index of the chosen plugin among the claimants.
    pub index: usize,
    /// Why it serves.
    pub reason: Reason,
    /// Every plugin whose patterns match the id, in search order.
    pub candidates: Vec<Candidate>,
}

/// Why no plugin serves a model id.
#[derive(Debug, thiserror::Error)]
pub enum RouteError {
    /// No pattern matches.
    #[error("no installed plugin serves `{model}`.\n{installed}")]
    NoMatch { model: String, installed: String },
    /// `--family` named a plugin that is not loaded.
    #[error("no installed plugin is named `{name}`.\n{installed}")]
    UnknownPlugin { name: String, installed: String },
    /// Several plugins match and the user has not chosen between them.
    #[error("{}", ambiguity(model, candidates, config_file.as_deref()))]
    Ambiguous {
        model: String,
        candidates: Vec<Candidate>,
        config_file: Option<PathBuf>,
    },
    /// A matching `[routing]` key names a plugin that does not claim the id.
    #[error(
        "[routing] \"{}\" = \"{}\" in {}, line {}, sends `{model}` to plugin `{}`, which {}; {}",
        printable(&rule.pattern),
        printable(&rule.plugin),
        shown_file(file.as_deref()),
        rule.line,
        printable(&rule.plugin),
        if *installed { "does not claim it" } else { "is not installed" },
        candidates_or_none(candidates)
    )]
    RuleNotACandidate {
        model: String,
        rule: Box<RoutingRule>,
        file: Option<PathBuf>,
        installed: bool,
        candidates: Vec<Candidate>,
    },
    /// Two matching `[routing]` keys name different plugins.
    #[error(
        "[routing] keys in {} disagree about `{model}`: \"{}\" = \"{}\" (line {}) and \"{}\" = \"{}\" (line {}); keep one of them",
        shown_file(file.as_deref()),
        printable(&first.pattern),
        printable(&first.plugin),
        first.line,
        printable(&second.pattern),
        printable(&second.plugin),
        second.line
    )]
    RulesDisagree {
        model: String,
        first: Box<RoutingRule>,
        second: Box<RoutingRule>,
        file: Option<PathBuf>,
    },
}

impl RouteError {
    /// Whether the fault is in the config file (exit 6) rather than in the
    /// installed plugins (exit 3).
    pub fn is_configuration(&self) -> bool {
        matches!(
            self,
            Self::RuleNotACandidate { .. } | Self::RulesDisagree { .. }
        )
    }
}

/// Decides which of `claimants` serves `base_model_id`, as the module
/// documentation says. `installed` describes the plugins (and the files that
/// did not load) for the messages of the errors that need it.
pub fn decide(
    claimants: &[Claimant<'_>],
    base_model_id: &str,
    choice: UserChoice<'_>,
    installed: impl FnOnce() -> String,
) -> Result<Decision, RouteError> {
    let candidates: Vec<(usize, Candidate)> = claimants
        .iter()
        .enumerate()
        .filter_map(|(index, claimant)| {
            let pattern = claimant
                .patterns
                .iter()
                .find(|pattern| pattern_matches(pattern, base_model_id))?;
            Some((
                index,
                Candidate {
                    plugin: claimant.name.to_owned(),
                    pattern: pattern.clone(),
                    file: claimant.file.to_owned(),
                },
            ))
        })
        .collect();
    let all_candidates = || candidates.iter().map(|(_, c)| c.clone()).collect();
    if let Some(name) = choice.family {
        let index = claimants
            .iter()
            .position(|claimant| claimant.name == name)
            .ok_or_else(|| RouteError::UnknownPlugin {
                name: name.to_owned(),
                installed: installed(),
            })?;
        return Ok(Decision {
            index,
            reason: Reason::Family,
            candidates: all_candidates(),
        });
    }
    if let Some(table) = choice.table {
        let mut rules = table.matching(base_model_id);
        if let Some(first) = rules.next() {
            if let Some(second) = rules.find(|rule| rule.plugin != first.plugin) {
                return Err(RouteError::RulesDisagree {
                    model: base_model_id.to_owned(),
                    first: Box::new(first.clone()),
                    second: Box::new(second.clone()),
                    file: table.file.clone(),
                });
            }
            let Some((index, _)) = candidates
                .iter()
                .find(|(_, candidate)| candidate.plugin == first.plugin)
            else {
                return Err(RouteError::RuleNotACandidate {
                    model: base_model_id.to_owned(),
                    rule: Box::new(first.clone()),
                    file: table.file.clone(),
                    installed: claimants.iter().any(|c| c.name == first.plugin),
                    candidates: all_candidates(),
                });
            };
            return Ok(Decision {
                index: *index,
                reason: Reason::Rule {
                    rule: first.clone(),
                    file: table.file.clone(),
                },
                candidates: all_candidates(),
            });
        }
    }
    let granted: Vec<(usize, &Grant)> = candidates
        .iter()
        .filter_map(|(index, _)| {
            let grant = claimants[*index].grant?;
            grant
                .models
                .iter()
                .any(|pattern| pattern_matches(pattern, base_model_id))
                .then_some((*index, grant))
        })
        .collect();
    if candidates.len() > 1
        && let [(index, grant)] = granted.as_slice()
    {
        return Ok(Decision {
            index: *index,
            reason: Reason::Grant {
                publisher: grant.publisher.clone(),
                trust_file: grant.trust_file.clone(),
            },
            candidates: all_candidates(),
        });
    }
    match candidates.as_slice() {
        [(index, _)] => Ok(Decision {
            index: *index,
            reason: Reason::OnlyCandidate,
            candidates: all_candidates(),
        }),
        [] => Err(RouteError::NoMatch {
            model: base_model_id.to_owned(),
            installed: installed(),
        }),
        _ => Err(RouteError::Ambiguous {
            model: base_model_id.to_owned(),
            candidates: all_candidates(),
            config_file: choice.table.and_then(|table| table.file.clone()),
        }),
    }
}

/// Whether `pattern` (with `*` for any run of characters) matches `id` whole.
pub fn pattern_matches(pattern: &str, id: &str) -> bool {
    let mut pieces = pattern.split('*');
    let first = pieces.next().unwrap_or_default();
    let Some(mut rest) = id.strip_prefix(first) else {
        return false;
    };
    let pieces: Vec<&str> = pieces.collect();
    let Some((last, middle)) = pieces.split_last() else {
        return rest.is_empty();
    };
    for piece in middle {
        match rest.find(piece) {
            Some(at) => rest = &rest[at + piece.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// The refusal of an id several plugins claim: each candidate, and the
/// exact way to choose each one.
fn ambiguity(model: &str, candidates: &[Candidate], config_file: Option<&Path>) -> String {
    let mut text = format!(
        "`{model}` is claimed by {} plugins, and nothing chooses between them:",
        candidates.len()
    );
    for candidate in candidates {
        let _ = write!(text, "\n  {candidate}");
    }
    let _ = write!(
        text,
        "\nChoose for one run with --family NAME, or record the choice with one of:"
    );
    for candidate in candidates {
        let _ = write!(
            text,
            "\n  bedrock-host plugins route '{model}' '{}'",
            printable(&candidate.plugin)
        );
    }
    let example = candidates
        .first()
        .map_or_else(String::new, |candidate| printable(&candidate.plugin));
    let _ = write!(
        text,
        "\nwhich adds a line such as \"{model}\" = \"{example}\" to the [routing] table of {}.",
        shown_file(config_file)
    );
    text
}

fn candidates_or_none(candidates: &[Candidate]) -> String {
    if candidates.is_empty() {
        return "no installed plugin claims it".to_owned();
    }
    let shown: Vec<String> = candidates.iter().map(Candidate::to_string).collect();
    format!("the plugins that claim it: {}", shown.join(", "))
}

fn shown_file(file: Option<&Path>) -> String {
    file.map_or_else(
        || "the config file".to_owned(),
        |file| file.display().to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Installed {
        name: &'static str,
        patterns: Vec<String>,
        file: PathBuf,
        grant: Option<Grant>,
    }

    fn installed(plugins: &[(&'static str, &[&str])]) -> Vec<Installed> {
        plugins
            .iter()
            .map(|(name, patterns)| Installed {
                name,
                patterns: patterns.iter().map(|p| (*p).to_owned()).collect(),
                file: PathBuf::from(format!("/plugins/{name}.wasm")),
                grant: None,
            })
            .collect()
    }

    fn route(
        plugins: &[Installed],
        id: &str,
        choice: UserChoice<'_>,
    ) -> Result<(String, Decision), RouteError> {
        let claimants: Vec<Claimant<'_>> = plugins
            .iter()
            .map(|p| Claimant {
                name: p.name,
                patterns: &p.patterns,
                file: &p.file,
                grant: p.grant.as_ref(),
            })
            .collect();
        let decision = decide(&claimants, id, choice, || "installed: ...".to_owned())?;
        Ok((plugins[decision.index].name.to_owned(), decision))
    }

    fn table(rules: &[(&str, &str)]) -> RoutingTable {
        RoutingTable {
            file: Some(PathBuf::from("/home/u/.config/bedrock-host/config.toml")),
            rules: rules
                .iter()
                .enumerate()
                .map(|(at, (pattern, plugin))| RoutingRule {
                    pattern: (*pattern).to_owned(),
                    plugin: (*plugin).to_owned(),
                    line: at + 2,
                })
                .collect(),
        }
    }

    const SONNET: &str = "anthropic.claude-sonnet-4-5-20250929-v1:0";

    fn with_greedy() -> Vec<Installed> {
        installed(&[
            ("anthropic", &["anthropic.claude-*"]),
            ("meta", &["meta.llama*"]),
            ("greedy", &[SONNET, "a*n*t*h*r*o*p*i*c*", "m*e*t*a*"]),
        ])
    }

    #[test]
    fn patterns_match_whole_ids() {
        assert!(pattern_matches("anthropic.claude-*", "anthropic.claude-v2"));
        assert!(pattern_matches("*", "anything"));
        assert!(pattern_matches("a*b*c", "a-x-b-y-c"));
        assert!(pattern_matches("exact", "exact"));
        assert!(!pattern_matches("exact", "exactly"));
        assert!(!pattern_matches("anthropic.claude-*", "amazon.titan"));
        assert!(!pattern_matches("a*bc", "abc-bc-x"));
        assert!(!pattern_matches("ab*ba", "aba"));
    }

    #[test]
    fn a_single_candidate_serves_and_no_candidate_is_no_match() {
        let plugins = installed(&[
            ("anthropic", &["anthropic.claude-*"]),
            ("meta", &["meta.*"]),
        ]);
        let (name, decision) = route(&plugins, SONNET, UserChoice::default()).expect("routes");
        assert_eq!(name, "anthropic");
        assert_eq!(decision.reason, Reason::OnlyCandidate);
        assert_eq!(decision.candidates.len(), 1);
        assert!(matches!(
            route(&plugins, "amazon.nova-lite-v1:0", UserChoice::default()),
            Err(RouteError::NoMatch { .. })
        ));
    }

    #[test]
    fn an_exact_id_or_a_scattered_pattern_takes_nothing_silently() {
        let plugins = with_greedy();
        for id in [
            SONNET,
            "anthropic.claude-3-haiku-20240307-v1:0",
            "meta.llama3-8b-instruct-v1:0",
        ] {
            let error = route(&plugins, id, UserChoice::default()).expect_err(id);
            let RouteError::Ambiguous { candidates, .. } = &error else {
                panic!("{id}: {error}");
            };
            let names: Vec<&str> = candidates.iter().map(|c| c.plugin.as_str()).collect();
            assert!(names.contains(&"greedy") && names.len() == 2, "{names:?}");
            assert!(!error.is_configuration());
        }
    }

    #[test]
    fn the_refusal_names_every_candidate_and_each_way_to_choose() {
        let plugins = with_greedy();
        let routing = table(&[]);
        let choice = UserChoice {
            family: None,
            table: Some(&routing),
        };
        let message = route(&plugins, SONNET, choice)
            .expect_err("ambiguous")
            .to_string();
        for expected in [
            "is claimed by 2 plugins",
            "`anthropic` (pattern `anthropic.claude-*`, file /plugins/anthropic.wasm)",
            &format!("`greedy` (pattern `{SONNET}`, file /plugins/greedy.wasm)"),
            "--family NAME",
            &format!("bedrock-host plugins route '{SONNET}' 'anthropic'"),
            &format!("bedrock-host plugins route '{SONNET}' 'greedy'"),
            &format!("\"{SONNET}\" = \"anthropic\""),
            "/home/u/.config/bedrock-host/config.toml",
        ] {
            assert!(message.contains(expected), "{expected}\n{message}");
        }
    }

    #[test]
    fn family_decides_first() {
        let plugins = with_greedy();
        let routing = table(&[(SONNET, "greedy")]);
        let choice = UserChoice {
            family: Some("anthropic"),
            table: Some(&routing),
        };
        let (name, decision) = route(&plugins, SONNET, choice).expect("routes");
        assert_eq!(name, "anthropic");
        assert_eq!(decision.reason, Reason::Family);
        assert_eq!(decision.candidates.len(), 2);
        let unknown = UserChoice {
            family: Some("nobody"),
            table: None,
        };
        assert!(matches!(
            route(&plugins, SONNET, unknown),
            Err(RouteError::UnknownPlugin { .. })
        ));
    }

    #[test]
    fn a_routing_key_decides_between_candidates() {
        let plugins = with_greedy();
        let routing = table(&[("meta.*", "meta"), ("anthropic.*", "anthropic")]);
        let choice = UserChoice {
            family: None,
            table: Some(&routing),
        };
        let (name, decision) = route(&plugins, SONNET, choice).expect("routes");
        assert_eq!(name, "anthropic");
        assert_eq!(
            decision.reason,
            Reason::Rule {
                rule: routing.rules[1].clone(),
                file: routing.file.clone()
            }
        );
        let (name, _) = route(&plugins, "meta.llama3-8b-instruct-v1:0", choice).expect("routes");
        assert_eq!(name, "meta");
        let shown = decision.reason.to_string();
        assert!(shown.contains("\"anthropic.*\" = \"anthropic\"") && shown.contains("line 3"));
    }

    #[test]
    fn a_routing_key_naming_a_plugin_that_does_not_claim_the_id_is_a_configuration_error() {
        let plugins = with_greedy();
        for (plugin, words) in [
            ("anthropc", "is not installed"),
            ("meta", "does not claim it"),
        ] {
            let routing = table(&[("anthropic.*", plugin)]);
            let choice = UserChoice {
                family: None,
                table: Some(&routing),
            };
            let error = route(&plugins, SONNET, choice).expect_err(plugin);
            assert!(error.is_configuration(), "{error}");
            let message = error.to_string();
            assert!(
                message.contains(&format!("plugin `{plugin}`, which {words}"))
                    && message.contains("line 2")
                    && message.contains("`anthropic` (pattern"),
                "{message}"
            );
        }
    }

    #[test]
    fn two_matching_keys_naming_different_plugins_are_a_configuration_error() {
        let plugins = with_greedy();
        let routing = table(&[
            ("anthropic.*", "anthropic"),
            ("meta.*", "meta"),
            ("*", "anthropic"),
            (SONNET, "greedy"),
        ]);
        let choice = UserChoice {
            family: None,
            table: Some(&routing),
        };
        let error = route(&plugins, SONNET, choice).expect_err("disagree");
        assert!(error.is_configuration());
        let message = error.to_string();
        assert!(
            message.contains("(line 2)") && message.contains("(line 5)"),
            "{message}"
        );
        let agreeing = table(&[("anthropic.*", "anthropic"), ("*-v1:0", "anthropic")]);
        let choice = UserChoice {
            family: None,
            table: Some(&agreeing),
        };
        assert_eq!(
            route(&plugins, SONNET, choice).expect("agree").0,
            "anthropic"
        );
    }

    #[test]
    fn neither_literal_length_nor_search_order_decides() {
        let mut plugins = installed(&[
            ("short", &["x.*"]),
            ("long", &["x.model-with-a-long-name-v1:0"]),
        ]);
        let id = "x.model-with-a-long-name-v1:0";
        assert!(matches!(
            route(&plugins, id, UserChoice::default()),
            Err(RouteError::Ambiguous { .. })
        ));
        plugins.reverse();
        assert!(matches!(
            route(&plugins, id, UserChoice::default()),
            Err(RouteError::Ambiguous { .. })
        ));
    }

    #[test]
    fn a_publishers_grant_settles_a_tie_only_when_one_candidate_holds_it() {
        let grant = |publisher: &str, models: &[&str]| Grant {
            publisher: publisher.to_owned(),
            models: models.iter().map(|m| (*m).to_owned()).collect(),
            trust_file: "/home/u/.config/bedrock-host/trust.toml".to_owned(),
        };
        let mut plugins = installed(&[
            ("anthropic", &["anthropic.claude-*"]),
            ("vendor", &["anthropic.claude-*"]),
        ]);
        plugins[1].grant = Some(grant("Vendor", &["anthropic.claude-sonnet-*"]));
        let (name, decision) = route(&plugins, SONNET, UserChoice::default()).expect("granted");
        assert_eq!(name, "vendor");
        assert!(
            matches!(decision.reason, Reason::Grant { ref publisher, .. } if publisher == "Vendor")
        );
        let haiku = "anthropic.claude-3-haiku-20240307-v1:0";
        assert!(matches!(
            route(&plugins, haiku, UserChoice::default()),
            Err(RouteError::Ambiguous { .. })
        ));
        let (name, _) = route(
            &plugins,
            SONNET,
            UserChoice {
                family: Some("anthropic"),
                table: None,
            },
        )
        .expect("family beats a grant");
        assert_eq!(name, "anthropic");
        plugins[0].grant = Some(grant("Other", &["anthropic.*"]));
        assert!(matches!(
            route(&plugins, SONNET, UserChoice::default()),
            Err(RouteError::Ambiguous { .. })
        ));
    }
}
