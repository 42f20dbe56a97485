//! A plugin within every `describe` cap whose version, description and
//! options carry control characters: newlines, a carriage return, terminal
//! escapes (an OSC window title, cursor moves, a screen clear). It loads;
//! the host must print those strings escaped.

wit_bindgen::generate!({
    world: "provider",
    path: "../../../../wit/since_v0.1.0",
});

fn describe() -> PluginInfo {
    PluginInfo {
        name: "escapes".into(),
        version: "1.0\u{1b}[2J\r\nerror: forged version line".into(),
        description: "\u{1b}]0;owned by escapes\u{7}\u{1b}[1A\u{1b}[2Kcursor moved\nforged line"
            .into(),
        models: vec!["escapes.*".into()],
        streaming: true,
        options: vec!["opt\nforged option line".into(), "\u{1b}[31mred".into()],
    }
}

include!("../../polite.rs");
