//! Classifies the model identifier of a request path by how it reaches a model. A base id
//! (`anthropic.claude-3-haiku-20240307-v1:0`) or a foundation-model ARN asks for on-demand
//! throughput. A cross-region inference profile id (`us.`, `eu.`, `apac.`, `global.`, `jp.`,
//! `au.`, `us-gov.`, `ca.` + base id) or the ARN of one goes through a system-defined profile.
//! An application-inference-profile ARN names a profile whose model only the profile registry
//! knows. The path segment arrives percent-encoded; axum's `Path` extractor has already decoded
//! it by the time it gets here. Whether a base id names a known model, and whether it may be
//! invoked on demand, is for `providers` and `foundation_models` to say.

/// Prefixes of system-defined cross-region inference profiles.
const INFERENCE_PROFILE_PREFIXES: &[&str] =
    &["us", "eu", "apac", "global", "jp", "au", "us-gov", "ca"];

/// The AWS partitions Bedrock runs in.
const PARTITIONS: &[&str] = &["aws", "aws-us-gov", "aws-cn"];

/// What a model identifier refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ModelIdentifier<'a> {
    /// A base model id, given directly or as a foundation-model ARN: on-demand throughput.
    OnDemand(&'a str),
    /// The base model id behind a system-defined cross-region inference profile.
    SystemProfile(&'a str),
    /// An application inference profile, by the parts of its ARN.
    ApplicationProfile {
        /// The ARN's region.
        region: &'a str,
        /// The ARN's account id.
        account: &'a str,
        /// The profile id, e.g. `localbedrock`.
        id: &'a str,
    },
}

/// Classifies a decoded model identifier, or `None` for one that is none of the accepted forms
/// (for example a provisioned-model ARN).
pub(crate) fn parse_model_identifier(model_identifier: &str) -> Option<ModelIdentifier<'_>> {
    if model_identifier.starts_with("arn:") {
        return parse_arn(model_identifier);
    }
    Some(match strip_profile_prefix(model_identifier) {
        Some(base) => ModelIdentifier::SystemProfile(base),
        None => ModelIdentifier::OnDemand(model_identifier),
    })
}

fn parse_arn(arn: &str) -> Option<ModelIdentifier<'_>> {
    // arn:PARTITION:bedrock:REGION:ACCOUNT:RESOURCE; the account is empty for foundation models.
    let mut fields = arn.splitn(6, ':');
    let (
        Some("arn"),
        Some(partition),
        Some("bedrock"),
        Some(region),
        Some(account),
        Some(resource),
    ) = (
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
    )
    else {
        return None;
    };
    if !PARTITIONS.contains(&partition) || region.is_empty() {
        return None;
    }
    let (kind, id) = resource.split_once('/')?;
    match kind {
        "foundation-model" => Some(ModelIdentifier::OnDemand(id)),
        "inference-profile" => strip_profile_prefix(id).map(ModelIdentifier::SystemProfile),
        "application-inference-profile" => Some(ModelIdentifier::ApplicationProfile {
            region,
            account,
            id,
        }),
        _ => None,
    }
}

/// The base id of a cross-region profile id, or `None` when `model_id` has no profile prefix.
fn strip_profile_prefix(model_id: &str) -> Option<&str> {
    match model_id.split_once('.') {
        Some((prefix, rest)) if INFERENCE_PROFILE_PREFIXES.contains(&prefix) => Some(rest),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::{ModelIdentifier, parse_model_identifier};

    const BASE: &str = "anthropic.claude-3-haiku-20240307-v1:0";

    #[test]
    fn base_ids_ask_for_on_demand_throughput() {
        assert_eq!(
            parse_model_identifier(BASE),
            Some(ModelIdentifier::OnDemand(BASE))
        );
        assert_eq!(
            parse_model_identifier(&format!(
                "arn:aws:bedrock:us-east-1::foundation-model/{BASE}"
            )),
            Some(ModelIdentifier::OnDemand(BASE))
        );
    }

    #[test]
    fn every_inference_profile_prefix_and_profile_arn_goes_through_a_profile() {
        for prefix in ["us", "eu", "apac", "global", "jp", "au", "us-gov", "ca"] {
            assert_eq!(
                parse_model_identifier(&format!("{prefix}.{BASE}")),
                Some(ModelIdentifier::SystemProfile(BASE))
            );
        }
        assert_eq!(
            parse_model_identifier(&format!(
                "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.{BASE}"
            )),
            Some(ModelIdentifier::SystemProfile(BASE))
        );
    }

    #[test]
    fn application_profile_arns_are_split_into_their_parts() {
        assert_eq!(
            parse_model_identifier(
                "arn:aws:bedrock:eu-west-1:123456789012:application-inference-profile/abc123def456"
            ),
            Some(ModelIdentifier::ApplicationProfile {
                region: "eu-west-1",
                account: "123456789012",
                id: "abc123def456",
            })
        );
    }

    #[test]
    fn other_arns_are_not_model_ids() {
        assert_eq!(
            parse_model_identifier("arn:aws:bedrock:us-east-1:123456789012:provisioned-model/abc"),
            None
        );
        assert_eq!(
            parse_model_identifier(&format!("arn:aws:s3:us-east-1::foundation-model/{BASE}")),
            None
        );
        assert_eq!(
            parse_model_identifier(&format!(
                "arn:aws:bedrock:us-east-1:123456789012:inference-profile/{BASE}"
            )),
            None
        );
        assert_eq!(
            parse_model_identifier("arn:aws:bedrock::123456789012:inference-profile/us.x"),
            None
        );
    }
}
