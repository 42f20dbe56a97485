//! Installing adapters as a user would, through the real binary: a real
//! plugin signed with `plugins sign`, a trust file granting its publisher,
//! and installs from a file, from a loopback HTTP server the test runs, and
//! from a real OCI registry (Debian's `docker-registry`, the CNCF
//! distribution registry) the test starts on loopback and pushes the Wasm
//! artifact to with `oci-client`. Every refusal is checked with its message
//! and exit code, and the update, rollback and remove round trip serves the
//! model through the installed file against the local Bedrock.

use std::io::{BufRead as _, Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use bedrock_host::plugin::sha256_hex;

use crate::support::{Run, bedrock_host_without_plugins, plugins_dir, run, test_plugins_dir};

const MISTRAL: &str = "mistral.mistral-7b-instruct-v0:2";

/// A user of their own: a plugins folder, a config folder with a trust file,
/// and a publisher key pair made with `plugins keygen`.
struct User {
    home: tempfile::TempDir,
}

impl User {
    fn new() -> Self {
        let user = Self {
            home: tempfile::tempdir().expect("temp dir"),
        };
        std::fs::create_dir_all(user.plugins()).expect("plugins folder");
        std::fs::create_dir_all(user.config().join("bedrock-host")).expect("config folder");
        let made = run(user.host(&[
            "plugins",
            "keygen",
            "--out",
            path_str(&user.key()),
            "--comment",
            "vendor@example",
        ]));
        assert_eq!(made.code, Some(0), "{}", made.stderr);
        user
    }

    fn plugins(&self) -> PathBuf {
        self.home.path().join("plugins")
    }

    fn config(&self) -> PathBuf {
        self.home.path().join("config")
    }

    fn key(&self) -> PathBuf {
        self.home.path().join("vendor.key")
    }

    fn public_key(&self) -> String {
        std::fs::read_to_string(self.home.path().join("vendor.key.pub"))
            .expect("public key")
            .trim()
            .to_owned()
    }

    /// Trusts the user's own key for `plugins` and `models`.
    fn trust(&self, plugins: &[&str], models: &[&str]) {
        let list = |items: &[&str]| {
            items
                .iter()
                .map(|item| format!("\"{item}\""))
                .collect::<Vec<_>>()
                .join(", ")
        };
        std::fs::write(
            self.config().join("bedrock-host/trust.toml"),
            format!(
                "[[publisher]]\nname = \"Example Vendor\"\nkey = \"{}\"\nplugins = [{}]\nmodels = [{}]\n",
                self.public_key(),
                list(plugins),
                list(models)
            ),
        )
        .expect("trust file");
    }

    /// The CLI with only this user's plugins folder and config folder.
    fn host(&self, args: &[&str]) -> Command {
        let mut command = bedrock_host_without_plugins();
        command
            .env("XDG_CONFIG_HOME", self.config())
            .arg("--plugins-dir")
            .arg(self.plugins())
            .args(args);
        command
    }

    /// A copy of the real plugin `name`, signed with the user's key, in a
    /// file of its own.
    fn signed(&self, name: &str) -> PathBuf {
        let out = self.home.path().join(format!("signed-{name}.wasm"));
        let signed = run(self.host(&[
            "plugins",
            "sign",
            path_str(&plugins_dir().join(format!("{name}.wasm"))),
            "--key",
            path_str(&self.key()),
            "--out",
            path_str(&out),
        ]));
        assert_eq!(signed.code, Some(0), "{}", signed.stderr);
        out
    }

    fn install(&self, source: &str, extra: &[&str]) -> Run {
        let mut args = vec!["plugins", "install", source];
        args.extend_from_slice(extra);
        run(self.host(&args))
    }

    fn list_json(&self) -> serde_json::Value {
        let listed = run(self.host(&["plugins", "list", "--output", "json"]));
        assert_eq!(listed.code, Some(0), "{}", listed.stderr);
        listed.json()
    }

    fn invoke(&self, model: &str) -> Run {
        run(self.host(&[
            "--local",
            "invoke",
            "--model",
            model,
            "--max-tokens",
            "10",
            "--output",
            "json",
            "hi",
        ]))
    }
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 temp path")
}

fn assert_refused(run: &Run, code: i32, words: &[&str]) {
    assert_eq!(run.code, Some(code), "{}{}", run.stdout, run.stderr);
    for word in words {
        assert!(
            run.stderr.contains(word),
            "missing {word:?} in: {}",
            run.stderr
        );
    }
}

fn no_wasm_in(dir: &Path) {
    let files: Vec<_> = std::fs::read_dir(dir)
        .expect("plugins folder")
        .filter_map(Result::ok)
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".wasm") || name.ends_with(".partial"))
        .collect();
    assert!(files.is_empty(), "a refusal placed {files:?}");
}

