//! `bedrock-host serve-local` as a service: it never adopts or prints credentials it finds in
//! the environment, takes other keys only from its flags, serves its test controls only when
//! asked and only to loopback callers, bounds what they accept, and says clearly when its port
//! is taken.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

use crate::support::{CLAUDE, Run, bedrock_host, run};

const ENV_KEY_ID: &str = "AKIDFROMTHEENVIRONMENT";
const ENV_SECRET: &str = "secret-from-the-environment";
const ENV_TOKEN: &str = "api-key-from-the-environment";

/// A running `serve-local` and everything it printed before "Press Ctrl-C".
struct Served {
    child: Child,
    endpoint: String,
    printed: String,
}

impl Served {
    /// Starts `serve-local ARGS` with AWS credentials in its environment.
    fn start(args: &[&str]) -> Self {
        let mut command = bedrock_host();
        command
            .args(["serve-local", "--port", "0"])
            .args(args)
            .env("AWS_ACCESS_KEY_ID", ENV_KEY_ID)
            .env("AWS_SECRET_ACCESS_KEY", ENV_SECRET)
            .env("AWS_BEARER_TOKEN_BEDROCK", ENV_TOKEN)
            .env("AWS_REGION", "eu-west-3")
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        let mut child = command.spawn().expect("serve-local starts");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let mut printed = String::new();
        for line in lines.by_ref() {
            let line = line.expect("utf-8");
            printed.push_str(&line);
            printed.push('\n');
            if line.starts_with("Press Ctrl-C") {
                break;
            }
        }
        std::thread::spawn(move || lines.for_each(drop));
        let endpoint = printed
            .lines()
            .next()
            .and_then(|first| first.rsplit(' ').next())
            .expect("an endpoint line")
            .to_owned();
        assert!(endpoint.starts_with("http://127.0.0.1:"), "{printed}");
        Self {
            child,
            endpoint,
            printed,
        }
    }

    /// The CLI pointed at this server, signing with `key_id` and `secret`.
    fn client(&self, key_id: &str, secret: &str) -> Command {
        let mut command = bedrock_host();
        command
            .args(["--endpoint-url", &self.endpoint, "--region", "us-east-1"])
            .env("AWS_ACCESS_KEY_ID", key_id)
            .env("AWS_SECRET_ACCESS_KEY", secret)
            .args([
                "--max-attempts",
                "1",
                "invoke",
                "--no-stream",
                "--model",
                CLAUDE,
                "hi",
            ]);
        command
    }

