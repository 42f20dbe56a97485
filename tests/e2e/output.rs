//! Output is never lost, and nothing is overwritten that was not asked
//! for: a closed pipe ends quietly (exit 141), `--out` writes regular files
//! only and keeps an image it cannot write, `--output json` is exactly one
//! object whatever happens (errors before any call, clap's refusals,
//! Ctrl-C), and a prompt argument with piped stdin uses both. All through
//! the real binary, the real plugins and the local Bedrock.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use crate::support::{CLAUDE, LocalServer, Run, bedrock_host, run, run_with_stdin};

/// The image model of the notebook.
const SDXL: &str = "stability.stable-diffusion-xl-v1";

/// The PNG signature.
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n";

/// The one JSON value on `stdout`, which must be an object.
fn exactly_one_object(run: &Run) -> serde_json::Value {
    let mut values =
        serde_json::Deserializer::from_str(&run.stdout).into_iter::<serde_json::Value>();
    let first = match values.next() {
        Some(Ok(value)) => value,
        other => panic!(
            "stdout is not a JSON value ({other:?}):\n{}\nstderr:\n{}",
            run.stdout, run.stderr
        ),
    };
    assert!(
        values.next().is_none(),
        "more than one value on stdout:\n{}",
        run.stdout
    );
    assert!(first.is_object(), "{first}");
    first
}

/// Runs `command` with its stdout closed before it writes anything, and
/// waits for it.
fn run_with_stdout_closed(mut command: Command) -> Run {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("the bedrock-host binary runs");
    drop(child.stdout.take());
    child
        .wait_with_output()
        .expect("bedrock-host finishes")
        .into()
}

fn assert_ends_quietly_on_a_closed_pipe(run: &Run, what: &str) {
    assert_eq!(run.code, Some(141), "{what}: stderr: {}", run.stderr);
    assert!(
        !run.stderr.contains("panicked") && !run.stderr.contains("Broken pipe"),
        "{what} ends quietly: {}",
        run.stderr
    );
}

#[test]
fn a_closed_pipe_ends_models_invoke_and_plugins_list_quietly_with_141() {
    let mut models = bedrock_host();
    models.args(["--local", "models"]);
    assert_ends_quietly_on_a_closed_pipe(&run_with_stdout_closed(models), "models");

    let mut invoke = bedrock_host();
    invoke.args(["--local", "invoke", "-m", CLAUDE, "Tell me about rivers."]);
    assert_ends_quietly_on_a_closed_pipe(&run_with_stdout_closed(invoke), "invoke");

    let mut unstreamed = bedrock_host();
    unstreamed.args(["--local", "invoke", "--no-stream", "-m", CLAUDE, "Rivers?"]);
    assert_ends_quietly_on_a_closed_pipe(&run_with_stdout_closed(unstreamed), "invoke --no-stream");

    let mut list = bedrock_host();
    list.args(["plugins", "list"]);
    assert_ends_quietly_on_a_closed_pipe(&run_with_stdout_closed(list), "plugins list");
}

/// `invoke` of the SDXL model with `--out out`, in `folder` as the
/// current folder.
fn draw(folder: &Path, out: &str, extra: &[&str]) -> Command {
    let mut command = bedrock_host();
    command
        .current_dir(folder)
        .args(["--local", "invoke", "-m", SDXL, "--out", out])
        .args(extra)
        .arg("a landscape with trees");
    command
}

