//! `bedrock-host serve-local`: the local Bedrock as a server for other tools.
//!
//! Invariants: the server accepts only the credentials its flags name, else the documented test
//! keys; it never adopts (or prints) credentials it finds in the environment, and prints only
//! its own. Its test controls (`/_emulator/*`) are off unless `--test-controls` is given. A port
//! that cannot be bound is one sentence and exit 2.

use std::io::ErrorKind;
use std::net::SocketAddr;

use anyhow::Context as _;
use bedrock_emulator::{
    ARRIVALS_PATH, CONTROL_PATH, EmulatorConfig, EmulatorError, TEST_ACCESS_KEY_ID,
    TEST_SECRET_ACCESS_KEY,
};
use clap::Args;

use super::{Exit, UsageError};

/// Arguments of `serve-local`.
#[derive(Debug, Args)]
#[command(after_help = "\
The server accepts requests signed with the documented test keys (access key
AKIDLOCALBEDROCK, secret local-bedrock-secret-key) unless --access-key-id and
--secret-access-key name others; it never takes credentials from the environment.")]
pub struct ServeLocalArgs {
    /// Port on 127.0.0.1 to listen on; 0 picks a free one.
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// The access key id requests must be signed with [default: the test key AKIDLOCALBEDROCK].
    #[arg(long, value_name = "ID", requires = "secret_access_key")]
    access_key_id: Option<String>,
    /// The secret that goes with --access-key-id.
    #[arg(long, value_name = "SECRET", requires = "access_key_id")]
    secret_access_key: Option<String>,
    /// Also accept this Bedrock API key (`Authorization: Bearer ...`, what the SDKs send when
    /// AWS_BEARER_TOKEN_BEDROCK is set).
    #[arg(long, value_name = "TOKEN")]
    bearer_token: Option<String>,
    /// Serve the fault-injection and timing controls under /_emulator/ (to loopback callers
    /// only), for tests and benchmarks.
    #[arg(long)]
    test_controls: bool,
}

impl ServeLocalArgs {
    /// The emulator's configuration: the flags over the test keys, nothing from the environment.
    fn config(&self) -> EmulatorConfig {
        let (access_key_id, secret_access_key) =
            match (&self.access_key_id, &self.secret_access_key) {
                (Some(id), Some(secret)) => (id.clone(), secret.clone()),
                _ => (
                    TEST_ACCESS_KEY_ID.to_owned(),
                    TEST_SECRET_ACCESS_KEY.to_owned(),
                ),
            };
        EmulatorConfig {
            access_key_id,
            secret_access_key,
            bearer_token: self.bearer_token.clone(),
            test_controls: self.test_controls,
            ..EmulatorConfig::default()
        }
    }
}

/// Runs the local Bedrock until Ctrl-C.
pub async fn run(args: ServeLocalArgs) -> anyhow::Result<Exit> {
    let address = SocketAddr::from(([127, 0, 0, 1], args.port));
    let emulator = match bedrock_emulator::Emulator::start(args.config(), address).await {
        Ok(emulator) => emulator,
        Err(EmulatorError::Bind { source, .. })
            if matches!(
                source.kind(),
                ErrorKind::AddrInUse | ErrorKind::PermissionDenied
            ) =>
        {
            let why = if source.kind() == ErrorKind::AddrInUse {
                "is in use"
            } else {
                "needs privileges this process lacks"
            };
            return Err(UsageError(format!(
                "port {} on 127.0.0.1 {why}: pick another --port, or --port 0 for a free one",
                args.port
            ))
            .into());
        }
        Err(error) => {
            return Err(error)
                .with_context(|| format!("cannot start the local Bedrock on {address}"));
        }
    };
    println!("Local Bedrock listening on {}", emulator.endpoint());
    println!("Point the AWS SDKs and CLI (or bedrock-host without --local) at it with:");
    for (name, value) in emulator.client_environment() {
        println!("  export {name}={value}");
    }
    println!(
        "An application inference profile to try: {}",
        emulator.application_inference_profile_arn()
    );
    if args.test_controls {
        println!(
            "Test controls on (loopback callers only): {} and {}",
            emulator.endpoint() + CONTROL_PATH,
            emulator.endpoint() + ARRIVALS_PATH
        );
    }
    println!("Press Ctrl-C to stop.");
    tokio::signal::ctrl_c()
        .await
        .context("cannot wait for Ctrl-C")?;
    emulator.shutdown().await;
    Ok(Exit::Success)
}