    /// Sends one raw HTTP request to a test control and returns the status and body.
    fn control(&self, request_head: &str, body: &str) -> (u16, String) {
        let address = self.endpoint.trim_start_matches("http://");
        let mut stream = TcpStream::connect(address).expect("connect");
        let head = request_head.replace("{address}", address);
        write!(
            stream,
            "{head}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .expect("send");
        let mut reply = String::new();
        stream.read_to_string(&mut reply).expect("read");
        let status = reply
            .split(' ')
            .nth(1)
            .and_then(|code| code.parse().ok())
            .expect("a status line");
        let body = reply
            .split_once("\r\n\r\n")
            .map(|(_, body)| body.to_owned())
            .unwrap_or_default();
        (status, body)
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn assert_invokes(run: Run, what: &str) {
    assert_eq!(run.code, Some(0), "{what}: {}", run.stderr);
}

#[test]
fn credentials_in_the_environment_are_never_adopted_or_printed() {
    let served = Served::start(&[]);
    for secret in [ENV_KEY_ID, ENV_SECRET, ENV_TOKEN, "eu-west-3"] {
        assert!(
            !served.printed.contains(secret),
            "{secret}: {}",
            served.printed
        );
    }
    assert!(
        served.printed.contains(&format!(
            "export AWS_ACCESS_KEY_ID={}",
            bedrock_emulator::TEST_ACCESS_KEY_ID
        )),
        "{}",
        served.printed
    );
    assert_invokes(
        run(served.client(
            bedrock_emulator::TEST_ACCESS_KEY_ID,
            bedrock_emulator::TEST_SECRET_ACCESS_KEY,
        )),
        "the test keys",
    );
    let refused = run(served.client(ENV_KEY_ID, ENV_SECRET));
    assert_eq!(refused.code, Some(6), "{}", refused.stderr);
}

#[test]
fn flags_choose_the_keys_and_the_api_key() {
    let served = Served::start(&[
        "--access-key-id",
        "AKIDCHOSENBYFLAG",
        "--secret-access-key",
        "chosen-secret",
        "--bearer-token",
        "chosen-api-key",
    ]);
    for printed in [
        "export AWS_ACCESS_KEY_ID=AKIDCHOSENBYFLAG",
        "export AWS_SECRET_ACCESS_KEY=chosen-secret",
        "export AWS_BEARER_TOKEN_BEDROCK=chosen-api-key",
    ] {
        assert!(
            served.printed.contains(printed),
            "{printed}: {}",
            served.printed
        );
    }
    assert_invokes(
        run(served.client("AKIDCHOSENBYFLAG", "chosen-secret")),
        "the flags' keys",
    );
    let refused = run(served.client(
        bedrock_emulator::TEST_ACCESS_KEY_ID,
        bedrock_emulator::TEST_SECRET_ACCESS_KEY,
    ));
    assert_eq!(
        refused.code,
        Some(6),
        "the test keys no longer: {}",
        refused.stderr
    );

    let lone = run({
        let mut command = bedrock_host();
        command.args(["serve-local", "--access-key-id", "AKIDALONE"]);
        command
    });
    assert_eq!(
        lone.code,
        Some(2),
        "a key id needs its secret: {}",
        lone.stderr
    );
}

#[test]
fn test_controls_are_off_unless_asked_and_answer_only_loopback() {
    let get = "GET /_emulator/behaviour HTTP/1.1\r\nHost: {address}";
    let post = "POST /_emulator/behaviour HTTP/1.1\r\nHost: {address}";
    let off = Served::start(&[]);
    assert_eq!(off.control(get, "").0, 404);
    assert_eq!(off.control(post, "{}").0, 404);
    assert_eq!(
        off.control("GET /_emulator/arrivals HTTP/1.1\r\nHost: {address}", "")
            .0,
        404
    );

    let on = Served::start(&["--test-controls"]);
    assert!(on.printed.contains("Test controls on"), "{}", on.printed);
    assert_eq!(on.control(get, "").0, 200);
    let throttle = r#"{"fail_requests": {"status": 429, "error_type": "ThrottlingException", "message": "slow down"}}"#;
    for (head, what) in [
        (
            "POST /_emulator/behaviour HTTP/1.1\r\nHost: attacker.example:80",
            "a foreign Host (DNS rebinding)",
        ),
        (
            "POST /_emulator/behaviour HTTP/1.1\r\nHost: {address}\r\nOrigin: https://attacker.example",
            "a foreign Origin",
        ),
        (
            "POST /_emulator/behaviour HTTP/1.1\r\nHost: {address}\r\nOrigin: null",
            "an opaque Origin",
        ),
    ] {
        assert_eq!(on.control(head, throttle).0, 403, "{what}");
    }
    let (_, behaviour) = on.control(get, "");
    assert!(
        !behaviour.contains("ThrottlingException"),
        "nothing changed: {behaviour}"
    );
}

#[test]
fn test_control_values_are_bounded() {
    let on = Served::start(&["--test-controls"]);
    let post = "POST /_emulator/behaviour HTTP/1.1\r\nHost: {address}";
    for body in [
        r#"{"long_stream": {"chunks": 4294967296}}"#,
        r#"{"long_stream": {"chunks": 4294967295}}"#,
        r#"{"long_stream": {"chunks": 10000001}}"#,
        r#"{"chunk_delay_ms": 18446744073709551615}"#,
        r#"{"first_byte_delay_ms": 600001}"#,
    ] {
        let (status, reply) = on.control(post, body);
        assert_eq!(status, 400, "{body}: {reply}");
    }
    let (status, _) = on.control(post, r#"{"long_stream": {"chunks": 10000000}}"#);
    assert_eq!(status, 200, "the bound itself is accepted");
    let (status, _) = on.control(post, "{}");
    assert_eq!(status, 200);
    assert_invokes(
        run(on.client(
            bedrock_emulator::TEST_ACCESS_KEY_ID,
            bedrock_emulator::TEST_SECRET_ACCESS_KEY,
        )),
        "the server still answers",
    );
}

#[test]
fn a_busy_port_is_one_clear_line() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let port = taken.local_addr().expect("address").port().to_string();
    let mut command = bedrock_host();
    command.args(["serve-local", "--port", &port]);
    let refused = run(command);
    assert_eq!(refused.code, Some(2), "{}", refused.stderr);
    assert_eq!(
        refused.stderr.trim().lines().count(),
        1,
        "{}",
        refused.stderr
    );
    assert!(
        refused
            .stderr
            .contains(&format!("port {port} on 127.0.0.1 is in use")),
        "{}",
        refused.stderr
    );
}
