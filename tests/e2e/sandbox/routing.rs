//! Routing through the real binary: no plugin takes another's models
//! silently, and the user decides, visibly.
//!
//! The misfit `greedy` claims one real Claude id exactly and scatters
//! `anthropic`/`claude` and `meta`/`llama` between wildcards; `claims-all`
//! claims every id (`*`); `copycat` claims the `hostile` plugin's pattern.
//! Installed beside the real plugins (greedy in a folder searched last),
//! every id they share with a real plugin is refused naming each candidate
//! and how to choose; `--family`, a `[routing]` key, or
//! `bedrock-host plugins route` decides; an id only one plugin claims is
//! served by it. Files that share a plugin name are all refused.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::{misfit, test_plugins_dir};
use crate::support::{Run, bedrock_host, bedrock_host_without_plugins, plugins_dir, run};

/// The id `greedy` claims exactly; the local Bedrock serves it through the
/// `us.` inference profile.
const SONNET: &str = "anthropic.claude-sonnet-4-5-20250929-v1:0";
const SONNET_PROFILE: &str = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";
/// An id `greedy` takes with a scattered pattern.
const HAIKU: &str = "anthropic.claude-3-haiku-20240307-v1:0";
const LLAMA: &str = "meta.llama3-8b-instruct-v1:0";
/// An id no misfit claims.
const NOVA: &str = "amazon.nova-lite-v1:0";

/// A folder holding copies of the named misfits.
fn misfits_folder(names: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for name in names {
        std::fs::copy(misfit(name), dir.path().join(format!("{name}.wasm"))).expect("copy misfit");
    }
    dir
}

/// The real plugins, then `greedy` in a folder searched last.
struct Installed {
    greedy: tempfile::TempDir,
}

impl Installed {
    fn new() -> Self {
        Self {
            greedy: misfits_folder(&["greedy"]),
        }
    }

    fn greedy_file(&self) -> PathBuf {
        self.greedy.path().join("greedy.wasm")
    }

    /// The CLI searching the real plugins' folder, then greedy's.
    fn host(&self) -> Command {
        let mut command = bedrock_host();
        command.arg("--plugins-dir").arg(self.greedy.path());
        command
    }

    /// `invoke` of `model` with `args` before it, JSON out.
    fn invoke(&self, global: &[&str], model: &str, extra: &[&str]) -> Run {
        let mut command = self.host();
        command
            .args(global)
            .args(["--local", "invoke", "--model", model, "--max-tokens", "20"])
            .args(extra)
            .args(["--output", "json", "hi"]);
        run(command)
    }
}

fn config_file(dir: &Path, text: &str) -> PathBuf {
    let path = dir.join("config.toml");
    std::fs::write(&path, text).expect("write config");
    path
}

fn real_plugin(name: &str) -> String {
    plugins_dir()
        .join(format!("{name}.wasm"))
        .display()
        .to_string()
}

/// The `-v` line that says which plugin serves `model` and why.
fn routing_line<'r>(run: &'r Run, model: &str) -> &'r str {
    run.stderr
        .lines()
        .find(|line| line.contains(&format!("`{model}` goes to plugin")))
        .unwrap_or_else(|| panic!("no routing line for {model}:\n{}", run.stderr))
}

#[test]
fn an_id_only_one_plugin_claims_is_served_by_it_and_v_says_why() {
    let installed = Installed::new();
    let served = installed.invoke(&["-v"], NOVA, &[]);
    assert_eq!(served.code, Some(0), "{}", served.stderr);
    assert_eq!(served.json()["plugin"], "amazon");
    let line = routing_line(&served, NOVA);
    assert!(
        line.contains("goes to plugin `amazon`")
            && line.contains("the only plugin whose patterns match it")
            && line.contains(&format!(
                "candidates: `amazon` (pattern `amazon.nova-lite-*`, file {})",
                real_plugin("amazon")
            )),
        "{line}"
    );
}

