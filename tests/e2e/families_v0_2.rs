//! Contract 0.2 features of the Mistral, Jamba, Command R and Llama
//! plugins, through the CLI against the local Bedrock, streamed and not:
//! each body the plugin builds is one the local Bedrock (which learned the
//! family from AWS's documentation on its own) accepts, and each answer it
//! gives back is read as the contract says.

use std::path::PathBuf;

use crate::support::{bedrock_host, run};

/// The models with tools, one per plugin and body shape.
const TOOL_MODELS: &[&str] = &[
    "mistral.mistral-large-2407-v1:0",
    "mistral.mistral-large-2402-v1:0",
    "ai21.jamba-1-5-mini-v1:0",
    "cohere.command-r-v1:0",
];

/// The prompt naming the tool, which makes the local Bedrock call it.
const ASK: &str = "What is the weather in Paris? Use get_weather.";

/// A folder holding `tools.json` (one `get_weather` tool) and `dot.png`
/// (a one-pixel PNG), removed on drop.
struct Inputs {
    dir: tempfile::TempDir,
}

impl Inputs {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let tools = serde_json::json!([{
            "name": "get_weather",
            "description": "The weather in a city",
            "input_schema": {"type": "object",
                             "properties": {"city": {"type": "string", "description": "The city"}},
                             "required": ["city"]},
        }]);
        std::fs::write(dir.path().join("tools.json"), tools.to_string()).expect("tools.json");
        std::fs::write(dir.path().join("dot.png"), one_pixel_png()).expect("dot.png");
        Self { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
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

/// `invoke --output json` against the local Bedrock; the run's JSON, after
/// checking it exited with `code`.
fn invoke(model: &str, stream: bool, args: &[&str], code: i32) -> (serde_json::Value, String) {
    let mut command = bedrock_host();
    command.args([
        "--local", "invoke", "--no-log", "--output", "json", "--model", model,
    ]);
    if !stream {
        command.arg("--no-stream");
    }
    command.args(args);
    let run = run(command);
    assert_eq!(
        run.code,
        Some(code),
        "{model} stream={stream}: {}",
        run.stderr
    );
    let json = if code == 0 {
        run.json()
    } else {
        serde_json::Value::Null
    };
    (json, run.stderr)
}

#[test]
fn mistral_jamba_and_command_r_call_tools() {
    let inputs = Inputs::new();
    let tools = inputs.path("tools.json");
    let tools = tools.to_str().expect("utf-8 path");
    for &model in TOOL_MODELS {
        for stream in [true, false] {
            let (answer, _) = invoke(model, stream, &["--tools", tools, ASK], 0);
            assert_eq!(
                answer["stop_reason"], "tool_use",
                "{model} {stream}: {answer}"
            );
            let calls = answer["tool_calls"].as_array().cloned().unwrap_or_default();
            assert_eq!(calls.len(), 1, "{model} {stream}: {answer}");
            assert_eq!(calls[0]["name"], "get_weather", "{model}");
            assert!(calls[0]["input"]["city"].is_string(), "{model}: {answer}");
            assert!(
                calls[0]["id"].as_str().is_some_and(|id| !id.is_empty()),
                "{model}"
            );
        }
    }
}

#[test]
fn mistral_is_made_to_call_a_tool_and_refuses_a_named_one() {
    let inputs = Inputs::new();
    let tools = inputs.path("tools.json");
    let tools = tools.to_str().expect("utf-8 path");
    let model = "mistral.mistral-large-2407-v1:0";
    let args = ["--tools", tools, "--tool-choice", "any", "Hello."];
    let (answer, _) = invoke(model, false, &args, 0);
    assert_eq!(answer["tool_calls"][0]["name"], "get_weather", "{answer}");
    let named = ["--tools", tools, "--tool-choice", "get_weather", ASK];
    let (_, stderr) = invoke(model, false, &named, 3);
    assert!(stderr.contains("named tool choice"), "{stderr}");
}

#[test]
fn a_tool_result_continues_each_family() {
    let inputs = Inputs::new();
    let tools = inputs.path("tools.json");
    let tools = tools.to_str().expect("utf-8 path");
    for &model in TOOL_MODELS {
        for stream in [true, false] {
            let mut first = bedrock_host();
            first.args(["--local", "invoke", "--output", "json", "--model", model]);
            first.args(["--tools", tools, ASK]);
            let called = run(first);
            assert_eq!(called.code, Some(0), "{model}: {}", called.stderr);
            let called = called.json();
            let id = called["tool_calls"][0]["id"].as_str().expect("a call id");
            let cid = called["conversation_id"]
                .as_str()
                .expect("a conversation id");
            let result = format!("{id}={{\"celsius\":21}}");
            let mut second = bedrock_host();
            second.args(["--local", "invoke", "--output", "json", "--model", model]);
            if !stream {
                second.arg("--no-stream");
            }
            second.args(["--cid", cid, "--tools", tools, "--tool-result", &result]);
            let answered = run(second);
            assert_eq!(answered.code, Some(0), "{model}: {}", answered.stderr);
            let answered = answered.json();
            assert_ne!(answered["stop_reason"], "tool_use", "{model}: {answered}");
            let text = answered["text"].as_str().unwrap_or_default();
            assert!(
                text.contains("21"),
                "{model} answers from the result: {text}"
            );
        }
    }
}

#[test]
fn llama_vision_models_take_images_and_older_ones_refuse_them() {
    let inputs = Inputs::new();
    let dot = inputs.path("dot.png");
    let dot = dot.to_str().expect("utf-8 path");
    for model in [
        "meta.llama3-2-11b-instruct-v1:0",
        "us.meta.llama4-scout-17b-instruct-v1:0",
    ] {
        for stream in [true, false] {
            let (answer, _) = invoke(model, stream, &["-a", dot, "What is in this image?"], 0);
            let text = answer["text"].as_str().unwrap_or_default();
            assert!(!text.is_empty(), "{model} {stream}: {answer}");
            assert!(answer["input_tokens"].as_u64().unwrap_or(0) > 0, "{answer}");
        }
    }
    let (_, stderr) = invoke(
        "meta.llama3-1-8b-instruct-v1:0",
        false,
        &["-a", dot, "What is in this image?"],
        2,
    );
    assert!(
        stderr.contains("meta.llama3-1-8b-instruct-v1:0"),
        "{stderr}"
    );
}
