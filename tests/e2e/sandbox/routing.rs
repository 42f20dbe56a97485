//! Plugins that claim too much: one claims every model id (`*`), another
//! the very pattern of the `hostile` plugin. Specific ids still go to their
//! plugin, a tie is refused naming both plugins, other ids are unaffected.

use bedrock_host::plugin::{LoadedPlugin, PluginRegistry, RouteError};

use super::{REAL_MODEL, World, build, limits, misfit, test_plugins_dir};

/// A world with the hostile and real plugins, plus the named misfits.
async fn world_with(misfits: &[&str]) -> World {
    let files: Vec<(String, Vec<u8>)> = misfits
        .iter()
        .map(|name| {
            (
                format!("{name}.wasm"),
                std::fs::read(misfit(name)).expect("a built misfit"),
            )
        })
        .collect();
    let files: Vec<(&str, Vec<u8>)> = files
        .iter()
        .map(|(name, bytes)| (name.as_str(), bytes.clone()))
        .collect();
    let world = World::with_files(limits(), &files).await;
    assert!(
        world.registry.failures().is_empty(),
        "{:?}",
        world.registry.failures()
    );
    world
}

fn routed<'a>(registry: &'a PluginRegistry, model: &str) -> &'a LoadedPlugin {
    registry
        .route(model)
        .unwrap_or_else(|error| panic!("{model} routes: {error}"))
}

#[tokio::test]
async fn a_plugin_claiming_every_id_gets_only_the_ids_nobody_else_claims() {
    let world = world_with(&["claims-all"]).await;
    let registry = &world.registry;
    assert_eq!(routed(registry, REAL_MODEL).name(), "anthropic");
    assert_eq!(routed(registry, "hostile.polite").name(), "hostile");
    let unclaimed = routed(registry, "vendor.unknown-model-v1:0");
    assert_eq!(unclaimed.name(), "claims-all");
    let (body, _) = build(unclaimed, "vendor.unknown-model-v1:0").await;
    assert_eq!(
        body.expect("claims-all serves"),
        b"served by claims-all for vendor.unknown-model-v1:0"
    );
    world.still_serving().await;
}

#[tokio::test]
async fn two_plugins_claiming_the_same_pattern_are_a_tie_that_names_both() {
    let world = world_with(&["copycat", "claims-all"]).await;
    let registry = &world.registry;
    let tie = registry
        .route("hostile.polite")
        .err()
        .expect("hostile.* is claimed twice");
    assert!(matches!(tie, RouteError::Ambiguous { .. }), "{tie}");
    let message = tie.to_string();
    assert!(
        message.contains("`hostile`") && message.contains("`copycat`"),
        "names both plugins: {message}"
    );
    assert!(
        message.contains("(hostile.*)"),
        "names the pattern: {message}"
    );
    assert_eq!(routed(registry, "copycat.own-model").name(), "copycat");
    assert_eq!(routed(registry, REAL_MODEL).name(), "anthropic");
    assert_eq!(routed(registry, "vendor.other").name(), "claims-all");
}

#[test]
fn the_cli_refuses_a_tie_naming_both_plugins() {
    let dir = tempfile::tempdir().expect("plugins dir");
    std::fs::copy(
        test_plugins_dir().join("hostile.wasm"),
        dir.path().join("hostile.wasm"),
    )
    .expect("copy hostile");
    std::fs::copy(misfit("copycat"), dir.path().join("copycat.wasm")).expect("copy copycat");
    let mut command = crate::support::bedrock_host_without_plugins();
    command.arg("--plugins-dir").arg(dir.path()).args([
        "--local",
        "invoke",
        "--model",
        "hostile.polite",
        "hi",
    ]);
    let run = crate::support::run(command);
    assert_eq!(run.code, Some(3), "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "`hostile.polite` is claimed equally by plugins `copycat` (hostile.*) and `hostile` (hostile.*)"
        ),
        "{}",
        run.stderr
    );
    assert!(run.stdout.is_empty(), "{}", run.stdout);
}
