//! A plugin that claims every model id (`*`): it must only get the ids no
//! more specific plugin claims.

wit_bindgen::generate!({
    world: "provider",
    path: "../../../../wit/since_v0.1.0",
});

fn describe() -> PluginInfo {
    PluginInfo {
        name: "claims-all".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        description: "claims every model id, for the routing tests".into(),
        models: vec!["*".into()],
        streaming: true,
        options: Vec::new(),
    }
}

include!("../../polite.rs");
