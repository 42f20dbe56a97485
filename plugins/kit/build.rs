//! Writes the kit's `generate!` macro into `OUT_DIR`: `wit_bindgen::generate!`
//! reads WIT from a path literal, resolved from the crate that calls it, so a
//! macro an adapter calls from its own crate must name the kit's `wit/`
//! folder by its absolute path, which only the build knows (in this
//! repository, in a git checkout or in the crates.io cache alike).
//!
//! Invariant: the path written is this package's own `wit/` folder, which
//! holds the contract the kit's types were generated from.

use std::env;
use std::fs;
use std::path::PathBuf;

fn main() {
    let manifest_dir = env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from);
    let out_dir = env::var_os("OUT_DIR").map(PathBuf::from);
    let (Some(manifest_dir), Some(out_dir)) = (manifest_dir, out_dir) else {
        panic!("cargo sets CARGO_MANIFEST_DIR and OUT_DIR for a build script");
    };
    let wit = manifest_dir.join("wit");
    println!("cargo:rerun-if-changed={}", wit.display());
    let Some(wit) = wit.to_str() else {
        panic!("the kit's path is not UTF-8: {}", wit.display());
    };
    let macro_source = format!(
        r#"/// Generates an adapter's bindings against the contract the kit carries
/// (`bedrock:adapter@0.2.1`, the kit's `wit/adapter.wit`), with the
/// contract's types taken from [`types`](crate::types): `generate!()` for the
/// `provider` world (the `adapter` interface), `generate!("embedding-provider")`
/// to export the `embedder` interface too. Then `export!(Component);` with a
/// `Component` that implements `exports::bedrock::adapter::adapter::Guest`.
/// The adapter's crate depends on `bedrock-adapter-kit` under that name; it
/// needs no `wit-bindgen` dependency and no WIT file of its own.
#[macro_export]
macro_rules! generate {{
    () => {{
        $crate::generate!("provider");
    }};
    ($world:tt) => {{
        $crate::wit_bindgen::generate!({{
            world: $world,
            path: {wit:?},
            runtime_path: "bedrock_adapter_kit::wit_bindgen::rt",
            with: {{ "bedrock:adapter/types@0.2.1": bedrock_adapter_kit::types }},
        }});
    }};
}}
"#
    );
    if let Err(error) = fs::write(out_dir.join("generate.rs"), macro_source) {
        panic!("cannot write the generate! macro to OUT_DIR: {error}");
    }
}
