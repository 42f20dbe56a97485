//! The OpenAI plugin (gpt-oss, OpenAI's chat completion body) through the
//! CLI against the local Bedrock, streamed and not: answers with their
//! `<reasoning>` shown apart from the answer, a tool call and the result
//! that continues it, the body `--dry-run` shows, the refusal of an image,
//! and `plugins list` naming the family.

use std::path::PathBuf;

use serde_json::Value;

use crate::support::{bedrock_host, run};

/// The smaller gpt-oss model.
const GPT_OSS: &str = "openai.gpt-oss-20b-1:0";

/// The prompt naming the tool, which makes the local Bedrock call it.
const ASK: &str = "What is the weather in Paris? Use get_weather.";

/// A folder holding `tools.json` (one `get_weather` tool, in OpenAI's own
/// form) and `dot.png` (a one-pixel PNG), removed on drop.
struct Inputs {
    dir: tempfile::TempDir,
}

impl Inputs {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let tools = serde_json::json!([{
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "The weather in a city",
                "parameters": {"type": "object",
                               "properties": {"city": {"type": "string"}},
                               "required": ["city"]},
            },
        }]);
        std::fs::write(dir.path().join("tools.json"), tools.to_string()).expect("tools.json");
        std::fs::write(dir.path().join("dot.png"), one_pixel_png()).expect("dot.png");
        Self { dir }
    }

    /// The path of `name` in the folder, as text.
    fn path(&self, name: &str) -> String {
        let path: PathBuf = self.dir.path().join(name);
        path.to_str().expect("utf-8 path").to_owned()
    }
}

/// A valid 1x1 PNG (one green pixel).
fn one_pixel_png() -> Vec<u8> {
    const PNG: &str = "89504e470d0a1a0a0000000d49484452000000010000000108020000009077\
                       53de0000000c49444154789c63f8cfc0000003010100c9fe92ef0000000049\
                       454e44ae426082";
    (0..PNG.len())
        .step_by(2)
        .map(|at| u8::from_str_radix(&PNG[at..at + 2], 16).expect("hex"))
        .collect()
}

/// `invoke --local` of gpt-oss with `args`, streamed or not; stdout and
/// stderr, after checking it exited with `code`.
fn invoke(stream: bool, args: &[&str], code: i32) -> (String, String) {
    let mut command = bedrock_host();
    command.args(["--local", "invoke", "--model", GPT_OSS]);
    if !stream {
        command.arg("--no-stream");
    }
    command.args(args);
    let run = run(command);
    assert_eq!(
        run.code,
        Some(code),
        "stream={stream} {args:?}: {}\n{}",
        run.stdout,
        run.stderr
    );
    (run.stdout, run.stderr)
}

/// As [`invoke`] with `--output json`, expecting success: the answer.
fn invoke_json(stream: bool, args: &[&str]) -> Value {
    let mut json_args = vec!["--output", "json"];
    json_args.extend(args);
    let (stdout, _) = invoke(stream, &json_args, 0);
    serde_json::from_str(stdout.trim()).expect("one JSON object")
}

#[test]
fn gpt_oss_answers_with_its_reasoning_apart() {
    for stream in [true, false] {
        let args = ["--no-log", "--reasoning-effort", "low", "Name a river."];
        let answer = invoke_json(stream, &args);
        assert_eq!(answer["plugin"], "openai", "{answer}");
        assert_eq!(answer["streamed"], stream, "{answer}");
        assert_eq!(
            answer["reasoning"], "Reasoning at low effort about: Name a river.",
            "the effort reached the model, and its reasoning came back apart: {answer}"
        );
        let text = answer["text"].as_str().unwrap_or_default();
        assert!(text.starts_with("Name a river."), "{answer}");
        assert!(
            !text.contains("reasoning"),
            "no tag or reasoning in the answer: {text}"
        );
        assert_eq!(answer["stop_reason"], "end_turn", "{answer}");
        assert!(answer["input_tokens"].as_u64().unwrap_or(0) > 0, "{answer}");
        assert!(
            answer["output_tokens"].as_u64().unwrap_or(0) > 0,
            "{answer}"
        );

        let (stdout, stderr) = invoke(stream, &args, 0);
        assert!(
            stdout.contains("Name a river."),
            "the answer on stdout: {stdout}"
        );
        assert!(
            !stdout.contains("Reasoning at"),
            "no reasoning on stdout: {stdout}"
        );
        assert!(
            stderr.contains("Reasoning at low effort about: Name a river."),
            "the reasoning on stderr: {stderr}"
        );
    }
}

