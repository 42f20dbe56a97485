//! The conversation log as a user meets it: every exchange through the real
//! CLI against the local Bedrock is logged; `-c`/`--cid` continue a
//! conversation (on another family too); `logs` lists and shows; the log
//! survives a stream cut part-way, a SIGKILL mid-answer and two processes
//! writing at once; `--no-log` and `[history] enabled = false` write
//! nothing; the config file's default model, region and aliases are used.
//!
//! Each test has a log of its own (`BEDROCK_HOST_HISTORY`), so the shared
//! data folder of the run (and its cache key) stays as it is.

use std::io::Read as _;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::{Value, json};

use crate::support::{CLAUDE, LocalServer, Run, run, run_with_stdin};

/// A Llama model: another family, served by another plugin.
const LLAMA: &str = "meta.llama3-8b-instruct-v1:0";

/// A log of one test, in a folder of its own.
struct Log {
    dir: tempfile::TempDir,
}

impl Log {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    fn file(&self) -> PathBuf {
        self.dir.path().join("history").join("history.db")
    }

    /// The CLI pointed at `server`, logging to this log.
    fn command(&self, server: &LocalServer, args: &[&str]) -> Command {
        let mut command = server.command(args);
        command.env("BEDROCK_HOST_HISTORY", self.file());
        command
    }

    /// `bedrock-host ARGS` against `server`, which must succeed.
    fn ok(&self, server: &LocalServer, args: &[&str]) -> Run {
        let run = run(self.command(server, args));
        assert_eq!(run.code, Some(0), "{args:?}: {}", run.stderr);
        run
    }

    /// `logs --json`: the conversations, newest first.
    fn conversations(&self, server: &LocalServer) -> Vec<Value> {
        let listed = self.ok(server, &["logs", "--json", "-n", "100"]).json();
        listed["conversations"]
            .as_array()
            .expect("a list of conversations")
            .clone()
    }

    /// `logs show ID --output json`: the conversation's exchanges.
    fn exchanges(&self, server: &LocalServer, id: &str) -> Vec<Value> {
        let shown = self
            .ok(server, &["logs", "show", id, "--output", "json"])
            .json();
        assert_eq!(shown["id"], id);
        shown["exchanges"].as_array().expect("exchanges").clone()
    }
}

fn text_of(message: &Value) -> String {
    message["content"]
        .as_array()
        .expect("content blocks")
        .iter()
        .filter(|block| block["type"] == "text")
        .map(|block| block["text"].as_str().expect("text"))
        .collect()
}

#[test]
fn an_exchange_is_logged_and_continued_with_its_earlier_turns_on_any_family() {
    let server = LocalServer::start();
    let log = Log::new();
    let first = log
        .ok(
            &server,
            &[
                "invoke",
                "-m",
                CLAUDE,
                "--system",
                "Be brief.",
                "--output",
                "json",
                "Name a river.",
            ],
        )
        .json();
    let id = first["conversation_id"].as_str().expect("an id").to_owned();
    let second = log
        .ok(&server, &["invoke", "-c", "--output", "json", "And a sea?"])
        .json();
    assert_eq!(second["conversation_id"], id, "-c continues the last one");
    assert_eq!(
        second["model_id"], CLAUDE,
        "on its model when -m is not given"
    );
    let first_input = first["input_tokens"].as_u64().expect("input tokens");
    let first_output = first["output_tokens"].as_u64().expect("output tokens");
    assert!(
        second["input_tokens"].as_u64().expect("input tokens") > first_input + first_output,
        "the earlier turns are sent as messages: {second}"
    );
    let third = log
        .ok(
            &server,
            &[
                "invoke",
                "--cid",
                &id[..6],
                "-m",
                LLAMA,
                "--output",
                "json",
                "A lake?",
            ],
        )
        .json();
    assert_eq!(third["conversation_id"], id, "--cid takes a unique prefix");
    assert_eq!(third["plugin"], "meta");

    let conversations = log.conversations(&server);
    assert_eq!(conversations.len(), 1, "{conversations:?}");
    assert_eq!(conversations[0]["id"], id);
    assert_eq!(conversations[0]["turns"], 3);
    assert_eq!(conversations[0]["model_id"], LLAMA);
    assert_eq!(conversations[0]["title"], "Name a river.");
    let exchanges = log.exchanges(&server, &id);
    assert_eq!(exchanges.len(), 3);
    let turn = &exchanges[0];
    assert_eq!(turn["status"], "complete");
    assert_eq!(turn["plugin"], "anthropic");
    assert!(
        turn["plugin_version"]
            .as_str()
            .is_some_and(|v| !v.is_empty())
    );
    assert_eq!(turn["system"], "Be brief.");
    assert_eq!(text_of(&turn["prompt"]), "Name a river.");
    assert_eq!(
        text_of(&turn["answer"]),
        first["text"].as_str().expect("text")
    );
    assert_eq!(turn["stop_reason"], "end_turn");
    assert_eq!(turn["input_tokens"], first["input_tokens"]);
    assert_eq!(turn["request_id"], first["request_id"]);
    assert_eq!(
        exchanges[1]["system"], "Be brief.",
        "the system prompt is kept"
    );
    assert_eq!(exchanges[2]["model_id"], LLAMA);
    assert_eq!(exchanges[2]["plugin"], "meta");

    let listed = log.ok(&server, &["logs"]);
    assert!(
        listed.stdout.contains(&id) && listed.stdout.contains("3 turns"),
        "{}",
        listed.stdout
    );
    let shown = log.ok(&server, &["logs", "show", &id]);
    assert!(
        shown.stdout.contains("## turn 3") && shown.stdout.contains("And a sea?"),
        "{}",
        shown.stdout
    );
}

