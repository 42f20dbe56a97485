//! `bedrock-host invoke`, `plugins list` and `serve-local` as a user runs
//! them, against the local Bedrock, through the real SDK and plugin.

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use crate::support::{
    CLAUDE, bedrock_host, bedrock_host_without_plugins, plugins_dir, run, run_with_stdin,
};

fn local_invoke(extra: &[&str]) -> std::process::Command {
    let mut command = bedrock_host();
    command
        .args(["--local", "invoke", "--model", CLAUDE])
        .args(extra);
    command
}

#[test]
fn streams_an_answer_and_reports_it_as_json() {
    let run = run(local_invoke(&[
        "--output",
        "json",
        "Write me a blog about leadership.",
    ]));
    assert_eq!(run.code, Some(0), "stderr: {}", run.stderr);
    let report = run.json();
    assert_eq!(report["streamed"], true);
    assert_eq!(report["plugin"], "anthropic");
    assert_eq!(report["model_id"], CLAUDE);
    let text = report["text"].as_str().expect("text");
    assert!(text.split_whitespace().count() > 5, "a real answer: {text}");
    assert!(report["chunks"].as_u64().expect("chunks") > 3);
    assert!(report["time_to_first_token_ms"].as_f64().expect("ttft") > 0.0);
    assert!(
        report["latency_ms"].as_f64().expect("latency")
            >= report["time_to_first_token_ms"].as_f64().unwrap_or(0.0)
    );
    assert!(report["input_tokens"].as_u64().expect("input tokens") > 0);
    let output_tokens = report["output_tokens"].as_u64().expect("output tokens");
    assert_eq!(
        output_tokens as usize,
        text.split_whitespace().count(),
        "the local Bedrock counts a word as a token"
    );
    assert!(
        !report["request_id"]
            .as_str()
            .expect("request id")
            .is_empty()
    );
    assert!(matches!(
        report["stop_reason"].as_str(),
        Some("end_turn" | "max_tokens")
    ));
}

#[test]
fn the_streamed_text_is_the_same_as_the_unstreamed_text() {
    let prompt = "Explain the value of a second opinion.";
    let streamed = run(local_invoke(&["--output", "json", prompt])).json();
    let whole = run(local_invoke(&["--no-stream", "--output", "json", prompt])).json();
    assert_eq!(whole["streamed"], false);
    assert_eq!(whole["chunks"], 0);
    assert_eq!(streamed["text"], whole["text"]);
    assert_eq!(streamed["stop_reason"], whole["stop_reason"]);
    assert_eq!(streamed["output_tokens"], whole["output_tokens"]);
    assert_eq!(streamed["input_tokens"], whole["input_tokens"]);
}

#[test]
fn text_output_prints_the_answer_itself() {
    let prompt = "Say something about rivers.";
    let text = run(local_invoke(&[prompt]));
    assert_eq!(text.code, Some(0), "stderr: {}", text.stderr);
    let json = run(local_invoke(&["--output", "json", prompt])).json();
    assert_eq!(
        text.stdout.trim_end(),
        json["text"].as_str().expect("text").trim_end()
    );
}

#[test]
fn max_tokens_cuts_the_answer_with_the_matching_stop_reason() {
    for stream in [true, false] {
        let mut args = vec!["--max-tokens", "5", "--output", "json"];
        if !stream {
            args.push("--no-stream");
        }
        args.push("Tell me a very long story about the sea.");
        let report = run(local_invoke(&args)).json();
        assert_eq!(report["stop_reason"], "max_tokens", "stream={stream}");
        assert_eq!(report["raw_stop_reason"], "max_tokens");
        assert_eq!(report["output_tokens"], 5);
        assert_eq!(
            report["text"]
                .as_str()
                .expect("text")
                .split_whitespace()
                .count(),
            5
        );
    }
}

