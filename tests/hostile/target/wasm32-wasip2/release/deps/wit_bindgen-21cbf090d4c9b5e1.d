/work/main/tests/hostile/target/wasm32-wasip2/release/deps/wit_bindgen-21cbf090d4c9b5e1.d: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/wit-bindgen-0.63.0/src/lib.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/wit-bindgen-0.63.0/src/rt/mod.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/wit-bindgen-0.63.0/src/resource.rs

/work/main/tests/hostile/target/wasm32-wasip2/release/deps/libwit_bindgen-21cbf090d4c9b5e1.rlib: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/wit-bindgen-0.63.0/src/lib.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/wit-bindgen-0.63.0/src/rt/mod.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/wit-bindgen-0.63.0/src/resource.rs

/work/main/tests/hostile/target/wasm32-wasip2/release/deps/libwit_bindgen-21cbf090d4c9b5e1.rmeta: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/wit-bindgen-0.63.0/src/lib.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/wit-bindgen-0.63.0/src/rt/mod.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/wit-bindgen-0.63.0/src/resource.rs

/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/wit-bindgen-0.63.0/src/lib.rs:
/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/wit-bindgen-0.63.0/src/rt/mod.rs:
/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/wit-bindgen-0.63.0/src/resource.rs:
