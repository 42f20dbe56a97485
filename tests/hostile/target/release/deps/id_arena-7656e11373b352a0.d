/work/main/tests/hostile/target/release/deps/id_arena-7656e11373b352a0.d: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/id-arena-2.3.0/src/lib.rs

/work/main/tests/hostile/target/release/deps/libid_arena-7656e11373b352a0.rlib: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/id-arena-2.3.0/src/lib.rs

/work/main/tests/hostile/target/release/deps/libid_arena-7656e11373b352a0.rmeta: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/id-arena-2.3.0/src/lib.rs

/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/id-arena-2.3.0/src/lib.rs:
