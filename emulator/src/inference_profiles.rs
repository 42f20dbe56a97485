//! The inference profiles of the control plane: `ListInferenceProfiles`
//! (`GET /inference-profiles`, filter `type`, pagination `maxResults`/`nextToken`) and
//! `GetInferenceProfile` (`GET /inference-profiles/{id or ARN}`), plus the resolution of the
//! application-inference-profile ARNs that `InvokeModel` accepts.
//!
//! The system-defined profiles are real: `data/inference-profiles.json` holds the US cross-region
//! profile of every catalogued model whose `inferenceTypesSupported` has `INFERENCE_PROFILE`,
//! with the regions it routes to (see `data/README.md`). One application inference profile is
//! pre-made, [`APPLICATION_INFERENCE_PROFILE_ID`], a copy of the US Claude Sonnet 4.5 profile, so
//! that clients can test application-profile ARNs. Invariants: every profile's model is in the
//! foundation-model catalogue (checked by a unit test), and ARNs name the emulator's region and
//! [`ACCOUNT_ID`]. As on AWS (aws/aws-cli#9728), an unfiltered list holds only the
//! system-defined profiles.

use std::sync::{Arc, LazyLock};

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use crate::api_error::ApiError;
use crate::foundation_models::{foundation_model_arn, json_response};
use crate::query::{QueryParameters, Violations};
use crate::server::AppState;

/// The AWS account the emulator's profile ARNs name (AWS's documentation example account).
pub const ACCOUNT_ID: &str = "123456789012";

/// The id of the pre-made application inference profile, which routes to Claude Sonnet 4.5.
pub const APPLICATION_INFERENCE_PROFILE_ID: &str = "localbedrock";

/// The ARN of the pre-made application inference profile in [`crate::DEFAULT_REGION`]; an
/// emulator configured for another region gives it with
/// [`crate::RunningEmulator::application_inference_profile_arn`].
pub const APPLICATION_INFERENCE_PROFILE_ARN: &str =
    "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/localbedrock";

/// The system-defined profile the application profile was copied from.
const APPLICATION_PROFILE_SOURCE: &str = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";
const APPLICATION_PROFILE_NAME: &str = "local-bedrock-claude-sonnet-4-5";
const APPLICATION_PROFILE_DESCRIPTION: &str = "Claude Sonnet 4.5 copied from us.anthropic.claude-sonnet-4-5-20250929-v1:0 by the local Bedrock";

/// The system-defined profiles, as generated from the fixture.
const PROFILES_JSON: &str = include_str!("../data/inference-profiles.json");

/// The `InferenceProfileType` enum of the service model, valid values of `type`.
const PROFILE_TYPES: &[&str] = &["SYSTEM_DEFINED", "APPLICATION"];
/// The largest `maxResults` the service model allows.
const MAX_RESULTS: u32 = 1000;
/// The service model's pattern for `GetInferenceProfile`'s identifier.
const IDENTIFIER_PATTERN: &str = "(arn:aws(|-us-gov|-cn|-iso|-iso-b):bedrock:(|[0-9a-z-]{0,20}):\
                                  (|[0-9]{12}):(inference-profile|application-inference-profile)/)?\
                                  [a-zA-Z0-9-:.]+";

/// Who defined a profile.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum ProfileType {
    /// Bedrock's own cross-region profiles.
    #[default]
    SystemDefined,
    /// A profile created in the account.
    Application,
}

impl ProfileType {
    fn as_str(self) -> &'static str {
        match self {
            Self::SystemDefined => "SYSTEM_DEFINED",
            Self::Application => "APPLICATION",
        }
    }

    /// The ARN resource type of profiles of this kind.
    fn resource_type(self) -> &'static str {
        match self {
            Self::SystemDefined => "inference-profile",
            Self::Application => "application-inference-profile",
        }
    }
}