#[test]
fn an_id_claimed_by_several_plugins_is_refused_naming_every_candidate_and_each_way_to_choose() {
    let installed = Installed::new();
    for (model, base, family, pattern) in [
        (
            SONNET_PROFILE,
            SONNET,
            "anthropic",
            "anthropic.claude-sonnet-4*",
        ),
        (HAIKU, HAIKU, "anthropic", "anthropic.claude-*"),
        (LLAMA, LLAMA, "meta", "meta.llama*"),
    ] {
        let refused = installed.invoke(&[], model, &[]);
        assert_eq!(refused.code, Some(3), "{model}: {}", refused.stderr);
        let stderr = &refused.stderr;
        for expected in [
            format!("`{base}` is claimed by 2 plugins"),
            format!(
                "`{family}` (pattern `{pattern}`, file {})",
                real_plugin(family)
            ),
            "`greedy` (pattern `".to_owned(),
            format!("file {})", installed.greedy_file().display()),
            "--family NAME".to_owned(),
            format!("bedrock-host plugins route '{base}' '{family}'"),
            format!("bedrock-host plugins route '{base}' 'greedy'"),
        ] {
            assert!(stderr.contains(&expected), "{model}: {expected}\n{stderr}");
        }
        assert!(
            !refused.stdout.contains("served by greedy"),
            "{}",
            refused.stdout
        );
    }
}

#[test]
fn family_chooses_between_candidates_for_one_run() {
    let installed = Installed::new();
    let real = installed.invoke(&["-v"], SONNET_PROFILE, &["--family", "anthropic"]);
    assert_eq!(real.code, Some(0), "{}", real.stderr);
    assert_eq!(real.json()["plugin"], "anthropic");
    let line = routing_line(&real, SONNET);
    assert!(
        line.contains("plugin `anthropic`") && line.contains("chosen with --family"),
        "{line}"
    );
    assert!(line.contains("`greedy` (pattern"), "names both: {line}");

    let greedy = installed.invoke(&[], SONNET_PROFILE, &["--family", "greedy"]);
    assert_eq!(
        greedy.json()["plugin"],
        "greedy",
        "the user's choice serves, even a bad one: {}",
        greedy.stderr
    );
}

#[test]
fn a_routing_key_chooses_and_v_names_it() {
    let installed = Installed::new();
    let dir = tempfile::tempdir().expect("temp dir");
    let file = config_file(
        dir.path(),
        "[routing]\n\"meta.*\" = \"meta\"\n\"anthropic.claude-*\" = \"anthropic\"\n",
    );
    let config = file.to_str().expect("utf-8 path");
    for (model, base, plugin, line_number) in [
        (SONNET_PROFILE, SONNET, "anthropic", 3),
        (LLAMA, LLAMA, "meta", 2),
    ] {
        let served = installed.invoke(&["-v", "--config", config], model, &[]);
        assert_eq!(served.code, Some(0), "{model}: {}", served.stderr);
        assert_eq!(served.json()["plugin"], plugin);
        let line = routing_line(&served, base);
        assert!(
            line.contains(&format!("plugin `{plugin}`"))
                && line.contains(&format!("in {config}, line {line_number}")),
            "{line}"
        );
    }
    let overridden = installed.invoke(
        &["--config", config],
        SONNET_PROFILE,
        &["--family", "greedy"],
    );
    assert_eq!(
        overridden.json()["plugin"],
        "greedy",
        "--family comes first"
    );
}

