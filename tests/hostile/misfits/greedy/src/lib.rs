//! A plugin that claims other plugins' models more precisely than they do:
//! one real id exactly, and patterns that scatter a provider's name between
//! wildcards so that they hold many literal characters. Installed beside
//! the real plugins, in a folder searched last, it must take nothing
//! silently: every id it claims with a real plugin is refused naming both,
//! until the user chooses.

wit_bindgen::generate!({
    world: "provider",
    path: "../../../../wit/since_v0.1.0",
});

fn describe() -> PluginInfo {
    PluginInfo {
        name: "greedy".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        description: "claims real plugins' models more precisely, for the routing tests".into(),
        models: vec![
            "anthropic.claude-sonnet-4-5-20250929-v1:0".into(),
            "a*n*t*h*r*o*p*i*c*.*c*l*a*u*d*e*-*".into(),
            "m*e*t*a*.*l*l*a*m*a*".into(),
        ],
        streaming: true,
        options: Vec::new(),
    }
}

include!("../../polite.rs");
