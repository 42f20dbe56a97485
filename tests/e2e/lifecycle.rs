//! Model lifecycles through the CLI and the local Bedrock, whose model list
//! carries the statuses of recorded ListFoundationModels responses: `models`
//! shows each model's status (and filters on it), and `invoke` of a legacy
//! model warns once on stderr, still answers, and asks the control plane for
//! the list at most once a day (seen in the local Bedrock's arrivals log).

use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::support::{LocalServer, Run, bedrock_host, run};

/// Legacy in the recorded us-east-1 list, and served on demand.
const LEGACY: &str = "anthropic.claude-3-haiku-20240307-v1:0";
/// Active in the recorded us-east-1 list, and served on demand.
const ACTIVE: &str = "meta.llama3-8b-instruct-v1:0";
/// A cross-region profile of a model that is legacy in the recorded list.
const LEGACY_PROFILE: &str = "us.anthropic.claude-sonnet-4-20250514-v1:0";

/// The marker of the warning line.
const WARNING: &str = "is a legacy model";

/// A user's per-user cache folder, of this test alone.
struct CacheHome(tempfile::TempDir);

impl CacheHome {
    fn new() -> Self {
        Self(tempfile::tempdir().expect("temp cache home"))
    }

    /// `command` with this cache home.
    fn with(&self, mut command: Command) -> Command {
        command.env("XDG_CACHE_HOME", self.0.path());
        command
    }

    /// The lifecycle cache files written so far.
    fn lifecycle_files(&self) -> Vec<PathBuf> {
        let folder = self.0.path().join("bedrock-host/models");
        std::fs::read_dir(folder).map_or_else(
            |_| Vec::new(),
            |entries| {
                entries
                    .filter_map(Result::ok)
                    .map(|entry| entry.path())
                    .collect()
            },
        )
    }
}

/// The local Bedrock's test-control request `method path` (the arrivals
/// log), and the reply's body.
fn control(server: &LocalServer, method: &str, path: &str) -> String {
    let address = server.endpoint.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(address).expect("connect to the local Bedrock");
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )
    .expect("send the control request");
    let mut reply = String::new();
    stream.read_to_string(&mut reply).expect("read the reply");
    assert!(reply.starts_with("HTTP/1.1 2"), "{reply}");
    reply
        .split_once("\r\n\r\n")
        .map_or(String::new(), |(_, body)| body.to_owned())
}

/// How many ListFoundationModels calls the local Bedrock has seen.
fn model_list_calls(server: &LocalServer) -> usize {
    let body = control(server, "GET", "/_emulator/arrivals");
    let arrivals: Value = serde_json::from_str(&body).expect("the arrivals as JSON");
    arrivals["arrivals"]
        .as_array()
        .expect("a list")
        .iter()
        .filter(|arrival| arrival["method"] == "GET" && arrival["path"] == "/foundation-models")
        .count()
}

/// `invoke --model model "Say hello"` against `server`, with `extra` options.
fn invoke(server: &LocalServer, home: &CacheHome, model: &str, extra: &[&str]) -> Run {
    let mut command = server.command(&["invoke", "--model", model]);
    command.args(extra).arg("Say hello");
    run(home.with(command))
}

/// The warning lines of a run's stderr.
fn warnings(run: &Run) -> Vec<&str> {
    run.stderr
        .lines()
        .filter(|line| line.contains(WARNING))
        .collect()
}

#[test]
fn models_shows_legacy_and_active_models_in_the_table_and_in_json() {
    let home = CacheHome::new();
    let mut table = bedrock_host();
    table.args(["--local", "models"]);
    let table = run(home.with(table));
    assert_eq!(table.code, Some(0), "{}", table.stderr);
    let header = table.stdout.lines().next().expect("a header");
    assert!(header.contains("LIFECYCLE"), "{header}");
    let row = |id: &str| {
        table
            .stdout
            .lines()
            .find(|line| line.starts_with(&format!("{id} ")))
            .unwrap_or_else(|| panic!("{id} is listed:\n{}", table.stdout))
            .to_owned()
    };
    assert!(row(LEGACY).contains(" LEGACY "), "{}", row(LEGACY));
    assert!(row(ACTIVE).contains(" ACTIVE "), "{}", row(ACTIVE));

    let mut json = bedrock_host();
    json.args(["--local", "models", "--output", "json"]);
    let json = run(home.with(json)).json();
    let status = |id: &str| {
        json["models"]
            .as_array()
            .expect("models")
            .iter()
            .find(|model| model["model_id"] == id)
            .unwrap_or_else(|| panic!("{id} in {json}"))["lifecycle"]["status"]
            .clone()
    };
    assert_eq!(status(LEGACY), "LEGACY");
    assert_eq!(status(ACTIVE), "ACTIVE");

    let mut legacy_only = bedrock_host();
    legacy_only.args([
        "--local",
        "models",
        "--lifecycle",
        "legacy",
        "--output",
        "json",
    ]);
    let legacy_only = run(home.with(legacy_only)).json();
    let listed = legacy_only["models"].as_array().expect("models");
    assert!(listed.iter().any(|model| model["model_id"] == LEGACY));
    assert!(
        listed
            .iter()
            .all(|model| model["lifecycle"]["status"] == "LEGACY"),
        "{legacy_only}"
    );
}

