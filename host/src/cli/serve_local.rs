//! `bedrock-host serve-local`: the local Bedrock as a server for other tools.

use anyhow::Context as _;
use clap::Args;
use std::net::SocketAddr;

use super::Exit;

/// Arguments of `serve-local`.
#[derive(Debug, Args)]
pub struct ServeLocalArgs {
    /// Port on 127.0.0.1 to listen on; 0 picks a free one.
    #[arg(long, default_value_t = 0)]
    port: u16,
}

pub async fn run(args: ServeLocalArgs) -> anyhow::Result<Exit> {
    let address = SocketAddr::from(([127, 0, 0, 1], args.port));
    let emulator =
        bedrock_emulator::Emulator::start(bedrock_emulator::EmulatorConfig::from_env(), address)
            .await
            .with_context(|| format!("cannot start the local Bedrock on {address}"))?;
    println!("Local Bedrock listening on {}", emulator.endpoint());
    println!("Point the AWS SDKs and CLI (or bedrock-host without --local) at it with:");
    for (name, value) in emulator.client_environment() {
        println!("  export {name}={value}");
    }
    println!(
        "An application inference profile to try: {}",
        emulator.application_inference_profile_arn()
    );
    println!("Press Ctrl-C to stop.");
    tokio::signal::ctrl_c()
        .await
        .context("cannot wait for Ctrl-C")?;
    emulator.shutdown().await;
    Ok(Exit::Success)
}
