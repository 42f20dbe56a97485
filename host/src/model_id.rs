//! Model ids as users give them, and the base model id they name.
//!
//! Invariant: a `ModelId` keeps the id exactly as given, because that is what
//! is sent to AWS; the base id is derived from it only to choose a plugin.
//! The rules here are Bedrock's routing rules (cross-region inference
//! profiles and ARNs), not any provider's: no provider is named.

use std::fmt;

/// The geography prefixes of cross-region (system-defined) inference profiles.
const PROFILE_PREFIXES: &[&str] = &["us", "eu", "apac", "global", "jp", "au", "us-gov", "ca"];

/// Why a model id could not be routed to a base model id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelIdError {
    /// The id is empty or has whitespace or control characters.
    #[error("`{0}` is not a model id: it is empty or contains spaces")]
    Malformed(String),
    /// An ARN whose resource names no model by itself.
    #[error("`{id}` is a {kind} ARN, which does not name its model")]
    Opaque { id: String, kind: String },
    /// An ARN of a resource type Bedrock does not invoke.
    #[error("`{0}` is not a Bedrock model or inference-profile ARN")]
    UnknownArn(String),
}

/// A model id as the user gave it, with the base model id it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelId {
    given: String,
    base: String,
}

impl ModelId {
    /// Parses `id`: a base id, a cross-region inference profile id, or a
    /// foundation-model or inference-profile ARN.
    pub fn parse(id: &str) -> Result<Self, ModelIdError> {
        if id.is_empty() || id.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(ModelIdError::Malformed(id.to_owned()));
        }
        let base = match id.strip_prefix("arn:") {
            Some(arn) => base_of_arn(id, arn)?,
            None => strip_profile_prefix(id).to_owned(),
        };
        Ok(Self {
            given: id.to_owned(),
            base,
        })
    }

    /// An id whose base model was found some other way (the control plane,
    /// for an ARN that names no model).
    pub fn resolved(given: &str, base: &str) -> Self {
        Self {
            given: given.to_owned(),
            base: base.to_owned(),
        }
    }

    /// The id exactly as given: what is sent to AWS.
    pub fn as_given(&self) -> &str {
        &self.given
    }

    /// The base model id (`anthropic.claude-3-5-sonnet-20240620-v1:0`).
    pub fn base(&self) -> &str {
        &self.base
    }
}

impl fmt::Display for ModelId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.given)
    }
}

/// `arn:PARTITION:bedrock:REGION:ACCOUNT:TYPE/RESOURCE` → base id.
fn base_of_arn(id: &str, arn: &str) -> Result<String, ModelIdError> {
    let fields: Vec<&str> = arn.splitn(5, ':').collect();
    let [_partition, service, _region, _account, resource] = fields[..] else {
        return Err(ModelIdError::UnknownArn(id.to_owned()));
    };
    if service != "bedrock" {
        return Err(ModelIdError::UnknownArn(id.to_owned()));
    }
    let Some((kind, name)) = resource.split_once('/') else {
        return Err(ModelIdError::UnknownArn(id.to_owned()));
    };
    match kind {
        "foundation-model" if !name.is_empty() => Ok(name.to_owned()),
        "inference-profile" if !name.is_empty() => Ok(strip_profile_prefix(name).to_owned()),
        "application-inference-profile"
        | "provisioned-model"
        | "custom-model"
        | "imported-model"
        | "custom-model-deployment"
        | "prompt" => Err(ModelIdError::Opaque {
            id: id.to_owned(),
            kind: kind.to_owned(),
        }),
        _ => Err(ModelIdError::UnknownArn(id.to_owned())),
    }
}

/// `us.anthropic.claude-...` → `anthropic.claude-...`; other ids unchanged.
fn strip_profile_prefix(id: &str) -> &str {
    match id.split_once('.') {
        Some((prefix, rest)) if PROFILE_PREFIXES.contains(&prefix) && rest.contains('.') => rest,
        _ => id,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base(id: &str) -> String {
        ModelId::parse(id)
            .map(|m| m.base().to_owned())
            .unwrap_or_else(|e| e.to_string())
    }

    #[test]
    fn base_ids_are_their_own_base() {
        assert_eq!(
            base("anthropic.claude-3-5-sonnet-20240620-v1:0"),
            "anthropic.claude-3-5-sonnet-20240620-v1:0"
        );
        assert_eq!(base("amazon.titan-tg1-large"), "amazon.titan-tg1-large");
    }

    #[test]
    fn cross_region_prefixes_are_stripped() {
        for prefix in PROFILE_PREFIXES {
            let id = format!("{prefix}.anthropic.claude-3-haiku-20240307-v1:0");
            assert_eq!(base(&id), "anthropic.claude-3-haiku-20240307-v1:0", "{id}");
        }
    }

    #[test]
    fn arns_name_their_model() {
        assert_eq!(
            base("arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-tg1-large"),
            "amazon.titan-tg1-large"
        );
        assert_eq!(
            base(
                "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-5-sonnet-20240620-v1:0"
            ),
            "anthropic.claude-3-5-sonnet-20240620-v1:0"
        );
        assert_eq!(
            base("arn:aws-us-gov:bedrock:us-gov-west-1::foundation-model/anthropic.claude-v2:1"),
            "anthropic.claude-v2:1"
        );
    }

    #[test]
    fn the_given_id_is_kept_exactly() {
        let id = "us.anthropic.claude-3-5-sonnet-20240620-v1:0";
        assert_eq!(
            ModelId::parse(id).map(|m| m.as_given().to_owned()),
            Ok(id.to_owned())
        );
    }

    #[test]
    fn opaque_and_foreign_arns_are_refused() {
        assert!(matches!(
            ModelId::parse(
                "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123"
            ),
            Err(ModelIdError::Opaque { .. })
        ));
        assert!(matches!(
            ModelId::parse("arn:aws:sagemaker:us-east-1:767398002385:endpoint/x"),
            Err(ModelIdError::UnknownArn(_))
        ));
        assert!(matches!(
            ModelId::parse(""),
            Err(ModelIdError::Malformed(_))
        ));
        assert!(matches!(
            ModelId::parse("a b"),
            Err(ModelIdError::Malformed(_))
        ));
    }

    #[test]
    fn a_provider_named_like_a_prefix_is_not_stripped() {
        assert_eq!(base("us.x"), "us.x");
    }
}
