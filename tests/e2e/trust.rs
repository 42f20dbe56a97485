//! Plugins as trusted artifacts, through the real binary and real `.wasm`
//! files copied into a private plugins folder: `plugins pin` writes the
//! folder's `plugins.lock`, `plugins verify` checks it, a plugin whose bytes
//! changed (or that is not pinned) is refused while the others still serve,
//! `plugins inspect` describes a file without running it, and a component
//! for another contract version is refused with both versions named.

use std::path::{Path, PathBuf};
use std::process::Command;

use bedrock_host::plugin::sha256_hex;

use crate::support::{CLAUDE, bedrock_host_without_plugins, plugins_dir, run, test_plugins_dir};

const LLAMA: &str = "meta.llama3-8b-instruct-v1:0";

/// A private plugins folder holding copies of `names` from the real plugins.
fn plugins_folder(names: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for name in names {
        let from = if *name == "hostile" {
            test_plugins_dir()
        } else {
            plugins_dir()
        };
        std::fs::copy(
            from.join(format!("{name}.wasm")),
            dir.path().join(format!("{name}.wasm")),
        )
        .expect("copy a plugin");
    }
    dir
}

/// The CLI with only `dir` as its plugins folder.
fn host_in(dir: &Path, args: &[&str]) -> Command {
    let mut command = bedrock_host_without_plugins();
    command.arg("--plugins-dir").arg(dir).args(args);
    command
}

fn invoke(dir: &Path, model: &str) -> crate::support::Run {
    run(host_in(
        dir,
        &[
            "--local",
            "invoke",
            "--model",
            model,
            "--max-tokens",
            "20",
            "hi",
        ],
    ))
}

fn sha256_of(path: &Path) -> String {
    sha256_hex(&std::fs::read(path).expect("read plugin"))
}

/// Changes one byte of `path` without making it an invalid component: one
/// letter of the toolchain name in its `producers` custom section.
fn flip_one_byte(path: &Path) {
    let mut bytes = std::fs::read(path).expect("read plugin");
    let needle = b"wit-component";
    let at = bytes
        .windows(needle.len())
        .position(|window| window == needle)
        .expect("the component names the tool that built it");
    bytes[at] ^= 0x20; // `w` becomes `W`
    std::fs::write(path, bytes).expect("write plugin");
}

/// The `plugins list --output json` of `dir`.
fn list_json(dir: &Path) -> serde_json::Value {
    let listed = run(host_in(dir, &["plugins", "list", "--output", "json"]));
    assert_eq!(listed.code, Some(0), "{}", listed.stderr);
    listed.json()
}

fn loaded_names(listing: &serde_json::Value) -> Vec<String> {
    listing["plugins"]
        .as_array()
        .expect("plugins")
        .iter()
        .map(|p| p["name"].as_str().expect("name").to_owned())
        .collect()
}

fn failures(listing: &serde_json::Value) -> Vec<String> {
    listing["failures"]
        .as_array()
        .expect("failures")
        .iter()
        .map(|f| f.as_str().expect("failure text").to_owned())
        .collect()
}

/// `plugins verify --output json`: its exit code and each file's status.
fn verify(dir: &Path) -> (Option<i32>, Vec<(String, String)>, String) {
    let verified = run(host_in(dir, &["plugins", "verify", "--output", "json"]));
    let report = verified.json();
    assert_eq!(
        report["ok"].as_bool(),
        Some(verified.code == Some(0)),
        "{report}"
    );
    let statuses = report["plugins"]
        .as_array()
        .expect("plugins")
        .iter()
        .map(|p| {
            (
                p["name"].as_str().expect("name").to_owned(),
                p["status"].as_str().expect("status").to_owned(),
            )
        })
        .collect();
    (verified.code, statuses, verified.stderr)
}

fn status(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(n, s)| ((*n).to_owned(), (*s).to_owned()))
        .collect()
}

#[test]
fn with_no_lock_file_every_plugin_loads_and_verify_names_each_unpinned_one() {
    let dir = plugins_folder(&["anthropic", "meta"]);
    let listing = list_json(dir.path());
    assert_eq!(loaded_names(&listing), ["anthropic", "meta"], "{listing}");
    assert!(listing["plugins"][0]["pinned_in"].is_null(), "{listing}");
    let (code, statuses, stderr) = verify(dir.path());
    assert_eq!(code, Some(3), "{stderr}");
    assert_eq!(
        statuses,
        status(&[("anthropic", "unpinned"), ("meta", "unpinned")])
    );
    assert!(
        stderr.contains("anthropic.wasm unpinned") && stderr.contains("bedrock-host plugins pin"),
        "{stderr}"
    );
}

#[test]
fn pin_then_verify_passes_and_a_changed_byte_is_refused_until_pinned_again() {
    let dir = plugins_folder(&["anthropic", "meta"]);
    let anthropic = dir.path().join("anthropic.wasm");
    let pinned = run(host_in(dir.path(), &["plugins", "pin"]));
    assert_eq!(pinned.code, Some(0), "{}", pinned.stderr);

    // The lock is `sha256sum` lines, sorted, naming the files beside it.
    let lock_text = std::fs::read_to_string(dir.path().join("plugins.lock")).expect("lock");
    let original = sha256_of(&anthropic);
    assert_eq!(
        lock_text,
        format!(
            "{original}  anthropic.wasm\n{}  meta.wasm\n",
            sha256_of(&dir.path().join("meta.wasm"))
        )
    );
    let (code, statuses, stderr) = verify(dir.path());
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(statuses, status(&[("anthropic", "ok"), ("meta", "ok")]));
    let listing = list_json(dir.path());
    assert_eq!(
        listing["plugins"][0]["pinned_in"]
            .as_str()
            .map(PathBuf::from),
        Some(dir.path().join("plugins.lock"))
    );

    flip_one_byte(&anthropic);
    let changed = sha256_of(&anthropic);
    assert_ne!(changed, original);

    let refused = invoke(dir.path(), CLAUDE);
    assert_eq!(refused.code, Some(3), "{}", refused.stderr);
    for needle in [
        "plugin `anthropic` changed since it was pinned",
        &format!("pinned sha256 {original}"),
        &format!("file sha256 {changed}"),
        "bedrock-host plugins pin anthropic",
    ] {
        assert!(
            refused.stderr.contains(needle),
            "{needle}: {}",
            refused.stderr
        );
    }
    let other = invoke(dir.path(), LLAMA);
    assert_eq!(
        other.code,
        Some(0),
        "the other plugin serves: {}",
        other.stderr
    );
    assert!(!other.stdout.trim().is_empty());

    // Refused before it is compiled: a private compile cache gains an entry
    // for the plugin that loaded and none for the changed bytes.
    let cache = tempfile::tempdir().expect("cache dir");
    let mut command = host_in(dir.path(), &["plugins", "list", "--output", "json"]);
    command.env("BEDROCK_HOST_CACHE_DIR", cache.path());
    let listed = run(command);
    assert_eq!(listed.code, Some(0), "{}", listed.stderr);
    let entries: Vec<String> = std::fs::read_dir(cache.path())
        .expect("cache")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    let meta = sha256_of(&dir.path().join("meta.wasm"));
    assert!(
        entries.iter().any(|e| e.starts_with(&meta))
            && !entries.iter().any(|e| e.starts_with(&changed)),
        "{entries:?}"
    );
    let listing = listed.json();
    assert_eq!(loaded_names(&listing), ["meta"], "{listing}");
    let failures = failures(&listing);
    assert!(
        failures.len() == 1
            && failures[0].contains("anthropic.wasm")
            && failures[0].contains(&original)
            && failures[0].contains(&changed),
        "{failures:?}"
    );

    let (code, statuses, stderr) = verify(dir.path());
    assert_eq!(code, Some(3));
    assert_eq!(
        statuses,
        status(&[("anthropic", "changed"), ("meta", "ok")])
    );
    assert!(stderr.contains("anthropic.wasm changed"), "{stderr}");

    let repinned = run(host_in(dir.path(), &["plugins", "pin", "anthropic"]));
    assert_eq!(repinned.code, Some(0), "{}", repinned.stderr);
    assert!(
        repinned.stdout.contains(&format!("was {original}")),
        "{}",
        repinned.stdout
    );
    let (code, _, stderr) = verify(dir.path());
    assert_eq!(code, Some(0), "{stderr}");
    let accepted = invoke(dir.path(), CLAUDE);
    assert_eq!(accepted.code, Some(0), "{}", accepted.stderr);
}