#[test]
fn plugins_route_records_the_choice_in_the_config_file_keeping_its_comments() {
    let installed = Installed::new();
    let dir = tempfile::tempdir().expect("temp dir");
    let before = "# my settings\n[plugin-limits]\nmemory-mib = 64 # keep me\n";
    let file = config_file(dir.path(), before);
    let config = file.to_str().expect("utf-8 path");
    let mut route = installed.host();
    route.args(["--config", config, "plugins", "route", SONNET, "anthropic"]);
    let routed = run(route);
    assert_eq!(routed.code, Some(0), "{}", routed.stderr);
    assert!(
        routed.stdout.contains(&format!(
            "recorded in {config}: [routing] \"{SONNET}\" = \"anthropic\""
        )),
        "{}",
        routed.stdout
    );
    let after = std::fs::read_to_string(&file).expect("read config");
    assert!(
        after.starts_with(before),
        "the file is kept as it was: {after}"
    );
    assert!(
        after.contains(&format!("[routing]\n\"{SONNET}\" = \"anthropic\"\n")),
        "{after}"
    );

    let served = installed.invoke(&["-v", "--config", config], SONNET_PROFILE, &[]);
    assert_eq!(served.code, Some(0), "{}", served.stderr);
    assert_eq!(served.json()["plugin"], "anthropic");
    assert!(routing_line(&served, SONNET).contains("[routing]"));

    let mut change = installed.host();
    change.args(["--config", config, "plugins", "route", SONNET, "greedy"]);
    let changed = run(change);
    assert_eq!(changed.code, Some(0), "{}", changed.stderr);
    assert!(
        changed.stdout.contains("(was \"anthropic\")"),
        "{}",
        changed.stdout
    );
    let again = std::fs::read_to_string(&file).expect("read config");
    assert!(again.starts_with(before), "{again}");
    assert!(
        again.contains(&format!("\"{SONNET}\" = \"greedy\"")),
        "{again}"
    );
    assert_eq!(again.matches("[routing]").count(), 1, "{again}");

    let mut broad = installed.host();
    broad.args([
        "--config",
        config,
        "plugins",
        "route",
        "anthropic.*",
        "anthropic",
    ]);
    assert_eq!(run(broad).code, Some(0));
    let mut disagreeing = installed.host();
    disagreeing.args(["--config", config, "plugins", "route", HAIKU, "greedy"]);
    let refused = run(disagreeing);
    assert_eq!(refused.code, Some(2), "{}", refused.stderr);
    assert!(
        refused
            .stderr
            .contains("[routing] \"anthropic.*\" = \"anthropic\" (line ")
            && refused.stderr.contains(&format!("also matches `{HAIKU}`")),
        "{}",
        refused.stderr
    );
}

#[test]
fn plugins_route_creates_the_per_user_config_file_when_it_is_missing() {
    let installed = Installed::new();
    let home = tempfile::tempdir().expect("config home");
    let mut route = installed.host();
    route
        .env("XDG_CONFIG_HOME", home.path())
        .args(["plugins", "route", "meta.*", "meta"]);
    let routed = run(route);
    assert_eq!(routed.code, Some(0), "{}", routed.stderr);
    let file = home.path().join("bedrock-host").join("config.toml");
    let written = std::fs::read_to_string(&file).expect("the config file was created");
    assert_eq!(written, "[routing]\n\"meta.*\" = \"meta\"\n");

    let mut invoke = installed.host();
    invoke
        .env("XDG_CONFIG_HOME", home.path())
        .args(["--local", "invoke", "--model", LLAMA, "--max-tokens", "5"])
        .args(["--output", "json", "hi"]);
    let served = run(invoke);
    assert_eq!(served.code, Some(0), "{}", served.stderr);
    assert_eq!(served.json()["plugin"], "meta");
}

#[test]
fn plugins_route_refuses_a_plugin_that_is_not_installed_or_does_not_claim_the_id_and_creates_a_named_file()
 {
    let installed = Installed::new();
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("config.toml");
    let config = file.to_str().expect("utf-8 path");
    let mut unknown = installed.host();
    unknown.args(["--config", config, "plugins", "route", SONNET, "anthropc"]);
    let refused = run(unknown);
    assert_eq!(refused.code, Some(3), "{}", refused.stderr);
    assert!(
        refused
            .stderr
            .contains("no installed plugin is named `anthropc`"),
        "{}",
        refused.stderr
    );
    let mut wrong = installed.host();
    wrong.args(["--config", config, "plugins", "route", SONNET, "meta"]);
    let refused = run(wrong);
    assert_eq!(refused.code, Some(2), "{}", refused.stderr);
    assert!(
        refused
            .stderr
            .contains(&format!("plugin `meta` does not claim `{SONNET}`")),
        "{}",
        refused.stderr
    );
    assert!(!file.exists(), "nothing was written");
    let mut good = installed.host();
    good.args(["--config", config, "plugins", "route", SONNET, "anthropic"]);
    let routed = run(good);
    assert_eq!(routed.code, Some(0), "{}", routed.stderr);
    assert_eq!(
        std::fs::read_to_string(&file).expect("the named file was created"),
        format!("[routing]\n\"{SONNET}\" = \"anthropic\"\n")
    );
}

#[test]
fn a_routing_key_naming_a_plugin_that_does_not_claim_the_id_is_a_configuration_error() {
    let installed = Installed::new();
    let dir = tempfile::tempdir().expect("temp dir");
    for (text, expected) in [
        (
            "# typo\n[routing]\n\"anthropic.*\" = \"anthropc\"\n",
            "line 3, sends `anthropic.claude-sonnet-4-5-20250929-v1:0` to plugin `anthropc`, which is not installed",
        ),
        (
            "[routing]\n\"anthropic.*\" = \"meta\"\n",
            "to plugin `meta`, which does not claim it",
        ),
        (
            "[routing]\n\"anthropic.*\" = \"anthropic\"\n\"*-v1:0\" = \"greedy\"\n",
            "disagree about `anthropic.claude-sonnet-4-5-20250929-v1:0`",
        ),
    ] {
        let file = config_file(dir.path(), text);
        let config = file.to_str().expect("utf-8 path");
        let refused = installed.invoke(&["--config", config], SONNET_PROFILE, &[]);
        assert_eq!(refused.code, Some(6), "{text}: {}", refused.stderr);
        assert!(
            refused.stderr.contains(expected) && refused.stderr.contains(config),
            "{text}: {}",
            refused.stderr
        );
    }
}

#[test]
fn a_plugin_claiming_every_id_takes_nothing_silently() {
    let misfits = misfits_folder(&["claims-all"]);
    let mut command = bedrock_host();
    command
        .arg("--plugins-dir")
        .arg(misfits.path())
        .args(["--local", "invoke", "--model", HAIKU, "hi"]);
    let refused = run(command);
    assert_eq!(refused.code, Some(3), "{}", refused.stderr);
    assert!(
        refused.stderr.contains("`anthropic` (pattern")
            && refused.stderr.contains("`claims-all` (pattern `*`"),
        "{}",
        refused.stderr
    );

    let mut command = bedrock_host();
    command.arg("--plugins-dir").arg(misfits.path()).args([
        "--local",
        "invoke",
        "--model",
        "vendor.unknown-model-v1:0",
        "--output",
        "json",
        "hi",
    ]);
    let unclaimed = run(command);
    assert_eq!(
        unclaimed.json()["plugin"],
        "claims-all",
        "an id nobody else claims is its: {}",
        unclaimed.stderr
    );
}

#[test]
fn a_copycat_of_another_plugins_pattern_is_refused_naming_both() {
    let dir = misfits_folder(&["copycat"]);
    std::fs::copy(
        test_plugins_dir().join("hostile.wasm"),
        dir.path().join("hostile.wasm"),
    )
    .expect("copy hostile");
    let mut command = bedrock_host_without_plugins();
    command.arg("--plugins-dir").arg(dir.path()).args([
        "--local",
        "invoke",
        "--model",
        "hostile.polite",
        "hi",
    ]);
    let refused = run(command);
    assert_eq!(refused.code, Some(3), "{}", refused.stderr);
    assert!(
        refused.stderr.contains("`copycat` (pattern `hostile.*`")
            && refused.stderr.contains("`hostile` (pattern `hostile.*`"),
        "{}",
        refused.stderr
    );
    assert!(refused.stdout.is_empty(), "{}", refused.stdout);
}

