//! Reduces the model identifier of a request path to a base model id. Accepted forms: a base id
//! (`anthropic.claude-3-haiku-20240307-v1:0`), a cross-region inference profile id (`us.`, `eu.`,
//! `apac.`, `global.`, `jp.`, `au.`, `us-gov.`, `ca.` + base id), and the ARN of a foundation
//! model or of a system inference profile. The path segment arrives percent-encoded; axum's
//! `Path` extractor has already decoded it by the time it gets here. Whether the base id names a
//! known model is for `providers` to say.

/// Prefixes of system-defined cross-region inference profiles.
const INFERENCE_PROFILE_PREFIXES: &[&str] =
    &["us", "eu", "apac", "global", "jp", "au", "us-gov", "ca"];

/// The AWS partitions Bedrock runs in.
const PARTITIONS: &[&str] = &["aws", "aws-us-gov", "aws-cn"];

/// The base model id a decoded model identifier refers to, or `None` for an identifier that
/// is not one of the accepted forms (for example a provisioned-model ARN).
pub(crate) fn base_model_id(model_identifier: &str) -> Option<&str> {
    if model_identifier.starts_with("arn:") {
        return base_id_from_arn(model_identifier);
    }
    Some(strip_profile_prefix(model_identifier))
}

fn base_id_from_arn(arn: &str) -> Option<&str> {
    // arn:PARTITION:bedrock:REGION:ACCOUNT:RESOURCE; the account is empty for foundation models.
    let mut fields = arn.splitn(6, ':');
    let (
        Some("arn"),
        Some(partition),
        Some("bedrock"),
        Some(region),
        Some(_account),
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
        "foundation-model" => Some(id),
        "inference-profile" => {
            let base = strip_profile_prefix(id);
            (base.len() < id.len()).then_some(base)
        }
        _ => None,
    }
}

fn strip_profile_prefix(model_id: &str) -> &str {
    match model_id.split_once('.') {
        Some((prefix, rest)) if INFERENCE_PROFILE_PREFIXES.contains(&prefix) => rest,
        _ => model_id,
    }
}

#[cfg(test)]
mod tests {
    use super::base_model_id;

    const BASE: &str = "anthropic.claude-3-haiku-20240307-v1:0";

    #[test]
    fn base_ids_pass_through() {
        assert_eq!(base_model_id(BASE), Some(BASE));
    }

    #[test]
    fn every_inference_profile_prefix_is_stripped() {
        for prefix in ["us", "eu", "apac", "global", "jp", "au", "us-gov", "ca"] {
            assert_eq!(base_model_id(&format!("{prefix}.{BASE}")), Some(BASE));
        }
    }

    #[test]
    fn foundation_model_and_inference_profile_arns_reduce_to_the_base_id() {
        assert_eq!(
            base_model_id(&format!(
                "arn:aws:bedrock:us-east-1::foundation-model/{BASE}"
            )),
            Some(BASE)
        );
        assert_eq!(
            base_model_id(&format!(
                "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.{BASE}"
            )),
            Some(BASE)
        );
    }

    #[test]
    fn other_arns_are_not_model_ids() {
        assert_eq!(
            base_model_id("arn:aws:bedrock:us-east-1:123456789012:provisioned-model/abc"),
            None
        );
        assert_eq!(
            base_model_id(&format!("arn:aws:s3:us-east-1::foundation-model/{BASE}")),
            None
        );
        assert_eq!(
            base_model_id(&format!(
                "arn:aws:bedrock:us-east-1:123456789012:inference-profile/{BASE}"
            )),
            None
        );
    }
}
