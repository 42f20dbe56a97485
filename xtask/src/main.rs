//! The repository's build steps, as `cargo xtask <task>`.
//!
//! - `plugins`: adds the `wasm32-wasip2` target when it is missing, builds
//!   every crate under `plugins/` for it, and copies each component to
//!   `target/plugins/<family>.wasm`, where the host looks for them.
//! - `demo`: `plugins`, then a real streamed `invoke` against the local
//!   Bedrock, with the notebook's Claude prompt.
//! - `test`: `docker-registry` for the OCI install tests (apt-get, when
//!   missing and run as root), `plugins`, the test-only plugins of `tests/hostile` (the
//!   `hostile` plugin into `target/test-plugins/`, the misfits that must not
//!   load beside it into `target/test-plugins/misfits/`), then every test:
//!   the host workspace's, and the plugins' own unit tests, run natively.
//!   The host's tests get `BEDROCK_TEST_PYTHON`, the python of a venv
//!   (`target/test-venv`, made once and reinstalled only when
//!   `tests/boto3/requirements.txt` changes) with boto3 from PyPI, which
//!   the boto3 check of the new families (`tests/e2e/boto3.rs`) runs.
//! - `test-plugins`: `plugins` and the test-only plugins, as `test` builds
//!   them, without running a test: what a single `cargo test -p
//!   bedrock-host --test e2e NAME` needs first.
//! - `bench`: the release host and benchmark harnesses, `plugins`, the
//!   criterion benches (`cargo bench -p bedrock-benchmarks`, when there are
//!   any), then `benches/scripts/bench.py`: start-up, streaming and scale
//!   against the local Bedrock, and the plots. Extra arguments pick the
//!   script's steps (`startup`, `streaming`, `scale`, `plots`). See
//!   BENCHMARKS.md.
//! - `fuzz <target> [--seconds N]`: runs one `cargo fuzz` target of `fuzz/`
//!   for N seconds (default 600) from its committed seeds, with the flags
//!   this stable toolchain needs (see `fuzz/README.md`).
//!
//! Invariant: each step runs the same `cargo` that runs this task, and stops
//! at the first failure with its exit code.

use std::env;
use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

