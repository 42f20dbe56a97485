//! What every end-to-end test needs: the binary, the plugins folder, a
//! private compile cache, and a way to run the CLI and read what it did.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

/// The notebook's Claude model id.
pub const CLAUDE: &str = "anthropic.claude-3-5-sonnet-20240620-v1:0";

/// The folder `cargo xtask plugins` writes the repository's plugins to.
pub fn plugins_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/plugins");
    assert!(
        dir.join("anthropic.wasm").is_file(),
        "{} has no anthropic.wasm: run the tests with `cargo xtask test`, which builds the plugins",
        dir.display()
    );
    dir
}

/// A compile cache shared by the tests of this run, so each plugin is
/// compiled once.
fn cache_dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir =
            std::env::temp_dir().join(format!("bedrock-host-e2e-cache-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp cache dir");
        dir
    })
}

/// The CLI with the repository's plugins, a private cache, and no AWS
/// settings inherited from whoever runs the tests.
pub fn bedrock_host() -> Command {
    let mut command = bedrock_host_without_plugins();
    command.arg("--plugins-dir").arg(plugins_dir());
    command
}

/// As `bedrock_host`, with no plugins folder given.
pub fn bedrock_host_without_plugins() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_bedrock-host"));
    command
        .env("BEDROCK_HOST_CACHE_DIR", cache_dir())
        .env_remove("BEDROCK_HOST_PLUGINS")
        .env_remove("BEDROCK_HOST_LOG");
    for var in [
        "AWS_PROFILE",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_BEDROCK_RUNTIME",
        "AWS_BEARER_TOKEN_BEDROCK",
    ] {
        command.env_remove(var);
    }
    command
        .env("AWS_CONFIG_FILE", empty_file())
        .env("AWS_SHARED_CREDENTIALS_FILE", empty_file())
        .env("AWS_EC2_METADATA_DISABLED", "true");
    command
}

/// An empty file, standing in for the user's AWS config and credentials.
fn empty_file() -> &'static PathBuf {
    static FILE: OnceLock<PathBuf> = OnceLock::new();
    FILE.get_or_init(|| {
        let file = cache_dir().join("empty-aws-config");
        std::fs::write(&file, b"").expect("write an empty AWS config");
        file
    })
}

/// What a finished run printed, and how it exited.
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// The stdout as one JSON object.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(self.stdout.trim()).unwrap_or_else(|error| {
            panic!(
                "stdout is not one JSON object ({error}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }
}

impl From<Output> for Run {
    fn from(output: Output) -> Self {
        Self {
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

/// Runs `command` with `stdin` as its standard input.
pub fn run_with_stdin(mut command: Command, stdin: &str) -> Run {
    command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("the bedrock-host binary runs");
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(stdin.as_bytes())
        .expect("stdin accepts the prompt");
    child
        .wait_with_output()
        .expect("bedrock-host finishes")
        .into()
}

/// Runs `command` with an empty standard input.
pub fn run(command: Command) -> Run {
    run_with_stdin(command, "")
}
