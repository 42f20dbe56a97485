//! Where requests go, as a user meets it: a region or endpoint that cannot work is refused
//! before anything is sent (exit 2, one sentence); a connection no retry can fix (refused, a
//! host that does not resolve, a TLS handshake with a plain HTTP server) fails at once instead
//! of after every attempt; and an HTTP error from something that is not Bedrock says so.

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::TcpListener;
use std::process::Command;

use crate::support::{CLAUDE, LocalServer, Run, bedrock_host, run};

/// The CLI with the test keys, sending to `endpoint`.
fn pointed_at(endpoint: &str, region: &str) -> Command {
    let mut command = bedrock_host();
    command
        .args(["--endpoint-url", endpoint, "--region", region])
        .env("AWS_ACCESS_KEY_ID", bedrock_emulator::TEST_ACCESS_KEY_ID)
        .env(
            "AWS_SECRET_ACCESS_KEY",
            bedrock_emulator::TEST_SECRET_ACCESS_KEY,
        );
    command
}

/// `invoke --no-stream` of Claude through `command`, with ten attempts allowed.
fn invoke(mut command: Command) -> Run {
    command.args([
        "--max-attempts",
        "10",
        "invoke",
        "--no-stream",
        "--model",
        CLAUDE,
        "hello",
    ]);
    run(command)
}

fn retries(run: &Run) -> usize {
    run.stderr
        .lines()
        .filter(|line| line.starts_with("retrying "))
        .count()
}

#[test]
fn a_region_or_endpoint_that_cannot_work_is_refused_before_anything_is_sent() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a port");
    listener.set_nonblocking(true).expect("non-blocking");
    let endpoint = format!("http://{}", listener.local_addr().expect("address"));
    let cases = [
        (endpoint.as_str(), "us-east", "not an AWS region name"),
        (endpoint.as_str(), "US-EAST-1", "not an AWS region name"),
        ("ftp://127.0.0.1:21", "us-east-1", "unsupported scheme"),
        ("http://", "us-east-1", "has no host"),
        ("127.0.0.1:8080", "us-east-1", "needs a scheme"),
        ("http://user:secret@127.0.0.1:9", "us-east-1", "user info"),
    ];
    for (url, region, says) in cases {
        let refused = invoke(pointed_at(url, region));
        assert_eq!(refused.code, Some(2), "{url} {region}: {}", refused.stderr);
        assert!(
            refused.stderr.contains(says),
            "{url} {region}: {}",
            refused.stderr
        );
        assert_eq!(
            refused.stderr.trim().lines().count(),
            1,
            "one sentence: {}",
            refused.stderr
        );
    }
    let listed = run({
        let mut command = pointed_at(&endpoint, "not a region");
        command.arg("models");
        command
    });
    assert_eq!(listed.code, Some(2), "{}", listed.stderr);
    assert_eq!(
        listener.accept().map(|_| ()).map_err(|error| error.kind()),
        Err(ErrorKind::WouldBlock),
        "nothing was sent"
    );
}

#[test]
fn a_refused_connection_fails_at_once() {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a port");
        listener.local_addr().expect("address").port()
    };
    let refused = invoke(pointed_at(&format!("http://127.0.0.1:{port}"), "us-east-1"));
    assert_eq!(refused.code, Some(7), "{}", refused.stderr);
    assert!(
        refused.stderr.contains("the connection was refused"),
        "{}",
        refused.stderr
    );
    assert_eq!(retries(&refused), 0, "{}", refused.stderr);
}

#[test]
fn an_endpoint_host_that_does_not_resolve_fails_at_once() {
    let unresolved = invoke(pointed_at(
        "http://no-such-host.bedrock-host.invalid",
        "us-east-1",
    ));
    assert_eq!(unresolved.code, Some(7), "{}", unresolved.stderr);
    assert!(
        unresolved.stderr.contains("does not resolve"),
        "{}",
        unresolved.stderr
    );
    assert_eq!(retries(&unresolved), 0, "{}", unresolved.stderr);
}

#[test]
fn tls_to_a_plain_http_server_fails_at_once() {
    let server = LocalServer::start();
    let https = server.endpoint.replace("http://", "https://");
    let failed = invoke(pointed_at(&https, "us-east-1"));
    assert_eq!(failed.code, Some(7), "{}", failed.stderr);
    assert!(
        failed.stderr.contains("the TLS handshake failed"),
        "{}",
        failed.stderr
    );
    assert_eq!(retries(&failed), 0, "{}", failed.stderr);
}

#[test]
fn an_error_page_from_something_that_is_not_bedrock_says_so() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a port");
    let endpoint = format!("http://{}", listener.local_addr().expect("address"));
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let mut body_length = 0;
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|read| read > 2) {
                if let Some((name, value)) = line.split_once(':')
                    && name.eq_ignore_ascii_case("content-length")
                {
                    body_length = value.trim().parse().unwrap_or(0);
                }
                line.clear();
            }
            let mut body = vec![0; body_length];
            let _ = reader.read_exact(&mut body);
            let page = "<html><body><h1>404 Not Found</h1>nginx</body></html>";
            let _ = write!(
                stream,
                "HTTP/1.1 404 Not Found\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{page}",
                page.len()
            );
        }
    });
    let failed = invoke(pointed_at(&endpoint, "us-east-1"));
    assert_eq!(failed.code, Some(7), "{}", failed.stderr);
    assert!(
        failed
            .stderr
            .contains("HTTP 404 (text/html) from something that is not Bedrock"),
        "{}",
        failed.stderr
    );
    assert!(!failed.stderr.contains("nginx"), "{}", failed.stderr);
}
