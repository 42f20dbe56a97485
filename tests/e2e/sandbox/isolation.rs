//! Nothing of the user's reaches a plugin: not the environment (a secret in
//! the host's own environment included), arguments, files, folders, the
//! network, processes or the clock; and printing floods cannot hurt.

use std::net::TcpListener;
use std::path::Path;
use std::time::Duration;

use bedrock_host::plugin::SandboxLimits;

use super::{World, build, limits, request_saying, test_plugins_dir};

/// What every attempt of `hostile.snoop` is reported as, one line each.
const ATTEMPTS: &[&str] = &[
    "env: denied",
    "args: denied",
    "cwd: Ok(\"/\")",
    "read /etc/passwd: denied",
    "read /etc/hostname: denied",
    "read /proc/self/environ: denied",
    "read .aws/credentials: denied",
    "list /: denied",
    "list .: denied",
    "list /home: denied",
    "list /root: denied",
    "list /tmp: denied",
    "write /tmp/hostile-was-here: denied",
    "resolve localhost: denied",
    "spawn sh: denied",
    "wall clock: denied (\"frozen at 0\")",
    "monotonic clock: denied (\"frozen\")",
];

/// Fails unless `report` shows every attempt denied, the connection to
/// `address` included, and nothing obtained.
fn assert_all_denied(report: &str, address: &str) {
    for attempt in ATTEMPTS {
        assert!(report.contains(attempt), "{attempt}\n{report}");
    }
    assert!(
        report.contains(&format!("connect {address}: denied")),
        "{report}"
    );
    assert!(
        !report.contains("GOT"),
        "the plugin obtained something:\n{report}"
    );
}

/// A listener the plugin is told to connect to; fails if anything did.
struct Bait(TcpListener);

impl Bait {
    fn new() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("listener");
        listener.set_nonblocking(true).expect("nonblocking");
        Self(listener)
    }

    fn address(&self) -> String {
        self.0.local_addr().expect("address").to_string()
    }

    fn assert_untouched(&self) {
        assert!(
            self.0.accept().is_err(),
            "the plugin opened a connection to {}",
            self.address()
        );
    }
}

fn assert_nothing_written() {
    for marker in ["/tmp/hostile-was-here", "/tmp/hostile-spawned"] {
        assert!(!Path::new(marker).exists(), "{marker} was created");
    }
}

#[tokio::test]
async fn a_plugin_reaches_no_files_network_processes_or_clock() {
    let world = World::new(limits()).await;
    let bait = Bait::new();
    let mut sandbox = world.hostile().sandbox().await.expect("sandbox");
    let body = sandbox
        .build_request(&request_saying("hostile.snoop", &bait.address()))
        .await
        .expect("snooping is answered, with denials");
    let report = String::from_utf8(body.bytes).expect("a text report");
    assert_all_denied(&report, &bait.address());
    bait.assert_untouched();
    assert_nothing_written();
    world.still_serving().await;
}

#[test]
fn a_secret_in_the_hosts_environment_never_reaches_a_plugin() {
    const SECRET: &str = "fake-secret-wJalrXUtnFEMI-K7MDENG-bPxRfiCY";
    let home = tempfile::tempdir().expect("home");
    std::fs::create_dir_all(home.path().join(".aws")).expect(".aws");
    std::fs::write(
        home.path().join(".aws/credentials"),
        format!("[default]\naws_access_key_id = AKIAFAKE\naws_secret_access_key = {SECRET}\n"),
    )
    .expect("credentials");
    let bait = Bait::new();
    let mut command = crate::support::bedrock_host_without_plugins();
    command
        .current_dir(home.path())
        .env("HOME", home.path())
        .env("AWS_SECRET_ACCESS_KEY", SECRET)
        .env("AWS_ACCESS_KEY_ID", "AKIAFAKE")
        .env("BEDROCK_HOST_LOG", "bedrock_host::plugin=debug")
        .arg("--plugins-dir")
        .arg(test_plugins_dir())
        .args(["--local", "invoke", "--model", "hostile.snoop"])
        .arg(bait.address());
    let run = crate::support::run(command);
    assert!(
        run.stderr.contains("plugin output: "),
        "the plugin's report is in the debug log:\n{}",
        run.stderr
    );
    assert_all_denied(&run.stderr, &bait.address());
    for output in [&run.stdout, &run.stderr] {
        assert!(!output.contains(SECRET), "the secret leaked:\n{output}");
        assert!(!output.contains("AKIAFAKE"), "the key id leaked:\n{output}");
    }
    bait.assert_untouched();
    assert_nothing_written();
}

#[tokio::test]
async fn the_environment_is_empty_and_printing_cannot_hurt() {
    let world = World::new(SandboxLimits {
        call_timeout: Duration::from_secs(30),
        ..limits()
    })
    .await;
    let hostile = world.hostile();
    let (seen, _) = build(hostile, "hostile.env").await;
    assert_eq!(seen.expect("env is readable, and empty"), b"[]");
    let (printed, _) = build(hostile, "hostile.print").await;
    assert_eq!(
        printed.expect("a flood of output is capped, not fatal"),
        b"{}"
    );
    world.still_serving().await;
}