/// One inference profile.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct InferenceProfile {
    inference_profile_id: String,
    inference_profile_name: String,
    description: String,
    /// The base id of the model the profile routes to.
    model_id: String,
    /// The regions it routes to.
    regions: Vec<String>,
    #[serde(skip)]
    kind: ProfileType,
}

impl InferenceProfile {
    /// The base id of the model behind the profile.
    pub fn model_id(&self) -> &str {
        &self.model_id
    }

    fn arn(&self, region: &str) -> String {
        format!(
            "arn:aws:bedrock:{region}:{ACCOUNT_ID}:{}/{}",
            self.kind.resource_type(),
            self.inference_profile_id
        )
    }

    fn summary(&self, region: &str) -> ProfileSummary<'_> {
        ProfileSummary {
            inference_profile_name: &self.inference_profile_name,
            description: &self.description,
            inference_profile_arn: self.arn(region),
            models: self
                .regions
                .iter()
                .map(|model_region| ProfileModel {
                    model_arn: foundation_model_arn(model_region, &self.model_id),
                })
                .collect(),
            inference_profile_id: &self.inference_profile_id,
            status: "ACTIVE",
            kind: self.kind.as_str(),
        }
    }
}

/// The data file: where it came from, and the profiles.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ProfilesFile {
    /// Provenance, for readers of the file; not served.
    #[serde(rename = "source")]
    _source: String,
    system_defined: Vec<InferenceProfile>,
}

static PROFILES: LazyLock<Result<Vec<InferenceProfile>, String>> = LazyLock::new(|| {
    let file: ProfilesFile = serde_json::from_str(PROFILES_JSON)
        .map_err(|error| format!("the built-in inference profiles are unreadable: {error}"))?;
    let mut profiles = file.system_defined;
    let source = profiles
        .iter()
        .find(|profile| profile.inference_profile_id == APPLICATION_PROFILE_SOURCE)
        .ok_or_else(|| format!("the built-in profiles lack {APPLICATION_PROFILE_SOURCE}"))?;
    let application = InferenceProfile {
        inference_profile_id: APPLICATION_INFERENCE_PROFILE_ID.to_owned(),
        inference_profile_name: APPLICATION_PROFILE_NAME.to_owned(),
        description: APPLICATION_PROFILE_DESCRIPTION.to_owned(),
        kind: ProfileType::Application,
        ..source.clone()
    };
    profiles.push(application);
    Ok(profiles)
});

fn inference_profiles() -> Result<&'static [InferenceProfile], ApiError> {
    PROFILES
        .as_deref()
        .map_err(|message| ApiError::internal(message.clone()))
}

/// The ARN of the pre-made application inference profile in `region`.
pub(crate) fn application_profile_arn(region: &str) -> String {
    format!(
        "arn:aws:bedrock:{region}:{ACCOUNT_ID}:application-inference-profile/\
         {APPLICATION_INFERENCE_PROFILE_ID}"
    )
}

/// The application profile an ARN with these parts names, for an emulator in `region`.
pub(crate) fn application_profile(
    region: &str,
    arn_region: &str,
    account: &str,
    id: &str,
) -> Result<Option<&'static InferenceProfile>, ApiError> {
    if arn_region != region || account != ACCOUNT_ID {
        return Ok(None);
    }
    Ok(inference_profiles()?.iter().find(|profile| {
        profile.kind == ProfileType::Application && profile.inference_profile_id == id
    }))
}

/// An `InferenceProfileSummary` (and `GetInferenceProfile` response) as sent on the wire.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ProfileSummary<'a> {
    inference_profile_name: &'a str,
    description: &'a str,
    inference_profile_arn: String,
    models: Vec<ProfileModel>,
    inference_profile_id: &'a str,
    status: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ProfileModel {
    model_arn: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ListInferenceProfilesResponse<'a> {
    inference_profile_summaries: Vec<ProfileSummary<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_token: Option<String>,
}