#[test]
fn a_stop_sequence_from_the_prompt_ends_the_answer() {
    let report = run(local_invoke(&[
        "--stop",
        "zebra",
        "--output",
        "json",
        "Describe a zebra crossing a river.",
    ]))
    .json();
    assert_eq!(report["stop_reason"], "stop_sequence");
    assert!(!report["text"].as_str().expect("text").contains("zebra"));
}

#[test]
fn the_prompt_can_come_from_stdin() {
    let mut command = local_invoke(&["--output", "json", "-"]);
    command.env("RUST_BACKTRACE", "0");
    let piped = run_with_stdin(command, "What is 212 degrees Fahrenheit in Celsius?");
    assert_eq!(piped.code, Some(0), "stderr: {}", piped.stderr);
    let same = run(local_invoke(&[
        "--output",
        "json",
        "What is 212 degrees Fahrenheit in Celsius?",
    ]))
    .json();
    assert_eq!(piped.json()["text"], same["text"]);
    let implicit = run_with_stdin(
        local_invoke(&["--output", "json"]),
        "What is 212 degrees Fahrenheit in Celsius?",
    );
    assert_eq!(implicit.json()["text"], same["text"]);
}

#[test]
fn usage_errors_exit_2() {
    let empty = run(local_invoke(&[]));
    assert_eq!(
        empty.code,
        Some(2),
        "an empty stdin is no prompt: {}",
        empty.stderr
    );
    assert!(empty.stderr.contains("prompt is empty"), "{}", empty.stderr);
    let bad_flag = run(local_invoke(&["--max-tokens", "many", "hi"]));
    assert_eq!(bad_flag.code, Some(2));
    let bad_option = run(local_invoke(&["-o", "novalue", "hi"]));
    assert_eq!(bad_option.code, Some(2));
    let bad_id = run({
        let mut c = bedrock_host();
        c.args(["--local", "invoke", "--model", "has space", "hi"]);
        c
    });
    assert_eq!(bad_id.code, Some(2), "{}", bad_id.stderr);
}