#[test]
fn an_unknown_cid_exits_2_naming_the_ids_to_try() {
    let server = LocalServer::start();
    let log = Log::new();
    let nothing = run(log.command(&server, &["invoke", "-c", "-m", CLAUDE, "hi"]));
    assert_eq!(nothing.code, Some(2), "{}", nothing.stderr);
    assert!(
        nothing.stderr.contains("no conversation to continue"),
        "{}",
        nothing.stderr
    );
    let first = log
        .ok(&server, &["invoke", "-m", CLAUDE, "--output", "json", "hi"])
        .json();
    let id = first["conversation_id"].as_str().expect("id");
    for args in [
        &["invoke", "--cid", "nosuchid", "hi"][..],
        &["logs", "show", "nosuchid"][..],
    ] {
        let unknown = run(log.command(&server, args));
        assert_eq!(unknown.code, Some(2), "{args:?}: {}", unknown.stderr);
        assert!(
            unknown.stderr.contains("nosuchid") && unknown.stderr.contains(id),
            "{args:?}: {}",
            unknown.stderr
        );
    }
}

#[test]
fn the_log_is_private_to_its_user() {
    let server = LocalServer::start();
    let log = Log::new();
    log.ok(&server, &["invoke", "-m", CLAUDE, "hi"]);
    let mode = |path: &Path| {
        std::fs::metadata(path)
            .expect("exists")
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode(&log.file()), 0o600);
    assert_eq!(mode(log.file().parent().expect("folder")), 0o700);
    std::fs::set_permissions(
        log.file().parent().expect("folder"),
        std::fs::Permissions::from_mode(0o777),
    )
    .expect("chmod");
    let refused = run(log.command(&server, &["logs"]));
    assert_eq!(refused.code, Some(6), "{}", refused.stderr);
    assert!(
        refused.stderr.contains("can write it"),
        "{}",
        refused.stderr
    );
    let answered = run(log.command(&server, &["invoke", "-m", CLAUDE, "hi"]));
    assert_eq!(
        answered.code,
        Some(0),
        "the log never stops an answer: {}",
        answered.stderr
    );
    assert!(
        answered.stderr.contains("not logged"),
        "{}",
        answered.stderr
    );
}

#[test]
fn no_log_and_history_disabled_write_nothing() {
    let server = LocalServer::start();
    let log = Log::new();
    log.ok(&server, &["invoke", "-m", CLAUDE, "--no-log", "hi"]);
    assert!(!log.file().exists(), "--no-log creates no log");
    let config = log.dir.path().join("config.toml");
    std::fs::write(&config, "[history]\nenabled = false\n").expect("write the config");
    let config = config.to_str().expect("utf-8 path");
    log.ok(&server, &["--config", config, "invoke", "-m", CLAUDE, "hi"]);
    assert!(
        !log.file().exists(),
        "[history] enabled = false creates no log"
    );
    log.ok(&server, &["invoke", "-m", CLAUDE, "hi"]);
    assert_eq!(log.conversations(&server).len(), 1, "logged by default");
}

#[test]
fn two_processes_writing_at_once_both_succeed() {
    let server = LocalServer::start();
    let log = Log::new();
    let children: Vec<_> = (0..4)
        .map(|n| {
            let mut command =
                log.command(&server, &["invoke", "-m", CLAUDE, &format!("Question {n}")]);
            command.stdout(Stdio::null()).stderr(Stdio::piped());
            command.spawn().expect("spawn")
        })
        .collect();
    for child in children {
        let output = child.wait_with_output().expect("ends");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(0), "{stderr}");
        assert!(!stderr.contains("not logged"), "{stderr}");
    }
    let conversations = log.conversations(&server);
    assert_eq!(conversations.len(), 4, "{conversations:?}");
    for conversation in &conversations {
        let id = conversation["id"].as_str().expect("id");
        assert_eq!(log.exchanges(&server, id)[0]["status"], "complete");
    }
}

