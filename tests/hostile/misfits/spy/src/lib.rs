//! A plugin built against contract 0.1.0, a version the host serves, that
//! also imports `bedrock:adapter/host@0.1.0` (the copy in `wit/`), an
//! interface the sandbox does not provide. `plugins install` must refuse it
//! for that import, and place nothing.

wit_bindgen::generate!({
    world: "provider",
    path: "wit",
});

fn describe() -> PluginInfo {
    bedrock::adapter::host::log("asking the host for what it does not offer");
    PluginInfo {
        name: "spy".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        description: "imports an interface the sandbox does not provide".into(),
        models: vec!["spy.*".into()],
        streaming: true,
        options: Vec::new(),
    }
}

include!("../../polite.rs");
