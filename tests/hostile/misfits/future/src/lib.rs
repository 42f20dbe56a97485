//! A plugin built against a future major version of the contract
//! (`bedrock:adapter@1.0.0`, the copy in `wit/`), which also imports a host
//! interface that version adds. The host must refuse it by its version,
//! before instantiating (or even linking) it.

wit_bindgen::generate!({
    world: "provider",
    path: "wit",
});

fn describe() -> PluginInfo {
    bedrock::adapter::host::log("a 1.0 plugin describing itself");
    PluginInfo {
        name: "future".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        description: "built against contract 1.0.0".into(),
        models: vec!["future.*".into()],
        streaming: true,
        options: Vec::new(),
    }
}

include!("../../polite.rs");
