//! A plugin whose `describe` never returns. `describe` runs while the host
//! loads its plugins, so this one proves that a plugin stuck at load time is
//! stopped at the deadline and does not keep the others from loading.

wit_bindgen::generate!({
    world: "provider",
    path: "../../../../wit/since_v0.1.0",
});

fn describe() -> PluginInfo {
    let mut spins = 0_u64;
    loop {
        spins = std::hint::black_box(spins.wrapping_add(1));
    }
}

include!("../../polite.rs");
