//! The emulator's configuration: which credentials it accepts, its region, whether its test
//! controls are served, and its initial fault-injection behaviour. Invariants: nothing here is
//! read from the process environment (a server never adopts credentials it happens to find);
//! secrets never appear in `Debug` output.

use std::fmt;

use crate::behaviour::Behaviour;

/// Access key id of the documented test credential pair, accepted when no other credentials
/// are configured. Not a real AWS key.
pub const TEST_ACCESS_KEY_ID: &str = "AKIDLOCALBEDROCK";

/// Secret access key that goes with [`TEST_ACCESS_KEY_ID`]. Not a real AWS secret.
pub const TEST_SECRET_ACCESS_KEY: &str = "local-bedrock-secret-key";

/// The region the emulator answers for unless configured otherwise.
pub const DEFAULT_REGION: &str = "us-east-1";

/// How a [`crate::Emulator`] authenticates requests and behaves.
///
/// A Bedrock request (runtime or control plane) is accepted when it is SigV4-signed for service
/// `bedrock` in [`EmulatorConfig::region`] either with exactly this access key and secret, or
/// with temporary credentials the emulator's STS `AssumeRole` issued (which need their own
/// `X-Amz-Security-Token` and expire); or, when [`EmulatorConfig::bearer_token`] is set, when it
/// carries `Authorization: Bearer <that token>` (a Bedrock API key, what the SDKs send when
/// `AWS_BEARER_TOKEN_BEDROCK` is set). STS (`POST /`) takes the same SigV4 credentials, signed
/// for service `sts`, and no bearer token.
#[derive(Clone, PartialEq)]
pub struct EmulatorConfig {
    /// The only access key id accepted in SigV4 signatures.
    pub access_key_id: String,
    /// The secret the signatures are checked against.
    pub secret_access_key: String,
    /// A Bedrock API key accepted as `Authorization: Bearer ...` on the Bedrock routes; `None`
    /// refuses bearer auth. SigV4 stays accepted either way.
    pub bearer_token: Option<String>,
    /// The region SigV4 credential scopes must name.
    pub region: String,
    /// Fault injection and latency settings in force from start-up.
    pub behaviour: Behaviour,
    /// Serve the test controls (`/_emulator/*`: fault injection, timing) to loopback callers;
    /// when off they answer 404 (see [`crate::control`]).
    pub test_controls: bool,
}

impl Default for EmulatorConfig {
    /// The test credential pair, no bearer token, [`DEFAULT_REGION`], no faults, test controls
    /// on (the in-process emulator of tests and `--local`; `serve-local` turns them off unless
    /// asked).
    fn default() -> Self {
        Self {
            access_key_id: TEST_ACCESS_KEY_ID.to_owned(),
            secret_access_key: TEST_SECRET_ACCESS_KEY.to_owned(),
            bearer_token: None,
            region: DEFAULT_REGION.to_owned(),
            behaviour: Behaviour::default(),
            test_controls: true,
        }
    }
}

impl fmt::Debug for EmulatorConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmulatorConfig")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"** redacted **")
            .field(
                "bearer_token",
                &self.bearer_token.as_ref().map(|_| "** redacted **"),
            )
            .field("region", &self.region)
            .field("behaviour", &self.behaviour)
            .field("test_controls", &self.test_controls)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_hides_secrets() {
        let config = EmulatorConfig {
            bearer_token: Some("very-secret-token".to_owned()),
            ..EmulatorConfig::default()
        };
        let printed = format!("{config:?}");
        assert!(!printed.contains(TEST_SECRET_ACCESS_KEY));
        assert!(!printed.contains("very-secret-token"));
        assert!(printed.contains(TEST_ACCESS_KEY_ID));
    }
}