#[test]
fn a_plugin_the_lock_does_not_pin_is_refused_and_the_others_still_serve() {
    let dir = plugins_folder(&["anthropic"]);
    assert_eq!(run(host_in(dir.path(), &["plugins", "pin"])).code, Some(0));
    std::fs::copy(
        plugins_dir().join("meta.wasm"),
        dir.path().join("meta.wasm"),
    )
    .expect("a new plugin appears");

    let refused = invoke(dir.path(), LLAMA);
    assert_eq!(refused.code, Some(3), "{}", refused.stderr);
    assert!(
        refused.stderr.contains("meta.wasm: not pinned in")
            && refused.stderr.contains("bedrock-host plugins pin meta"),
        "{}",
        refused.stderr
    );
    assert_eq!(invoke(dir.path(), CLAUDE).code, Some(0));
    let (code, statuses, _) = verify(dir.path());
    assert_eq!(code, Some(3));
    assert_eq!(
        statuses,
        status(&[("anthropic", "ok"), ("meta", "unpinned")])
    );

    assert_eq!(
        run(host_in(dir.path(), &["plugins", "pin", "meta.wasm"])).code,
        Some(0)
    );
    assert_eq!(loaded_names(&list_json(dir.path())), ["anthropic", "meta"]);
}

#[test]
fn a_pinned_plugin_that_is_gone_fails_verify() {
    let dir = plugins_folder(&["anthropic", "meta"]);
    assert_eq!(run(host_in(dir.path(), &["plugins", "pin"])).code, Some(0));
    std::fs::remove_file(dir.path().join("meta.wasm")).expect("remove");
    let (code, statuses, stderr) = verify(dir.path());
    assert_eq!(code, Some(3));
    assert_eq!(
        statuses,
        status(&[("anthropic", "ok"), ("meta", "missing")])
    );
    assert!(stderr.contains("meta.wasm missing"), "{stderr}");
    // Pinning the folder as it is drops the entry.
    assert_eq!(run(host_in(dir.path(), &["plugins", "pin"])).code, Some(0));
    assert_eq!(verify(dir.path()).0, Some(0));
}

#[test]
fn pinning_an_unknown_name_or_part_of_an_unpinned_folder_changes_nothing() {
    let dir = plugins_folder(&["anthropic", "meta"]);
    let partial = run(host_in(dir.path(), &["plugins", "pin", "anthropic"]));
    assert_eq!(partial.code, Some(2), "{}", partial.stderr);
    assert!(
        partial.stderr.contains("has no plugins.lock yet"),
        "{}",
        partial.stderr
    );
    assert!(!dir.path().join("plugins.lock").exists());

    assert_eq!(run(host_in(dir.path(), &["plugins", "pin"])).code, Some(0));
    let before = std::fs::read(dir.path().join("plugins.lock")).expect("lock");
    let unknown = run(host_in(
        dir.path(),
        &["plugins", "pin", "anthropic", "nosuch"],
    ));
    assert_eq!(unknown.code, Some(2), "{}", unknown.stderr);
    assert!(
        unknown.stderr.contains("no plugin file named nosuch"),
        "{}",
        unknown.stderr
    );
    assert_eq!(
        std::fs::read(dir.path().join("plugins.lock")).expect("lock"),
        before
    );
}

#[test]
fn a_corrupt_lock_file_refuses_its_folder_and_is_a_configuration_error() {
    let dir = plugins_folder(&["anthropic"]);
    std::fs::write(
        dir.path().join("plugins.lock"),
        "# edited by hand\nnot-a-hash  anthropic.wasm\n",
    )
    .expect("write lock");
    let verified = run(host_in(dir.path(), &["plugins", "verify"]));
    assert_eq!(verified.code, Some(6), "{}", verified.stderr);
    assert!(
        verified
            .stderr
            .contains("plugins.lock is invalid at line 2"),
        "{}",
        verified.stderr
    );
    let listing = list_json(dir.path());
    assert!(loaded_names(&listing).is_empty(), "{listing}");
    assert!(failures(&listing)[0].contains("line 2"), "{listing}");
    assert_eq!(invoke(dir.path(), CLAUDE).code, Some(3));
}

/// `plugins inspect --output json` of `file`.
fn inspect(file: &Path) -> (Option<i32>, serde_json::Value, String) {
    let mut command = bedrock_host_without_plugins();
    command
        .args(["plugins", "inspect", "--output", "json"])
        .arg(file);
    let inspected = run(command);
    (inspected.code, inspected.json(), inspected.stderr)
}

fn names(items: &serde_json::Value) -> Vec<&str> {
    items
        .as_array()
        .expect("items")
        .iter()
        .map(|item| item["name"].as_str().expect("name"))
        .collect()
}