#[test]
fn a_signed_adapter_from_a_file_is_installed_pinned_recorded_and_serves() {
    let user = User::new();
    user.trust(&["mistral"], &["mistral.*"]);
    let signed = user.signed("mistral");
    let sha256 = sha256_hex(&std::fs::read(&signed).expect("signed file"));
    let installed = user.install(
        path_str(&signed),
        &["--sha256", &sha256, "--name", "mistral"],
    );
    assert_eq!(installed.code, Some(0), "{}", installed.stderr);
    assert!(
        installed.stdout.contains("installed mistral ")
            && installed.stdout.contains("Example Vendor")
            && installed.stdout.contains("within its grant"),
        "{}",
        installed.stdout
    );
    let lock = std::fs::read_to_string(user.plugins().join("plugins.lock")).expect("lock");
    assert_eq!(lock, format!("{sha256}  mistral.wasm\n"));
    let check = Command::new("sha256sum")
        .args(["--check", "--strict", "plugins.lock"])
        .current_dir(user.plugins())
        .output()
        .expect("sha256sum runs");
    assert!(check.status.success(), "{check:?}");
    let record: serde_json::Value = serde_json::from_slice(
        &std::fs::read(user.plugins().join("plugins.sources.json")).expect("record"),
    )
    .expect("JSON");
    let mistral = &record["plugins"]["mistral.wasm"];
    assert_eq!(mistral["sha256"], sha256.as_str());
    assert_eq!(mistral["signer"], "Example Vendor");
    assert_eq!(mistral["source"], path_str(&signed));
    let listed = user.list_json();
    let plugin = &listed["plugins"][0];
    assert_eq!(plugin["installed"]["signed"], true);
    assert_eq!(plugin["installed"]["granted"], true);
    let answered = user.invoke(MISTRAL);
    assert_eq!(answered.code, Some(0), "{}", answered.stderr);
    assert_eq!(answered.json()["plugin"], "mistral");
    let again = user.install(path_str(&signed), &[]);
    assert_refused(&again, 3, &["already installed", "plugins update mistral"]);
}

#[test]
fn an_unsigned_or_ungranted_adapter_needs_its_flag_and_is_marked() {
    let user = User::new();
    user.trust(&["mistral"], &["mistral.*"]);
    let unsigned = plugins_dir().join("meta.wasm");
    let refused = user.install(path_str(&unsigned), &[]);
    assert_refused(&refused, 3, &["not signed", "--allow-unsigned"]);
    no_wasm_in(&user.plugins());
    let signed_meta = user.signed("meta");
    let refused = user.install(path_str(&signed_meta), &[]);
    assert_refused(
        &refused,
        3,
        &[
            "signer not trusted",
            "not granted the plugin name `meta`",
            "--allow-ungranted",
        ],
    );
    no_wasm_in(&user.plugins());
    let allowed = user.install(path_str(&signed_meta), &["--allow-ungranted"]);
    assert_eq!(allowed.code, Some(0), "{}", allowed.stderr);
    assert!(allowed.stdout.contains("UNGRANTED"), "{}", allowed.stdout);
    let allowed = user.install(
        path_str(&plugins_dir().join("cohere.wasm")),
        &["--allow-unsigned"],
    );
    assert_eq!(allowed.code, Some(0), "{}", allowed.stderr);
    let listed = run(user.host(&["plugins", "list"]));
    assert!(
        listed
            .stdout
            .contains("UNSIGNED (installed with --allow-unsigned)")
            && listed.stdout.contains("UNGRANTED"),
        "{}",
        listed.stdout
    );
    let json = user.list_json();
    let marks: Vec<(String, bool, bool)> = json["plugins"]
        .as_array()
        .expect("plugins")
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap_or_default().to_owned(),
                p["installed"]["signed"].as_bool().unwrap_or(true),
                p["installed"]["granted"].as_bool().unwrap_or(true),
            )
        })
        .collect();
    assert!(
        marks.contains(&("cohere".into(), false, false)),
        "{marks:?}"
    );
    assert!(marks.contains(&("meta".into(), true, false)), "{marks:?}");
}