#[test]
fn out_refuses_a_symlink_a_fifo_a_device_and_a_folder_before_the_call() {
    let folder = tempfile::tempdir().expect("temp dir");
    let target = folder.path().join("precious.txt");
    std::fs::write(&target, b"keep me").expect("write");
    std::os::unix::fs::symlink(&target, folder.path().join("link.png")).expect("symlink");
    std::fs::create_dir(folder.path().join("folder.png")).expect("folder");
    let fifo = folder.path().join("fifo.png");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success());

    for (out, kind) in [
        ("link.png", "a symlink"),
        ("fifo.png", "a FIFO"),
        ("folder.png", "a folder"),
        ("/dev/null", "a device"),
    ] {
        // An endpoint where nothing listens: a refusal after the call
        // would be a network error (exit 7), not a usage error.
        let mut command = bedrock_host();
        command
            .current_dir(folder.path())
            .args([
                "--endpoint-url",
                "http://127.0.0.1:1",
                "--region",
                "us-east-1",
            ])
            .args(["--max-attempts", "1", "invoke", "-m", SDXL, "--out", out])
            .arg("a landscape")
            .env("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
            .env("AWS_SECRET_ACCESS_KEY", "secret");
        let refused = run(command);
        assert_eq!(refused.code, Some(2), "{out}: {}", refused.stderr);
        assert!(
            refused.stderr.contains(out) && refused.stderr.contains(kind),
            "{out} names what it refused: {}",
            refused.stderr
        );
    }
    assert_eq!(std::fs::read(&target).expect("read"), b"keep me");
    assert!(folder.path().join("link.png").is_symlink());
    assert!(folder.path().join("folder.png").is_dir());
}

#[test]
fn out_writes_a_new_file_and_replaces_a_regular_one() {
    let folder = tempfile::tempdir().expect("temp dir");
    let wrote = run(draw(folder.path(), "new.png", &[]));
    assert_eq!(wrote.code, Some(0), "{}", wrote.stderr);
    let image = std::fs::read(folder.path().join("new.png")).expect("written");
    assert!(image.starts_with(PNG));
    assert!(
        wrote.stderr.contains("wrote new.png (image/png"),
        "{}",
        wrote.stderr
    );

    std::fs::write(folder.path().join("old.png"), b"old").expect("write");
    let replaced = run(draw(folder.path(), "old.png", &[]));
    assert_eq!(replaced.code, Some(0), "{}", replaced.stderr);
    assert_eq!(
        std::fs::read(folder.path().join("old.png")).expect("read"),
        image
    );
}

#[test]
fn out_dash_writes_the_image_bytes_to_stdout() {
    let folder = tempfile::tempdir().expect("temp dir");
    let mut command = draw(folder.path(), "-", &[]);
    command.stdin(Stdio::null());
    let output = command.output().expect("runs");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.stdout.starts_with(PNG), "stdout is the PNG itself");
    let in_file = run(draw(folder.path(), "file.png", &[]));
    assert_eq!(in_file.code, Some(0), "{}", in_file.stderr);
    assert_eq!(
        output.stdout,
        std::fs::read(folder.path().join("file.png")).expect("read"),
        "the same bytes as in a file"
    );
    assert_eq!(
        std::fs::read_dir(folder.path()).expect("list").count(),
        1,
        "`-` is not a file name"
    );

    let mut with_json = draw(folder.path(), "-", &["--output", "json"]);
    with_json.stdin(Stdio::null());
    let refused = run(with_json);
    assert_eq!(refused.code, Some(2), "{}", refused.stderr);
    assert!(
        exactly_one_object(&refused)["error"]
            .as_str()
            .expect("error")
            .contains("--out -")
    );
}

#[test]
fn an_image_stdout_cannot_take_is_kept_in_a_file_the_error_names() {
    let folder = tempfile::tempdir().expect("temp dir");
    let kept = run_with_stdout_closed(draw(folder.path(), "-", &[]));
    assert_eq!(kept.code, Some(2), "{}", kept.stderr);
    let files: Vec<_> = std::fs::read_dir(folder.path())
        .expect("list")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .into_string()
                .expect("utf-8")
        })
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    assert!(
        kept.stderr.contains(&format!("kept it in {}", files[0])),
        "the error names the fallback file: {}",
        kept.stderr
    );
    let image = std::fs::read(folder.path().join(&files[0])).expect("read");
    assert!(image.starts_with(PNG));
}

