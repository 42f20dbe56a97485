//! End-to-end checks of the emulator's Bedrock control plane through the real `aws-sdk-bedrock`
//! client: `ListFoundationModels` with each filter and the validation errors AWS sends for values
//! outside the service model's enums; `ListInferenceProfiles` (type filter, the SDK's paginator)
//! and `GetInferenceProfile` by id and percent-encoded ARN; and cross-checks with the runtime
//! through `aws-sdk-bedrockruntime`: every listed model is invocable with a body of its family,
//! a profile-only model refuses on-demand invocation with Bedrock's message, and the pre-made
//! application inference profile's ARN reaches its Claude model.

use aws_sdk_bedrock::config::http::HttpResponse;
use aws_sdk_bedrock::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_bedrock::operation::get_inference_profile::{
    GetInferenceProfileError, GetInferenceProfileOutput,
};
use aws_sdk_bedrock::operation::list_foundation_models::builders::ListFoundationModelsFluentBuilder;
use aws_sdk_bedrock::types::{
    FoundationModelLifecycleStatus, FoundationModelSummary, InferenceProfileStatus,
    InferenceProfileSummary, InferenceProfileType, InferenceType, ModelCustomization,
    ModelModality,
};
use aws_sdk_bedrockruntime::operation::invoke_model::{InvokeModelError, InvokeModelOutput};
use aws_sdk_bedrockruntime::operation::invoke_model_with_response_stream::{
    InvokeModelWithResponseStreamError, InvokeModelWithResponseStreamOutput,
};
use bedrock_emulator::{
    ACCOUNT_ID, APPLICATION_INFERENCE_PROFILE_ARN, APPLICATION_INFERENCE_PROFILE_ID,
    EmulatorConfig, RunningEmulator,
};
use serde_json::{Value, json};

use support::clients::{Outcome, keys, own_keys, sdk_config};
use support::emulator::{json_body, start};

mod support {
    pub mod clients;
    pub mod emulator;
}

fn bedrock(emulator: &RunningEmulator) -> aws_sdk_bedrock::Client {
    aws_sdk_bedrock::Client::new(&sdk_config(emulator, own_keys(emulator)))
}

fn runtime(emulator: &RunningEmulator) -> aws_sdk_bedrockruntime::Client {
    aws_sdk_bedrockruntime::Client::new(&sdk_config(emulator, own_keys(emulator)))
}

/// The models `request` lists.
async fn list_models(request: ListFoundationModelsFluentBuilder) -> Vec<FoundationModelSummary> {
    request
        .send()
        .await
        .accepted("ListFoundationModels")
        .model_summaries()
        .to_vec()
}

/// The ValidationException message `request` must be refused with (`why` says why).
async fn list_validation_message(request: ListFoundationModelsFluentBuilder, why: &str) -> String {
    let error = request.send().await.refused(why);
    assert!(error.is_validation_exception(), "{error:?}");
    error.message().unwrap_or_default().to_owned()
}

fn ids(summaries: &[FoundationModelSummary]) -> Vec<&str> {
    summaries
        .iter()
        .map(FoundationModelSummary::model_id)
        .collect()
}

/// The notebook's models, by the ids its cells invoke.
const NOTEBOOK_MODELS: &[&str] = &[
    "ai21.jamba-instruct-v1:0",
    "amazon.nova-lite-v1:0",
    "anthropic.claude-3-5-sonnet-20240620-v1:0",
    "cohere.command-text-v14",
    "meta.llama3-8b-instruct-v1:0",
    "mistral.mixtral-8x7b-instruct-v0:1",
    "stability.stable-diffusion-xl-v1",
];

