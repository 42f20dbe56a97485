/work/main/tests/hostile/target/release/deps/wit_bindgen_rust_macro-d97a8c8cf0175309.d: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/wit-bindgen-rust-macro-0.63.0/src/lib.rs

/work/main/tests/hostile/target/release/deps/libwit_bindgen_rust_macro-d97a8c8cf0175309.so: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/wit-bindgen-rust-macro-0.63.0/src/lib.rs

/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/wit-bindgen-rust-macro-0.63.0/src/lib.rs:

# env-dep:DEBUG_OUTPUT_DIR=/work/main/tests/hostile/target/release/build/wit-bindgen-rust-macro-c7e228ae4a089c2f/out