#[test]
fn json_is_one_object_for_errors_found_before_any_call() {
    let folder = tempfile::tempdir().expect("temp dir");
    let bad_config = folder.path().join("config.toml");
    std::fs::write(&bad_config, "[plugin-limits]\nmemory-mib = \"lots\"\n").expect("write");
    let cases: Vec<(&str, Vec<&str>, i32)> = vec![
        (
            "no plugin serves the model",
            vec![
                "--local",
                "invoke",
                "-m",
                "nobody.model-v1",
                "--output",
                "json",
                "hi",
            ],
            3,
        ),
        (
            "a bad ARN",
            vec![
                "--local",
                "invoke",
                "-m",
                "arn:aws:bedrock:nowhere",
                "--output",
                "json",
                "hi",
            ],
            2,
        ),
        (
            "an empty prompt",
            vec!["--local", "invoke", "-m", CLAUDE, "--output", "json", "  "],
            2,
        ),
        (
            "a bad config file",
            vec![
                "--config",
                bad_config.to_str().expect("utf-8"),
                "--local",
                "invoke",
                "-m",
                CLAUDE,
                "--output",
                "json",
                "hi",
            ],
            6,
        ),
        (
            "a flag clap refuses",
            vec![
                "--local",
                "invoke",
                "-m",
                CLAUDE,
                "--output",
                "json",
                "--max-tokens",
                "many",
                "hi",
            ],
            2,
        ),
        (
            "an unknown flag",
            vec!["models", "--output=json", "--no-such-flag"],
            2,
        ),
        (
            "plugins list with a bad config file",
            vec![
                "--config",
                bad_config.to_str().expect("utf-8"),
                "plugins",
                "list",
                "--output",
                "json",
            ],
            6,
        ),
    ];
    for (what, args, code) in cases {
        let mut command = bedrock_host();
        command.args(&args);
        let failed = run(command);
        assert_eq!(failed.code, Some(code), "{what}: {}", failed.stderr);
        let object = exactly_one_object(&failed);
        let error = object["error"].as_str().expect("an error");
        assert!(!error.is_empty(), "{what}");
        assert_eq!(object["exit_code"], code, "{what}: {object}");
        assert!(
            failed
                .stderr
                .contains(error.lines().next().unwrap_or_default()),
            "{what}: the error is on stderr too: {}",
            failed.stderr
        );
    }
}

#[test]
fn a_prompt_argument_follows_the_piped_stdin_text() {
    let context = "The river in question is the Danube.";
    let both = run_with_stdin(
        {
            let mut command = bedrock_host();
            command.args(["--local", "invoke", "-m", CLAUDE, "--output", "json"]);
            command.arg("Which river flows through Vienna?");
            command
        },
        &format!("{context}\n"),
    );
    assert_eq!(both.code, Some(0), "{}", both.stderr);
    let text = exactly_one_object(&both)["text"]
        .as_str()
        .expect("text")
        .to_owned();
    // The local Bedrock's reply restates the prompt it was sent.
    let danube = text.find("Danube").expect("the stdin text was sent");
    let vienna = text.find("Vienna").expect("the argument was sent");
    assert!(danube < vienna, "stdin first, then the argument: {text}");

    let mut alone = bedrock_host();
    alone.args(["--local", "invoke", "-m", CLAUDE, "--output", "json"]);
    alone.arg(format!("{context}\n\nWhich river flows through Vienna?"));
    assert_eq!(
        exactly_one_object(&run(alone))["text"],
        text.as_str(),
        "the same as one prompt with a blank line between"
    );
}

/// A streaming `invoke` against `server`, with stdout and stderr piped.
fn slow_invoke(server: &LocalServer, extra: &[&str]) -> Child {
    let mut args = vec!["-v", "invoke", "-m", CLAUDE];
    args.extend_from_slice(extra);
    args.push("Tell me a long story about the sea.");
    let mut command = server.command(&args);
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command.spawn().expect("invoke starts")
}