#[tokio::test]
async fn the_whole_list_is_real_shaped_and_names_the_emulator_region() {
    let emulator = start(EmulatorConfig {
        region: "eu-central-1".to_owned(),
        ..EmulatorConfig::default()
    })
    .await;
    let summaries = list_models(bedrock(&emulator).list_foundation_models()).await;
    let listed = ids(&summaries);
    for model in NOTEBOOK_MODELS {
        assert!(listed.contains(model), "{model} is listed");
    }
    for family in [
        "ai21.",
        "amazon.",
        "anthropic.",
        "cohere.",
        "meta.",
        "mistral.",
        "stability.",
    ] {
        assert!(
            listed.iter().any(|id| id.starts_with(family)),
            "{family} is listed"
        );
    }
    for summary in &summaries {
        assert_eq!(
            summary.model_arn(),
            format!(
                "arn:aws:bedrock:eu-central-1::foundation-model/{}",
                summary.model_id()
            )
        );
        assert!(summary.model_name().is_some_and(|name| !name.is_empty()));
        assert!(summary.provider_name().is_some());
        assert!(!summary.input_modalities().is_empty());
        assert!(!summary.output_modalities().is_empty());
        assert!(summary.response_streaming_supported().is_some());
        assert!(!summary.inference_types_supported().is_empty());
        assert!(summary.model_lifecycle().is_some());
    }

    let nova = summaries
        .iter()
        .find(|summary| summary.model_id() == "amazon.nova-lite-v1:0")
        .expect("Nova Lite is listed");
    assert_eq!(nova.model_name(), Some("Nova Lite"));
    assert_eq!(nova.provider_name(), Some("Amazon"));
    // Real oddities survive the SDK: VIDEO and INFERENCE_PROFILE are outside the published enums.
    assert!(
        nova.input_modalities()
            .iter()
            .any(|modality| modality.as_str() == "VIDEO")
    );
    assert_eq!(
        nova.inference_types_supported()
            .iter()
            .map(InferenceType::as_str)
            .collect::<Vec<_>>(),
        ["ON_DEMAND", "INFERENCE_PROFILE"]
    );
    assert_eq!(
        nova.model_lifecycle().map(|lifecycle| lifecycle.status()),
        Some(&FoundationModelLifecycleStatus::Active)
    );
    let sdxl = summaries
        .iter()
        .find(|summary| summary.model_id() == "stability.stable-diffusion-xl-v1")
        .expect("SDXL is listed");
    assert_eq!(sdxl.response_streaming_supported(), Some(false));
    assert_eq!(sdxl.output_modalities(), [ModelModality::Image]);
}

#[tokio::test]
async fn each_filter_narrows_the_list() {
    let emulator = start(EmulatorConfig::default()).await;
    let client = bedrock(&emulator);
    let total = list_models(client.list_foundation_models()).await.len();

    for provider in ["anthropic", "Anthropic", "ANTHROPIC"] {
        let summaries = list_models(client.list_foundation_models().by_provider(provider)).await;
        assert!(
            !summaries.is_empty() && summaries.len() < total,
            "{provider}"
        );
        assert!(
            summaries
                .iter()
                .all(|summary| summary.provider_name() == Some("Anthropic")),
            "{provider}"
        );
    }
    let mistral = list_models(client.list_foundation_models().by_provider("mistral ai")).await;
    assert!(
        ids(&mistral).contains(&"mistral.mixtral-8x7b-instruct-v0:1"),
        "providers are matched by their full name"
    );

    let by_output = |modality| client.list_foundation_models().by_output_modality(modality);
    let text = list_models(by_output(ModelModality::Text)).await;
    assert!(
        text.iter()
            .all(|summary| summary.output_modalities().contains(&ModelModality::Text))
    );
    let images = list_models(by_output(ModelModality::Image)).await;
    assert_eq!(
        ids(&images),
        [
            "amazon.nova-canvas-v1:0",
            "stability.stable-diffusion-xl-v1"
        ]
    );
    let embedding = list_models(by_output(ModelModality::Embedding)).await;
    assert!(ids(&embedding).contains(&"amazon.titan-embed-text-v2:0"));
    assert_eq!(
        text.len(),
        total - images.len() - embedding.len(),
        "all but the image and embedding models"
    );

    let by_inference = |kind| client.list_foundation_models().by_inference_type(kind);
    let on_demand = list_models(by_inference(InferenceType::OnDemand)).await;
    let on_demand_ids = ids(&on_demand);
    assert!(on_demand_ids.contains(&"anthropic.claude-3-haiku-20240307-v1:0"));
    assert!(
        !on_demand_ids.contains(&"anthropic.claude-sonnet-4-20250514-v1:0"),
        "a model served only through an inference profile is not on demand"
    );
    assert_eq!(
        ids(&list_models(by_inference(InferenceType::Provisioned)).await),
        ["amazon.nova-canvas-v1:0"]
    );

    let fine_tunable = client
        .list_foundation_models()
        .by_customization_type(ModelCustomization::FineTuning);
    assert_eq!(
        ids(&list_models(fine_tunable).await),
        ["amazon.nova-canvas-v1:0"]
    );

    let combined = client
        .list_foundation_models()
        .by_provider("Meta")
        .by_inference_type(InferenceType::OnDemand)
        .by_output_modality(ModelModality::Text);
    assert_eq!(
        ids(&list_models(combined).await),
        [
            "meta.llama3-70b-instruct-v1:0",
            "meta.llama3-8b-instruct-v1:0"
        ]
    );
}