#[test]
fn every_refusal_names_its_check_and_places_nothing() {
    let user = User::new();
    user.trust(&["*"], &["*"]);
    let signed = user.signed("mistral");
    let bad_digest = user.install(path_str(&signed), &["--sha256", &"0".repeat(64)]);
    assert_refused(&bad_digest, 3, &["its sha256 is", "--sha256"]);

    let mut tampered = std::fs::read(&signed).expect("signed");
    let needle = b"wit-component";
    let at = tampered
        .windows(needle.len())
        .position(|window| window == needle)
        .expect("the component names its toolchain");
    tampered[at] ^= 0x20;
    let tampered_file = user.home.path().join("tampered.wasm");
    std::fs::write(&tampered_file, tampered).expect("write");
    let bad_signature = user.install(path_str(&tampered_file), &[]);
    assert_refused(
        &bad_signature,
        3,
        &["changed after it was signed", "Example Vendor"],
    );

    let stranger = User::new();
    let foreign = stranger.signed("mistral");
    let unknown = user.install(path_str(&foreign), &[]);
    assert_refused(&unknown, 3, &["not in the trust file"]);

    let future = user.install(
        path_str(&test_plugins_dir().join("misfits/future.wasm")),
        &["--allow-unsigned"],
    );
    assert_refused(&future, 3, &["bedrock:adapter@1.0.0", "this host serves"]);

    let spy = user.install(
        path_str(&test_plugins_dir().join("misfits/spy.wasm")),
        &["--allow-unsigned"],
    );
    assert_refused(&spy, 3, &["bedrock:adapter/host@0.1.0"]);

    let corrupt_file = user.home.path().join("corrupt.wasm");
    let bytes = std::fs::read(plugins_dir().join("mistral.wasm")).expect("plugin");
    std::fs::write(&corrupt_file, &bytes[..bytes.len() / 2]).expect("write");
    let corrupt = user.install(path_str(&corrupt_file), &["--allow-unsigned"]);
    assert_refused(&corrupt, 3, &["not a valid WebAssembly component"]);

    let wrong_name = user.install(path_str(&signed), &["--name", "other"]);
    assert_refused(&wrong_name, 3, &["names itself `mistral`, not `other`"]);

    let missing = user.install(path_str(&user.home.path().join("none.wasm")), &[]);
    assert_refused(&missing, 2, &["cannot read"]);
    no_wasm_in(&user.plugins());
    assert!(!user.plugins().join("plugins.lock").exists());
}

