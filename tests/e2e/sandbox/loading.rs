//! Files that must not load are refused one by one, each with a clear
//! reason, while the good plugins beside them load and serve; a failed
//! compile leaves nothing in the compile cache.

use std::time::Instant;

use bedrock_host::plugin::{PluginError, served_contracts};

use super::{TIMEOUT, World, assert_bounded, limits, misfit, sha256_of, test_plugins_dir};

/// The smallest core module that looks like a plugin: it exports a function
/// named `describe`. A core module, not a component.
const CORE_MODULE: &[u8] = &[
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version 1 (a module)
    0x01, 0x04, 0x01, 0x60, 0x00, 0x00, // types: () -> ()
    0x03, 0x02, 0x01, 0x00, // functions: one of type 0
    0x07, 0x0c, 0x01, 0x08, b'd', b'e', b's', b'c', b'r', b'i', b'b', b'e', 0x00,
    0x00, // exports: "describe", function 0
    0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b, // code: an empty body
];

/// The bad files of this test, by name, with their bytes.
fn bad_files() -> Vec<(&'static str, Vec<u8>)> {
    let read = |path: std::path::PathBuf| std::fs::read(&path).expect("a built misfit");
    let hostile = read(test_plugins_dir().join("hostile.wasm"));
    vec![
        ("describe-loop.wasm", read(misfit("describe-loop"))),
        ("future.wasm", read(misfit("future"))),
        ("wrong-world.wasm", read(misfit("wrong-world"))),
        ("core-module.wasm", CORE_MODULE.to_vec()),
        ("corrupt.wasm", hostile[..hostile.len() / 2].to_vec()),
        ("empty.wasm", Vec::new()),
    ]
}

/// The reason the file `name` was refused.
fn reason(failures: &[PluginError], name: &str) -> String {
    let found: Vec<&PluginError> = failures
        .iter()
        .filter(|failure| failure.to_string().contains(name))
        .collect();
    assert_eq!(found.len(), 1, "one failure for {name}: {failures:?}");
    found[0].to_string()
}

#[tokio::test]
async fn bad_files_are_refused_by_name_and_the_good_plugins_still_load() {
    let started = Instant::now();
    let world = World::with_files(limits(), &bad_files()).await;
    let cold = started.elapsed();
    let loaded: Vec<&str> = world.registry.plugins().iter().map(|p| p.name()).collect();
    assert_eq!(loaded, ["anthropic", "hostile"]);
    let failures = world.registry.failures();
    assert_eq!(failures.len(), 6, "{failures:?}");

    assert!(
        reason(failures, "describe-loop.wasm").ends_with(
            "plugin `describe-loop.wasm` stopped in describe: time limit of 200 ms exceeded"
        ),
        "a describe that never returns is stopped at the deadline"
    );
    let future = reason(failures, "future.wasm");
    assert!(
        future.contains("bedrock:adapter@1.0.0")
            && future.contains(&format!("this host serves {}", served_contracts())),
        "names both versions: {future}"
    );
    assert!(
        !future.contains("import"),
        "refused by its version before linking, though its imports could not be linked: {future}"
    );
    let wrong = reason(failures, "wrong-world.wasm");
    assert!(
        wrong.contains("exports no `bedrock:adapter/adapter` interface")
            && wrong.contains("misfit:greeter/greeting"),
        "{wrong}"
    );
    let core = reason(failures, "core-module.wasm");
    assert!(core.contains("not a valid WebAssembly component"), "{core}");
    let corrupt = reason(failures, "corrupt.wasm");
    assert!(
        corrupt.contains("not a valid WebAssembly component"),
        "{corrupt}"
    );
    assert!(
        reason(failures, "empty.wasm").ends_with("empty.wasm: the file is empty"),
        "{failures:?}"
    );

    for (name, bytes) in [
        ("core-module.wasm", CORE_MODULE.to_vec()),
        (
            "corrupt.wasm",
            std::fs::read(world.plugins.path().join("corrupt.wasm")).expect("read"),
        ),
    ] {
        let sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bytes));
        assert!(
            !world.cached(&sha),
            "a failed compile leaves no entry: {name}"
        );
    }
    for name in ["hostile", "anthropic"] {
        let sha = sha256_of(&world.plugins.path().join(format!("{name}.wasm")));
        assert!(world.cached(&sha), "{name} is cached");
    }
    world.still_serving().await;

    let started = Instant::now();
    let again = world.reload().await;
    let warm = started.elapsed();
    let reasons = |registry: &bedrock_host::plugin::PluginRegistry| {
        registry
            .failures()
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        reasons(&again),
        reasons(&world.registry),
        "the same files are refused for the same reasons from a warm cache \
         (the stuck describe by its cached refusal)"
    );
    assert_bounded(
        &format!("a warm load with a stuck describe (cold: {cold:?})"),
        warm,
        TIMEOUT,
    );
}

#[test]
fn the_cli_lists_each_bad_file_with_its_reason_beside_the_good_ones() {
    let dir = tempfile::tempdir().expect("plugins dir");
    std::fs::copy(
        test_plugins_dir().join("hostile.wasm"),
        dir.path().join("hostile.wasm"),
    )
    .expect("copy hostile");
    for (name, bytes) in bad_files() {
        std::fs::write(dir.path().join(name), bytes).expect("write bad file");
    }
    let mut command = crate::support::bedrock_host_without_plugins();
    command.arg("--plugins-dir").arg(dir.path()).args([
        "--plugin-timeout",
        "200",
        "plugins",
        "list",
    ]);
    let listed = crate::support::run(command);
    assert_eq!(listed.code, Some(0), "{}", listed.stderr);
    let shown = &listed.stdout;
    assert!(shown.contains("hostile"), "{shown}");
    for (name, _) in bad_files() {
        assert!(
            shown
                .lines()
                .any(|line| line.starts_with("could not load ") && line.contains(name)),
            "{name} is reported: {shown}"
        );
    }
    assert!(
        shown.contains("stopped in describe: time limit of 200 ms exceeded"),
        "{shown}"
    );
}