#[tokio::test]
async fn values_outside_the_enums_are_typed_validation_exceptions() {
    let emulator = start(EmulatorConfig::default()).await;
    let client = bedrock(&emulator);
    let audio = client
        .list_foundation_models()
        .by_output_modality(ModelModality::from("AUDIO"));
    assert_eq!(
        list_validation_message(audio, "AUDIO is not a ModelModality").await,
        "1 validation error detected: Value 'AUDIO' at 'byOutputModality' failed to satisfy \
         constraint: Member must satisfy enum value set: [TEXT, IMAGE, EMBEDDING]"
    );

    let both = client
        .list_foundation_models()
        .by_inference_type(InferenceType::from("INFERENCE_PROFILE"))
        .by_customization_type(ModelCustomization::from("fine_tuning"));
    let message = list_validation_message(both, "neither value is in its enum").await;
    assert!(
        message.starts_with("2 validation errors detected: "),
        "{message}"
    );
    assert!(message.contains("'byInferenceType'") && message.contains("'byCustomizationType'"));

    let slash = client
        .list_foundation_models()
        .by_provider("anthropic/claude");
    list_validation_message(slash, "a slash breaks the provider pattern").await;
}

#[tokio::test]
async fn the_list_needs_a_valid_signature() {
    let emulator = start(EmulatorConfig::default()).await;
    let wrong_secret = keys(emulator.access_key_id(), "not-the-secret");
    let error = aws_sdk_bedrock::Client::new(&sdk_config(&emulator, wrong_secret))
        .list_foundation_models()
        .send()
        .await
        .refused("a wrong secret");
    assert_eq!(error.code(), Some("InvalidSignatureException"));
}

/// A small valid request body for the family `model_id` belongs to (shapes as in the AWS
/// model-parameter pages the providers follow).
fn family_body(model_id: &str) -> Value {
    let family = model_id.split('.').next().unwrap_or_default();
    if model_id.contains("embed") || model_id.contains("canvas") {
        return amazon_media_body(model_id);
    }
    match family {
        "anthropic" => json!({
            "anthropic_version": "bedrock-2023-05-31",
            "max_tokens": 5,
            "messages": [{"role": "user", "content": "hello"}],
        }),
        "amazon" => json!({
            "messages": [{"role": "user", "content": [{"text": "hello"}]}],
            "inferenceConfig": {"maxTokens": 5},
        }),
        "ai21" => json!({"messages": [{"role": "user", "content": "hello"}], "max_tokens": 5}),
        "cohere" => json!({"prompt": "hello", "max_tokens": 5}),
        "meta" => json!({"prompt": "hello", "max_gen_len": 5}),
        "mistral" => json!({"prompt": "<s>[INST] hello [/INST]", "max_tokens": 5}),
        "stability" => json!({"text_prompts": [{"text": "a tree"}]}),
        "deepseek" => json!({"prompt": "hello", "max_tokens": 5}),
        "writer" => json!({"messages": [{"role": "user", "content": "hello"}], "max_tokens": 5}),
        "openai" => json!({
            "messages": [{"role": "user", "content": "hello"}],
            "max_completion_tokens": 5,
        }),
        other => panic!("no request body known for the {other} family"),
    }
}

