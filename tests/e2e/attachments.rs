//! `--attach` through the CLI: the type found from the bytes, an
//! attachment the model takes sent, and the ones it cannot take (or
//! nobody knows) refused before anything reaches the local Bedrock; and
//! `--dry-run` / `--body`, which show and send bodies as they are.

use std::io::{Read as _, Write as _};
use std::path::Path;

use serde_json::Value;

use crate::support::{CLAUDE, LocalServer, bedrock_host, run, run_with_stdin};

/// The paths of the model invocations the local Bedrock has seen.
pub fn invocations(server: &LocalServer) -> Vec<String> {
    let address = server.endpoint.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(address).expect("connect to the local Bedrock");
    write!(
        stream,
        "GET /_emulator/arrivals HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )
    .expect("ask for the arrivals");
    let mut reply = String::new();
    stream
        .read_to_string(&mut reply)
        .expect("read the arrivals");
    let body = reply.split_once("\r\n\r\n").map_or("", |(_, body)| body);
    let arrivals: Value = serde_json::from_str(body).expect("the arrivals as JSON");
    arrivals["arrivals"]
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|arrival| arrival["path"].as_str())
        .filter(|path| path.starts_with("/model/"))
        .map(str::to_owned)
        .collect()
}

/// A real 1×1 PNG.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xf0,
    0x1f, 0x00, 0x05, 0x00, 0x01, 0xff, 0x89, 0x99, 0x3d, 0x1d, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write an attachment");
    path.to_str().expect("a UTF-8 path").to_owned()
}

fn offline(args: &[&str]) -> std::process::Command {
    let mut command = bedrock_host();
    command.args(args);
    command
}

#[test]
fn an_image_and_a_text_document_the_model_takes_are_sent() {
    let server = LocalServer::start();
    let dir = tempfile::tempdir().expect("a temp dir");
    // Named .txt, yet a PNG by its bytes: the bytes decide.
    let image = write(dir.path(), "pixel.txt", PNG);
    let notes = write(dir.path(), "notes.md", b"# Notes\nThe sky is green here.\n");
    let done = run(server.command(&[
        "invoke",
        "-m",
        CLAUDE,
        "--output",
        "json",
        "-a",
        &image,
        "--attach",
        &notes,
        "Describe both.",
    ]));
    assert_eq!(done.code, Some(0), "{}\n{}", done.stdout, done.stderr);
    assert!(!done.json()["text"].as_str().unwrap_or_default().is_empty());
    assert_eq!(invocations(&server).len(), 1);
}

#[test]
fn an_attachment_the_model_cannot_take_is_refused_before_sending() {
    let server = LocalServer::start();
    let dir = tempfile::tempdir().expect("a temp dir");
    let image = write(dir.path(), "pixel.png", PNG);
    let model = "meta.llama3-1-8b-instruct-v1:0";
    let refused = run(server.command(&["invoke", "-m", model, "-a", &image, "What is this?"]));
    assert_eq!(refused.code, Some(2), "{}", refused.stderr);
    for named in ["pixel.png", "image/png", model] {
        assert!(
            refused.stderr.contains(named),
            "names {named}: {}",
            refused.stderr
        );
    }
    assert!(
        invocations(&server).is_empty(),
        "the local Bedrock saw no request"
    );

    // Over Claude's image size: a PNG header and 5 MiB of anything.
    let mut big = PNG.to_vec();
    big.resize(5 << 20, 0);
    let big = write(dir.path(), "big.png", &big);
    let refused = run(server.command(&["invoke", "-m", CLAUDE, "-a", &big, "What is this?"]));
    assert_eq!(refused.code, Some(2), "{}", refused.stderr);
    assert!(
        refused.stderr.contains("big.png") && refused.stderr.contains("bytes"),
        "{}",
        refused.stderr
    );
    assert!(
        invocations(&server).is_empty(),
        "the local Bedrock saw no request"
    );
}

#[test]
fn unknown_unreadable_and_stdin_attachments_are_usage_errors() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let code = write(dir.path(), "main.rs", b"fn main() {}\n");
    for (attach, named) in [
        (code.as_str(), "main.rs"),
        ("/nonexistent/photo.png", "/nonexistent/photo.png"),
        ("-", "`-`"),
    ] {
        let refused = run(offline(&["invoke", "-m", CLAUDE, "-a", attach, "hi"]));
        assert_eq!(refused.code, Some(2), "{attach}: {}", refused.stderr);
        assert!(
            refused.stderr.contains(named),
            "{attach}: {}",
            refused.stderr
        );
    }
}

#[test]
fn dry_run_prints_the_body_without_credentials_or_a_request() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let image = write(dir.path(), "pixel.png", PNG);
    let shown = run(offline(&[
        "invoke",
        "-m",
        CLAUDE,
        "--dry-run",
        "--system",
        "Be brief.",
        "-a",
        &image,
        "What is this?",
    ]));
    assert_eq!(shown.code, Some(0), "{}", shown.stderr);
    let body: Value = serde_json::from_str(&shown.stdout).expect("the body is JSON");
    let text = body.to_string();
    assert!(
        text.contains("What is this?") && text.contains("Be brief."),
        "{body}"
    );
    use base64::Engine as _;
    let encoded = base64::engine::general_purpose::STANDARD.encode(PNG);
    assert!(
        text.contains(&encoded),
        "the attachment is in the body: {body}"
    );
}

#[test]
fn body_sends_a_native_body_as_is_and_the_plugin_parses_the_answer() {
    let server = LocalServer::start();
    let body = r#"{"anthropic_version": "bedrock-2023-05-31", "max_tokens": 50, "messages": [{"role": "user", "content": "Say hi."}]}"#;
    let mut command = server.command(&["invoke", "-m", CLAUDE, "--output", "json", "--body", "-"]);
    command.arg("--no-stream");
    let done = run_with_stdin(command, body);
    assert_eq!(done.code, Some(0), "{}\n{}", done.stdout, done.stderr);
    assert!(
        !done.json()["text"].as_str().unwrap_or_default().is_empty(),
        "{}",
        done.stdout
    );

    let not_json = run_with_stdin(
        server.command(&["invoke", "-m", CLAUDE, "--body", "-"]),
        "{broken",
    );
    assert_eq!(
        not_json.code,
        Some(4),
        "Bedrock refuses the body: {}",
        not_json.stderr
    );
}
