//! The control plane: which foundation models exist in a region.
//!
//! Invariant: values outside the SDK's enums (AWS adds modalities and
//! inference types before SDKs know them) are kept as the text AWS sent,
//! never dropped.

use aws_sdk_bedrock::Client;
use aws_sdk_bedrock::types::{
    FoundationModelLifecycle, InferenceType, ModelCustomization, ModelModality,
};
use aws_smithy_types::date_time::{DateTime, Format};

use super::error::AwsError;

/// `ListFoundationModels` filters, as AWS names them.
#[derive(Debug, Clone, Default)]
pub struct ModelFilters {
    pub by_provider: Option<String>,
    pub by_output_modality: Option<String>,
    pub by_inference_type: Option<String>,
    pub by_customization_type: Option<String>,
}

/// One foundation model, as `ListFoundationModels` describes it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FoundationModel {
    pub model_id: String,
    pub model_arn: String,
    pub name: Option<String>,
    pub provider: Option<String>,
    pub input_modalities: Vec<String>,
    pub output_modalities: Vec<String>,
    pub streaming: Option<bool>,
    pub inference_types: Vec<String>,
    pub customizations: Vec<String>,
    pub lifecycle: Option<ModelLifecycle>,
}

/// A model's `modelLifecycle`: its status and the dates AWS gives, each as
/// RFC 3339 text (`2025-01-15T00:00:00Z`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ModelLifecycle {
    /// `ACTIVE` or `LEGACY` (or a status AWS adds later, as sent).
    pub status: String,
    /// When the model became available.
    pub start_of_life_time: Option<String>,
    /// When the model became (or becomes) legacy.
    pub legacy_time: Option<String>,
    /// When the public extended access part of the legacy period starts
    /// (higher prices).
    pub public_extended_access_time: Option<String>,
    /// When the model can no longer be used.
    pub end_of_life_time: Option<String>,
}

impl ModelLifecycle {
    /// The SDK's lifecycle, dates as RFC 3339 text.
    fn from_sdk(lifecycle: &FoundationModelLifecycle) -> Self {
        let text = |time: Option<&DateTime>| time.and_then(|time| time.fmt(Format::DateTime).ok());
        Self {
            status: lifecycle.status().as_str().to_owned(),
            start_of_life_time: text(lifecycle.start_of_life_time()),
            legacy_time: text(lifecycle.legacy_time()),
            public_extended_access_time: text(lifecycle.public_extended_access_time()),
            end_of_life_time: text(lifecycle.end_of_life_time()),
        }
    }
}

/// Lists the foundation models of the client's region.
pub async fn list_foundation_models(
    client: &Client,
    filters: &ModelFilters,
) -> Result<Vec<FoundationModel>, AwsError> {
    let mut request = client.list_foundation_models();
    if let Some(provider) = &filters.by_provider {
        request = request.by_provider(provider);
    }
    if let Some(modality) = &filters.by_output_modality {
        request = request.by_output_modality(ModelModality::from(modality.as_str()));
    }
    if let Some(inference) = &filters.by_inference_type {
        request = request.by_inference_type(InferenceType::from(inference.as_str()));
    }
    if let Some(customization) = &filters.by_customization_type {
        request = request.by_customization_type(ModelCustomization::from(customization.as_str()));
    }
    let output = request.send().await.map_err(AwsError::from_sdk)?;
    let texts = |items: &[_]| -> Vec<String> {
        items
            .iter()
            .map(|item: &ModelModality| item.as_str().to_owned())
            .collect()
    };
    Ok(output
        .model_summaries()
        .iter()
        .map(|summary| FoundationModel {
            model_id: summary.model_id().to_owned(),
            model_arn: summary.model_arn().to_owned(),
            name: summary.model_name().map(str::to_owned),
            provider: summary.provider_name().map(str::to_owned),
            input_modalities: texts(summary.input_modalities()),
            output_modalities: texts(summary.output_modalities()),
            streaming: summary.response_streaming_supported(),
            inference_types: summary
                .inference_types_supported()
                .iter()
                .map(|t| t.as_str().to_owned())
                .collect(),
            customizations: summary
                .customizations_supported()
                .iter()
                .map(|c| c.as_str().to_owned())
                .collect(),
            lifecycle: summary.model_lifecycle().map(ModelLifecycle::from_sdk),
        })
        .collect())
}

/// An inference profile: an id to invoke, and the models it routes to.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct InferenceProfile {
    pub id: String,
    pub arn: String,
    pub name: String,
    /// `SYSTEM_DEFINED` (cross-region) or `APPLICATION`.
    pub kind: String,
    /// The foundation-model ARNs the profile routes to.
    pub model_arns: Vec<String>,
}

/// Lists every inference profile of the client's region, all pages.
pub async fn list_inference_profiles(client: &Client) -> Result<Vec<InferenceProfile>, AwsError> {
    let mut profiles = Vec::new();
    let mut pages = client.list_inference_profiles().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(AwsError::from_sdk)?;
        profiles.extend(page.inference_profile_summaries().iter().map(|summary| {
            InferenceProfile {
                id: summary.inference_profile_id().to_owned(),
                arn: summary.inference_profile_arn().to_owned(),
                name: summary.inference_profile_name().to_owned(),
                kind: summary.r#type().as_str().to_owned(),
                model_arns: summary
                    .models()
                    .iter()
                    .filter_map(|model| model.model_arn().map(str::to_owned))
                    .collect(),
            }
        }));
    }
    Ok(profiles)
}

/// The foundation-model ARN behind an ARN that names no model by itself:
/// an application inference profile (its first model) or provisioned
/// throughput.
pub async fn foundation_model_behind(
    client: &Client,
    arn: &str,
    kind: &str,
) -> Result<Option<String>, AwsError> {
    match kind {
        "application-inference-profile" => {
            let profile = client
                .get_inference_profile()
                .inference_profile_identifier(arn)
                .send()
                .await
                .map_err(AwsError::from_sdk)?;
            Ok(profile
                .models()
                .iter()
                .find_map(|model| model.model_arn().map(str::to_owned)))
        }
        "provisioned-model" => {
            let throughput = client
                .get_provisioned_model_throughput()
                .provisioned_model_id(arn)
                .send()
                .await
                .map_err(AwsError::from_sdk)?;
            Ok(Some(throughput.foundation_model_arn().to_owned()))
        }
        _ => Ok(None),
    }
}