/// `GET /inference-profiles`.
pub(crate) async fn list_inference_profiles(
    State(state): State<Arc<AppState>>,
    RawQuery(raw_query): RawQuery,
) -> Response {
    match list(&state.region, raw_query.as_deref()) {
        Ok(body) => json_response(body),
        Err(error) => error.into_response(),
    }
}

fn list(region: &str, raw_query: Option<&str>) -> Result<Vec<u8>, ApiError> {
    let query = QueryParameters::parse(raw_query);
    let kind = query.get("type");
    let max_results = query.get("maxResults");
    let next_token = query.get("nextToken");
    let mut violations = Violations::default();
    violations.check_integer_range("maxResults", max_results, 1, MAX_RESULTS);
    violations.check_pattern("nextToken", next_token, "\\S*", |token| {
        (1..=2048).contains(&token.len()) && !token.contains(char::is_whitespace)
    });
    violations.check_enum("typeEquals", kind, PROFILE_TYPES);
    violations.into_result()?;

    let wanted = match kind {
        Some("APPLICATION") => ProfileType::Application,
        _ => ProfileType::SystemDefined,
    };
    let matching: Vec<&InferenceProfile> = inference_profiles()?
        .iter()
        .filter(|profile| profile.kind == wanted)
        .collect();
    let start = next_token.map_or(Ok(0), |token| decode_token(token, matching.len()))?;
    let page_size = max_results
        .and_then(|value| value.parse::<usize>().ok())
        .unwrap_or(matching.len());
    let end = start.saturating_add(page_size).min(matching.len());
    let inference_profile_summaries = matching[start..end]
        .iter()
        .map(|profile| profile.summary(region))
        .collect();
    let next_token = (end < matching.len()).then(|| encode_token(end));
    serde_json::to_vec(&ListInferenceProfilesResponse {
        inference_profile_summaries,
        next_token,
    })
    .map_err(|error| ApiError::internal(format!("cannot render the profile list: {error}")))
}

/// An opaque pagination token for the page starting at `offset`.
fn encode_token(offset: usize) -> String {
    URL_SAFE_NO_PAD.encode(format!("offset:{offset}"))
}

/// The offset a token from [`encode_token`] stands for, if it is one for a list of `len`.
fn decode_token(token: &str, len: usize) -> Result<usize, ApiError> {
    URL_SAFE_NO_PAD
        .decode(token)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| text.strip_prefix("offset:")?.parse::<usize>().ok())
        .filter(|offset| *offset <= len)
        .ok_or_else(|| ApiError::validation("The provided pagination token is invalid."))
}

/// `GET /inference-profiles/{inferenceProfileIdentifier}`.
pub(crate) async fn get_inference_profile(
    State(state): State<Arc<AppState>>,
    identifier: Result<Path<String>, PathRejection>,
) -> Response {
    let identifier = match identifier {
        Ok(Path(identifier)) => identifier,
        Err(_) => {
            return ApiError::validation(
                "The inference profile identifier is not valid percent-encoded UTF-8.",
            )
            .into_response();
        }
    };
    match get(&state.region, &identifier) {
        Ok(body) => json_response(body),
        Err(error) => error.into_response(),
    }
}

fn get(region: &str, identifier: &str) -> Result<Vec<u8>, ApiError> {
    let mut violations = Violations::default();
    violations.check_pattern(
        "inferenceProfileIdentifier",
        Some(identifier),
        IDENTIFIER_PATTERN,
        identifier_is_well_formed,
    );
    violations.into_result()?;
    let profile = inference_profiles()?
        .iter()
        .find(|profile| {
            profile.inference_profile_id == identifier || profile.arn(region) == identifier
        })
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "ResourceNotFoundException",
                format!("The inference profile {identifier} was not found."),
            )
        })?;
    serde_json::to_vec(&profile.summary(region))
        .map_err(|error| ApiError::internal(format!("cannot render the profile: {error}")))
}