#[test]
fn files_that_share_a_plugin_name_are_all_refused_and_listed() {
    let earlier = tempfile::tempdir().expect("temp dir");
    let later = tempfile::tempdir().expect("temp dir");
    let anthropic = plugins_dir().join("anthropic.wasm");
    let first = earlier.path().join("anthropic.wasm");
    let beside = earlier.path().join("claude.wasm");
    let elsewhere = later.path().join("anthropic.wasm");
    for copy in [&first, &beside, &elsewhere] {
        std::fs::copy(&anthropic, copy).expect("copy anthropic");
    }
    std::fs::copy(
        plugins_dir().join("meta.wasm"),
        later.path().join("meta.wasm"),
    )
    .expect("copy meta");
    let host = || {
        let mut command = bedrock_host_without_plugins();
        command
            .arg("--plugins-dir")
            .arg(earlier.path())
            .arg("--plugins-dir")
            .arg(later.path());
        command
    };

    let mut list = host();
    list.args(["plugins", "list"]);
    let listed = run(list);
    assert_eq!(listed.code, Some(3), "{}", listed.stderr);
    for file in [&first, &beside, &elsewhere] {
        assert!(
            listed.stderr.contains(&file.display().to_string()),
            "{}: {}",
            file.display(),
            listed.stderr
        );
        let refusal = listed
            .stdout
            .lines()
            .find(|line| line.starts_with(&format!("could not load {}:", file.display())))
            .unwrap_or_else(|| {
                panic!(
                    "{} is listed as refused:\n{}",
                    file.display(),
                    listed.stdout
                )
            });
        for other in [&first, &beside, &elsewhere] {
            if other != file {
                assert!(
                    refusal.contains(&other.display().to_string()),
                    "names {}: {refusal}",
                    other.display()
                );
            }
        }
    }
    assert!(
        listed
            .stderr
            .contains("3 files are named plugin `anthropic`"),
        "{}",
        listed.stderr
    );
    assert!(
        listed.stdout.contains("meta "),
        "meta still loads: {}",
        listed.stdout
    );

    let mut json = host();
    json.args(["plugins", "list", "--output", "json"]);
    let listed = run(json);
    assert_eq!(listed.code, Some(3), "{}", listed.stderr);
    let listing = listed.json();
    assert_eq!(listing["duplicate_names"][0]["name"], "anthropic");
    assert_eq!(
        listing["duplicate_names"][0]["files"]
            .as_array()
            .map(Vec::len),
        Some(3)
    );

    let mut invoke = host();
    invoke.args(["--local", "invoke", "--model", HAIKU, "hi"]);
    let refused = run(invoke);
    assert_eq!(refused.code, Some(3), "{}", refused.stderr);
    assert!(
        refused.stderr.contains("no installed plugin serves")
            && refused.stderr.contains("is also the name of"),
        "{}",
        refused.stderr
    );
}

/// On a terminal, the summary line after the answer names the plugin. The
/// terminal is `script`'s pseudo-terminal (util-linux).
#[test]
fn the_summary_line_on_a_terminal_names_the_plugin() {
    let installed = Installed::new();
    let mut host = installed.host();
    host.args([
        "--local",
        "invoke",
        "--model",
        NOVA,
        "--max-tokens",
        "5",
        "hi",
    ]);
    let mut line = shell_quote(&host.get_program().to_string_lossy());
    for arg in host.get_args() {
        line.push(' ');
        line.push_str(&shell_quote(&arg.to_string_lossy()));
    }
    let mut script = Command::new("script");
    script.args(["-qec", &line, "/dev/null"]);
    for (key, value) in host.get_envs() {
        match value {
            Some(value) => script.env(key, value),
            None => script.env_remove(key),
        };
    }
    let on_terminal = run(script);
    assert_eq!(on_terminal.code, Some(0), "{}", on_terminal.stdout);
    assert!(
        on_terminal.stdout.contains("[plugin amazon · "),
        "{}",
        on_terminal.stdout
    );
}

fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}
