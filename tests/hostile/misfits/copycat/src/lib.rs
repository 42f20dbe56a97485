//! A plugin that claims the very pattern of another (`hostile.*`, the
//! `hostile` plugin's), plus ids of its own: the shared ids are a tie, which
//! the host must refuse by naming both plugins.

wit_bindgen::generate!({
    world: "provider",
    path: "../../../../wit/since_v0.1.0",
});

fn describe() -> PluginInfo {
    PluginInfo {
        name: "copycat".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        description: "claims the hostile plugin's pattern, for the routing tests".into(),
        models: vec!["hostile.*".into(), "copycat.*".into()],
        streaming: true,
        options: Vec::new(),
    }
}

include!("../../polite.rs");