#[test]
fn gpt_oss_stops_at_max_tokens_as_asked() {
    for stream in [true, false] {
        let args = ["--no-log", "--max-tokens", "2", "one two three four"];
        let answer = invoke_json(stream, &args);
        assert_eq!(answer["stop_reason"], "max_tokens", "{answer}");
        assert_eq!(answer["raw_stop_reason"], "length", "{answer}");
        assert_eq!(answer["text"], "one two", "{answer}");
    }
}

#[test]
fn gpt_oss_calls_a_tool_and_answers_from_its_result() {
    let inputs = Inputs::new();
    let tools = inputs.path("tools.json");
    for stream in [true, false] {
        let called = invoke_json(stream, &["--tools", &tools, ASK]);
        assert_eq!(called["stop_reason"], "tool_use", "{called}");
        assert_eq!(called["raw_stop_reason"], "tool_calls", "{called}");
        let calls = called["tool_calls"].as_array().cloned().unwrap_or_default();
        assert_eq!(calls.len(), 1, "{called}");
        assert_eq!(calls[0]["name"], "get_weather", "{called}");
        assert_eq!(calls[0]["input"], serde_json::json!({"city": "example"}));
        assert!(called["reasoning"].is_string(), "{called}");
        let id = calls[0]["id"].as_str().expect("a call id");
        assert!(id.starts_with("call_"), "{id}");
        let cid = called["conversation_id"]
            .as_str()
            .expect("a conversation id");

        let result = format!("{id}={{\"celsius\":21}}");
        let args = ["--cid", cid, "--tools", &tools, "--tool-result", &result];
        let answered = invoke_json(stream, &args);
        assert_eq!(answered["stop_reason"], "end_turn", "{answered}");
        let text = answered["text"].as_str().unwrap_or_default();
        assert!(text.contains("21"), "answers from the result: {text}");
    }
}

#[test]
fn the_body_is_openai_chat_completion() {
    let mut command = bedrock_host();
    command.args([
        "invoke",
        "--dry-run",
        "--output",
        "json",
        "--model",
        GPT_OSS,
        "--system",
        "Be brief.",
        "--max-tokens",
        "64",
        "--stop",
        "END",
        "--reasoning-budget",
        "20000",
        "Hi",
    ]);
    let shown = run(command);
    assert_eq!(shown.code, Some(0), "{}", shown.stderr);
    let body = shown.json()["body"].clone();
    assert_eq!(
        body,
        serde_json::json!({
            "messages": [{"role": "system", "content": "Be brief."},
                         {"role": "user", "content": "Hi"}],
            "max_completion_tokens": 64, "stop": ["END"], "reasoning_effort": "high",
            "stream": true,
        })
    );
}

#[test]
fn gpt_oss_refuses_an_image_by_name() {
    let inputs = Inputs::new();
    let dot = inputs.path("dot.png");
    let (_, stderr) = invoke(false, &["--no-log", "-a", &dot, "What is this?"], 2);
    assert!(stderr.contains(GPT_OSS), "{stderr}");
    assert!(stderr.contains("image"), "{stderr}");
}

#[test]
fn plugins_list_shows_the_openai_family() {
    let mut command = bedrock_host();
    command.args(["plugins", "list", "--output", "json"]);
    let listed = run(command);
    assert_eq!(listed.code, Some(0), "{}", listed.stderr);
    let listing = listed.json();
    let openai = listing["plugins"]
        .as_array()
        .expect("plugins")
        .iter()
        .find(|plugin| plugin["name"] == "openai")
        .unwrap_or_else(|| panic!("openai is listed: {listing}"));
    let models = openai["models"].as_array().expect("models");
    assert_eq!(models.len(), 1, "{models:?}");
    assert_eq!(models[0]["pattern"], "openai.gpt-oss-*");
    let capabilities = &models[0]["capabilities"];
    assert_eq!(capabilities["tools"], true, "{capabilities}");
    assert_eq!(capabilities["reasoning"], true, "{capabilities}");
    assert!(capabilities["images"].is_null(), "{capabilities}");
}
