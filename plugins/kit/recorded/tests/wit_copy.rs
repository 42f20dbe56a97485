//! The kit carries the contract's WIT so an adapter built outside this
//! repository needs no copied file; this test keeps that copy from drifting
//! from the repository's canonical `wit/since_v0.2.1/adapter.wit`, which the
//! host is built against. (It lives here, not in the kit, because the kit's
//! published package has no repository around it to compare with.)

use std::fs;
use std::path::Path;

#[test]
fn the_kits_wit_is_the_repositorys_current_contract() {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let read = |path: &Path| {
        fs::read_to_string(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
    };
    let canonical = read(&here.join("../../../wit/since_v0.2.1/adapter.wit"));
    let carried = read(&here.join("../wit/adapter.wit"));
    assert!(
        canonical == carried,
        "plugins/kit/wit/adapter.wit differs from wit/since_v0.2.1/adapter.wit: copy the canonical file over the kit's"
    );
}
