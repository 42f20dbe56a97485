//! A misbehaving Bedrock, as a user meets it: the local Bedrock is told to
//! throttle, fail, break its streams in every way the wire allows, stall, or
//! answer with far more than any real answer, and the real CLI (real SDK over
//! HTTP, real anthropic plugin) must retry what is retryable exactly as many
//! times as asked, keep every piece of text already printed, name what went
//! wrong in one error on stderr, exit with the documented code, and stay
//! bounded in time and memory.

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::{CLAUDE, LocalServer, Run, run};

const PROMPT: &str = "Tell me about rivers and seas.";

/// The behaviour the local Bedrock has now (what is left of its faults).
fn behaviour(server: &LocalServer) -> Value {
    let address = server.endpoint.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(address).expect("connect to the local Bedrock");
    write!(
        stream,
        "GET /_emulator/behaviour HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )
    .expect("ask for the behaviour");
    let mut reply = String::new();
    stream.read_to_string(&mut reply).expect("read the reply");
    let (_, body) = reply.split_once("\r\n\r\n").expect("a body");
    serde_json::from_str(body).expect("the behaviour is JSON")
}

/// How many of the injected request failures are left.
fn failures_left(server: &LocalServer) -> u64 {
    behaviour(server)["fail_requests"]["count"]
        .as_u64()
        .unwrap_or(0)
}

/// Makes the next `count` model calls fail with this HTTP error.
fn fail(server: &LocalServer, count: u32, status: u16, error_type: &str, message: &str) {
    server.misbehave(&json!({
        "fail_requests": {"count": count, "status": status, "error_type": error_type, "message": message}
    }));
}

/// Breaks the next stream after `after_chunks` chunks with `action`.
fn break_stream(server: &LocalServer, after_chunks: u32, action: Value) {
    server.misbehave(&json!({
        "stream_fault": {"count": 1, "after_chunks": after_chunks, "action": action}
    }));
}

/// `bedrock-host ARGS invoke --model CLAUDE INVOKE_ARGS PROMPT`, and how long it took.
fn invoke(server: &LocalServer, args: &[&str], invoke_args: &[&str]) -> (Run, Duration) {
    let mut command = server.command(args);
    command
        .args(["invoke", "--model", CLAUDE])
        .args(invoke_args)
        .arg(PROMPT);
    let started = Instant::now();
    let run = run(command);
    (run, started.elapsed())
}

/// The whole answer to [`PROMPT`] when nothing goes wrong.
fn whole_answer(server: &LocalServer) -> String {
    let (whole, _) = invoke(server, &[], &["--output", "json"]);
    assert_eq!(whole.code, Some(0), "{}", whole.stderr);
    whole.json()["text"].as_str().expect("text").to_owned()
}

/// The run failed after printing part of the answer, and printed it intact.
fn assert_kept_part_of(run: &Run, whole: &str, what: &str) {
    let printed = run.stdout.trim_end();
    assert!(
        !printed.is_empty(),
        "{what}: the text before the failure stays on stdout"
    );
    assert!(
        whole.starts_with(printed),
        "{what}: {printed:?} is a prefix of the whole answer"
    );
    assert!(
        printed.len() < whole.trim_end().len(),
        "{what}: the answer was cut"
    );
}

/// Exactly one error, on stderr, containing each of `needles`.
fn assert_error_says(run: &Run, needles: &[&str], what: &str) {
    let errors = run
        .stderr
        .lines()
        .filter(|line| line.starts_with("error:"))
        .count();
    assert_eq!(errors, 1, "{what}: one error: {}", run.stderr);
    for needle in needles {
        assert!(
            run.stderr.contains(needle),
            "{what}: {needle:?} missing from {}",
            run.stderr
        );
    }
}

#[test]
fn throttling_and_5xx_are_retried_max_attempts_times_then_fail_with_the_count() {
    let server = LocalServer::start();
    let cases = [
        (
            429,
            "ThrottlingException",
            "Too many requests, please wait before trying again.",
        ),
        (
            503,
            "ServiceUnavailableException",
            "Bedrock is unable to process your request.",
        ),
        (
            500,
            "InternalServerException",
            "The server encountered an internal error while processing the request.",
        ),
    ];
    for mode in ["standard", "adaptive"] {
        for (status, error_type, message) in cases {
            let what = format!("{mode} {status}");
            let retry = ["--retry-mode", mode, "--max-attempts", "3"];

            fail(&server, 2, status, error_type, message);
            let (absorbed, _) = invoke(&server, &retry, &["--no-stream"]);
            assert_eq!(
                absorbed.code,
                Some(0),
                "{what}: two failures fit in three attempts: {}",
                absorbed.stderr
            );
            assert!(!absorbed.stdout.trim().is_empty());
            assert_eq!(failures_left(&server), 0, "{what}");
            let announced: Vec<&str> = absorbed
                .stderr
                .lines()
                .filter(|line| line.starts_with("retrying "))
                .collect();
            assert_eq!(
                announced,
                [
                    format!("retrying 2/3 after {error_type} (HTTP {status})"),
                    format!("retrying 3/3 after {error_type} (HTTP {status})"),
                ],
                "{what}: each retry is announced: {}",
                absorbed.stderr
            );

            fail(&server, 10, status, error_type, message);
            let (exhausted, _) = invoke(&server, &retry, &["--no-stream"]);
            assert_eq!(exhausted.code, Some(5), "{what}: {}", exhausted.stderr);
            assert_error_says(
                &exhausted,
                &[
                    &format!("{error_type}: {message}"),
                    "(request id ",
                    &format!("after 3 attempts ({mode} retries"),
                ],
                &what,
            );
            assert!(exhausted.stdout.is_empty(), "{what}: {}", exhausted.stdout);
            assert_eq!(
                failures_left(&server),
                7,
                "{what}: exactly three attempts were made"
            );
        }
    }

    fail(&server, 1, 429, "ThrottlingException", "Too many requests.");
    let (streamed, _) = invoke(&server, &["--max-attempts", "2"], &[]);
    assert_eq!(
        streamed.code,
        Some(0),
        "a stream refused before it starts is retried too: {}",
        streamed.stderr
    );
    assert_eq!(failures_left(&server), 0);
}

#[test]
fn validation_and_other_rejections_are_not_retried() {
    let server = LocalServer::start();
    for (status, error_type, message) in [
        (
            400,
            "ValidationException",
            "Malformed input request: #: required key [max_tokens] not found, please reformat your input and try again.",
        ),
        (
            403,
            "AccessDeniedException",
            "You don't have access to the model with the specified model ID.",
        ),
    ] {
        for stream in [false, true] {
            let what = format!("{error_type}, streamed: {stream}");
            fail(&server, 3, status, error_type, message);
            let invoke_args: &[&str] = if stream { &[] } else { &["--no-stream"] };
            let (rejected, _) = invoke(&server, &["--max-attempts", "3"], invoke_args);
            assert_eq!(rejected.code, Some(4), "{what}: {}", rejected.stderr);
            assert_error_says(&rejected, &[&format!("{error_type}: {message}")], &what);
            assert_eq!(failures_left(&server), 2, "{what}: one attempt only");
            server.misbehave(&json!({}));
        }
    }
}

#[test]
fn each_exception_frame_mid_stream_keeps_the_text_and_names_the_exception() {
    let server = LocalServer::start();
    let whole = whole_answer(&server);
    for (exception_type, name, exit) in [
        ("modelStreamErrorException", "ModelStreamErrorException", 7),
        ("modelTimeoutException", "ModelTimeoutException", 7),
        ("throttlingException", "ThrottlingException", 5),
        ("internalServerException", "InternalServerException", 5),
        (
            "serviceUnavailableException",
            "ServiceUnavailableException",
            5,
        ),
        ("validationException", "ValidationException", 4),
    ] {
        let message = format!("{exception_type} injected part-way.");
        break_stream(
            &server,
            6,
            json!({"kind": "exception", "exception_type": exception_type, "message": message}),
        );
        let (broken, _) = invoke(&server, &["--max-attempts", "3"], &[]);
        assert_eq!(broken.code, Some(exit), "{name}: {}", broken.stderr);
        assert_kept_part_of(&broken, &whole, name);
        assert_error_says(
            &broken,
            &[
                &format!("{name}: {message}"),
                "Bedrock ended the stream with this error after the text above",
            ],
            name,
        );
    }

    break_stream(
        &server,
        6,
        json!({"kind": "exception", "exception_type": "modelStreamErrorException", "message": "Broke."}),
    );
    let (json_run, _) = invoke(&server, &[], &["--output", "json"]);
    assert_eq!(json_run.code, Some(7), "{}", json_run.stderr);
    let object = json_run.json();
    let text = object["text"].as_str().expect("text");
    assert!(!text.is_empty() && whole.starts_with(text) && text.len() < whole.len());
    assert!(
        object["error"]
            .as_str()
            .is_some_and(|error| error.contains("ModelStreamErrorException: Broke.")),
        "{object}"
    );
}

#[test]
fn a_stream_cut_or_spoiled_part_way_keeps_the_text_and_says_how_it_broke() {
    let server = LocalServer::start();
    let whole = whole_answer(&server);
    for (action, says) in [
        (
            json!({"kind": "disconnect"}),
            "error reading a body from connection",
        ),
        (json!({"kind": "truncated_frame"}), "end of stream"),
        (json!({"kind": "bad_prelude_crc"}), "prelude checksum"),
        (json!({"kind": "bad_message_crc"}), "message checksum"),
    ] {
        let what = action["kind"].to_string();
        break_stream(&server, 6, action);
        let (broken, _) = invoke(&server, &["--max-attempts", "3"], &[]);
        assert_eq!(broken.code, Some(7), "{what}: {}", broken.stderr);
        assert_kept_part_of(&broken, &whole, &what);
        assert_error_says(
            &broken,
            &[
                "the stream broke off part-way",
                says,
                "the text above is what arrived before it",
            ],
            &what,
        );
    }
}

/// Longer than any test may take; a run that waited for it would fail the bound.
const FOREVER_MS: u64 = 120_000;
/// Process start, plugin loading and backoff, beyond the timeouts themselves.
const SLACK: Duration = Duration::from_secs(30);

#[test]
fn a_first_byte_slower_than_the_read_timeout_fails_in_bounded_time() {
    let server = LocalServer::start();
    server.misbehave(&json!({"first_byte_delay_ms": FOREVER_MS}));
    for invoke_args in [&["--no-stream"][..], &[][..]] {
        let what = format!("{invoke_args:?}");
        let (timed_out, took) = invoke(
            &server,
            &["--read-timeout", "1", "--max-attempts", "2"],
            invoke_args,
        );
        assert_eq!(timed_out.code, Some(7), "{what}: {}", timed_out.stderr);
        assert_error_says(
            &timed_out,
            &[
                "Bedrock did not answer in time",
                "read timeout",
                "no answer in 2 attempts",
                "--read-timeout",
            ],
            &what,
        );
        assert!(timed_out.stdout.is_empty(), "{what}: {}", timed_out.stdout);
        assert!(
            took < Duration::from_secs(2) + SLACK,
            "{what}: stopped within two read timeouts plus slack, not after {took:?}"
        );
    }
}

#[test]
fn a_stream_that_goes_silent_part_way_fails_after_the_read_timeout() {
    let server = LocalServer::start();
    server.misbehave(&json!({"chunk_delay_ms": FOREVER_MS}));
    let (stalled, took) = invoke(&server, &["--read-timeout", "1"], &[]);
    assert_eq!(stalled.code, Some(7), "{}", stalled.stderr);
    assert_error_says(
        &stalled,
        &[
            "stopped sending part-way",
            "silent for 1 s",
            "--read-timeout",
        ],
        "silence",
    );
    assert!(
        took < Duration::from_secs(1) + SLACK,
        "stopped within the read timeout plus slack, not after {took:?}"
    );
}

#[test]
fn a_huge_reply_is_refused_at_the_limit_and_not_retried() {
    let server = LocalServer::start();
    let gib: u64 = 1024 * 1024 * 1024;
    for (bytes, declare_length, limit_args, says) in [
        (gib, false, &[][..], "larger than 64 MiB"),
        (gib, true, &[][..], "larger than 64 MiB"),
        (
            2 * 1024 * 1024,
            false,
            &["--max-response-mib", "1"][..],
            "larger than 1 MiB",
        ),
    ] {
        let what = format!("{bytes} bytes, length declared: {declare_length}, {limit_args:?}");
        server.misbehave(&json!({
            "huge_reply": {"count": 2, "bytes": bytes, "declare_length": declare_length}
        }));
        let mut invoke_args = vec!["--no-stream"];
        invoke_args.extend_from_slice(limit_args);
        let (refused, took) = invoke(&server, &["--max-attempts", "3"], &invoke_args);
        assert_eq!(refused.code, Some(7), "{what}: {}", refused.stderr);
        assert_error_says(
            &refused,
            &[says, "the most this host accepts", "--max-response-mib"],
            &what,
        );
        assert!(refused.stdout.is_empty(), "{what}");
        assert_eq!(
            behaviour(&server)["huge_reply"]["count"],
            1,
            "{what}: one attempt, not retried"
        );
        assert!(took < SLACK * 2, "{what}: took {took:?}");
    }

    let (zero, _) = invoke(&server, &[], &["--max-response-mib", "0"]);
    assert_eq!(zero.code, Some(2), "{}", zero.stderr);
}

#[test]
fn a_huge_chunk_or_an_endless_stream_is_cut_off_at_the_limit_keeping_the_text() {
    let server = LocalServer::start();
    let whole = whole_answer(&server);

    break_stream(
        &server,
        6,
        json!({"kind": "huge_chunk", "payload_bytes": 4_000_000_000_u32}),
    );
    let (huge, took) = invoke(&server, &[], &[]);
    assert_eq!(huge.code, Some(7), "{}", huge.stderr);
    assert_kept_part_of(&huge, &whole, "huge chunk");
    assert_error_says(
        &huge,
        &["larger than 64 MiB", "the most this host accepts"],
        "huge chunk",
    );
    assert!(took < SLACK * 2, "took {took:?}");

    break_stream(&server, 6, json!({"kind": "endless"}));
    let (endless, took) = invoke(&server, &[], &["--max-response-mib", "1"]);
    assert_eq!(endless.code, Some(7), "{}", endless.stderr);
    assert_error_says(
        &endless,
        &["larger than 1 MiB", "the most this host accepts"],
        "endless",
    );
    let before_the_fault = huge.stdout.trim_end();
    assert!(
        endless.stdout.starts_with(before_the_fault),
        "the same six chunks came first"
    );
    assert!(
        endless.stdout.len() > 2 * whole.len(),
        "the repeated text was printed as it came, up to the limit"
    );
    assert!(took < SLACK * 2, "took {took:?}");
}