/// A small valid body for Amazon's embedding and image models, whose bodies are not Nova's.
fn amazon_media_body(model_id: &str) -> Value {
    if model_id.contains("canvas") {
        json!({"taskType": "TEXT_IMAGE", "textToImageParams": {"text": "a tree"},
               "imageGenerationConfig": {"width": 320, "height": 320}})
    } else if model_id.contains("nova") {
        json!({"taskType": "SINGLE_EMBEDDING", "singleEmbeddingParams": {
            "embeddingPurpose": "GENERIC_INDEX",
            "text": {"truncationMode": "END", "value": "hello"}}})
    } else {
        json!({"inputText": "hello"})
    }
}

/// `InvokeModel` of `model_id` with a small body of `base_model_id`'s family.
async fn invoke(
    runtime: &aws_sdk_bedrockruntime::Client,
    model_id: &str,
    base_model_id: &str,
) -> Result<InvokeModelOutput, SdkError<InvokeModelError, HttpResponse>> {
    runtime
        .invoke_model()
        .model_id(model_id)
        .content_type("application/json")
        .body(json_body(&family_body(base_model_id)))
        .send()
        .await
}

/// `InvokeModelWithResponseStream` of `model_id` with a small body of `base_model_id`'s family.
async fn stream(
    runtime: &aws_sdk_bedrockruntime::Client,
    model_id: &str,
    base_model_id: &str,
) -> Result<
    InvokeModelWithResponseStreamOutput,
    SdkError<InvokeModelWithResponseStreamError, HttpResponse>,
> {
    runtime
        .invoke_model_with_response_stream()
        .model_id(model_id)
        .content_type("application/json")
        .body(json_body(&family_body(base_model_id)))
        .send()
        .await
}

#[tokio::test]
async fn every_listed_model_is_invocable() {
    let emulator = start(EmulatorConfig::default()).await;
    let listed = list_models(bedrock(&emulator).list_foundation_models()).await;
    let runtime = runtime(&emulator);
    for summary in &listed {
        let model_id = summary.model_id();
        let on_demand = summary
            .inference_types_supported()
            .contains(&InferenceType::OnDemand);
        // A model reached only through an inference profile is invoked the way AWS requires.
        let invoked_id = if on_demand {
            model_id.to_owned()
        } else {
            format!("us.{model_id}")
        };
        let output = invoke(&runtime, &invoked_id, model_id)
            .await
            .accepted(&format!("{invoked_id} is listed but not invocable"));
        assert!(!output.body().as_ref().is_empty(), "{invoked_id}");
        if summary.response_streaming_supported() == Some(true) {
            stream(&runtime, &invoked_id, model_id)
                .await
                .accepted(&format!(
                    "{invoked_id} is listed as streaming but does not stream"
                ));
        }
    }
}

fn profile_ids(summaries: &[InferenceProfileSummary]) -> Vec<&str> {
    summaries
        .iter()
        .map(InferenceProfileSummary::inference_profile_id)
        .collect()
}

#[tokio::test]
async fn system_profiles_exist_for_the_models_listed_with_inference_profile() {
    let emulator = start(EmulatorConfig::default()).await;
    let client = bedrock(&emulator);
    let models = list_models(client.list_foundation_models()).await;
    let profiles = client
        .list_inference_profiles()
        .send()
        .await
        .accepted("ListInferenceProfiles");
    let summaries = profiles.inference_profile_summaries();
    assert!(profiles.next_token().is_none());
    let listed = profile_ids(summaries);
    for model in &models {
        let through_profile = model
            .inference_types_supported()
            .iter()
            .any(|kind| kind.as_str() == "INFERENCE_PROFILE");
        let profile_id = format!("us.{}", model.model_id());
        assert_eq!(
            listed.contains(&profile_id.as_str()),
            through_profile,
            "{profile_id}"
        );
    }
    assert!(
        !listed.contains(&APPLICATION_INFERENCE_PROFILE_ID),
        "as on AWS, an unfiltered list holds only system-defined profiles"
    );
    for summary in summaries {
        assert_eq!(summary.r#type(), &InferenceProfileType::SystemDefined);
        assert_eq!(summary.status(), &InferenceProfileStatus::Active);
        assert_eq!(
            summary.inference_profile_arn(),
            format!(
                "arn:aws:bedrock:us-east-1:{ACCOUNT_ID}:inference-profile/{}",
                summary.inference_profile_id()
            )
        );
        assert!(summary.inference_profile_name().starts_with("US "));
        let base = summary
            .inference_profile_id()
            .strip_prefix("us.")
            .expect("a US profile");
        assert!(!summary.models().is_empty());
        for model in summary.models() {
            let arn = model.model_arn().expect("a model ARN");
            assert!(
                arn.ends_with(&format!("::foundation-model/{base}")),
                "{arn}"
            );
        }
    }
    let nova = summaries
        .iter()
        .find(|summary| summary.inference_profile_id() == "us.amazon.nova-lite-v1:0")
        .expect("Nova Lite has a US profile");
    assert_eq!(nova.inference_profile_name(), "US Amazon Nova Lite");
    assert_eq!(
        nova.description(),
        Some("Routes requests to Amazon Nova Lite in us-east-1, us-east-2 and us-west-2.")
    );
}

#[tokio::test]
async fn the_type_filter_and_the_paginator_see_every_profile_once() {
    let emulator = start(EmulatorConfig::default()).await;
    let client = bedrock(&emulator);
    let system = client
        .list_inference_profiles()
        .type_equals(InferenceProfileType::SystemDefined)
        .send()
        .await
        .accepted("system-defined profiles");
    let all_system = profile_ids(system.inference_profile_summaries());

    let first_page = client
        .list_inference_profiles()
        .max_results(3)
        .send()
        .await
        .accepted("a first page");
    assert_eq!(first_page.inference_profile_summaries().len(), 3);
    assert!(first_page.next_token().is_some());

    let paged = client
        .list_inference_profiles()
        .into_paginator()
        .page_size(4)
        .items()
        .send()
        .try_collect()
        .await
        .expect("every page");
    assert_eq!(profile_ids(&paged), all_system);

    let application = client
        .list_inference_profiles()
        .type_equals(InferenceProfileType::Application)
        .send()
        .await
        .accepted("application profiles");
    let [profile] = application.inference_profile_summaries() else {
        panic!("exactly one application profile");
    };
    assert_eq!(
        profile.inference_profile_id(),
        APPLICATION_INFERENCE_PROFILE_ID
    );
    assert_eq!(
        profile.inference_profile_arn(),
        APPLICATION_INFERENCE_PROFILE_ARN
    );
    assert_eq!(profile.r#type(), &InferenceProfileType::Application);
    assert_eq!(profile.models().len(), 3);

    for (request, why) in [
        (
            client.list_inference_profiles().max_results(0),
            "maxResults below 1",
        ),
        (
            client
                .list_inference_profiles()
                .next_token("not-a-token-we-gave"),
            "a made-up token",
        ),
    ] {
        let error = request.send().await.refused(why);
        assert!(error.is_validation_exception(), "{error:?}");
    }
}

/// `GetInferenceProfile` of `identifier`.
async fn get_profile(
    client: &aws_sdk_bedrock::Client,
    identifier: &str,
) -> Result<GetInferenceProfileOutput, SdkError<GetInferenceProfileError, HttpResponse>> {
    client
        .get_inference_profile()
        .inference_profile_identifier(identifier)
        .send()
        .await
}

#[tokio::test]
async fn get_inference_profile_takes_ids_and_percent_encoded_arns() {
    let emulator = start(EmulatorConfig::default()).await;
    let client = bedrock(&emulator);
    let profile_id = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";
    for identifier in [
        profile_id.to_owned(),
        format!("arn:aws:bedrock:us-east-1:{ACCOUNT_ID}:inference-profile/{profile_id}"),
    ] {
        let profile = get_profile(&client, &identifier)
            .await
            .accepted(&identifier);
        assert_eq!(profile.inference_profile_id(), profile_id);
        assert_eq!(
            profile.inference_profile_name(),
            "US Anthropic Claude Sonnet 4.5"
        );
        assert_eq!(profile.r#type(), &InferenceProfileType::SystemDefined);
        assert_eq!(
            profile
                .models()
                .iter()
                .filter_map(|model| model.model_arn())
                .collect::<Vec<_>>(),
            [
                "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0",
                "arn:aws:bedrock:us-east-2::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0",
                "arn:aws:bedrock:us-west-2::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0",
            ]
        );
    }
    for identifier in [
        APPLICATION_INFERENCE_PROFILE_ID,
        APPLICATION_INFERENCE_PROFILE_ARN,
    ] {
        let profile = get_profile(&client, identifier).await.accepted(identifier);
        assert_eq!(profile.r#type(), &InferenceProfileType::Application);
        assert_eq!(
            profile.inference_profile_arn(),
            APPLICATION_INFERENCE_PROFILE_ARN
        );
    }
    let error = get_profile(&client, "us.anthropic.claude-3-haiku-20240307-v1:0")
        .await
        .refused("Claude 3 Haiku has no US profile in us-east-1");
    assert!(error.is_resource_not_found_exception(), "{error:?}");
    let error = get_profile(&client, "not a profile")
        .await
        .refused("a space breaks the identifier pattern");
    assert!(error.is_validation_exception(), "{error:?}");
}

/// Bedrock's answer to an on-demand call of `model_id`, a model served only through a profile.
fn on_demand_refusal(model_id: &str) -> String {
    format!(
        "Invocation of model ID {model_id} with on-demand throughput isn\u{2019}t supported. \
         Retry your request with the ID or ARN of an inference profile that contains this model."
    )
}

#[tokio::test]
async fn a_profile_only_model_refuses_its_base_id_and_answers_through_profiles() {
    let emulator = start(EmulatorConfig::default()).await;
    let runtime = runtime(&emulator);
    let sonnet = "anthropic.claude-sonnet-4-5-20250929-v1:0";
    let refusal = on_demand_refusal(sonnet);
    for model_id in [
        sonnet.to_owned(),
        format!("arn:aws:bedrock:us-east-1::foundation-model/{sonnet}"),
    ] {
        let error = invoke(&runtime, &model_id, sonnet)
            .await
            .refused("on demand is refused");
        assert!(error.is_validation_exception(), "{error:?}");
        assert_eq!(error.message(), Some(refusal.as_str()));
        let error = stream(&runtime, &model_id, sonnet)
            .await
            .refused("on demand is refused");
        assert!(error.is_validation_exception(), "{error:?}");
        assert_eq!(error.message(), Some(refusal.as_str()));
    }
    for model_id in [
        format!("us.{sonnet}"),
        format!("arn:aws:bedrock:us-east-1:{ACCOUNT_ID}:inference-profile/us.{sonnet}"),
        APPLICATION_INFERENCE_PROFILE_ARN.to_owned(),
    ] {
        let output = invoke(&runtime, &model_id, sonnet)
            .await
            .accepted(&model_id);
        let reply: Value = serde_json::from_slice(output.body().as_ref()).expect("JSON");
        assert_eq!(reply["model"], "claude-sonnet-4-5-20250929", "{model_id}");
        stream(&runtime, &model_id, sonnet)
            .await
            .accepted(&model_id);
    }
}

#[tokio::test]
async fn application_profile_arns_resolve_only_for_the_emulators_region_and_profile() {
    let emulator = start(EmulatorConfig {
        region: "eu-west-1".to_owned(),
        ..EmulatorConfig::default()
    })
    .await;
    let runtime = runtime(&emulator);
    let own_arn = emulator.application_inference_profile_arn();
    assert_eq!(
        own_arn,
        format!(
            "arn:aws:bedrock:eu-west-1:{ACCOUNT_ID}:application-inference-profile/localbedrock"
        )
    );
    let sonnet = "anthropic.claude-sonnet-4-5-20250929-v1:0";
    invoke(&runtime, &own_arn, sonnet)
        .await
        .accepted("the emulator's own application profile");
    for model_id in [
        APPLICATION_INFERENCE_PROFILE_ARN.to_owned(),
        own_arn.replace("localbedrock", "notaprofile1"),
    ] {
        let error = invoke(&runtime, &model_id, sonnet)
            .await
            .refused("another region's or an unknown profile");
        assert!(error.is_validation_exception(), "{error:?}");
        assert_eq!(
            error.message(),
            Some("The provided model identifier is invalid.")
        );
    }
}