/// A loopback HTTP server that answers every request with `body`, until
/// dropped (the drop waits for it to stop listening).
struct FileServer {
    url: String,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl FileServer {
    fn serve(body: Vec<u8>) -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let address = listener.local_addr().expect("address");
        let url = format!("http://{address}/adapters/mistral.wasm");
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stopped = stop.clone();
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stopped.load(std::sync::atomic::Ordering::SeqCst) {
                    break;
                }
                let Ok(mut stream) = stream else { continue };
                let mut reader = std::io::BufReader::new(&stream);
                let mut line = String::new();
                // The request line and headers, up to the blank line.
                while reader.read_line(&mut line).is_ok_and(|n| n > 0) && line != "\r\n" {
                    line.clear();
                }
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(&body);
            }
        });
        Self {
            url,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for FileServer {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        let address = self
            .url
            .trim_start_matches("http://")
            .split('/')
            .next()
            .unwrap_or_default()
            .to_owned();
        let _ = std::net::TcpStream::connect(address);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[test]
fn an_adapter_is_installed_from_a_loopback_url_and_a_dead_server_is_a_network_error() {
    let user = User::new();
    user.trust(&["mistral"], &["mistral.*"]);
    let signed = std::fs::read(user.signed("mistral")).expect("signed");
    let server = FileServer::serve(signed.clone());
    let installed = user.install(&server.url, &["--sha256", &sha256_hex(&signed)]);
    assert_eq!(installed.code, Some(0), "{}", installed.stderr);
    assert!(
        installed.stdout.contains(&server.url),
        "{}",
        installed.stdout
    );
    assert_eq!(
        user.list_json()["plugins"][0]["installed"]["source"],
        server.url.as_str()
    );
    let url = server.url.clone();
    drop(server);
    let other = User::new();
    let dead = other.install(&url.replace("mistral", "gone"), &[]);
    assert_refused(&dead, 7, &["cannot fetch"]);
    let plain = other.install("http://example.invalid/a.wasm", &[]);
    assert_refused(&plain, 2, &["plain http"]);
}

#[test]
fn update_rollback_and_remove_round_trip() {
    let user = User::new();
    user.trust(&["mistral"], &["mistral.*"]);
    let source = user.home.path().join("published.wasm");
    std::fs::copy(user.signed("mistral"), &source).expect("publish");
    let first_sha = sha256_hex(&std::fs::read(&source).expect("read"));
    let installed = user.install(path_str(&source), &[]);
    assert_eq!(installed.code, Some(0), "{}", installed.stderr);

    let same = run(user.host(&["plugins", "update", "mistral"]));
    assert_eq!(same.code, Some(0), "{}", same.stderr);
    assert!(same.stdout.contains("up to date"), "{}", same.stdout);

    // The vendor publishes new bytes (re-signed after a change to a custom
    // section), signed with the same key.
    let mut changed = std::fs::read(plugins_dir().join("mistral.wasm")).expect("plugin");
    let needle = b"wit-component";
    let at = changed
        .windows(needle.len())
        .position(|window| window == needle)
        .expect("toolchain name");
    changed[at] ^= 0x20;
    let unsigned_new = user.home.path().join("new.wasm");
    std::fs::write(&unsigned_new, changed).expect("write");
    let resigned = run(user.host(&[
        "plugins",
        "sign",
        path_str(&unsigned_new),
        "--key",
        path_str(&user.key()),
        "--out",
        path_str(&source),
    ]));
    assert_eq!(resigned.code, Some(0), "{}", resigned.stderr);
    let second_sha = sha256_hex(&std::fs::read(&source).expect("read"));
    let updated = run(user.host(&["plugins", "update", "mistral"]));
    assert_eq!(updated.code, Some(0), "{}", updated.stderr);
    assert!(
        updated.stdout.contains("updated mistral")
            && updated.stdout.contains("model patterns: unchanged")
            && updated.stdout.contains("imports: unchanged")
            && updated.stdout.contains("plugins rollback mistral"),
        "{}",
        updated.stdout
    );
    let pinned =
        |user: &User| std::fs::read_to_string(user.plugins().join("plugins.lock")).expect("lock");
    assert!(pinned(&user).starts_with(&second_sha), "{}", pinned(&user));
    assert_eq!(user.invoke(MISTRAL).code, Some(0));

    // An update signed by someone else is refused, and nothing changes.
    let stranger = User::new();
    std::fs::copy(stranger.signed("mistral"), &source).expect("replace");
    let foreign = run(user.host(&["plugins", "update", "mistral"]));
    assert_refused(&foreign, 3, &["not in the trust file"]);
    assert!(pinned(&user).starts_with(&second_sha));

    let rolled = run(user.host(&["plugins", "rollback", "mistral"]));
    assert_eq!(rolled.code, Some(0), "{}", rolled.stderr);
    assert!(pinned(&user).starts_with(&first_sha), "{}", pinned(&user));
    assert_eq!(
        sha256_hex(&std::fs::read(user.plugins().join("mistral.wasm")).expect("file")),
        first_sha
    );
    assert_eq!(user.invoke(MISTRAL).code, Some(0));

    let removed = run(user.host(&["plugins", "remove", "mistral"]));
    assert_eq!(removed.code, Some(0), "{}", removed.stderr);
    assert!(!user.plugins().join("mistral.wasm").exists());
    assert_eq!(pinned(&user), "");
    let gone = user.invoke(MISTRAL);
    assert_eq!(gone.code, Some(3), "{}", gone.stderr);
    let again = run(user.host(&["plugins", "remove", "mistral"]));
    assert_refused(&again, 2, &["no adapter named `mistral`"]);
}

#[test]
fn pin_takes_a_plugins_name() {
    let user = User::new();
    let file = user.plugins().join("renamed-file.wasm");
    std::fs::copy(plugins_dir().join("meta.wasm"), &file).expect("copy");
    let pinned = run(user.host(&["plugins", "pin"]));
    assert_eq!(pinned.code, Some(0), "{}", pinned.stderr);
    let mut bytes = std::fs::read(&file).expect("read");
    let needle = b"wit-component";
    let at = bytes
        .windows(needle.len())
        .position(|window| window == needle)
        .expect("toolchain name");
    bytes[at] ^= 0x20;
    std::fs::write(&file, &bytes).expect("write");
    let by_name = run(user.host(&["plugins", "pin", "meta"]));
    assert_eq!(by_name.code, Some(0), "{}", by_name.stderr);
    assert!(
        by_name.stdout.contains("renamed-file.wasm"),
        "{}",
        by_name.stdout
    );
    let lock = std::fs::read_to_string(user.plugins().join("plugins.lock")).expect("lock");
    assert_eq!(lock, format!("{}  renamed-file.wasm\n", sha256_hex(&bytes)));
}

/// Debian's `docker-registry` serving on a free loopback port from a temp
/// folder, stopped on drop; `None` (with the reason printed) where it is
/// not installed.
struct Registry {
    child: std::process::Child,
    address: String,
    _storage: tempfile::TempDir,
}

impl Registry {
    const BINARY: &str = "/usr/bin/docker-registry";

    fn start() -> Option<Self> {
        if !Path::new(Self::BINARY).is_file() {
            eprintln!(
                "SKIPPED: {} is not installed (apt-get install docker-registry; `cargo xtask test` installs it)",
                Self::BINARY
            );
            return None;
        }
        let storage = tempfile::tempdir().expect("temp dir");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let address = format!("127.0.0.1:{port}");
        let config = storage.path().join("config.yml");
        std::fs::write(
            &config,
            format!(
                "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: {address}\n",
                storage.path().join("data").display()
            ),
        )
        .expect("registry config");
        let child = Command::new(Self::BINARY)
            .arg("serve")
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("docker-registry starts");
        let registry = Self {
            child,
            address,
            _storage: storage,
        };
        for _ in 0..100 {
            if let Ok(mut stream) = std::net::TcpStream::connect(&registry.address) {
                let _ = write!(stream, "GET /v2/ HTTP/1.0\r\n\r\n");
                let mut reply = String::new();
                let _ = stream.read_to_string(&mut reply);
                if reply.starts_with("HTTP/1.0 200") || reply.starts_with("HTTP/1.1 200") {
                    return Some(registry);
                }
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        panic!("docker-registry did not answer on {}", registry.address);
    }

    /// Pushes `wasm` as a Wasm OCI artifact to `repository:tag`.
    fn push(&self, repository: &str, tag: &str, wasm: Vec<u8>, config_media_type: &str) -> String {
        use bedrock_host::plugin::{WASM_LAYER_MEDIA_TYPE, oci_client};
        let reference: oci_client::Reference = format!("{}/{repository}:{tag}", self.address)
            .parse()
            .expect("reference");
        let client = oci_client(&self.address);
        let layer =
            oci_client::client::ImageLayer::new(wasm, WASM_LAYER_MEDIA_TYPE.to_owned(), None);
        let config = oci_client::client::Config::new(
            br#"{"architecture":"wasm","os":"wasip2"}"#.to_vec(),
            config_media_type.to_owned(),
            None,
        );
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
            .block_on(client.push(
                &reference,
                &[layer],
                config,
                &oci_client::secrets::RegistryAuth::Anonymous,
                None,
            ))
            .expect("push the artifact");
        format!("oci://{}/{repository}:{tag}", self.address)
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn an_adapter_is_installed_from_a_real_oci_registry_and_updated_from_its_tag() {
    use bedrock_host::plugin::WASM_CONFIG_MEDIA_TYPE;
    let Some(registry) = Registry::start() else {
        return;
    };
    let user = User::new();
    user.trust(&["mistral"], &["mistral.*"]);
    let signed = std::fs::read(user.signed("mistral")).expect("signed");
    let reference = registry.push(
        "vendor/mistral",
        "1",
        signed.clone(),
        WASM_CONFIG_MEDIA_TYPE,
    );
    let installed = user.install(&reference, &["--sha256", &sha256_hex(&signed)]);
    assert_eq!(installed.code, Some(0), "{}", installed.stderr);
    assert!(
        installed.stdout.contains(&format!(
            "from oci://{}/vendor/mistral@sha256:",
            registry.address
        )),
        "{}",
        installed.stdout
    );
    let listed = user.list_json();
    assert_eq!(
        listed["plugins"][0]["installed"]["source"],
        reference.as_str()
    );
    assert_eq!(user.invoke(MISTRAL).code, Some(0));

    // Not a Wasm artifact: another config media type.
    let other = registry.push(
        "vendor/image",
        "1",
        signed.clone(),
        "application/vnd.oci.image.config.v1+json",
    );
    let refused = User::new().install(&other, &["--allow-unsigned"]);
    assert_refused(
        &refused,
        3,
        &[
            "not a Wasm artifact",
            "application/vnd.oci.image.config.v1+json",
        ],
    );

    let missing = User::new().install(&format!("oci://{}/vendor/none:1", registry.address), &[]);
    assert_refused(&missing, 7, &["cannot fetch"]);

    // A new push to the same tag is what `update` finds.
    let stranger = User::new();
    let foreign = std::fs::read(stranger.signed("mistral")).expect("signed");
    registry.push("vendor/mistral", "1", foreign, WASM_CONFIG_MEDIA_TYPE);
    let update = run(user.host(&["plugins", "update"]));
    assert_refused(&update, 3, &["not in the trust file"]);
}

#[test]
fn a_publishers_grant_settles_which_installed_adapter_serves_a_shared_id() {
    let user = User::new();
    user.trust(&["copycat"], &["hostile.*", "copycat.*"]);
    let hostile = user.install(
        path_str(&test_plugins_dir().join("hostile.wasm")),
        &["--allow-unsigned"],
    );
    assert_eq!(hostile.code, Some(0), "{}", hostile.stderr);
    let copycat = user.home.path().join("copycat.wasm");
    let signed = run(user.host(&[
        "plugins",
        "sign",
        path_str(&test_plugins_dir().join("misfits/copycat.wasm")),
        "--key",
        path_str(&user.key()),
        "--out",
        path_str(&copycat),
    ]));
    assert_eq!(signed.code, Some(0), "{}", signed.stderr);
    let installed = user.install(path_str(&copycat), &[]);
    assert_eq!(installed.code, Some(0), "{}", installed.stderr);
    let routed = run(user.host(&[
        "-v",
        "invoke",
        "--dry-run",
        "--model",
        "hostile.polite",
        "hi",
    ]));
    assert!(
        routed.stderr.contains("goes to plugin `copycat`")
            && routed.stderr.contains("granted this id (`Example Vendor`"),
        "{}",
        routed.stderr
    );
    // Without the grant, the shared id is a tie again.
    user.trust(&["copycat"], &["copycat.*"]);
    let tie = run(user.host(&["invoke", "--dry-run", "--model", "hostile.polite", "hi"]));
    assert_eq!(tie.code, Some(3), "{}", tie.stderr);
    assert!(
        tie.stderr.contains("claimed by 2 plugins"),
        "{}",
        tie.stderr
    );
}
