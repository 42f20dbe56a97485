//! Reasoning and prompt caching through the CLI against the local Bedrock:
//! reasoning shown apart from the answer (stderr in text mode, `reasoning`
//! in JSON), its flags' rules, and `--cache` giving cache token counts.

use serde_json::Value;

use crate::support::{LocalServer, bedrock_host, run};

/// A Claude model with extended thinking and prompt caching.
const THINKING_CLAUDE: &str = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";

#[test]
fn reasoning_is_shown_apart_from_the_answer() {
    let server = LocalServer::start();
    let args = [
        "invoke",
        "-m",
        THINKING_CLAUDE,
        "--max-tokens",
        "2048",
        "--reasoning-budget",
        "1024",
    ];
    for streamed in [true, false] {
        let mut json_args = args.to_vec();
        json_args.extend(["--output", "json", "Why is the sky blue?"]);
        if !streamed {
            json_args.push("--no-stream");
        }
        let answered = run(server.command(&json_args));
        assert_eq!(
            answered.code,
            Some(0),
            "{}\n{}",
            answered.stdout,
            answered.stderr
        );
        let object = answered.json();
        let reasoning = object["reasoning"].as_str().unwrap_or_default().to_owned();
        let text = object["text"].as_str().unwrap_or_default().to_owned();
        assert!(!reasoning.is_empty(), "{object}");
        assert!(!text.is_empty() && !text.contains(&reasoning), "{object}");
        let signed = object["message"]["content"]
            .as_array()
            .expect("the answer as a message")
            .iter()
            .any(|item| item["type"] == "reasoning" && item["signature"].is_string());
        assert!(
            signed,
            "the reasoning keeps its signature for the next turn: {object}"
        );

        let mut text_args = args.to_vec();
        text_args.push("Why is the sky blue?");
        if !streamed {
            text_args.push("--no-stream");
        }
        let shown = run(server.command(&text_args));
        assert_eq!(shown.code, Some(0), "{}", shown.stderr);
        assert!(!shown.stdout.trim().is_empty(), "the answer is on stdout");
        let first_reasoning_line = reasoning
            .lines()
            .find(|line| !line.trim().is_empty())
            .expect("a line");
        assert!(
            shown.stderr.contains(first_reasoning_line),
            "reasoning on stderr: {}",
            shown.stderr
        );
        assert!(
            !shown.stdout.contains(first_reasoning_line),
            "not on stdout: {}",
            shown.stdout
        );
    }
}

#[test]
fn no_reasoning_unless_asked_and_effort_and_budget_exclude_each_other() {
    let server = LocalServer::start();
    let plain = run(server.command(&[
        "invoke",
        "-m",
        THINKING_CLAUDE,
        "--output",
        "json",
        "Why is the sky blue?",
    ]));
    assert_eq!(plain.code, Some(0), "{}", plain.stderr);
    assert_eq!(plain.json()["reasoning"], Value::Null, "{}", plain.stdout);

    let mut both = bedrock_host();
    both.args([
        "invoke",
        "-m",
        THINKING_CLAUDE,
        "--reasoning-effort",
        "low",
        "--reasoning-budget",
        "2000",
        "hi",
    ]);
    let both = run(both);
    assert_eq!(both.code, Some(2), "{}", both.stderr);

    let sent_before = crate::attachments::invocations(&server).len();
    let refused = run(server.command(&[
        "invoke",
        "-m",
        "meta.llama3-1-8b-instruct-v1:0",
        "--reasoning-effort",
        "high",
        "hi",
    ]));
    assert_ne!(refused.code, Some(0), "{}", refused.stdout);
    assert!(refused.stderr.contains("reasoning"), "{}", refused.stderr);
    assert_eq!(
        crate::attachments::invocations(&server).len(),
        sent_before,
        "nothing was sent"
    );
}

#[test]
fn cache_points_give_a_write_then_a_read() {
    let server = LocalServer::start();
    let system = "You are a careful assistant. ".repeat(200);
    let args = [
        "invoke",
        "-m",
        THINKING_CLAUDE,
        "--output",
        "json",
        "--cache",
        "--system",
        &system,
        "Hello",
    ];
    let first = run(server.command(&args));
    assert_eq!(first.code, Some(0), "{}", first.stderr);
    let first = first.json();
    assert!(
        first["cache_write_tokens"].as_u64().is_some_and(|n| n > 0),
        "{first}"
    );
    let second = run(server.command(&args)).json();
    assert!(
        second["cache_read_tokens"].as_u64().is_some_and(|n| n > 0),
        "{second}"
    );

    let plain = run(server.command(&[
        "invoke",
        "-m",
        THINKING_CLAUDE,
        "--output",
        "json",
        "--system",
        &system,
        "Hello",
    ]))
    .json();
    for key in ["cache_read_tokens", "cache_write_tokens"] {
        assert!(
            plain[key].is_null() || plain[key] == 0,
            "no cache points, no cache tokens: {plain}"
        );
    }
}
