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

/// Fails if `output` holds a control character a plugin could use to
/// rewrite a terminal (anything but newline and tab), or a line a plugin
/// forged (one starting with `error: forged`).
fn assert_no_raw_controls(what: &str, output: &str) {
    if let Some(c) = output
        .chars()
        .find(|c| c.is_control() && *c != '\n' && *c != '\t')
    {
        panic!("{what} holds the raw control character {c:?}:\n{output}");
    }
    assert!(
        !output.lines().any(|line| line.starts_with("error: forged")),
        "{what} holds a forged line:\n{output}"
    );
}

/// A plugins folder with the misfits `loud` (over the `describe` caps) and
/// `escapes` (within them, with control characters), and the hostile plugin.
fn loud_folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("plugins dir");
    for (from, name) in [
        (test_plugins_dir().join("hostile.wasm"), "hostile.wasm"),
        (super::misfit("loud"), "loud.wasm"),
        (super::misfit("escapes"), "escapes.wasm"),
    ] {
        std::fs::copy(from, dir.path().join(name)).expect("copy plugin");
    }
    dir
}

#[test]
fn plugins_list_and_inspect_print_what_a_plugin_chose_escaped() {
    let dir = loud_folder();
    let command = |args: &[&str]| {
        let mut command = crate::support::bedrock_host_without_plugins();
        command.arg("--plugins-dir").arg(dir.path()).args(args);
        crate::support::run(command)
    };
    let listed = command(&["plugins", "list"]);
    assert_eq!(listed.code, Some(0), "{}", listed.stderr);
    assert_no_raw_controls("plugins list", &listed.stdout);
    assert_no_raw_controls("plugins list's stderr", &listed.stderr);
    let shown = &listed.stdout;
    assert!(
        shown.contains(
            "escapes 1.0\\u{1b}[2J\\r\\nerror: forged version line  (bedrock:adapter@0.1.0)"
        ),
        "{shown}"
    );
    assert!(
        shown.contains(
            "  \\u{1b}]0;owned by escapes\\u{7}\\u{1b}[1A\\u{1b}[2Kcursor moved\\nforged line\n"
        ),
        "{shown}"
    );
    assert!(
        shown.contains("options:   opt\\nforged option line, \\u{1b}[31mred\n"),
        "{shown}"
    );
    let refusal = shown
        .lines()
        .find(|line| line.contains("loud.wasm"))
        .expect("loud is listed as refused");
    assert!(
        refusal.starts_with("could not load ")
            && refusal.contains("plugin `loud` gave a description of ")
            && refusal.ends_with(" bytes, over the cap of 1024"),
        "{refusal}"
    );
    assert!(
        shown.len() < 16 << 10,
        "nothing of the 4 MiB description is printed: {} bytes",
        shown.len()
    );

    let json = command(&["plugins", "list", "--output", "json"]);
    assert_eq!(json.code, Some(0), "{}", json.stderr);
    assert_no_raw_controls("plugins list --output json", &json.stdout);
    let listed = json.json();
    let escapes = listed["plugins"]
        .as_array()
        .expect("plugins")
        .iter()
        .find(|p| p["name"] == "escapes")
        .expect("escapes is listed");
    assert_eq!(
        escapes["version"], "1.0\u{1b}[2J\r\nerror: forged version line",
        "JSON carries the string itself, escaped by JSON"
    );

    for file in ["escapes.wasm", "loud.wasm"] {
        let path = dir.path().join(file);
        let path = path.to_str().expect("a UTF-8 path");
        for args in [
            ["plugins", "inspect", path, "--output", "text"],
            ["plugins", "inspect", path, "--output", "json"],
        ] {
            let inspected = command(&args);
            assert_eq!(inspected.code, Some(0), "{}", inspected.stderr);
            assert_no_raw_controls("plugins inspect", &inspected.stdout);
            assert_no_raw_controls("plugins inspect's stderr", &inspected.stderr);
        }
    }
}

#[test]
fn a_refused_loud_plugin_prints_nothing_of_its_own_when_a_model_is_invoked() {
    let dir = loud_folder();
    let mut command = crate::support::bedrock_host_without_plugins();
    command.arg("--plugins-dir").arg(dir.path()).args([
        "--local",
        "invoke",
        "--model",
        "loud.model",
        "hi",
    ]);
    let run = crate::support::run(command);
    assert_eq!(run.code, Some(3), "{}", run.stderr);
    assert_no_raw_controls("invoke's stderr", &run.stderr);
    assert!(!run.stderr.contains("owned by loud"), "{}", run.stderr);
    assert!(run.stderr.len() < 16 << 10, "{}", run.stderr.len());
}