const WASM_TARGET: &str = "wasm32-wasip2";
const PLUGIN_PREFIX: &str = "bedrock-plugin-";
/// The workspace of the plugins that only the tests load.
const TEST_PLUGINS_DIR: &str = "tests/hostile";
/// Its plugin that loads beside the real ones, into `target/test-plugins/`.
const TEST_PLUGINS: &[&str] = &["hostile"];
/// Its misfits (each a plugin that must not load, or must not route, beside
/// the others), into `target/test-plugins/misfits/`, where the tests pick
/// them one by one.
const MISFITS: &[&str] = &[
    "describe-loop",
    "claims-all",
    "copycat",
    "greedy",
    "future",
    "wrong-world",
    "loud",
    "escapes",
    "unruly",
    "warped",
    "spy",
];
const DEMO_MODEL: &str = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";
const DEMO_PROMPT: &str =
    "Human: Write me a blog about making strong business decisions as a leader.\n\nAssistant:\n";

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("plugins") => build_plugins(),
        Some("demo") => build_plugins().and_then(|()| demo(&args[1..])),
        Some("test-plugins") => build_plugins().and_then(|()| build_test_plugins()),
        Some("test") => build_plugins()
            .and_then(|()| build_test_plugins())
            .and_then(|()| test(&args[1..])),
        Some("bench") => build_bench()
            .and_then(|()| build_plugins())
            .and_then(|()| criterion_benches())
            .and_then(|()| bench_scripts(&args[1..])),
        Some("fuzz") => fuzz(&args[1..]),
        _ => {
            eprintln!(
                "usage: cargo xtask <task>\n\n  plugins   build the plugins into target/plugins\n  demo      build, then stream a Claude answer from the local Bedrock\n  test      build, then run every test\n  test-plugins  build the plugins and the test-only ones, to run single tests with cargo test\n  bench     build release, then run every benchmark (see BENCHMARKS.md)\n  fuzz      fuzz <target> [--seconds N]: run one fuzz target for N seconds (default 600)"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The repository root: the parent of xtask's manifest folder, as `cargo run`
/// names it at run time. The compile-time value is only the fallback: with a
/// build folder shared between checkouts (`CARGO_BUILD_BUILD_DIR`), one
/// compiled xtask serves them all and would carry another checkout's path.
fn root() -> PathBuf {
    let manifest_dir = env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from);
    manifest_dir
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

fn cargo() -> Command {
    let mut command = Command::new(env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    command.current_dir(root());
    command
}

fn run(mut command: Command) -> Result<(), String> {
    let shown = format!("{command:?}");
    let status = command
        .status()
        .map_err(|error| format!("cannot run {shown}: {error}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{shown} failed ({status})"))
    }
}

fn ensure_wasm_target() -> Result<(), String> {
    let installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .map_err(|error| {
            format!("cannot run rustup (needed for the {WASM_TARGET} target): {error}")
        })?;
    let listed = String::from_utf8_lossy(&installed.stdout);
    if listed.lines().any(|line| line.trim() == WASM_TARGET) {
        return Ok(());
    }
    eprintln!("xtask: adding the {WASM_TARGET} target with rustup");
    let mut add = Command::new("rustup");
    add.args(["target", "add", WASM_TARGET]);
    run(add)
}

/// The plugin crates: every folder under `plugins/` whose Cargo.toml names a
/// `bedrock-plugin-*` package (the workspace's library crates, such as
/// `kit`, are built as dependencies, not installed).
fn plugin_families() -> Result<Vec<String>, String> {
    let dir = root().join("plugins");
    let entries =
        fs::read_dir(&dir).map_err(|error| format!("cannot read {}: {error}", dir.display()))?;
    let mut families: Vec<String> = entries
        .filter_map(Result::ok)
        .filter(|entry| is_plugin_crate(&entry.path().join("Cargo.toml")))
        .filter_map(|entry| entry.file_name().to_str().map(str::to_owned))
        .collect();
    families.sort();
    Ok(families)
}

/// Whether `manifest` exists and its package name (the first `name = "..."`
/// line, which is `[package]`'s) starts with [`PLUGIN_PREFIX`].
fn is_plugin_crate(manifest: &Path) -> bool {
    fs::read_to_string(manifest).is_ok_and(|text| {
        text.lines()
            .find_map(|line| line.trim().strip_prefix("name = \""))
            .is_some_and(|name| name.starts_with(PLUGIN_PREFIX))
    })
}

fn build_plugins() -> Result<(), String> {
    ensure_wasm_target()?;
    build_components(
        &root().join("plugins"),
        &plugin_families()?,
        &root().join("target/plugins"),
    )
}

/// The plugins that exist only for the tests: one workspace, built once.
fn build_test_plugins() -> Result<(), String> {
    let dir = root().join(TEST_PLUGINS_DIR);
    let out = root().join("target/test-plugins");
    let owned = |names: &[&str]| {
        names
            .iter()
            .map(|name| (*name).to_owned())
            .collect::<Vec<_>>()
    };
    build_components(&dir, &owned(TEST_PLUGINS), &out)?;
    copy_components(&owned(MISFITS), &out.join("misfits"))
}

/// Builds every crate of the workspace in `dir` for the wasm target and
/// copies the component of each family to `out/<family>.wasm`.
fn build_components(dir: &Path, families: &[String], out: &Path) -> Result<(), String> {
    let mut build = cargo();
    build.args([
        "build",
        "--release",
        "--workspace",
        "--target",
        WASM_TARGET,
        "--manifest-path",
    ]);
    // The target folder is named explicitly: with --manifest-path, cargo
    // reads .cargo/config.toml from the working folder, not the manifest's.
    let target_dir = root().join("target");
    build
        .arg(dir.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(&target_dir);
    run(build)?;
    copy_components(families, out)
}

/// Copies the built component of each family to `out/<family>.wasm`.
fn copy_components(families: &[String], out: &Path) -> Result<(), String> {
    let built = root().join("target").join(WASM_TARGET).join("release");
    fs::create_dir_all(out).map_err(|error| format!("cannot create {}: {error}", out.display()))?;
    for family in families {
        let artifact = built.join(format!("{PLUGIN_PREFIX}{family}.wasm").replace('-', "_"));
        let installed = out.join(format!("{family}.wasm"));
        fs::copy(&artifact, &installed).map_err(|error| {
            format!(
                "cannot copy {} to {}: {error}",
                artifact.display(),
                installed.display()
            )
        })?;
        eprintln!("xtask: plugin {family} -> {}", installed.display());
    }
    Ok(())
}

fn demo(extra: &[String]) -> Result<(), String> {
    let mut invoke = cargo();
    invoke.args([
        "run",
        "--quiet",
        "--package",
        "bedrock-host",
        "--",
        "--local",
        "invoke",
        "--model",
        DEMO_MODEL,
        "--max-tokens",
        "250",
    ]);
    invoke.args(extra.iter().map(OsStr::new));
    invoke.arg(DEMO_PROMPT);
    // The notebook's prompt is the whole prompt: text piped into xtask is
    // not added to it as context.
    invoke.stdin(std::process::Stdio::null());
    run(invoke)
}

fn test(extra: &[String]) -> Result<(), String> {
    install_registry();
    let mut plugins = cargo();
    plugins
        .args(["test", "--manifest-path"])
        .arg(root().join("plugins/Cargo.toml"));
    run(plugins)?;
    let python = test_venv()?;
    let mut host = cargo();
    host.env("BEDROCK_TEST_PYTHON", python);
    host.args(["test", "--workspace"]);
    host.args(extra.iter().map(OsStr::new));
    run(host)
}

/// The OCI registry the install tests start on loopback (Debian's
/// `docker-registry`): installed with apt-get, quietly, when it is missing
/// and this runs as root. Where it cannot be installed, the tests that need
/// it say so and skip; so a failure here is a warning, not an error.
const REGISTRY_BINARY: &str = "/usr/bin/docker-registry";

fn install_registry() {
    if Path::new(REGISTRY_BINARY).is_file() || !running_as_root() {
        return;
    }
    eprintln!("xtask: installing docker-registry (apt-get) for the OCI install tests");
    let apt = |args: &[&str]| {
        Command::new("apt-get")
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .stdout(std::process::Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    };
    let installed = apt(&["install", "-y", "-q", "docker-registry"])
        || (apt(&["update", "-q"]) && apt(&["install", "-y", "-q", "docker-registry"]));
    if !installed {
        eprintln!(
            "xtask: warning: could not install docker-registry; the OCI install tests will skip"
        );
    }
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|output| output.stdout.trim_ascii() == b"0")
}

/// The python of `target/test-venv`, made with `python3 -m venv` when it is
/// missing and given `tests/boto3/requirements.txt` when the copy kept in
/// the venv differs from it (so an unchanged venv costs nothing).
fn test_venv() -> Result<PathBuf, String> {
    let venv = root().join("target/test-venv");
    let python = venv.join("bin/python");
    let requirements = root().join("tests/boto3/requirements.txt");
    let stamp = venv.join("requirements.txt");
    let wanted = fs::read_to_string(&requirements)
        .map_err(|err| format!("cannot read {}: {err}", requirements.display()))?;
    if !python.exists() {
        let mut create = Command::new("python3");
        create.args(["-m", "venv"]).arg(&venv);
        run(create)?;
    }
    if fs::read_to_string(&stamp).ok().as_deref() != Some(wanted.as_str()) {
        let mut install = Command::new(&python);
        install
            .args(["-m", "pip", "install", "--quiet", "-r"])
            .arg(&requirements);
        run(install)?;
        fs::write(&stamp, &wanted)
            .map_err(|err| format!("cannot write {}: {err}", stamp.display()))?;
    }
    Ok(python)
}

/// The release binaries the benchmark scripts run: the host and `scale`.
fn build_bench() -> Result<(), String> {
    let mut build = cargo();
    build.args([
        "build",
        "--release",
        "--package",
        "bedrock-host",
        "--package",
        "bedrock-benchmarks",
        "--bins",
    ]);
    run(build)
}

/// The criterion benches of `benches/benches/`, skipped when there are none.
fn criterion_benches() -> Result<(), String> {
    let dir = root().join("benches/benches");
    let has_benches = fs::read_dir(&dir).is_ok_and(|entries| {
        entries
            .filter_map(Result::ok)
            .any(|entry| entry.path().extension().is_some_and(|ext| ext == "rs"))
    });
    if !has_benches {
        eprintln!(
            "xtask: no criterion benches in {}, skipping them",
            dir.display()
        );
        return Ok(());
    }
    let mut bench = cargo();
    bench.args(["bench", "--package", "bedrock-benchmarks"]);
    run(bench)
}

/// The whole-process, streaming and scale benchmarks and the plots.
fn bench_scripts(steps: &[String]) -> Result<(), String> {
    let mut script = Command::new("python3");
    script
        .current_dir(root())
        .arg(root().join("benches/scripts/bench.py"))
        .args(steps);
    run(script)
}

/// The fuzz targets of `fuzz/`.
const FUZZ_TARGETS: &[&str] = &[
    "plugin_output",
    "stream_bytes",
    "stream_frames",
    "emulator_requests",
];
const DEFAULT_FUZZ_SECONDS: u64 = 600;

/// Runs one fuzz target for a bounded time. cargo-fuzz needs nightly flags:
/// `RUSTC_BOOTSTRAP=1` lets the stable toolchain accept them, and without a
/// sanitizer (`--sanitizer none`, the code under test is safe Rust) none
/// needs a nightly-only runtime. The build goes to `fuzz/target`, never to a
/// shared build folder, since its flags differ from every other build's.
fn fuzz(args: &[String]) -> Result<(), String> {
    let usage = || {
        format!(
            "usage: cargo xtask fuzz <target> [--seconds N]; targets: {}",
            FUZZ_TARGETS.join(", ")
        )
    };
    let target = args
        .first()
        .filter(|target| FUZZ_TARGETS.contains(&target.as_str()))
        .ok_or_else(usage)?;
    let seconds = match &args[1..] {
        [] => DEFAULT_FUZZ_SECONDS,
        [flag, n] if flag == "--seconds" => n.parse().map_err(|_| usage())?,
        _ => return Err(usage()),
    };
    let fuzz_dir = root().join("fuzz");
    let corpus = fuzz_dir.join("corpus").join(target);
    fs::create_dir_all(&corpus)
        .map_err(|error| format!("cannot create {}: {error}", corpus.display()))?;
    let mut command = cargo();
    command
        .current_dir(&fuzz_dir)
        .env("RUSTC_BOOTSTRAP", "1")
        .env_remove("CARGO_BUILD_BUILD_DIR")
        .env_remove("CARGO_TARGET_DIR")
        .args([
            "fuzz",
            "run",
            target,
            "--sanitizer",
            "none",
            "--codegen-units",
            "16",
        ])
        .arg(&corpus);
    let seeds = fuzz_dir.join("seeds").join(target);
    if seeds.is_dir() {
        command.arg(seeds);
    }
    command.args([
        "--",
        &format!("-max_total_time={seconds}"),
        "-timeout=10",
        "-rss_limit_mb=2048",
        "-print_final_stats=1",
    ]);
    let dictionary = fuzz_dir.join("dictionaries").join(format!("{target}.dict"));
    if dictionary.exists() {
        command.arg(format!("-dict={}", dictionary.display()));
    }
    run(command)
}
