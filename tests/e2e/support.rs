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
        use std::os::unix::fs::DirBuilderExt as _;
        let dir =
            std::env::temp_dir().join(format!("bedrock-host-e2e-cache-{}", std::process::id()));
        // Private, as the host requires of a cache folder.
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&dir)
            .expect("temp cache dir");
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
        .env_remove("BEDROCK_HOST_LOG")
        .env_remove("BEDROCK_HOST_CONFIG")
        .env_remove("BEDROCK_HOST_PLUGIN_MEMORY")
        .env_remove("BEDROCK_HOST_PLUGIN_TIMEOUT")
        .env("XDG_CONFIG_HOME", empty_config_home())
        .env("XDG_DATA_HOME", data_home())
        .env("XDG_CACHE_HOME", cache_home());
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

/// The per-user data folder of this run, which holds the compile cache's
/// key: one for every test, whatever `HOME` a test sets, so that tests
/// sharing the cache never meet entries tagged under another key (the host
/// warns about those, rightly), and the user's own data folder is never
/// touched.
fn data_home() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir =
            std::env::temp_dir().join(format!("bedrock-host-e2e-data-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("create the data folder of the tests");
        dir
    })
}

/// The per-user cache folder of this run (the model-lifecycle cache), so
/// the user's own is never touched.
fn cache_home() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!(
            "bedrock-host-e2e-cache-home-{}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).expect("create the cache folder of the tests");
        dir
    })
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

/// An empty per-user config folder, so the user's own config file never
/// changes what a test sees.
pub fn empty_config_home() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = cache_dir().join("empty-config-home");
        std::fs::create_dir_all(&dir).expect("create an empty config home");
        dir
    })
}

/// The folder `cargo xtask test` writes the test-only plugins to.
pub fn test_plugins_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/test-plugins");
    assert!(
        dir.join("hostile.wasm").is_file(),
        "{} has no hostile.wasm: run the tests with `cargo xtask test`",
        dir.display()
    );
    dir
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

/// `bedrock-host serve-local` running in its own process, stopped on drop.
pub struct LocalServer {
    child: std::process::Child,
    pub endpoint: String,
}

impl LocalServer {
    /// Starts the server on a free port, with its test controls on, and waits for its endpoint
    /// line.
    pub fn start() -> Self {
        Self::start_with_args(&[])
    }

    /// As `start`, with extra `serve-local` arguments.
    pub fn start_with_args(args: &[&str]) -> Self {
        use std::io::BufRead;
        let mut command = bedrock_host();
        command
            .args(["serve-local", "--port", "0", "--test-controls"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        let mut child = command.spawn().expect("serve-local starts");
        let mut lines = std::io::BufReader::new(child.stdout.take().expect("stdout")).lines();
        let first = lines.next().expect("a line").expect("utf-8");
        // Keep reading, so the server never writes into a closed pipe.
        std::thread::spawn(move || lines.for_each(drop));
        let endpoint = first.rsplit(' ').next().expect("endpoint").to_owned();
        assert!(endpoint.starts_with("http://127.0.0.1:"), "{first}");
        Self { child, endpoint }
    }

    /// Tells the server how to misbehave (its `/_emulator/behaviour` body).
    pub fn misbehave(&self, behaviour: &serde_json::Value) {
        use std::io::{Read, Write};
        let address = self.endpoint.trim_start_matches("http://");
        let body = behaviour.to_string();
        let mut stream =
            std::net::TcpStream::connect(address).expect("connect to the local Bedrock");
        write!(
            stream,
            "POST /_emulator/behaviour HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .expect("send the behaviour");
        let mut reply = String::new();
        stream.read_to_string(&mut reply).expect("read the reply");
        assert!(
            reply.starts_with("HTTP/1.1 200"),
            "behaviour refused: {reply}"
        );
    }

    /// The CLI pointed at this server with its test credentials.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = bedrock_host();
        command
            .args(["--endpoint-url", &self.endpoint, "--region", "us-east-1"])
            .args(args)
            .env("AWS_ACCESS_KEY_ID", bedrock_emulator::TEST_ACCESS_KEY_ID)
            .env(
                "AWS_SECRET_ACCESS_KEY",
                bedrock_emulator::TEST_SECRET_ACCESS_KEY,
            );
        command
    }
}

impl Drop for LocalServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
