/work/main/tests/hostile/target/wasm32-wasip2/release/deps/bedrock_plugin_hostile.d: src/lib.rs /work/main/wit/adapter.wit

/work/main/tests/hostile/target/wasm32-wasip2/release/deps/bedrock_plugin_hostile.wasm: src/lib.rs /work/main/wit/adapter.wit

src/lib.rs:
/work/main/wit/adapter.wit:

# env-dep:CARGO_PKG_VERSION=0.1.0
