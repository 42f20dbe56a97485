//! `bedrock-host batch run` as a user runs it: a JSON Lines file of records
//! through the real CLI, the real plugins and the real SDK against the
//! local Bedrock; an output line for each record, bad records and AWS
//! refusals recorded as that record's error, a rerun that finishes a
//! partial output, and throttling that is waited out.

use std::io::{Read as _, Write as _};
use std::path::Path;

use serde_json::{Value, json};

use crate::support::{CLAUDE, LocalServer, Run, bedrock_host, run};

/// The exit code of a run in which some records failed.
const SOME_RECORDS_FAILED: i32 = 8;

/// Writes `lines` as the input file `name` in `dir`.
fn input(dir: &Path, name: &str, lines: &[String]) -> std::path::PathBuf {
    let path = dir.join(name);
    let mut text = lines.join("\n");
    text.push('\n');
    std::fs::write(&path, text).expect("write the input");
    path
}

/// The output file's records, by id (as JSON text), checking that each id
/// appears once.
fn output(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).expect("the output file");
    assert!(text.ends_with('\n'), "whole lines only: {text}");
    let records: Vec<Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).expect("each output line is JSON"))
        .collect();
    let mut ids: Vec<String> = records.iter().map(|r| r["id"].to_string()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), records.len(), "one line per id: {text}");
    records
}

fn by_id<'a>(records: &'a [Value], id: &Value) -> &'a Value {
    records
        .iter()
        .find(|record| &record["id"] == id)
        .unwrap_or_else(|| panic!("no output for id {id}: {records:?}"))
}

/// `bedrock-host --local batch run IN -m MODEL --output OUT ARGS`.
fn batch_local(input: &Path, model: &str, out: &Path, args: &[&str]) -> Run {
    let mut command = bedrock_host();
    command
        .args(["--local", "batch", "run"])
        .arg(input)
        .args(["-m", model, "--output"])
        .arg(out)
        .args(args);
    run(command)
}

fn assert_answered(record: &Value) {
    assert!(record.get("error").is_none(), "{record}");
    assert!(
        record["text"].as_str().is_some_and(|t| !t.is_empty()),
        "{record}"
    );
    assert!(record["stop_reason"].is_string(), "{record}");
    assert!(
        record["output_tokens"].as_u64().unwrap_or(0) > 0,
        "{record}"
    );
    assert!(record["tool_calls"].is_array(), "{record}");
}

#[test]
fn good_and_bad_records_each_get_one_line_and_the_exit_code_says_some_failed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let lines = [
        json!({"id": "river", "prompt": "Tell me about rivers."}).to_string(),
        "{\"id\": \"broken\", \"prompt\": ".to_owned(),
        json!({"id": "silent", "system": "Be brief."}).to_string(),
        String::new(),
        json!({"id": 7, "prompt": "Hi", "temprature": 0.2}).to_string(),
        json!({"prompt": "Tell me about seas.", "max_tokens": 4}).to_string(),
    ];
    let input = input(dir.path(), "in.jsonl", &lines);
    let out = dir.path().join("out.jsonl");
    let batch = batch_local(&input, CLAUDE, &out, &["--summary", "json"]);
    assert_eq!(batch.code, Some(SOME_RECORDS_FAILED), "{}", batch.stderr);
    let summary = batch.json();
    assert_eq!(summary["answered"], 2, "{summary}");
    assert_eq!(summary["failed"], 3, "{summary}");
    assert_eq!(summary["exit_code"], SOME_RECORDS_FAILED);

    let records = output(&out);
    assert_eq!(records.len(), 5);
    assert_answered(by_id(&records, &json!("river")));
    let cut = by_id(&records, &json!(6));
    assert_answered(cut);
    assert_eq!(cut["stop_reason"], "max_tokens", "{cut}");
    assert_eq!(cut["line"], 6);
    // A malformed line has no id to keep: its line number stands for it.
    for (id, line, what) in [
        (json!(2), 2, "not JSON"),
        (json!("silent"), 3, "no `prompt`"),
        (json!(7), 5, "temprature"),
    ] {
        let failed = by_id(&records, &id);
        assert_eq!(failed["error"]["name"], "InvalidRecord", "{failed}");
        assert_eq!(failed["line"], line, "{failed}");
        let message = failed["error"]["message"].as_str().unwrap_or_default();
        assert!(
            message.starts_with(&format!("line {line}: ")) && message.contains(what),
            "{failed}"
        );
    }
}

#[test]
fn a_rerun_sends_only_the_records_the_output_lacks_and_drops_a_cut_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let lines: Vec<String> = ["a", "b", "c"]
        .iter()
        .map(|id| json!({"id": id, "prompt": format!("Tell me about lake {id}.")}).to_string())
        .collect();
    let input = input(dir.path(), "in.jsonl", &lines);
    let out = dir.path().join("out.jsonl");
    let earlier = json!({"id": "a", "text": "from the earlier run", "stop_reason": "end_turn"});
    // A crash cut the second record's line short.
    std::fs::write(&out, format!("{earlier}\n{{\"id\": \"b\", \"te")).expect("write");

    let rerun = batch_local(&input, CLAUDE, &out, &["--summary", "json"]);
    assert_eq!(rerun.code, Some(0), "{}", rerun.stderr);
    let summary = rerun.json();
    assert_eq!(summary["skipped"], 1, "{summary}");
    assert_eq!(summary["answered"], 2, "{summary}");
    let records = output(&out);
    assert_eq!(records.len(), 3);
    assert_eq!(records[0], earlier, "the earlier line is kept as it was");
    assert_answered(by_id(&records, &json!("b")));
    assert_answered(by_id(&records, &json!("c")));

    // Run once more: everything is done, nothing is sent or written.
    let before = std::fs::read(&out).expect("read");
    let done = batch_local(&input, CLAUDE, &out, &["--summary", "json"]);
    assert_eq!(done.code, Some(0), "{}", done.stderr);
    assert_eq!(done.json()["skipped"], 3);
    assert_eq!(std::fs::read(&out).expect("read"), before);
}

