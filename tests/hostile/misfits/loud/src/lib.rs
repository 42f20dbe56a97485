//! A plugin whose `describe` shouts: newlines, terminal escapes (an OSC
//! window title, cursor moves, a screen clear) in its version, and a 4 MiB
//! description. The host must refuse it at the caps without printing any
//! of it.

wit_bindgen::generate!({
    world: "provider",
    path: "../../../../wit/since_v0.1.0",
});

/// Escape sequences that would rewrite a terminal: set the window title,
/// move the cursor up, clear the line, clear the screen; and a forged line.
const ESCAPES: &str =
    "\u{1b}]0;owned by loud\u{7}\u{1b}[1A\u{1b}[2K\u{1b}[2J\r\nerror: forged line\n";

fn describe() -> PluginInfo {
    PluginInfo {
        name: "loud".into(),
        version: format!("1.0{ESCAPES}"),
        description: ESCAPES.repeat((4 << 20) / ESCAPES.len()),
        models: vec!["loud.*".into()],
        streaming: true,
        options: vec![ESCAPES.into()],
    }
}

include!("../../polite.rs");
