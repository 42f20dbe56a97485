//! Building the Bedrock clients (runtime and control plane) from the user's
//! settings.
//!
//! Invariants: the whole `aws-config` default chain applies (environment,
//! shared config and credentials files, profiles, SSO, web identity,
//! container and instance metadata) unless the caller passes static
//! credentials, as `--local` does, or names a profile, which then beats keys
//! in the environment (see [`super::credentials`]); an assumed role is
//! layered on top of whichever credentials that gives; Bedrock API keys
//! (`AWS_BEARER_TOKEN_BEDROCK`) are picked up by the SDK itself. Nothing is
//! sent to Bedrock before the region, the profile, the endpoint's host and
//! the credentials are known to be usable. Retries are standard (or adaptive)
//! with the given number of attempts, announced on stderr, and never spent on
//! what no retry can fix (see [`super::retry`]); the read timeout is long
//! enough for long generations.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_bedrockruntime::Client;

use super::credentials::{self, ExplicitProfile};
use super::error::{AwsError, AwsErrorClass};
use super::retry::{FailFast, RetryAnnouncer};
use super::validation::{check_endpoint_url, check_region};

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

/// Builds the Bedrock runtime client, or says which setting is missing or wrong.
pub async fn runtime_client(settings: &ClientSettings) -> Result<Client, AwsError> {
    let config = load_config(settings).await?;
    let config = aws_sdk_bedrockruntime::config::Builder::from(&config)
        .retry_classifier(FailFast)
        .interceptor(RetryAnnouncer::new(settings.max_attempts))
        .build();
    Ok(Client::from_conf(config))
}

/// Builds the Bedrock control-plane client, or says which setting is missing or wrong.
pub async fn control_client(
    settings: &ClientSettings,
) -> Result<aws_sdk_bedrock::Client, AwsError> {
    let config = load_config(settings).await?;
    let config = aws_sdk_bedrock::config::Builder::from(&config)
        .retry_classifier(FailFast)
        .interceptor(RetryAnnouncer::new(settings.max_attempts))
        .build();
    Ok(aws_sdk_bedrock::Client::from_conf(config))
}

async fn load_config(settings: &ClientSettings) -> Result<SdkConfig, AwsError> {
    let profile = if settings.credentials.is_some() {
        None
    } else {
        ExplicitProfile::from(settings.profile.as_deref())
    };
    if let Some(profile) = &profile {
        credentials::check_profile(profile).await?;
    }
    if let Some(endpoint) = &settings.endpoint_url {
        check_endpoint_resolves(endpoint).await?;
    }
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
    if let Some(profile) = &profile {
        loader = loader.profile_name(&profile.name);
    }
    if let Some(endpoint) = &settings.endpoint_url {
        loader = loader.endpoint_url(endpoint);
    }
    let config = loader.load().await;
    let Some(region) = config.region() else {
        return Err(AwsError::local(
            AwsErrorClass::Configuration,
            "no AWS region is set",
            "pass --region, set AWS_REGION, or set `region` for your profile in ~/.aws/config",
        ));
    };
    if settings.region.is_none() {
        check_region(region.as_ref()).map_err(|invalid| {
            AwsError::configuration(
                format!("the region from the environment or the profile: {invalid}"),
                "fix AWS_REGION, AWS_DEFAULT_REGION or the profile's `region`",
            )
        })?;
    }
    let (provider, source) = credentials::resolve(
        &config,
        settings.credentials.as_ref(),
        profile.as_ref(),
        settings.assume_role.as_ref(),
    )
    .await?;
    tracing::info!(
        region = %region,
        endpoint = config.endpoint_url().unwrap_or("AWS's own for the region"),
        credentials = %source,
        "AWS settings"
    );
    Ok(match provider {
        Some(provider) => config.into_builder().credentials_provider(provider).build(),
        None => config,
    })
}

/// Fails at once when the `--endpoint-url` host does not resolve: a typo no retry can fix.
async fn check_endpoint_resolves(endpoint: &str) -> Result<(), AwsError> {
    let Ok((host, port)) = check_endpoint_url(endpoint) else {
        return Ok(());
    };
    match tokio::net::lookup_host((host.as_str(), port)).await {
        Ok(_) => Ok(()),
        Err(error) => Err(AwsError {
            class: AwsErrorClass::Transport,
            code: None,
            message: format!(
                "the host `{host}` of --endpoint-url {endpoint} does not resolve: {error}"
            ),
            request_id: None,
            hint: Some("check the spelling of --endpoint-url and your DNS settings".to_owned()),
            timed_out: false,
        }),
    }
}