/// Whether `identifier` satisfies [`IDENTIFIER_PATTERN`] and the 2048-character limit.
fn identifier_is_well_formed(identifier: &str) -> bool {
    let id_chars = |id: &str| {
        !id.is_empty()
            && id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | ':' | '.'))
    };
    if identifier.len() > 2048 {
        return false;
    }
    let Some((prefix, id)) = identifier.split_once('/') else {
        return id_chars(identifier);
    };
    let fields: Vec<&str> = prefix.split(':').collect();
    let [
        "arn",
        partition,
        "bedrock",
        region,
        account,
        "inference-profile" | "application-inference-profile",
    ] = fields[..]
    else {
        return false;
    };
    ["aws", "aws-us-gov", "aws-cn", "aws-iso", "aws-iso-b"].contains(&partition)
        && region.len() <= 20
        && region
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && (account.is_empty()
            || (account.len() == 12 && account.chars().all(|c| c.is_ascii_digit())))
        && id_chars(id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DEFAULT_REGION;
    use crate::foundation_models::foundation_models;
    use serde_json::Value;

    fn listed(raw_query: Option<&str>) -> Value {
        serde_json::from_slice(&list("us-east-1", raw_query).expect("a valid query")).expect("JSON")
    }

    fn profile_ids(response: &Value) -> Vec<String> {
        response["inferenceProfileSummaries"]
            .as_array()
            .expect("summaries")
            .iter()
            .map(|summary| {
                summary["inferenceProfileId"]
                    .as_str()
                    .expect("id")
                    .to_owned()
            })
            .collect()
    }

    #[test]
    fn the_documented_arn_is_the_default_region_arn() {
        assert_eq!(
            APPLICATION_INFERENCE_PROFILE_ARN,
            application_profile_arn(DEFAULT_REGION)
        );
    }

    #[test]
    fn profiles_exist_exactly_for_the_models_served_through_one() {
        let profiles = inference_profiles().expect("the data file parses");
        let models = foundation_models().expect("the catalogue parses");
        for model in models {
            let needs_profile = model
                .inference_types_supported
                .iter()
                .any(|kind| kind == "INFERENCE_PROFILE");
            let has_profile = profiles.iter().any(|profile| {
                profile.kind == ProfileType::SystemDefined
                    && profile.inference_profile_id == format!("us.{}", model.model_id)
            });
            assert_eq!(needs_profile, has_profile, "{}", model.model_id);
        }
        for profile in profiles {
            assert!(
                models
                    .iter()
                    .any(|model| model.model_id == profile.model_id),
                "{} routes to an unlisted model",
                profile.inference_profile_id
            );
            assert!((1..=5).contains(&profile.regions.len()));
        }
    }

    #[test]
    fn an_unfiltered_list_holds_the_system_profiles_only() {
        let all = listed(None);
        let ids = profile_ids(&all);
        assert!(ids.contains(&"us.anthropic.claude-sonnet-4-5-20250929-v1:0".to_owned()));
        assert!(!ids.contains(&APPLICATION_INFERENCE_PROFILE_ID.to_owned()));
        assert!(all.get("nextToken").is_none());
        assert_eq!(profile_ids(&listed(Some("type=SYSTEM_DEFINED"))), ids);
        assert_eq!(
            profile_ids(&listed(Some("type=APPLICATION"))),
            [APPLICATION_INFERENCE_PROFILE_ID]
        );
    }

    #[test]
    fn a_summary_has_the_real_fields() {
        let all = listed(None);
        let sonnet = all["inferenceProfileSummaries"]
            .as_array()
            .expect("summaries")
            .iter()
            .find(|summary| {
                summary["inferenceProfileId"] == "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
            })
            .expect("listed")
            .clone();
        assert_eq!(
            sonnet["inferenceProfileName"],
            "US Anthropic Claude Sonnet 4.5"
        );
        assert_eq!(
            sonnet["inferenceProfileArn"],
            "arn:aws:bedrock:us-east-1:123456789012:inference-profile/\
             us.anthropic.claude-sonnet-4-5-20250929-v1:0"
        );
        assert_eq!(sonnet["status"], "ACTIVE");
        assert_eq!(sonnet["type"], "SYSTEM_DEFINED");
        assert_eq!(
            sonnet["models"][1]["modelArn"],
            "arn:aws:bedrock:us-east-2::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0"
        );
    }

    #[test]
    fn pages_follow_their_tokens_to_the_end() {
        let all = profile_ids(&listed(None));
        let mut seen = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let query = match &token {
                Some(token) => format!("maxResults=4&nextToken={token}"),
                None => "maxResults=4".to_owned(),
            };
            let page = listed(Some(&query));
            let ids = profile_ids(&page);
            assert!(ids.len() <= 4);
            seen.extend(ids);
            match page["nextToken"].as_str() {
                Some(next) => token = Some(next.to_owned()),
                None => break,
            }
        }
        assert_eq!(seen, all);
    }

    #[test]
    fn bad_list_parameters_are_validation_errors() {
        for query in [
            "maxResults=0",
            "maxResults=1001",
            "maxResults=ten",
            "type=system_defined",
            "nextToken=not-a-token",
            "nextToken=b2Zmc2V0Ojk5OTk",
        ] {
            let error = list("us-east-1", Some(query)).expect_err(query);
            assert_eq!(error.error_type(), "ValidationException", "{query}");
        }
    }

    #[test]
    fn a_profile_is_found_by_id_or_arn_and_others_are_not_found() {
        for identifier in [
            "us.meta.llama3-1-8b-instruct-v1:0",
            "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.meta.llama3-1-8b-instruct-v1:0",
            APPLICATION_INFERENCE_PROFILE_ID,
            APPLICATION_INFERENCE_PROFILE_ARN,
        ] {
            let body = get("us-east-1", identifier).expect(identifier);
            let profile: Value = serde_json::from_slice(&body).expect("JSON");
            assert!(profile["inferenceProfileId"].is_string(), "{identifier}");
        }
        let application: Value = serde_json::from_slice(
            &get("us-east-1", APPLICATION_INFERENCE_PROFILE_ARN).expect("found"),
        )
        .expect("JSON");
        assert_eq!(application["type"], "APPLICATION");
        assert_eq!(
            application["inferenceProfileArn"],
            APPLICATION_INFERENCE_PROFILE_ARN
        );

        for identifier in [
            "us.not-a-model-v1:0",
            "arn:aws:bedrock:eu-west-1:123456789012:application-inference-profile/localbedrock",
        ] {
            let error = get("us-east-1", identifier).expect_err(identifier);
            assert_eq!(
                error.error_type(),
                "ResourceNotFoundException",
                "{identifier}"
            );
        }
        for identifier in ["with space", "arn:aws:s3:::bucket/key", ""] {
            let error = get("us-east-1", identifier).expect_err(identifier);
            assert_eq!(error.error_type(), "ValidationException", "{identifier}");
        }
    }

    #[test]
    fn only_the_emulators_own_application_arn_resolves() {
        let profile = application_profile("us-east-1", "us-east-1", ACCOUNT_ID, "localbedrock")
            .expect("readable")
            .expect("found");
        assert_eq!(
            profile.model_id(),
            "anthropic.claude-sonnet-4-5-20250929-v1:0"
        );
        for (arn_region, account, id) in [
            ("eu-west-1", ACCOUNT_ID, "localbedrock"),
            ("us-east-1", "999999999999", "localbedrock"),
            ("us-east-1", ACCOUNT_ID, "somethingelse"),
            (
                "us-east-1",
                ACCOUNT_ID,
                "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
            ),
        ] {
            assert!(
                application_profile("us-east-1", arn_region, account, id)
                    .expect("readable")
                    .is_none(),
                "{arn_region} {account} {id}"
            );
        }
    }
}
