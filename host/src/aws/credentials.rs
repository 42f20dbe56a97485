//! Where the credentials for Bedrock come from, resolved once before the first request.
//!
//! Invariants: an explicit profile (`--profile`, else `AWS_PROFILE`) beats keys in the
//! environment, as in the AWS CLI, and must exist in the shared config or credentials file; an
//! assumed role is obtained from STS before Bedrock is called, with the base credentials
//! resolved first, so a refusal names the role and STS's own error; every failure is classified
//! by the error's type (the credential provider's error variant, STS's error code), never by
//! its text. With a Bedrock API key in `AWS_BEARER_TOKEN_BEDROCK` and no role to assume, the
//! SDK's bearer authentication is left to do its work.

use std::borrow::Cow;
use std::fmt;

use aws_config::SdkConfig;
use aws_config::profile::ProfileFileCredentialsProvider;
use aws_config::sts::AssumeRoleProvider;
use aws_credential_types::Credentials;
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_runtime::env_config::file::EnvConfigFiles;
use aws_sdk_sts::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sts::operation::assume_role::AssumeRoleError;
use aws_types::os_shim_internal::{Env, Fs};
use aws_types::request_id::RequestId as _;

use super::client::{AssumedRole, StaticCredentials};
use super::error::{AwsError, AwsErrorClass, find_in_chain, source_chain};

/// The variable the AWS SDKs read a profile name from.
const PROFILE_ENV: &str = "AWS_PROFILE";
/// The variable the Bedrock SDKs read an API key from.
const BEARER_TOKEN_ENV: &str = "AWS_BEARER_TOKEN_BEDROCK";
/// The provider name given to keys the caller passed in.
const STATIC_PROVIDER: &str = "bedrock-host";

/// A profile the user named, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExplicitProfile {
    /// The profile's name.
    pub name: String,
    /// `--profile` or `AWS_PROFILE`.
    pub named_by: &'static str,
}

impl ExplicitProfile {
    /// `--profile` when given, else a non-empty `AWS_PROFILE`.
    pub fn from(flag: Option<&str>) -> Option<Self> {
        if let Some(name) = flag {
            return Some(Self {
                name: name.to_owned(),
                named_by: "--profile",
            });
        }
        std::env::var(PROFILE_ENV)
            .ok()
            .filter(|name| !name.is_empty())
            .map(|name| Self {
                name,
                named_by: PROFILE_ENV,
            })
    }
}

/// Where the credentials came from, as `-v` says it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialSource {
    /// Keys passed in by the caller (the local Bedrock's test keys, for `--local`).
    Static,
    /// A named profile of the shared config and credentials files.
    Profile(ExplicitProfile),
    /// The SDK's default chain; `environment` when its first link, the environment's keys,
    /// is what it will use.
    DefaultChain { environment: bool },
    /// A Bedrock API key from `AWS_BEARER_TOKEN_BEDROCK`.
    BearerToken,
    /// A role assumed through STS with credentials from the inner source.
    AssumedRole(String, Box<CredentialSource>),
}

impl fmt::Display for CredentialSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Static => f.write_str("the keys given to bedrock-host"),
            Self::Profile(profile) => write!(
                f,
                "profile `{}` (named by {}) of the shared config and credentials files",
                profile.name, profile.named_by
            ),
            Self::DefaultChain { environment: true } => {
                f.write_str("the environment (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)")
            }
            Self::DefaultChain { environment: false } => f.write_str(
                "the default chain (profile `default`, SSO, web identity, container or instance metadata)",
            ),
            Self::BearerToken => f.write_str("a Bedrock API key (AWS_BEARER_TOKEN_BEDROCK)"),
            Self::AssumedRole(role, base) => {
                write!(f, "role {role} assumed through STS with {base}")
            }
        }
    }
}

/// Checks that `profile` is defined in the shared config or credentials file.
pub async fn check_profile(profile: &ExplicitProfile) -> Result<(), AwsError> {
    let profiles = aws_config::profile::load(
        &Fs::real(),
        &Env::real(),
        &EnvConfigFiles::default(),
        Some(Cow::Owned(profile.name.clone())),
    )
    .await
    .map_err(|error| {
        AwsError::configuration(
            format!("cannot read the AWS config files: {}", source_chain(&error)),
            "fix the file it names, or point AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE elsewhere",
        )
    })?;
    if profiles.get_profile(&profile.name).is_some() {
        return Ok(());
    }
    let mut known: Vec<&str> = profiles.profiles().collect();
    known.sort_unstable();
    let known = if known.is_empty() {
        "there are no profiles".to_owned()
    } else {
        format!("the known profiles are {}", known.join(", "))
    };
    Err(AwsError::configuration(
        format!(
            "the profile `{}` (from {}) is not in the AWS config or credentials file; {known}",
            profile.name, profile.named_by
        ),
        "check the name, or add the profile (`aws configure --profile NAME`)",
    ))
}

/// The credentials for Bedrock from `config`'s provider (or `keys`, or `profile`'s), resolved
/// now, and, with `role`, exchanged for the role's through STS. Returns the provider to use
/// (`None`: leave the config's own, for bearer authentication) and where its credentials came
/// from.
pub async fn resolve(
    config: &SdkConfig,
    keys: Option<&StaticCredentials>,
    profile: Option<&ExplicitProfile>,
    role: Option<&AssumedRole>,
) -> Result<(Option<SharedCredentialsProvider>, CredentialSource), AwsError> {
    let (provider, source) = if let Some(keys) = keys {
        let keys = Credentials::new(
            &keys.access_key_id,
            &keys.secret_access_key,
            None,
            None,
            STATIC_PROVIDER,
        );
        (
            SharedCredentialsProvider::new(keys),
            CredentialSource::Static,
        )
    } else if let Some(profile) = profile {
        let provider = ProfileFileCredentialsProvider::builder()
            .profile_name(&profile.name)
            .build();
        (
            SharedCredentialsProvider::new(provider),
            CredentialSource::Profile(profile.clone()),
        )
    } else if role.is_none() && non_empty_env(BEARER_TOKEN_ENV) {
        return Ok((None, CredentialSource::BearerToken));
    } else {
        let provider = config.credentials_provider().ok_or_else(|| {
            AwsError::configuration(
                "no credential provider is configured".to_owned(),
                "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or pass --profile",
            )
        })?;
        let environment =
            non_empty_env("AWS_ACCESS_KEY_ID") && non_empty_env("AWS_SECRET_ACCESS_KEY");
        (provider, CredentialSource::DefaultChain { environment })
    };
    let base = provider
        .provide_credentials()
        .await
        .map_err(|error| from_provider(&error, &source))?;
    let Some(role) = role else {
        return Ok((Some(SharedCredentialsProvider::new(base)), source));
    };
    let sts_config = config
        .clone()
        .into_builder()
        .credentials_provider(SharedCredentialsProvider::new(base))
        .build();
    let assumed = AssumeRoleProvider::builder(&role.role_arn)
        .session_name(&role.session_name)
        .configure(&sts_config)
        .build()
        .await
        .provide_credentials()
        .await
        .map_err(|error| from_assume_role(&error, role))?;
    Ok((
        Some(SharedCredentialsProvider::new(assumed)),
        CredentialSource::AssumedRole(role.role_arn.clone(), Box::new(source)),
    ))
}

fn non_empty_env(name: &str) -> bool {
    std::env::var_os(name).is_some_and(|value| !value.is_empty())
}

/// A credential provider's failure, by its variant.
fn from_provider(error: &CredentialsError, source: &CredentialSource) -> AwsError {
    match error {
        CredentialsError::CredentialsNotLoaded(_) => match source {
            CredentialSource::Profile(profile) => AwsError::configuration(
                format!("the profile `{}` holds no credentials", profile.name),
                "add keys, `sso_session`, `role_arn` or `credential_process` to the profile, or run `aws sso login --profile NAME`",
            ),
            _ => AwsError::configuration(
                "no AWS credentials were found (tried the environment, the shared config and credentials files, web identity, and container and instance metadata)".to_owned(),
                "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, pass --profile, run `aws sso login`, or set AWS_BEARER_TOKEN_BEDROCK to a Bedrock API key",
            ),
        },
        CredentialsError::ProviderTimedOut(timed_out) => AwsError {
            class: AwsErrorClass::Transport,
            code: None,
            message: format!(
                "getting credentials from {source} took longer than {} s",
                timed_out.timeout_duration().as_secs_f64()
            ),
            request_id: None,
            hint: Some("check the network, or the credential source's service".to_owned()),
            timed_out: true,
        },
        _ => AwsError::configuration(
            format!(
                "cannot get credentials from {source}: {}",
                source_chain(error)
            ),
            "fix the credential source named above",
        ),
    }
}

/// A failed `AssumeRole`: the role and STS's own error when STS answered.
fn from_assume_role(error: &CredentialsError, role: &AssumedRole) -> AwsError {
    let refusal = find_in_chain::<SdkError<AssumeRoleError>>(error).and_then(|sdk| match sdk {
        SdkError::ServiceError(context) => Some(context.err()),
        _ => None,
    });
    let Some(refusal) = refusal else {
        return AwsError::configuration(
            format!(
                "cannot assume the role {}: STS could not be reached: {}",
                role.role_arn,
                source_chain(error)
            ),
            "check the network and AWS_ENDPOINT_URL_STS, or drop --assume-role",
        );
    };
    AwsError {
        class: AwsErrorClass::Configuration,
        code: refusal.code().map(str::to_owned),
        message: format!(
            "STS refused to let these credentials assume the role {}: {}",
            role.role_arn,
            refusal.message().unwrap_or("no message")
        ),
        request_id: refusal.meta().request_id().map(str::to_owned),
        hint: Some(
            "check the role ARN, and that the role's trust policy lets your identity assume it (sts:AssumeRole)"
                .to_owned(),
        ),
        timed_out: false,
    }
}
