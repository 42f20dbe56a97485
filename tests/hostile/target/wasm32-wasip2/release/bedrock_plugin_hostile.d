/work/main/tests/hostile/target/wasm32-wasip2/release/bedrock_plugin_hostile.wasm: /work/main/tests/hostile/src/lib.rs /work/main/wit/adapter.wit
