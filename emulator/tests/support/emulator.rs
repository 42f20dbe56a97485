//! Starting a local Bedrock for one test, and the JSON request bodies every test sends it.
//! Invariant: each test gets its own emulator on an ephemeral loopback port, so tests never share
//! state (behaviour, sessions) and may run in parallel.

use std::net::SocketAddr;

use aws_sdk_bedrockruntime::primitives::Blob;
use bedrock_emulator::{Emulator, EmulatorConfig, RunningEmulator};
use serde_json::Value;

/// Starts an emulator with `config` on an ephemeral loopback port.
pub async fn start(config: EmulatorConfig) -> RunningEmulator {
    let loopback: SocketAddr = ([127, 0, 0, 1], 0).into();
    Emulator::start(config, loopback)
        .await
        .expect("the emulator starts on an ephemeral port")
}

/// `body` serialized as an SDK request body.
pub fn json_body(body: &Value) -> Blob {
    Blob::new(serde_json::to_vec(body).expect("JSON"))
}