#[test]
fn a_trap_shows_wasmtimes_description_and_the_escaped_end_of_what_the_plugin_printed() {
    let cwd = tempfile::tempdir().expect("cwd");
    let trapped = super::calls::invoke_served_by_hostile(cwd.path(), &["trap"]);
    assert_eq!(trapped.code, Some(3), "{}", trapped.stderr);
    assert_no_raw_controls("a trap's error", &trapped.stderr);
    assert!(
        trapped.stderr.contains(
            "plugin `hostile` trapped in build-request: wasm trap: wasm `unreachable` instruction executed; it printed: "
        ),
        "{}",
        trapped.stderr
    );
    assert!(
        trapped.stderr.contains(
            "plain \\u{1b}]0;owned\\u{7} \\u{1b}[2J\\u{1b}[1;1Hmoved\\rback\\ttab \\u{9b}31mcsi\\u{7}\\nsecond line\\nerror: forged by the hostile plugin"
        ),
        "{}",
        trapped.stderr
    );
    assert!(
        !trapped.stderr.contains("wasm backtrace"),
        "the backtrace is for -vv: {}",
        trapped.stderr
    );

    let verbose = super::calls::invoke_served_by_hostile(cwd.path(), &["-vv", "trap"]);
    assert_eq!(verbose.code, Some(3), "{}", verbose.stderr);
    assert!(
        verbose.stderr.contains("wasm backtrace"),
        "{}",
        verbose.stderr
    );
    assert!(
        !verbose.stderr.contains("\u{1b}]0;owned"),
        "{}",
        verbose.stderr
    );
}

/// What the hostile plugin answers `escapes` with (its `ESCAPES`).
const ESCAPES: &str = "plain \u{1b}]0;owned\u{7} \u{1b}[2J\u{1b}[1;1Hmoved\rback\ttab \u{9b}31mcsi\u{7}\nsecond line\n";

#[test]
fn model_text_reaches_a_pipe_byte_for_byte() {
    let cwd = tempfile::tempdir().expect("cwd");
    for args in [&["escapes"][..], &["--no-stream", "escapes"]] {
        let run = super::calls::invoke_served_by_hostile(cwd.path(), args);
        assert_eq!(run.code, Some(0), "{args:?}: {}", run.stderr);
        assert_eq!(run.stdout, ESCAPES, "{args:?}");
    }
}

/// `invoke ... escapes` run on a terminal (a pty, through `script`), with
/// `extra` arguments; what the terminal received.
fn on_a_terminal(cwd: &Path, extra: &[&str]) -> String {
    let mut invoke = crate::support::bedrock_host_without_plugins();
    invoke
        .arg("--plugins-dir")
        .arg(test_plugins_dir())
        .args([
            "--local",
            "invoke",
            "--family",
            "hostile",
            "--model",
            super::REAL_MODEL,
        ])
        .args(extra)
        .arg("escapes");
    let quote =
        |text: &std::ffi::OsStr| format!("'{}'", text.to_string_lossy().replace('\'', "'\\''"));
    let line = std::iter::once(quote(invoke.get_program()))
        .chain(invoke.get_args().map(quote))
        .collect::<Vec<_>>()
        .join(" ");
    let mut script = std::process::Command::new("script");
    script.current_dir(cwd).args(["-qec", &line, "/dev/null"]);
    for (key, value) in invoke.get_envs() {
        match value {
            Some(value) => script.env(key, value),
            None => script.env_remove(key),
        };
    }
    let output = script
        .stdin(std::process::Stdio::null())
        .output()
        .expect("`script` (util-linux) runs");
    assert!(output.status.success(), "{output:?}");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn model_text_on_a_terminal_is_escaped_unless_raw_output_is_asked_for() {
    let cwd = tempfile::tempdir().expect("cwd");
    for extra in [&[][..], &["--no-stream"]] {
        let shown = on_a_terminal(cwd.path(), extra);
        assert!(
            shown.contains(
                "plain \\u{1b}]0;owned\\u{7} \\u{1b}[2J\\u{1b}[1;1Hmoved\\rback\ttab \\u{9b}31mcsi\\u{7}\r\nsecond line\r\n"
            ),
            "{extra:?}: {shown:?}"
        );
        assert!(!shown.contains("\u{1b}]0;owned"), "{shown:?}");
    }
    let raw = on_a_terminal(cwd.path(), &["--raw-output"]);
    assert!(raw.contains("plain \u{1b}]0;owned\u{7}"), "{raw:?}");
}