/// The local Bedrock's current behaviour (what is left of its faults).
fn behaviour(server: &LocalServer) -> Value {
    let address = server.endpoint.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(address).expect("connect to the local Bedrock");
    write!(
        stream,
        "GET /_emulator/behaviour HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )
    .expect("ask for the behaviour");
    let mut reply = String::new();
    stream.read_to_string(&mut reply).expect("read the reply");
    let (_, body) = reply.split_once("\r\n\r\n").expect("a body");
    serde_json::from_str(body).expect("the behaviour is JSON")
}

#[test]
fn throttling_is_waited_out_and_every_record_is_answered() {
    let server = LocalServer::start();
    server.misbehave(&json!({
        "fail_requests": {"count": 12, "status": 429, "error_type": "ThrottlingException", "message": "Too many requests, please wait before trying again."}
    }));
    let dir = tempfile::tempdir().expect("temp dir");
    let lines: Vec<String> = (1..=16)
        .map(|n| json!({"id": format!("r{n}"), "prompt": format!("Count to {n}.")}).to_string())
        .collect();
    let input = input(dir.path(), "in.jsonl", &lines);
    let out = dir.path().join("out.jsonl");
    let mut command = server.command(&["-v", "batch", "run"]);
    command
        .arg(&input)
        .args(["-m", CLAUDE, "--max-concurrency", "4", "--output"])
        .arg(&out);
    let batch = run(command);
    assert_eq!(batch.code, Some(0), "{}", batch.stderr);
    assert_eq!(
        behaviour(&server)["fail_requests"]["count"]
            .as_u64()
            .unwrap_or(0),
        0,
        "every injected throttle was met"
    );
    assert!(
        batch.stderr.contains("ThrottlingException"),
        "the retries are logged with -v: {}",
        batch.stderr
    );
    let records = output(&out);
    assert_eq!(records.len(), 16);
    records.iter().for_each(assert_answered);
}

#[test]
fn an_aws_refusal_is_that_records_error_with_the_aws_error_name() {
    let server = LocalServer::start();
    server.misbehave(&json!({
        "fail_requests": {"count": 1, "status": 400, "error_type": "ValidationException", "message": "Malformed input request."}
    }));
    let dir = tempfile::tempdir().expect("temp dir");
    let lines: Vec<String> = ["first", "second"]
        .iter()
        .map(|id| json!({"id": id, "prompt": "Tell me about rivers."}).to_string())
        .collect();
    let input = input(dir.path(), "in.jsonl", &lines);
    let out = dir.path().join("out.jsonl");
    let mut command = server.command(&["batch", "run"]);
    command
        .arg(&input)
        .args(["-m", CLAUDE, "--max-concurrency", "1", "--output"])
        .arg(&out);
    let batch = run(command);
    assert_eq!(batch.code, Some(SOME_RECORDS_FAILED), "{}", batch.stderr);
    let records = output(&out);
    let refused = by_id(&records, &json!("first"));
    assert_eq!(refused["error"]["name"], "ValidationException", "{refused}");
    assert!(
        refused["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("Malformed input")),
        "{refused}"
    );
    assert_answered(by_id(&records, &json!("second")));
    assert!(
        batch.stderr.contains("1 answered, 1 failed"),
        "{}",
        batch.stderr
    );
}

#[test]
fn two_families_answer_the_same_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let lines = [
        json!({"id": "q1", "prompt": "Write a haiku about rivers.", "max_tokens": 200, "temperature": 0.5}).to_string(),
        json!({"id": "q2", "messages": [
            {"role": "user", "content": "Name a sea."},
            {"role": "assistant", "content": "The North Sea."}
        ], "prompt": "And another?", "system": "Be brief."})
        .to_string(),
    ];
    let input = input(dir.path(), "in.jsonl", &lines);
    for model in [CLAUDE, "meta.llama3-8b-instruct-v1:0"] {
        let out = dir
            .path()
            .join(format!("{}.jsonl", model.replace(':', "-")));
        let batch = batch_local(&input, model, &out, &[]);
        assert_eq!(batch.code, Some(0), "{model}: {}", batch.stderr);
        let records = output(&out);
        assert_eq!(records.len(), 2, "{model}");
        records.iter().for_each(assert_answered);
        assert!(
            batch.stderr.contains("2 answered, 0 failed"),
            "{model}: {}",
            batch.stderr
        );
    }
}

#[test]
fn a_file_that_is_not_json_lines_is_refused_before_anything_is_sent() {
    let dir = tempfile::tempdir().expect("temp dir");
    let input = input(
        dir.path(),
        "in.csv",
        &["id,prompt".to_owned(), "1,hello".to_owned()],
    );
    let out = dir.path().join("out.jsonl");
    // No --local and no credentials: a run that went as far as AWS would
    // fail with a configuration error (6), not a usage error.
    let mut command = bedrock_host();
    command
        .args(["batch", "run"])
        .arg(&input)
        .args(["-m", CLAUDE, "--output"])
        .arg(&out);
    let refused = run(command);
    assert_eq!(refused.code, Some(2), "{}", refused.stderr);
    assert!(
        refused.stderr.contains("not JSON Lines: line 1"),
        "{}",
        refused.stderr
    );
    assert!(!out.exists(), "no output file is made");
}
