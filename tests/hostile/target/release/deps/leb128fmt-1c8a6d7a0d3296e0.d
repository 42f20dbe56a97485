/work/main/tests/hostile/target/release/deps/leb128fmt-1c8a6d7a0d3296e0.d: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/leb128fmt-0.1.0/src/lib.rs

/work/main/tests/hostile/target/release/deps/libleb128fmt-1c8a6d7a0d3296e0.rlib: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/leb128fmt-0.1.0/src/lib.rs

/work/main/tests/hostile/target/release/deps/libleb128fmt-1c8a6d7a0d3296e0.rmeta: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/leb128fmt-0.1.0/src/lib.rs

/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/leb128fmt-0.1.0/src/lib.rs:
