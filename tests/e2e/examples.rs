//! Every model id the README, `cargo xtask demo` and `--help` name is one
//! Bedrock serves today, and the local Bedrock answers it through the real
//! plugin: the examples a new user copies work.

use std::path::PathBuf;

use crate::support::{bedrock_host, run};

/// Model ids Bedrock has retired; examples must not name them (the
/// notebook tour keeps the notebook's own ids, and is not checked here).
const RETIRED: &[&str] = &[
    "anthropic.claude-3-5-sonnet-20240620-v1:0",
    "anthropic.claude-3-haiku-20240307-v1:0",
];

fn repository_file(path: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(path);
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

/// The words after `-m` or `--model` that look like model ids.
/// The model ids after `-m`/`--model` in `text`, but on the lines of
/// `embed` and `rerank`, whose models `invoke` does not serve (their own
/// tests run them).
fn ids_after_model_flags(text: &str) -> Vec<String> {
    let words: Vec<&str> = text
        .lines()
        .filter(|line| !line.contains(" embed -m") && !line.contains(" rerank -m"))
        .flat_map(str::split_whitespace)
        .collect();
    words
        .windows(2)
        .filter(|pair| pair[0] == "-m" || pair[0] == "--model")
        .map(|pair| pair[1].trim_matches(|c| matches!(c, '`' | '\'' | '"')))
        .filter(|id| id.contains('.'))
        .map(str::to_owned)
        .collect()
}

/// `DEMO_MODEL` in xtask.
fn demo_model() -> String {
    let xtask = repository_file("xtask/src/main.rs");
    let line = xtask
        .lines()
        .find(|line| line.starts_with("const DEMO_MODEL"))
        .expect("xtask names its demo model");
    line.split('"').nth(1).expect("a quoted id").to_owned()
}

fn help_text() -> String {
    let mut command = bedrock_host();
    command.arg("--help");
    let help = run(command);
    assert_eq!(help.code, Some(0), "{}", help.stderr);
    help.stdout
}

#[test]
fn every_model_id_the_readme_the_demo_and_help_name_is_current_and_answers() {
    let readme = ids_after_model_flags(&repository_file("README.md"));
    let help = ids_after_model_flags(&help_text());
    assert!(!readme.is_empty(), "the README names models");
    assert!(!help.is_empty(), "--help names models");
    let mut ids: Vec<String> = readme.into_iter().chain(help).collect();
    ids.push(demo_model());
    ids.sort();
    ids.dedup();
    for id in &ids {
        assert!(
            !RETIRED.iter().any(|retired| id.ends_with(retired)),
            "{id} is retired"
        );
        let mut command = bedrock_host();
        command.args([
            "--local",
            "invoke",
            "--no-stream",
            "--output",
            "json",
            "--max-tokens",
            "20",
            "-m",
        ]);
        command.args([id.as_str(), "Say hello."]);
        let answered = run(command);
        assert_eq!(answered.code, Some(0), "{id}: {}", answered.stderr);
        let report = answered.json();
        assert!(
            !report["text"].as_str().expect("text").is_empty(),
            "{id}: {report}"
        );
        assert_eq!(report["model_id"], id.as_str());
    }
}
