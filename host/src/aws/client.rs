//! Building the Bedrock clients (runtime and control plane) from the user's
//! settings.
//!
//! Invariant: the whole `aws-config` default chain applies (environment,
//! shared config and credentials files, profiles, SSO, web identity,
//! container and instance metadata) unless the caller passes static
//! credentials, as `--local` does; an assumed role is layered on top of
//! whichever credentials that gives; Bedrock API keys
//! (`AWS_BEARER_TOKEN_BEDROCK`) are picked up by the SDK itself. Retries are
//! standard (or adaptive) with the given number of attempts, and the read
//! timeout is long enough for long generations.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::sts::AssumeRoleProvider;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_sdk_bedrockruntime::Client;

use super::error::{AwsError, AwsErrorClass};

/// A fixed access key pair, used instead of the default chain.
#[derive(Debug, Clone)]
pub struct StaticCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
}

/// How to build a client: every field left at `None` falls back to the
/// `aws-config` default chain.
#[derive(Debug, Clone)]
pub struct ClientSettings {
    pub region: Option<String>,
    pub profile: Option<String>,
    pub endpoint_url: Option<String>,
    pub max_attempts: u32,
    pub read_timeout: Duration,
    pub connect_timeout: Duration,
    pub credentials: Option<StaticCredentials>,
    /// A role to assume through STS, with the session name to use.
    pub assume_role: Option<AssumedRole>,
    /// Adaptive retries add client-side rate limiting to the standard mode.
    pub adaptive_retries: bool,
}

/// A role to assume before calling Bedrock.
#[derive(Debug, Clone)]
pub struct AssumedRole {
    pub role_arn: String,
    pub session_name: String,
}

impl Default for ClientSettings {
    fn default() -> Self {
        Self {
            region: None,
            profile: None,
            endpoint_url: None,
            max_attempts: 10,
            read_timeout: Duration::from_secs(300),
            connect_timeout: Duration::from_secs(10),
            credentials: None,
            assume_role: None,
            adaptive_retries: false,
        }
    }
}

/// Builds the Bedrock runtime client, or says which setting is missing.
pub async fn runtime_client(settings: &ClientSettings) -> Result<Client, AwsError> {
    Ok(Client::new(&load_config(settings).await?))
}

/// Builds the Bedrock control-plane client, or says which setting is missing.
pub async fn control_client(
    settings: &ClientSettings,
) -> Result<aws_sdk_bedrock::Client, AwsError> {
    Ok(aws_sdk_bedrock::Client::new(&load_config(settings).await?))
}

async fn load_config(settings: &ClientSettings) -> Result<SdkConfig, AwsError> {
    let retry = if settings.adaptive_retries {
        RetryConfig::adaptive()
    } else {
        RetryConfig::standard()
    };
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .retry_config(retry.with_max_attempts(settings.max_attempts.max(1)))
        .timeout_config(
            TimeoutConfig::builder()
                .read_timeout(settings.read_timeout)
                .connect_timeout(settings.connect_timeout)
                .build(),
        );
    if let Some(region) = &settings.region {
        loader = loader.region(Region::new(region.clone()));
    }
    if let Some(profile) = &settings.profile {
        loader = loader.profile_name(profile);
    }
    if let Some(endpoint) = &settings.endpoint_url {
        loader = loader.endpoint_url(endpoint);
    }
    if let Some(keys) = &settings.credentials {
        loader = loader.credentials_provider(Credentials::new(
            &keys.access_key_id,
            &keys.secret_access_key,
            None,
            None,
            "bedrock-host",
        ));
    }
    let config = loader.load().await;
    if config.region().is_none() {
        return Err(AwsError::local(
            AwsErrorClass::Configuration,
            "no AWS region is set",
            "pass --region, set AWS_REGION, or set `region` for your profile in ~/.aws/config",
        ));
    }
    let Some(role) = &settings.assume_role else {
        return Ok(config);
    };
    let provider = AssumeRoleProvider::builder(&role.role_arn)
        .session_name(&role.session_name)
        .configure(&config)
        .build()
        .await;
    Ok(config
        .into_builder()
        .credentials_provider(SharedCredentialsProvider::new(provider))
        .build())
}
