//! AWS SDK clients for a running emulator. The settings every client shares (the emulator's
//! endpoint and region, the latest behaviour version, the credentials to sign with) are built
//! once as an [`SdkConfig`], which the runtime, control-plane and STS SDKs all take, so they are
//! configured alike; [`Outcome`] turns any SDK call's result into the output or the typed service
//! error a test expects. Invariant: a client built from these configs uses only what it was
//! given, never credentials, endpoints or tokens from the environment.

use std::fmt::Debug;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_smithy_runtime_api::client::result::{CreateUnhandledError, SdkError};
use bedrock_emulator::RunningEmulator;

/// A static key pair, as every SDK takes credentials.
pub fn keys(access_key_id: &str, secret_access_key: &str) -> Credentials {
    Credentials::new(
        access_key_id,
        secret_access_key,
        None,
        None,
        "emulator-tests",
    )
}

/// The key pair the emulator is configured with.
pub fn own_keys(emulator: &RunningEmulator) -> Credentials {
    keys(emulator.access_key_id(), emulator.secret_access_key())
}

/// The emulator's endpoint and region without credentials, for clients that bring another
/// identity (a bearer token).
pub fn unsigned_config(emulator: &RunningEmulator) -> SdkConfig {
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(emulator.region().to_owned()))
        .endpoint_url(emulator.endpoint())
        .build()
}

/// The emulator's endpoint and region, signing with `credentials`.
pub fn sdk_config(emulator: &RunningEmulator, credentials: Credentials) -> SdkConfig {
    unsigned_config(emulator)
        .into_builder()
        .credentials_provider(SharedCredentialsProvider::new(credentials))
        .build()
}

/// What an SDK call must come to, with the service error shown when it comes to something else.
pub trait Outcome<T, E> {
    /// The output of a call that must succeed; panics with `call` (what was called) and the
    /// service error if it was refused.
    fn accepted(self, call: &str) -> T;

    /// The service error of a call that must fail; panics with `why` (the reason it must) if it
    /// succeeded.
    fn refused(self, why: &str) -> E;
}

impl<T, E, R> Outcome<T, E> for Result<T, SdkError<E, R>>
where
    T: Debug,
    E: std::error::Error + Send + Sync + CreateUnhandledError + 'static,
    R: Debug + Send + Sync + 'static,
{
    fn accepted(self, call: &str) -> T {
        self.unwrap_or_else(|error| panic!("{call}: {:?}", error.into_service_error()))
    }

    fn refused(self, why: &str) -> E {
        self.expect_err(why).into_service_error()
    }
}
