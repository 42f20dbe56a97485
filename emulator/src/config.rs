//! The emulator's configuration: which credentials it accepts, its region and its initial
//! fault-injection behaviour. Secrets never appear in `Debug` output.

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
}

impl EmulatorConfig {
    /// Reads the configuration from the process environment, so that a client started with the
    /// same environment is accepted as it is:
    ///
    /// | variable | becomes | when unset or empty |
    /// | --- | --- | --- |
    /// | `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY` (both) | the SigV4 key pair | the test pair [`TEST_ACCESS_KEY_ID`] / [`TEST_SECRET_ACCESS_KEY`] |
    /// | `AWS_BEARER_TOKEN_BEDROCK` | [`EmulatorConfig::bearer_token`], the accepted Bedrock API key | no bearer auth |
    /// | `AWS_REGION`, else `AWS_DEFAULT_REGION` | [`EmulatorConfig::region`] | [`DEFAULT_REGION`] |
    ///
    /// A lone access key id without its secret is ignored (the test pair is used). Nothing else
    /// is read: no profile files, no `AWS_SESSION_TOKEN` (temporary credentials are accepted
    /// only when the emulator's own STS issued them). Fault injection starts empty. To point
    /// clients at a running emulator, set the variables of
    /// [`crate::RunningEmulator::client_environment`].
    pub fn from_env() -> Self {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let non_empty = |name: &str| lookup(name).filter(|value| !value.is_empty());
        let (access_key_id, secret_access_key) = match (
            non_empty("AWS_ACCESS_KEY_ID"),
            non_empty("AWS_SECRET_ACCESS_KEY"),
        ) {
            (Some(access_key_id), Some(secret_access_key)) => (access_key_id, secret_access_key),
            _ => (
                TEST_ACCESS_KEY_ID.to_owned(),
                TEST_SECRET_ACCESS_KEY.to_owned(),
            ),
        };
        Self {
            access_key_id,
            secret_access_key,
            bearer_token: non_empty("AWS_BEARER_TOKEN_BEDROCK"),
            region: non_empty("AWS_REGION")
                .or_else(|| non_empty("AWS_DEFAULT_REGION"))
                .unwrap_or_else(|| DEFAULT_REGION.to_owned()),
            behaviour: Behaviour::default(),
        }
    }
}

impl Default for EmulatorConfig {
    /// The test credential pair, no bearer token, [`DEFAULT_REGION`], no faults.
    fn default() -> Self {
        Self {
            access_key_id: TEST_ACCESS_KEY_ID.to_owned(),
            secret_access_key: TEST_SECRET_ACCESS_KEY.to_owned(),
            bearer_token: None,
            region: DEFAULT_REGION.to_owned(),
            behaviour: Behaviour::default(),
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
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config_from(pairs: &[(&str, &str)]) -> EmulatorConfig {
        let env: HashMap<String, String> = pairs
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect();
        EmulatorConfig::from_lookup(|name| env.get(name).cloned())
    }

    #[test]
    fn empty_environment_gives_the_test_pair() {
        assert_eq!(config_from(&[]), EmulatorConfig::default());
    }

    #[test]
    fn environment_credentials_region_and_token_are_used() {
        let config = config_from(&[
            ("AWS_ACCESS_KEY_ID", "AKIDFROMENV"),
            ("AWS_SECRET_ACCESS_KEY", "secret-from-env"),
            ("AWS_BEARER_TOKEN_BEDROCK", "api-key"),
            ("AWS_DEFAULT_REGION", "eu-west-1"),
        ]);
        assert_eq!(config.access_key_id, "AKIDFROMENV");
        assert_eq!(config.secret_access_key, "secret-from-env");
        assert_eq!(config.bearer_token.as_deref(), Some("api-key"));
        assert_eq!(config.region, "eu-west-1");
    }

    #[test]
    fn a_lone_access_key_falls_back_to_the_test_pair() {
        let config = config_from(&[("AWS_ACCESS_KEY_ID", "AKIDFROMENV")]);
        assert_eq!(config.access_key_id, TEST_ACCESS_KEY_ID);
        assert_eq!(config.secret_access_key, TEST_SECRET_ACCESS_KEY);
    }

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