#[test]
fn a_model_no_plugin_serves_lists_the_installed_plugins() {
    let mut command = bedrock_host();
    command.args(["--local", "invoke", "--model", "nobody.model-v1", "hi"]);
    let run = run(command);
    assert_eq!(run.code, Some(3), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("no installed plugin serves `nobody.model-v1`"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("anthropic"),
        "names the installed plugin: {}",
        run.stderr
    );
    assert!(
        run.stderr.contains("anthropic.claude-*"),
        "with its patterns: {}",
        run.stderr
    );
}

#[test]
fn an_invalid_model_id_is_bedrocks_validation_error() {
    let mut command = bedrock_host();
    command.args([
        "--local",
        "invoke",
        "--model",
        "anthropic.claude-does-not-exist-v9:0",
        "hi",
    ]);
    let run = run(command);
    assert_eq!(run.code, Some(4), "{}", run.stderr);
    assert!(run.stderr.contains("ValidationException"), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("The provided model identifier is invalid."),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("request id"), "{}", run.stderr);
}

#[test]
fn cross_region_profiles_and_arns_route_to_the_same_plugin_and_reach_bedrock_as_given() {
    for id in [
        "us.anthropic.claude-3-5-sonnet-20240620-v1:0",
        "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-5-sonnet-20240620-v1:0",
    ] {
        let mut command = bedrock_host();
        command.args([
            "--local",
            "invoke",
            "--no-stream",
            "--output",
            "json",
            "--model",
            id,
            "hi there",
        ]);
        let run = run(command);
        assert_eq!(run.code, Some(0), "{id}: {}", run.stderr);
        assert_eq!(run.json()["model_id"], id);
        assert_eq!(run.json()["plugin"], "anthropic");
    }
}

#[test]
fn plugins_list_shows_the_plugin_and_every_file_it_could_not_load() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::copy(
        plugins_dir().join("anthropic.wasm"),
        dir.path().join("anthropic.wasm"),
    )
    .expect("copy");
    std::fs::write(dir.path().join("broken.wasm"), b"\0asm garbage").expect("write");
    std::fs::write(dir.path().join("empty.wasm"), b"").expect("write");
    let mut command = bedrock_host_without_plugins();
    command
        .args(["--plugins-dir"])
        .arg(dir.path())
        .args(["plugins", "list", "--output", "json"]);
    let listed = run(command);
    assert_eq!(listed.code, Some(0), "{}", listed.stderr);
    let listing = listed.json();
    let plugins = listing["plugins"].as_array().expect("plugins");
    assert_eq!(plugins.len(), 1, "{listing}");
    let anthropic = &plugins[0];
    assert_eq!(anthropic["name"], "anthropic");
    let contract = anthropic["contract"].as_str().expect("contract");
    assert!(
        [
            "bedrock:adapter@0.1.0",
            "bedrock:adapter@0.2.0",
            "bedrock:adapter@0.2.1"
        ]
        .contains(&contract),
        "{contract}"
    );
    let models = anthropic["models"].as_array().expect("models");
    assert!(
        models.iter().any(|m| m["pattern"]
            .as_str()
            .is_some_and(|p| p.starts_with("anthropic.claude"))
            && m["capabilities"]["streaming"] == true),
        "each pattern with its capabilities: {models:?}"
    );
    assert_eq!(anthropic["sha256"].as_str().expect("sha").len(), 64);
    let failures: Vec<&str> = listing["failures"]
        .as_array()
        .expect("failures")
        .iter()
        .filter_map(|f| f.as_str())
        .collect();
    assert_eq!(failures.len(), 2, "{failures:?}");
    assert!(
        failures
            .iter()
            .any(|f| f.contains("broken.wasm") && f.contains("not a valid WebAssembly component")),
        "{failures:?}"
    );
    assert!(
        failures
            .iter()
            .any(|f| f.contains("empty.wasm") && f.contains("empty")),
        "{failures:?}"
    );
}

/// The same binary, pointed at a separately running Bedrock-compatible
/// server with credentials from the environment, works unchanged.
#[test]
fn works_against_a_separate_server_with_credentials_from_the_environment() {
    let mut server = bedrock_host();
    server
        .args(["serve-local", "--port", "0"])
        .args(["--access-key-id", "AKIDSEPARATESERVER"])
        .args(["--secret-access-key", "separate-server-secret"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut child = server.spawn().expect("serve-local starts");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let first = lines.next().expect("a line").expect("utf-8");
    // Keep reading, so the server never writes into a closed pipe.
    std::thread::spawn(move || lines.for_each(drop));
    let endpoint = first.rsplit(' ').next().expect("endpoint").to_owned();
    assert!(endpoint.starts_with("http://127.0.0.1:"), "{first}");

    let invoke = |secret: &str| {
        let mut command = bedrock_host();
        command
            .args([
                "--endpoint-url",
                &endpoint,
                "--region",
                "us-east-1",
                "--max-attempts",
                "1",
            ])
            .args(["invoke", "--model", CLAUDE, "--output", "json", "hello"])
            .env("AWS_ACCESS_KEY_ID", "AKIDSEPARATESERVER")
            .env("AWS_SECRET_ACCESS_KEY", secret);
        run(command)
    };
    let good = invoke("separate-server-secret");
    let wrong = invoke("not-the-secret");
    child.kill().expect("stop the server");
    let _ = child.wait();

    assert_eq!(good.code, Some(0), "{}", good.stderr);
    assert!(!good.json()["text"].as_str().expect("text").is_empty());
    assert_eq!(
        wrong.code,
        Some(6),
        "a wrong secret is a credentials error: {}",
        wrong.stderr
    );
    assert!(
        wrong.stderr.contains("InvalidSignatureException"),
        "{}",
        wrong.stderr
    );
}