#[test]
fn a_legacy_model_answers_with_one_warning_and_an_active_one_with_none() {
    let server = LocalServer::start();
    let home = CacheHome::new();

    let legacy = invoke(&server, &home, LEGACY, &[]);
    assert_eq!(legacy.code, Some(0), "{}", legacy.stderr);
    assert!(!legacy.stdout.trim().is_empty(), "the model answered");
    let warned = warnings(&legacy);
    assert_eq!(warned.len(), 1, "one warning: {}", legacy.stderr);
    assert!(
        warned[0].starts_with(&format!("warning: {LEGACY} is a legacy model"))
            && warned[0]
                .ends_with("find an active successor with `bedrock-host models --lifecycle active --by-provider Anthropic`"),
        "{}",
        warned[0]
    );
    assert!(
        !legacy.stdout.contains(WARNING),
        "stdout keeps the answer only"
    );

    let active = invoke(&server, &home, ACTIVE, &[]);
    assert_eq!(active.code, Some(0), "{}", active.stderr);
    assert_eq!(warnings(&active), Vec::<&str>::new(), "{}", active.stderr);

    let profile = invoke(&server, &home, LEGACY_PROFILE, &["--output", "json"]);
    assert_eq!(profile.code, Some(0), "{}", profile.stderr);
    assert_eq!(
        profile.json()["model_id"],
        LEGACY_PROFILE,
        "stdout is the one JSON object"
    );
    let warned = warnings(&profile);
    assert_eq!(warned.len(), 1, "{}", profile.stderr);
    assert!(
        warned[0].contains(&format!(
            "{LEGACY_PROFILE} (anthropic.claude-sonnet-4-20250514-v1:0) is a legacy model"
        )),
        "the profile's model is found: {}",
        warned[0]
    );
}

#[test]
fn the_model_list_is_fetched_once_a_day_and_kept_in_the_users_cache() {
    let server = LocalServer::start();
    let home = CacheHome::new();
    control(&server, "DELETE", "/_emulator/arrivals");

    let first = invoke(&server, &home, LEGACY, &["--no-stream"]);
    assert_eq!(first.code, Some(0), "{}", first.stderr);
    assert_eq!(model_list_calls(&server), 1, "the first invoke fetches");
    let files = home.lifecycle_files();
    assert_eq!(files.len(), 1, "{files:?}");

    let second = invoke(&server, &home, LEGACY, &["--no-stream"]);
    assert_eq!(second.code, Some(0), "{}", second.stderr);
    assert_eq!(warnings(&second).len(), 1, "{}", second.stderr);
    assert_eq!(
        model_list_calls(&server),
        1,
        "the second invoke of the day answers from the cache"
    );

    make_a_day_old(&files[0]);
    let next_day = invoke(&server, &home, ACTIVE, &["--no-stream"]);
    assert_eq!(next_day.code, Some(0), "{}", next_day.stderr);
    assert_eq!(
        model_list_calls(&server),
        2,
        "a day-old list is fetched again"
    );
}

#[test]
fn a_control_plane_that_cannot_answer_costs_no_warning_and_no_failure() {
    let home = CacheHome::new();
    let server = LocalServer::start();
    // A wrong secret: the runtime refuses it too, so the answer is an AWS
    // error, and the lifecycle lookup's own refusal adds nothing to it.
    let mut refused = server.command(&["invoke", "--model", LEGACY, "Say hello"]);
    refused.env("AWS_SECRET_ACCESS_KEY", "not-the-secret");
    let refused = run(home.with(refused));
    assert_eq!(refused.code, Some(6), "{}", refused.stderr);
    assert_eq!(warnings(&refused), Vec::<&str>::new(), "{}", refused.stderr);
    assert!(
        refused
            .stderr
            .lines()
            .all(|line| line.starts_with("error: ") || line.starts_with("  hint: ")),
        "the error and its hint, nothing else: {}",
        refused.stderr
    );

    // In a cache home of its own: the first home keeps the failure for an
    // hour, so its next invoke does not ask again.
    let mut verbose = server.command(&["-vv", "invoke", "--model", LEGACY, "Say hello"]);
    verbose.env("AWS_SECRET_ACCESS_KEY", "not-the-secret");
    let verbose = run(CacheHome::new().with(verbose));
    assert!(
        verbose
            .stderr
            .contains("cannot list the models for their lifecycles"),
        "-vv says why there is no lifecycle: {}",
        verbose.stderr
    );
}

/// Rewrites the cache file as if its list had been fetched a day ago.
fn make_a_day_old(file: &Path) {
    let mut list: Value =
        serde_json::from_slice(&std::fs::read(file).expect("read the cache")).expect("JSON");
    let fetched = list["fetched_at"].as_u64().expect("fetched_at");
    list["fetched_at"] = (fetched - 24 * 60 * 60).into();
    std::fs::write(file, list.to_string()).expect("write the cache");
}
