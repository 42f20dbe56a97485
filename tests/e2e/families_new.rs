//! The families Bedrock added since the notebook (issue 13), through the
//! CLI and their real plugins against the local Bedrock: DeepSeek-R1 with
//! its thinking returned apart from its answer, and Writer Palmyra X4 and
//! X5, streamed and not.

use crate::support::{LocalServer, run};

/// DeepSeek-R1, which Bedrock serves through an inference profile.
const DEEPSEEK_R1: &str = "us.deepseek.r1-v1:0";

/// The Palmyra models, which Bedrock serves through inference profiles.
const PALMYRA: [&str; 2] = ["us.writer.palmyra-x4-v1:0", "us.writer.palmyra-x5-v1:0"];

#[test]
fn deepseek_r1_thinking_is_reasoning_and_the_rest_the_answer() {
    let server = LocalServer::start();
    let mut answers = Vec::new();
    for streamed in [true, false] {
        let mut args = vec![
            "invoke",
            "-m",
            DEEPSEEK_R1,
            "--max-tokens",
            "40",
            "--output",
            "json",
            "--no-log",
            "Name a river",
        ];
        if !streamed {
            args.push("--no-stream");
        }
        let answered = run(server.command(&args));
        assert_eq!(
            answered.code,
            Some(0),
            "{}\n{}",
            answered.stdout,
            answered.stderr
        );
        let object = answered.json();
        assert_eq!(object["plugin"], "deepseek", "{object}");
        assert_eq!(object["streamed"], streamed, "{object}");
        let reasoning = object["reasoning"].as_str().expect("reasoning").to_owned();
        let text = object["text"].as_str().expect("text").to_owned();
        assert!(
            reasoning.starts_with("Name a river"),
            "the thinking restates the question: {object}"
        );
        assert!(!text.is_empty(), "{object}");
        for part in [&reasoning, &text] {
            assert!(
                !part.contains("think>") && !part.contains("</th"),
                "no tag is shown: {object}"
            );
        }
        assert!(
            !text.contains(&reasoning) && !reasoning.contains(&text),
            "{object}"
        );
        assert!(
            object["input_tokens"].as_u64().is_some_and(|n| n > 0),
            "{object}"
        );
        answers.push((reasoning, text));
    }
    assert_eq!(answers[0], answers[1], "streamed and not, the same split");

    let shown = run(server.command(&[
        "invoke",
        "-m",
        DEEPSEEK_R1,
        "--max-tokens",
        "40",
        "--no-log",
        "Name a river",
    ]));
    assert_eq!(shown.code, Some(0), "{}", shown.stderr);
    let (reasoning, text) = &answers[0];
    assert_eq!(
        shown.stdout.trim(),
        text.trim(),
        "only the answer on stdout"
    );
    assert!(
        shown.stderr.contains(reasoning.as_str()),
        "{}",
        shown.stderr
    );
}

#[test]
fn deepseek_r1_stopped_while_thinking_and_its_refusals() {
    let server = LocalServer::start();
    let stopped = run(server.command(&[
        "invoke",
        "-m",
        DEEPSEEK_R1,
        "--max-tokens",
        "1",
        "--output",
        "json",
        "--no-log",
        "Hi",
    ]));
    assert_eq!(stopped.code, Some(0), "{}", stopped.stderr);
    let object = stopped.json();
    assert_eq!(object["stop_reason"], "max_tokens", "{object}");
    assert_eq!(object["raw_stop_reason"], "length", "{object}");
    assert_eq!(
        object["text"].as_str().unwrap_or_default(),
        "",
        "stopped before any answer: {object}"
    );
    assert_eq!(object["reasoning"], "Hi", "{object}");

    for (flag, value) in [("--top-k", "5"), ("--reasoning-effort", "high")] {
        let refused =
            run(server.command(&["invoke", "-m", DEEPSEEK_R1, flag, value, "--no-log", "Hi"]));
        assert_eq!(refused.code, Some(3), "{flag}: {}", refused.stderr);
        assert!(refused.stderr.contains(flag), "{flag}: {}", refused.stderr);
    }
}

#[test]
fn writer_palmyra_answers_streamed_and_not() {
    let server = LocalServer::start();
    for model in PALMYRA {
        let mut answers = Vec::new();
        for streamed in [true, false] {
            let mut args = vec![
                "invoke",
                "-m",
                model,
                "--system",
                "Be brief.",
                "--stop",
                "zebra",
                "--seed",
                "7",
                "-o",
                "min_tokens=2",
                "--output",
                "json",
                "--no-log",
                "Name a river",
            ];
            if !streamed {
                args.push("--no-stream");
            }
            let answered = run(server.command(&args));
            assert_eq!(
                answered.code,
                Some(0),
                "{model}: {}\n{}",
                answered.stdout,
                answered.stderr
            );
            let object = answered.json();
            assert_eq!(object["plugin"], "writer", "{object}");
            assert_eq!(object["streamed"], streamed, "{object}");
            let text = object["text"].as_str().expect("text").to_owned();
            assert!(text.starts_with("Name a river"), "{object}");
            assert!(
                text.split_whitespace().count() > 16,
                "more than Writer's default of 16 tokens: {object}"
            );
            assert_eq!(object["stop_reason"], "end_turn", "{object}");
            assert!(
                object["output_tokens"].as_u64().is_some_and(|n| n > 16),
                "{object}"
            );
            answers.push(text);
        }
        assert_eq!(
            answers[0], answers[1],
            "{model}: streamed and not, the same answer"
        );
    }
}

#[test]
fn writer_palmyra_refuses_by_name_what_its_body_has_no_place_for() {
    let server = LocalServer::start();
    let tools =
        std::env::temp_dir().join(format!("families-new-tools-{}.json", std::process::id()));
    std::fs::write(
        &tools,
        r#"[{"name": "get_weather", "description": "Weather", "input_schema": {"type": "object"}}]"#,
    )
    .expect("write the tools file");
    let tools_arg = tools.to_string_lossy().into_owned();
    for (args, named) in [
        (vec!["--top-k", "5"], "--top-k"),
        (vec!["--raw"], "--raw"),
        (vec!["--tools", tools_arg.as_str()], "tools"),
    ] {
        let mut command = vec!["invoke", "-m", PALMYRA[1], "--no-log"];
        command.extend(args);
        command.push("Hi");
        let refused = run(server.command(&command));
        assert!(
            matches!(refused.code, Some(2 | 3)),
            "{named}: {}",
            refused.stderr
        );
        assert!(
            refused.stderr.contains(named),
            "{named}: {}",
            refused.stderr
        );
    }
    std::fs::remove_file(tools).expect("remove the tools file");
}