fn interrupt(child: &Child) {
    let sent = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(sent.success());
}

/// Waits until the host logs that it is invoking the model: its Ctrl-C
/// handling is in place from then on.
fn wait_until_invoking(child: &mut Child) -> std::thread::JoinHandle<String> {
    let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let mut seen = String::new();
    for line in lines.by_ref() {
        let line = line.expect("utf-8");
        seen.push_str(&line);
        seen.push('\n');
        if line.contains("invoking") {
            break;
        }
    }
    std::thread::spawn(move || {
        for line in lines {
            seen.push_str(&line.unwrap_or_default());
            seen.push('\n');
        }
        seen
    })
}

/// The whole answer to the prompt `slow_invoke` sends.
fn whole_answer() -> String {
    let mut command = bedrock_host();
    command.args(["--local", "invoke", "-m", CLAUDE, "--output", "json"]);
    command.arg("Tell me a long story about the sea.");
    exactly_one_object(&run(command))["text"]
        .as_str()
        .expect("text")
        .to_owned()
}

#[test]
fn ctrl_c_keeps_the_streamed_text_and_exits_130() {
    let server = LocalServer::start();
    server.misbehave(&serde_json::json!({"chunk_delay_ms": 150}));
    let mut child = slow_invoke(&server, &[]);
    let stderr = wait_until_invoking(&mut child);
    let mut stdout = child.stdout.take().expect("stdout");
    let mut first = [0u8; 1];
    stdout.read_exact(&mut first).expect("the answer starts");
    interrupt(&child);
    let mut rest = Vec::new();
    stdout.read_to_end(&mut rest).expect("read the rest");
    let status = child.wait().expect("ends");
    let stderr = stderr.join().expect("stderr");
    assert_eq!(status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    let mut printed = first.to_vec();
    printed.extend(rest);
    let printed = String::from_utf8(printed).expect("utf-8");
    assert!(
        whole_answer().starts_with(printed.trim_end()),
        "the text printed is the start of the answer: {printed}"
    );
}

#[test]
fn ctrl_c_with_json_output_is_one_object_with_the_partial_text_and_an_error() {
    let server = LocalServer::start();
    server.misbehave(&serde_json::json!({"chunk_delay_ms": 150}));
    let mut child = slow_invoke(&server, &["--output", "json"]);
    let stderr = wait_until_invoking(&mut child);
    interrupt(&child);
    let output = child.wait_with_output().expect("ends");
    let stderr = stderr.join().expect("stderr");
    let run = Run {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr,
    };
    assert_eq!(run.code, Some(130), "{}", run.stderr);
    let object = exactly_one_object(&run);
    assert!(
        object["error"]
            .as_str()
            .expect("error")
            .contains("interrupted"),
        "{object}"
    );
    assert_eq!(object["exit_code"], 130);
    let text = object["text"].as_str().expect("the text so far");
    assert!(whole_answer().starts_with(text), "{text}");
}

#[test]
fn ctrl_c_ends_an_invoke_still_waiting_for_its_prompt_on_stdin() {
    let mut command = bedrock_host();
    command
        .args([
            "-v", "--local", "invoke", "-m", CLAUDE, "--output", "json", "-",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("invoke starts");
    // Kept open and never written: the prompt is still being typed.
    let _typing = child.stdin.take().expect("stdin");
    let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let waiting = lines
        .by_ref()
        .map(|line| line.expect("utf-8"))
        .any(|line| line.contains("reading the prompt from stdin"));
    assert!(waiting, "-v says it reads stdin");
    interrupt(&child);
    let output = child.wait_with_output().expect("ends");
    let run = Run {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: lines.map_while(Result::ok).collect::<Vec<_>>().join("\n"),
    };
    assert_eq!(run.code, Some(130), "{}", run.stderr);
    assert_eq!(exactly_one_object(&run)["exit_code"], 130);
}