#[test]
fn inspect_describes_a_real_plugin_without_compiling_it() {
    let dir = plugins_folder(&["anthropic"]);
    let file = dir.path().join("anthropic.wasm");
    let cache = tempfile::tempdir().expect("cache dir");
    let mut command = host_in(dir.path(), &["plugins", "inspect", "--output", "json"]);
    command
        .arg(&file)
        .env("BEDROCK_HOST_CACHE_DIR", cache.path());
    let inspected = run(command);
    assert_eq!(inspected.code, Some(0), "{}", inspected.stderr);
    let report = inspected.json();
    let bytes = std::fs::read(&file).expect("read");
    assert_eq!(report["kind"], "component");
    assert_eq!(report["size"].as_u64(), Some(bytes.len() as u64));
    assert_eq!(report["sha256"].as_str(), Some(sha256_hex(&bytes).as_str()));
    assert_eq!(report["contract_versions"], serde_json::json!(["0.2.1"]));
    assert!(
        names(&report["exports"]).contains(&"bedrock:adapter/adapter@0.2.1"),
        "{report}"
    );
    assert_eq!(report["loadable"], true);
    assert_eq!(report["host_serves"], "bedrock:adapter@0.1.x and 0.2.x");
    assert_eq!(report["pin"]["status"], "no-lock");
    assert_eq!(
        std::fs::read_dir(cache.path()).expect("cache").count(),
        0,
        "inspect compiled nothing"
    );

    let mut command = host_in(dir.path(), &["plugins", "inspect"]);
    command.arg(&file);
    let text = run(command);
    assert_eq!(text.code, Some(0), "{}", text.stderr);
    assert!(
        text.stdout
            .contains("host:      can load it as bedrock:adapter@0.2.1"),
        "{}",
        text.stdout
    );
}

#[test]
fn inspect_shows_what_the_hostile_plugin_imports_and_its_pin() {
    let dir = plugins_folder(&["hostile"]);
    assert_eq!(run(host_in(dir.path(), &["plugins", "pin"])).code, Some(0));
    let (code, report, stderr) = inspect(&dir.path().join("hostile.wasm"));
    assert_eq!(code, Some(0), "{stderr}");
    let imports = names(&report["imports"]);
    assert!(
        imports
            .iter()
            .any(|name| name.starts_with("wasi:cli/environment@")),
        "the plugin that reads the environment imports it: {imports:?}"
    );
    assert_eq!(report["pin"]["status"], "ok");
    flip_one_byte(&dir.path().join("hostile.wasm"));
    let (_, report, _) = inspect(&dir.path().join("hostile.wasm"));
    assert_eq!(report["pin"]["status"], "changed", "{report}");
}

/// `(module (import "env" "f" (func)) (memory (export "memory") 1))`.
const CORE_MODULE: &[u8] = &[
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x02, 0x09,
    0x01, 0x03, b'e', b'n', b'v', 0x01, b'f', 0x00, 0x00, 0x05, 0x03, 0x01, 0x00, 0x01, 0x07, 0x0a,
    0x01, 0x06, b'm', b'e', b'm', b'o', b'r', b'y', 0x02, 0x00,
];

#[test]
fn inspect_refuses_a_core_module_a_corrupt_an_empty_and_a_random_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let write = |name: &str, bytes: &[u8]| {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).expect("write");
        path
    };
    let random: Vec<u8> = (0u32..4096)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let cases = [
        (
            write("core.wasm", CORE_MODULE),
            "core WebAssembly module, not a component",
        ),
        (
            write(
                "corrupt.wasm",
                b"\0asm\x0d\0\x01\0 garbage after the header",
            ),
            "not a valid WebAssembly component",
        ),
        (write("empty.wasm", b""), "the file is empty"),
        (write("random.wasm", &random), "not a WebAssembly file"),
    ];
    for (file, message) in cases {
        let (code, report, stderr) = inspect(&file);
        assert_eq!(code, Some(3), "{}: {stderr}", file.display());
        assert!(
            stderr.starts_with("error: ") && stderr.contains(message),
            "{}: {stderr}",
            file.display()
        );
        assert_eq!(stderr.lines().count(), 1, "one sentence: {stderr}");
        assert!(report.get("sha256").is_some(), "{report}");
    }
    let (_, core, _) = inspect(&dir.path().join("core.wasm"));
    assert_eq!(core["kind"], "core module");
    assert_eq!(names(&core["exports"]), ["memory"]);
    assert_eq!(names(&core["imports"]), ["env::f"]);
}