#[test]
fn a_stream_cut_part_way_keeps_the_text_shown() {
    let server = LocalServer::start();
    let log = Log::new();
    server.misbehave(&json!({
        "stream_fault": {"count": 1, "after_chunks": 5, "action": {"kind": "disconnect"}}
    }));
    let cut = run(log.command(&server, &["invoke", "-m", CLAUDE, "Tell me about rivers."]));
    assert_eq!(cut.code, Some(7), "{}", cut.stderr);
    assert!(
        !cut.stdout.trim().is_empty(),
        "part of the answer was shown"
    );
    let id = log.conversations(&server)[0]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let exchange = &log.exchanges(&server, &id)[0];
    assert_eq!(exchange["status"], "failed");
    assert_eq!(text_of(&exchange["answer"]), cut.stdout.trim_end());
    assert!(
        exchange["error"].as_str().is_some_and(|e| !e.is_empty()),
        "{exchange}"
    );
    let continued = log
        .ok(&server, &["invoke", "-c", "--output", "json", "Go on."])
        .json();
    assert_eq!(
        continued["conversation_id"], id,
        "a cut answer can be continued"
    );
}

#[test]
fn a_sigkill_mid_stream_keeps_the_text_shown() {
    let server = LocalServer::start();
    let log = Log::new();
    server.misbehave(&json!({"chunk_delay_ms": 200}));
    let mut command = log.command(&server, &["invoke", "-m", CLAUDE, "Tell me about seas."]);
    command.stdout(Stdio::piped()).stderr(Stdio::null());
    let mut child = command.spawn().expect("spawn");
    let mut stdout = child.stdout.take().expect("stdout");
    let mut shown = vec![0u8; 4096];
    let read = stdout.read(&mut shown).expect("some text arrives");
    assert!(read > 0, "some text was shown before the kill");
    child.kill().expect("SIGKILL");
    child.wait().expect("reaped");
    server.misbehave(&json!({}));
    let id = log.conversations(&server)[0]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let exchange = &log.exchanges(&server, &id)[0];
    assert_eq!(exchange["status"], "pending", "no end was recorded");
    let logged = text_of(&exchange["answer"]);
    let shown = String::from_utf8_lossy(&shown[..read]);
    assert!(
        logged.starts_with(&*shown),
        "everything shown is logged: shown {shown:?}, logged {logged:?}"
    );
}

#[test]
fn the_config_file_gives_the_default_model_region_and_aliases() {
    let server = LocalServer::start();
    let log = Log::new();
    let config = log.dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "default-model = \"claude\"\ndefault-region = \"us-east-1\"\n\n[aliases]\nclaude = \"{CLAUDE}\"\nllama = \"{LLAMA}\"\n"
        ),
    )
    .expect("write the config");
    let config = config.to_str().expect("utf-8 path");
    // No --region: the file's default-region is used.
    let invoke = |args: &[&str]| -> Run {
        let mut command = crate::support::bedrock_host();
        command
            .args([
                "--endpoint-url",
                &server.endpoint,
                "--config",
                config,
                "invoke",
            ])
            .args(args)
            .env("BEDROCK_HOST_HISTORY", log.file())
            .env("AWS_ACCESS_KEY_ID", bedrock_emulator::TEST_ACCESS_KEY_ID)
            .env(
                "AWS_SECRET_ACCESS_KEY",
                bedrock_emulator::TEST_SECRET_ACCESS_KEY,
            );
        run_with_stdin(command, "")
    };
    let defaulted = invoke(&["--output", "json", "hi"]);
    assert_eq!(defaulted.code, Some(0), "{}", defaulted.stderr);
    assert_eq!(
        defaulted.json()["model_id"],
        CLAUDE,
        "default-model, through its alias"
    );
    let aliased = invoke(&["-m", "llama", "--output", "json", "hi"]);
    assert_eq!(aliased.code, Some(0), "{}", aliased.stderr);
    assert_eq!(aliased.json()["model_id"], LLAMA, "-m beats default-model");
    let mut from_env = crate::support::bedrock_host();
    from_env
        .args([
            "--endpoint-url",
            &server.endpoint,
            "--config",
            config,
            "invoke",
            "--output",
            "json",
            "hi",
        ])
        .env("BEDROCK_HOST_MODEL", "llama")
        .env("BEDROCK_HOST_HISTORY", log.file())
        .env("AWS_ACCESS_KEY_ID", bedrock_emulator::TEST_ACCESS_KEY_ID)
        .env(
            "AWS_SECRET_ACCESS_KEY",
            bedrock_emulator::TEST_SECRET_ACCESS_KEY,
        );
    let from_env = run(from_env);
    assert_eq!(from_env.code, Some(0), "{}", from_env.stderr);
    assert_eq!(
        from_env.json()["model_id"],
        LLAMA,
        "the environment beats default-model"
    );

    std::fs::write(config, format!("default-model = \"{CLAUDE}\"\n")).expect("rewrite the config");
    let no_region = invoke(&["hi"]);
    assert_eq!(
        no_region.code,
        Some(6),
        "without default-region there is no region: {}",
        no_region.stderr
    );

    let mut no_model = crate::support::bedrock_host();
    no_model
        .args(["--local", "invoke", "hi"])
        .env("BEDROCK_HOST_HISTORY", log.file());
    let no_model = run(no_model);
    assert_eq!(no_model.code, Some(2), "{}", no_model.stderr);
    assert!(
        no_model.stderr.contains("default-model"),
        "{}",
        no_model.stderr
    );
}

