//! Tools through the CLI against the local Bedrock: `--tools FILE` in the
//! shapes people have, a tool call shown in text and JSON, `--tool-result`
//! continuing a conversation given as `--messages FILE`, and the refusals
//! that need no request.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::support::{CLAUDE, LocalServer, bedrock_host, run};

fn weather_tools(dir: &Path) -> PathBuf {
    let path = dir.join("tools.json");
    let tools = json!([{
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "The current weather in a city",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
        }
    }]);
    std::fs::write(&path, tools.to_string()).expect("write the tools");
    path
}

/// The CLI with no Bedrock to talk to: for what is refused before sending.
fn offline(args: &[&str]) -> std::process::Command {
    let mut command = bedrock_host();
    command.args(args);
    command
}

fn path_arg(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 path")
}

#[test]
fn a_tool_call_and_its_result_continue_the_conversation() {
    let server = LocalServer::start();
    let dir = tempfile::tempdir().expect("a temp dir");
    let tools = weather_tools(dir.path());
    let prompt = "Use get_weather for Paris.";
    for streamed in [false, true] {
        let mut args = vec![
            "invoke",
            "-m",
            CLAUDE,
            "--output",
            "json",
            "--tools",
            path_arg(&tools),
            prompt,
        ];
        if !streamed {
            args.push("--no-stream");
        }
        let called = run(server.command(&args));
        assert_eq!(called.code, Some(0), "{}\n{}", called.stdout, called.stderr);
        let answer = called.json();
        assert_eq!(answer["stop_reason"], "tool_use", "{answer}");
        let call = &answer["tool_calls"][0];
        assert_eq!(call["name"], "get_weather", "{answer}");
        assert!(call["input"]["city"].is_string(), "{answer}");
        let id = call["id"].as_str().expect("a call id");

        let conversation = dir.path().join("conversation.json");
        let history = json!([{"role": "user", "content": prompt}, answer["message"]]);
        std::fs::write(&conversation, history.to_string()).expect("write the conversation");
        let result = format!("{id}={{\"temperature_c\": 21, \"sky\": \"clear\"}}");
        let mut args = vec![
            "invoke",
            "-m",
            CLAUDE,
            "--output",
            "json",
            "--tools",
            path_arg(&tools),
            "--messages",
            path_arg(&conversation),
            "--tool-result",
            &result,
        ];
        if !streamed {
            args.push("--no-stream");
        }
        let continued = run(server.command(&args));
        assert_eq!(
            continued.code,
            Some(0),
            "{}\n{}",
            continued.stdout,
            continued.stderr
        );
        let answer = continued.json();
        assert_eq!(answer["stop_reason"], "end_turn", "{answer}");
        assert_eq!(answer["tool_calls"], json!([]), "{answer}");
        assert!(
            !answer["text"].as_str().unwrap_or_default().is_empty(),
            "{answer}"
        );
    }
}

#[test]
fn a_tool_call_is_one_line_after_the_text_on_stdout() {
    let server = LocalServer::start();
    let dir = tempfile::tempdir().expect("a temp dir");
    let tools = weather_tools(dir.path());
    let done = run(server.command(&[
        "invoke",
        "-m",
        CLAUDE,
        "--tools",
        path_arg(&tools),
        "Use get_weather for Oslo.",
    ]));
    assert_eq!(
        done.code,
        Some(0),
        "a tool-use stop is a success: {}",
        done.stderr
    );
    let line = done
        .stdout
        .lines()
        .find_map(|line| line.strip_prefix("tool call "))
        .unwrap_or_else(|| panic!("no tool call line: {}", done.stdout));
    let mut fields = line.splitn(3, ' ');
    let (id, name, input) = (
        fields.next().expect("an id"),
        fields.next().expect("a name"),
        fields.next().expect("an input"),
    );
    assert!(!id.is_empty());
    assert_eq!(name, "get_weather");
    let input: Value = serde_json::from_str(input).expect("the input is JSON");
    assert!(input["city"].is_string(), "{input}");
}

#[test]
fn a_named_tool_choice_must_name_a_tool_and_results_must_answer_a_call() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let tools = weather_tools(dir.path());
    let unknown = run(offline(&[
        "invoke",
        "-m",
        CLAUDE,
        "--tools",
        path_arg(&tools),
        "--tool-choice",
        "get_time",
        "hi",
    ]));
    assert_eq!(unknown.code, Some(2), "{}", unknown.stderr);
    assert!(
        unknown.stderr.contains("get_weather"),
        "names the tools: {}",
        unknown.stderr
    );

    let conversation = dir.path().join("conversation.json");
    let history = json!([
        {"role": "user", "content": "Weather?"},
        {"role": "assistant", "content": [{"type": "tool_call", "id": "toolu_01", "name": "get_weather", "input": {"city": "Oslo"}}]}
    ]);
    std::fs::write(&conversation, history.to_string()).expect("write the conversation");
    let wrong_id = run(offline(&[
        "invoke",
        "-m",
        CLAUDE,
        "--tools",
        path_arg(&tools),
        "--messages",
        path_arg(&conversation),
        "--tool-result",
        "toolu_99=1",
    ]));
    assert_eq!(wrong_id.code, Some(2), "{}", wrong_id.stderr);
    assert!(
        wrong_id.stderr.contains("toolu_01"),
        "names the calls: {}",
        wrong_id.stderr
    );

    let no_history = run(offline(&[
        "invoke",
        "-m",
        CLAUDE,
        "--tool-result",
        "toolu_01=1",
        "hi",
    ]));
    assert_eq!(no_history.code, Some(2), "{}", no_history.stderr);

    let bad_file = dir.path().join("bad.json");
    std::fs::write(&bad_file, r#"[{"name": "has space"}]"#).expect("write");
    let bad = run(offline(&[
        "invoke",
        "-m",
        CLAUDE,
        "--tools",
        path_arg(&bad_file),
        "hi",
    ]));
    assert_eq!(bad.code, Some(2), "{}", bad.stderr);
    assert!(bad.stderr.contains("has space"), "{}", bad.stderr);
}

#[test]
fn a_model_without_tools_is_refused_before_sending() {
    let server = LocalServer::start();
    let dir = tempfile::tempdir().expect("a temp dir");
    let tools = weather_tools(dir.path());
    let refused = run(server.command(&[
        "invoke",
        "-m",
        "meta.llama3-1-8b-instruct-v1:0",
        "--tools",
        path_arg(&tools),
        "Use get_weather.",
    ]));
    assert_ne!(refused.code, Some(0), "{}", refused.stdout);
    assert!(refused.stderr.contains("tools"), "{}", refused.stderr);
    assert!(
        crate::attachments::invocations(&server).is_empty(),
        "nothing was sent"
    );
}
