//! Every Bedrock error a user meets reaches them as one line with the AWS
//! error name, the request id and a hint, and the right exit code. The
//! messages are the real ones quoted in
//! `tests/fixtures/bedrock/error-observations/`. (How retries, broken
//! streams, timeouts and oversized answers behave is in `faults.rs`.)

use serde_json::json;

use crate::support::{CLAUDE, LocalServer, run};

/// Makes the next `count` model calls fail with this error.
fn fail(server: &LocalServer, count: u32, status: u16, error_type: &str, message: &str) {
    server.misbehave(&json!({
        "fail_requests": {"count": count, "status": status, "error_type": error_type, "message": message}
    }));
}

struct Case {
    status: u16,
    error_type: &'static str,
    message: &'static str,
    model: &'static str,
    exit: i32,
    hint: &'static str,
}

/// The first cases are quoted in error-observations; the validation errors
/// after them are recorded in otel-python-contrib and vercel-ai, where
/// Bedrock's own message is the instruction.
const CASES: &[Case] = &[
    Case {
        status: 400,
        error_type: "ValidationException",
        message: "Invocation of model ID anthropic.claude-3-5-sonnet-20241022-v2:0 with on-demand throughput isn\u{2019}t supported. Retry your request with the ID or ARN of an inference profile that contains this model.",
        model: "anthropic.claude-3-5-sonnet-20241022-v2:0",
        exit: 4,
        hint: "retry with `us.anthropic.claude-3-5-sonnet-20241022-v2:0`",
    },
    Case {
        status: 403,
        error_type: "AccessDeniedException",
        message: "You don't have access to the model with the specified model ID.",
        model: CLAUDE,
        exit: 4,
        hint: "model access is granted in this region",
    },
    Case {
        status: 404,
        error_type: "ResourceNotFoundException",
        message: "Access denied. This Model is marked by provider as Legacy and you have not been actively using the model in the last 15 days. Please upgrade to an active model on Amazon Bedrock",
        model: CLAUDE,
        exit: 4,
        hint: "legacy or at end of life",
    },
    Case {
        status: 403,
        error_type: "ExpiredTokenException",
        message: "The security token included in the request is expired",
        model: CLAUDE,
        exit: 6,
        hint: "credentials expired",
    },
    Case {
        status: 403,
        error_type: "UnrecognizedClientException",
        message: "The security token included in the request is invalid.",
        model: CLAUDE,
        exit: 6,
        hint: "is not recognised",
    },
    Case {
        status: 429,
        error_type: "ThrottlingException",
        message: "Too many requests, please wait before trying again. You have sent too many requests.  Wait before trying again.",
        model: CLAUDE,
        exit: 5,
        hint: "after 2 attempts",
    },
    Case {
        status: 503,
        error_type: "ServiceUnavailableException",
        message: "Bedrock is unable to process your request.",
        model: CLAUDE,
        exit: 5,
        hint: "after 2 attempts",
    },
    Case {
        status: 400,
        error_type: "ValidationException",
        message: "The provided model identifier is invalid.",
        model: CLAUDE,
        exit: 4,
        hint: "check the model id",
    },
    Case {
        status: 400,
        error_type: "ValidationException",
        message: "The model returned the following errors: Thinking may not be enabled when tool_choice forces tool use.",
        model: CLAUDE,
        exit: 4,
        hint: "",
    },
    Case {
        status: 400,
        error_type: "ValidationException",
        message: "User messages cannot contain reasoning content. Please remove the reasoning content and try again.",
        model: CLAUDE,
        exit: 4,
        hint: "",
    },
    Case {
        status: 400,
        error_type: "ValidationException",
        message: "1 validation error detected: Value at 'messages.2.member.content.1.member.toolUse.name' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_-]+",
        model: CLAUDE,
        exit: 4,
        hint: "",
    },
];

#[test]
fn each_real_error_is_one_line_with_its_name_request_id_and_hint() {
    let server = LocalServer::start();
    for case in CASES {
        fail(&server, 2, case.status, case.error_type, case.message);
        let run = run(server.command(&[
            "--max-attempts",
            "2",
            "invoke",
            "--no-stream",
            "--model",
            case.model,
            "hi",
        ]));
        let what = case.error_type;
        assert_eq!(run.code, Some(case.exit), "{what}: {}", run.stderr);
        assert!(
            run.stderr.contains(&format!("{what}: {}", case.message)),
            "{what}: {}",
            run.stderr
        );
        assert!(
            run.stderr.contains("(request id "),
            "{what}: {}",
            run.stderr
        );
        assert!(
            run.stderr.contains(case.hint),
            "{what}: hint {:?} missing from {}",
            case.hint,
            run.stderr
        );
        assert!(
            run.stdout.is_empty(),
            "{what}: nothing on stdout: {}",
            run.stdout
        );
        server.misbehave(&json!({}));
    }
}