#[test]
fn chat_logs_every_turn_as_one_conversation_and_resumes_it() {
    let server = LocalServer::start();
    let log = Log::new();
    let input = "Name a river.\nAnd a \\\ncontinued line\n\"\"\"\nblock one\nblock two\n\"\"\"\n";
    let chatted = run_with_stdin(log.command(&server, &["chat", "-m", CLAUDE]), input);
    assert_eq!(chatted.code, Some(0), "{}", chatted.stderr);
    assert!(
        chatted.stdout.contains("Name a river."),
        "{}",
        chatted.stdout
    );
    let conversations = log.conversations(&server);
    assert_eq!(conversations.len(), 1, "{conversations:?}");
    let id = conversations[0]["id"].as_str().expect("id").to_owned();
    let exchanges = log.exchanges(&server, &id);
    let prompts: Vec<String> = exchanges.iter().map(|e| text_of(&e["prompt"])).collect();
    assert_eq!(
        prompts,
        [
            "Name a river.",
            "And a \ncontinued line",
            "block one\nblock two"
        ]
    );
    let inputs: Vec<u64> = exchanges
        .iter()
        .map(|e| e["input_tokens"].as_u64().expect("input tokens"))
        .collect();
    assert!(
        inputs[0] < inputs[1] && inputs[1] < inputs[2],
        "each turn sends the earlier ones: {inputs:?}"
    );
    let resumed = run_with_stdin(log.command(&server, &["chat", "--cid", &id]), "More.\n");
    assert_eq!(resumed.code, Some(0), "{}", resumed.stderr);
    assert_eq!(
        log.exchanges(&server, &id).len(),
        4,
        "chat --cid resumes it"
    );
}

#[test]
fn ctrl_c_in_chat_stops_the_answer_keeps_it_and_the_chat_goes_on() {
    use std::io::Write as _;
    let server = LocalServer::start();
    let log = Log::new();
    server.misbehave(&json!({"chunk_delay_ms": 200}));
    let mut command = log.command(&server, &["chat", "-m", CLAUDE]);
    command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin
        .write_all(b"Tell me about seas.\n")
        .expect("first turn");
    let mut stdout = child.stdout.take().expect("stdout");
    let mut shown = vec![0u8; 4096];
    let read = stdout.read(&mut shown).expect("some text arrives");
    assert!(read > 0, "some text was shown before Ctrl-C");
    // SAFETY: kill sends a signal to the child this test started.
    let sent = unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) };
    assert_eq!(sent, 0, "SIGINT sent");
    // Once the answer is stopped (stderr says so), the local Bedrock is
    // made fast again and the next turn is typed.
    let mut stderr = std::io::BufReader::new(child.stderr.take().expect("stderr"));
    let mut said = String::new();
    while !said.contains("(stopped)") {
        let mut line = String::new();
        let read = std::io::BufRead::read_line(&mut stderr, &mut line).expect("stderr");
        assert!(read > 0, "the chat ended instead of going on: {said}");
        said.push_str(&line);
    }
    server.misbehave(&json!({}));
    stdin.write_all(b"Go on.\n").expect("second turn");
    drop(stdin);
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).expect("the rest");
    std::io::Read::read_to_string(&mut stderr, &mut said).expect("the rest of stderr");
    let status = child.wait().expect("ends");
    assert_eq!(status.code(), Some(0), "Ctrl-D leaves: {said}");
    assert!(!rest.trim().is_empty(), "the second turn is answered");
    let id = log.conversations(&server)[0]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let exchanges = log.exchanges(&server, &id);
    assert_eq!(
        exchanges.len(),
        2,
        "one conversation, both turns: {exchanges:?}"
    );
    assert_eq!(exchanges[0]["status"], "interrupted");
    let kept = text_of(&exchanges[0]["answer"]);
    assert!(
        kept.starts_with(&*String::from_utf8_lossy(&shown[..read])),
        "what streamed is kept: {kept:?}"
    );
    assert_eq!(exchanges[1]["status"], "complete");
    assert_eq!(text_of(&exchanges[1]["prompt"]), "Go on.");
}
