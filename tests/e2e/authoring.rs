//! Writing an adapter out of tree, as a vendor does: `plugins new` writes a
//! project, Cargo builds it against the kit by path (offline, from the
//! kit's own WIT: no file copied from this repository), its native tests
//! pass, and the host serves the built component against the local Bedrock.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{bedrock_host_without_plugins, run};

/// The model the generated adapter serves.
const TEMPLATE_MODEL: &str = "mistral.mistral-7b-instruct-v0:2";

/// This repository's kit.
fn kit_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../plugins/kit")
}

/// Cargo in `project`, building into a folder of this repository's target
/// (so a second run reuses the first one's dependencies), offline.
fn cargo_in(project: &Path, args: &[&str]) -> std::process::Output {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    Command::new(cargo)
        .args(args)
        .arg("--offline")
        .current_dir(project)
        .env(
            "CARGO_TARGET_DIR",
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/authoring"),
        )
        .output()
        .expect("cargo runs")
}

fn plugins_new(name: &str, dir: &Path) -> crate::support::Run {
    let mut command = bedrock_host_without_plugins();
    command
        .args(["plugins", "new", name, "--dir"])
        .arg(dir)
        .arg("--kit-path")
        .arg(kit_dir());
    run(command)
}

#[test]
fn a_new_rust_adapter_builds_passes_its_tests_and_answers_through_the_local_bedrock() {
    let temp = tempfile::tempdir().expect("a temp dir");
    let project = temp.path().join("echo");
    let created = plugins_new("echo", &project);
    assert_eq!(created.code, Some(0), "{}", created.stderr);
    assert!(
        created
            .stdout
            .contains("cargo build --release --target wasm32-wasip2"),
        "{}",
        created.stdout
    );
    assert!(
        !project.join("wit").exists(),
        "the project carries no WIT of its own"
    );

    let built = cargo_in(
        &project,
        &["build", "--release", "--target", "wasm32-wasip2"],
    );
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );
    let tested = cargo_in(&project, &["test"]);
    assert!(
        tested.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&tested.stdout),
        String::from_utf8_lossy(&tested.stderr)
    );
    assert!(String::from_utf8_lossy(&tested.stdout).contains("test result: ok. 4 passed"));

    let plugins = temp.path().join("plugins");
    std::fs::create_dir(&plugins).expect("a plugins folder");
    let wasm = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../target/authoring/wasm32-wasip2/release/bedrock_plugin_echo.wasm");
    std::fs::copy(&wasm, plugins.join("echo.wasm")).expect("the component was built");

    for stream in [true, false] {
        let mut command = bedrock_host_without_plugins();
        command
            .arg("--local")
            .arg("--plugins-dir")
            .arg(&plugins)
            .args([
                "invoke",
                "-m",
                TEMPLATE_MODEL,
                "--max-tokens",
                "30",
                "--output",
                "json",
            ]);
        if !stream {
            command.arg("--no-stream");
        }
        let answer = run({
            command.arg("Hello from a new adapter");
            command
        });
        assert_eq!(answer.code, Some(0), "{}", answer.stderr);
        let json = answer.json();
        assert_eq!(json["plugin"], "echo");
        assert_eq!(json["streamed"], stream);
        let text = json["text"].as_str().expect("text");
        assert!(text.starts_with("Hello from a new adapter"), "{text}");
        assert_eq!(json["stop_reason"], "max_tokens", "{json}");
    }
}

#[test]
fn plugins_new_refuses_a_folder_with_files_in_it() {
    let temp = tempfile::tempdir().expect("a temp dir");
    std::fs::write(temp.path().join("keep.txt"), "mine").expect("a file");
    let refused = plugins_new("echo", temp.path());
    assert_eq!(refused.code, Some(2), "{}", refused.stderr);
    assert!(
        refused.stderr.contains("is not empty"),
        "{}",
        refused.stderr
    );
    let left: Vec<_> = std::fs::read_dir(temp.path())
        .expect("the folder")
        .map(|entry| entry.expect("an entry").file_name())
        .collect();
    assert_eq!(left, vec![std::ffi::OsString::from("keep.txt")]);
    assert_eq!(
        std::fs::read_to_string(temp.path().join("keep.txt")).expect("kept"),
        "mine"
    );
}

#[test]
fn plugins_new_refuses_a_name_plugins_list_could_not_show() {
    let temp = tempfile::tempdir().expect("a temp dir");
    for name in ["Echo", "9echo", "echo-", "ec ho"] {
        let refused = plugins_new(name, &temp.path().join("p"));
        assert_eq!(refused.code, Some(2), "{name}: {}", refused.stderr);
        assert!(
            refused.stderr.contains("adapter name"),
            "{}",
            refused.stderr
        );
        assert!(!temp.path().join("p").exists(), "{name}");
    }
}