/// A copy of the anthropic plugin that claims contract `version`: every
/// `bedrock:adapter/...@<its version>` name in it renamed, bytes for bytes.
fn plugin_for_contract(dir: &Path, version: &str) -> PathBuf {
    let mut bytes = std::fs::read(plugins_dir().join("anthropic.wasm")).expect("read");
    let marker = b"bedrock:adapter/adapter@";
    let at = bytes
        .windows(marker.len())
        .position(|window| window == marker)
        .expect("the plugin names its contract")
        + marker.len();
    let own = String::from_utf8(bytes[at..at + version.len()].to_vec()).expect("a version");
    assert_eq!(own.matches('.').count(), 2, "same length as {own}");
    for interface in ["adapter", "types"] {
        let from = format!("bedrock:adapter/{interface}@{own}");
        let to = format!("bedrock:adapter/{interface}@{version}");
        let mut at = 0;
        while let Some(found) = bytes[at..]
            .windows(from.len())
            .position(|window| window == from.as_bytes())
        {
            let start = at + found;
            bytes[start..start + to.len()].copy_from_slice(to.as_bytes());
            at = start + to.len();
        }
    }
    let path = dir.join("future.wasm");
    std::fs::write(&path, bytes).expect("write");
    path
}

/// A component built against 0.2.9 (a later version of the 0.2 line, which
/// only adds to 0.2.0) loads, is described and serves a request, though the
/// host's bindings name 0.2.1: its exports are found by semver.
#[test]
fn a_component_of_a_newer_version_of_a_served_line_loads_and_serves() {
    let dir = plugins_folder(&[]);
    let newer = plugin_for_contract(dir.path(), "0.2.9");
    let (code, report, stderr) = inspect(&newer);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(report["contract_versions"], serde_json::json!(["0.2.9"]));
    assert_eq!(report["loadable"], true);
    let listing = list_json(dir.path());
    assert_eq!(loaded_names(&listing), ["anthropic"], "{listing}");
    assert_eq!(listing["plugins"][0]["contract"], "bedrock:adapter@0.2.9");
    let served = invoke(dir.path(), "anthropic.claude-3-haiku-20240307-v1:0");
    assert_eq!(served.code, Some(0), "{}", served.stderr);
    assert!(!served.stdout.trim().is_empty(), "an answer was printed");
}

#[test]
fn a_component_for_another_contract_is_refused_naming_both_versions() {
    let dir = plugins_folder(&["meta"]);
    let future = plugin_for_contract(dir.path(), "9.0.0");
    let (code, report, stderr) = inspect(&future);
    assert_eq!(code, Some(3), "{stderr}");
    assert_eq!(report["contract_versions"], serde_json::json!(["9.0.0"]));
    assert_eq!(report["loadable"], false);
    for text in [
        report["refusal"].as_str().expect("refusal"),
        stderr.as_str(),
    ] {
        assert!(
            text.contains("bedrock:adapter@9.0.0")
                && text.contains("this host serves bedrock:adapter@0.1.x and 0.2.x"),
            "{text}"
        );
    }
    let listing = list_json(dir.path());
    assert_eq!(loaded_names(&listing), ["meta"], "the others still load");
    assert_eq!(listing["serves"], "bedrock:adapter@0.1.x and 0.2.x");
    let failures = failures(&listing);
    assert!(
        failures[0].contains("future.wasm")
            && failures[0].contains("bedrock:adapter@9.0.0")
            && failures[0].contains("this host serves bedrock:adapter@0.1.x and 0.2.x"),
        "{failures:?}"
    );
}

#[test]
fn the_version_and_the_plugin_list_state_the_contract_served() {
    let version = run({
        let mut command = bedrock_host_without_plugins();
        command.arg("--version");
        command
    });
    assert_eq!(version.code, Some(0), "{}", version.stderr);
    assert!(
        version
            .stdout
            .contains("serves plugins built against bedrock:adapter@0.1.x and 0.2.x"),
        "{}",
        version.stdout
    );
    let dir = plugins_folder(&[]);
    let listed = run(host_in(dir.path(), &["plugins", "list"]));
    assert!(
        listed
            .stdout
            .starts_with("This host serves plugins built against bedrock:adapter@0.1.x and 0.2.x."),
        "{}",
        listed.stdout
    );
}
