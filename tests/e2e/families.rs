//! Every text family, through the CLI against the local Bedrock, streamed
//! and not: the same answer both ways, with a stop reason and token counts,
//! and the family's own limit honoured.

use crate::support::{bedrock_host, run};

/// One model per plugin and body shape, and whether it needs `--raw`.
const MODELS: &[(&str, bool)] = &[
    ("ai21.jamba-instruct-v1:0", false),
    ("amazon.nova-lite-v1:0", false),
    ("amazon.titan-text-express-v1", false),
    ("anthropic.claude-3-5-sonnet-20240620-v1:0", false),
    ("cohere.command-text-v14", true),
    ("cohere.command-r-v1:0", false),
    ("meta.llama3-8b-instruct-v1:0", false),
    ("meta.llama2-13b-chat-v1", false),
    ("mistral.mixtral-8x7b-instruct-v0:1", false),
    ("mistral.mistral-large-2407-v1:0", false),
];

fn invoke(model: &str, raw: bool, stream: bool, extra: &[&str]) -> serde_json::Value {
    let mut command = bedrock_host();
    command.args(["--local", "invoke", "--output", "json", "--model", model]);
    if raw {
        command.arg("--raw");
    }
    if !stream {
        command.arg("--no-stream");
    }
    command
        .args(extra)
        .arg("Write me a blog about making strong business decisions as a leader.");
    let run = run(command);
    assert_eq!(run.code, Some(0), "{model} stream={stream}: {}", run.stderr);
    run.json()
}

#[test]
fn each_family_streams_and_answers_whole_alike() {
    for &(model, raw) in MODELS {
        let streamed = invoke(model, raw, true, &[]);
        let whole = invoke(model, raw, false, &[]);
        let text = whole["text"].as_str().unwrap_or_default();
        assert!(text.split_whitespace().count() > 5, "{model}: {text}");
        assert_eq!(streamed["text"], whole["text"], "{model}");
        assert_eq!(streamed["stop_reason"], whole["stop_reason"], "{model}");
        assert!(streamed["chunks"].as_u64().unwrap_or(0) >= 1, "{model}");
        assert!(whole["stop_reason"].is_string(), "{model}: {whole}");
        assert!(
            whole["output_tokens"].as_u64().unwrap_or(0) > 0,
            "{model}: {whole}"
        );
    }
}

#[test]
fn each_family_honours_max_tokens_with_its_stop_reason() {
    for &(model, raw) in MODELS {
        for stream in [true, false] {
            let cut = invoke(model, raw, stream, &["--max-tokens", "4"]);
            assert_eq!(
                cut["stop_reason"], "max_tokens",
                "{model} stream={stream}: {cut}"
            );
            assert!(
                cut["raw_stop_reason"].is_string(),
                "{model}: the raw value is kept"
            );
            assert_eq!(
                cut["text"]
                    .as_str()
                    .unwrap_or_default()
                    .split_whitespace()
                    .count(),
                4,
                "{model} stream={stream}"
            );
        }
    }
}

#[test]
fn a_setting_a_family_lacks_is_refused_by_name() {
    let mut command = bedrock_host();
    command.args([
        "--local",
        "invoke",
        "--model",
        "meta.llama3-8b-instruct-v1:0",
        "--top-k",
        "5",
        "hi",
    ]);
    let refused = run(command);
    assert_eq!(refused.code, Some(3), "{}", refused.stderr);
    assert!(refused.stderr.contains("--top-k"), "{}", refused.stderr);
}
