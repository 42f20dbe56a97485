//! `bedrock-host models`: the foundation models of a region, their
//! lifecycle status (and its dates when AWS gives them), and which installed
//! plugin serves each (as `invoke` routes it, `[routing]` included; an id
//! several plugins claim with no choice made shows none).

use clap::{Args, ValueEnum};
use serde_json::json;

use super::session::Session;
use super::stdout::{self, outln};
use super::{Exit, OutputFormat};
use crate::aws::{self, FoundationModel, InferenceProfile, ModelFilters};
use crate::lifecycle;
use crate::plugin::UserChoice;

/// Arguments of `models`.
#[derive(Debug, Args)]
pub struct ModelsArgs {
    /// Only this provider's models (`Anthropic`, `Amazon`, `Meta`, ...).
    #[arg(long, value_name = "PROVIDER")]
    by_provider: Option<String>,
    /// Only models with this output modality: TEXT, IMAGE or EMBEDDING.
    #[arg(long, value_name = "MODALITY")]
    by_output_modality: Option<String>,
    /// Only models with this inference type: ON_DEMAND or PROVISIONED.
    #[arg(long, value_name = "TYPE")]
    by_inference_type: Option<String>,
    /// Only models that support this customization: FINE_TUNING, CONTINUED_PRE_TRAINING or DISTILLATION.
    #[arg(long, value_name = "TYPE")]
    by_customization_type: Option<String>,
    /// Only models in this lifecycle status: `active`, or `legacy` (still
    /// served, but retiring: see the dates in `--output json`).
    /// ListFoundationModels has no such filter, so it applies to the list it returns.
    #[arg(long, value_enum, ignore_case = true, value_name = "STATUS")]
    lifecycle: Option<LifecycleStatus>,
    /// How to print the list.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    output: OutputFormat,
}

/// A lifecycle status to keep (`--lifecycle`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum LifecycleStatus {
    Active,
    Legacy,
}

impl LifecycleStatus {
    /// The status as ListFoundationModels spells it.
    fn as_aws(self) -> &'static str {
        match self {
            Self::Active => "ACTIVE",
            Self::Legacy => "LEGACY",
        }
    }
}

impl ModelsArgs {
    /// How the list is printed.
    pub fn output(&self) -> OutputFormat {
        self.output
    }
}

/// Lists the region's foundation models, with the plugin that serves each.
pub async fn run(session: &Session, args: ModelsArgs) -> anyhow::Result<Exit> {
    let filters = ModelFilters {
        by_provider: args.by_provider,
        by_output_modality: args.by_output_modality.map(|m| m.to_ascii_uppercase()),
        by_inference_type: args.by_inference_type.map(|t| t.to_ascii_uppercase()),
        by_customization_type: args.by_customization_type.map(|c| c.to_ascii_uppercase()),
    };
    let settings = session.client_settings().await?;
    let client = aws::control_client(settings).await?;
    let mut models = aws::list_foundation_models(&client, &filters).await?;
    if let Some(wanted) = args.lifecycle {
        models.retain(|model| {
            model
                .lifecycle
                .as_ref()
                .is_some_and(|lifecycle| lifecycle.status == wanted.as_aws())
        });
    }
    let profiles = match aws::list_inference_profiles(&client).await {
        Ok(profiles) => profiles,
        Err(error) => {
            eprintln!(
                "warning: cannot list inference profiles, so profile-only models show no id to use: {error}"
            );
            Vec::new()
        }
    };
    let prefix = settings.region.as_deref().map(aws::profile_prefix);
    let invoke_with = |model: &FoundationModel| invoke_with(model, &profiles, prefix);
    let registry = session.plugins().await?;
    let choice = UserChoice {
        family: None,
        table: Some(session.routing()),
    };
    let plugin_of = |id: &str| {
        registry
            .choose(id, choice)
            .ok()
            .map(|routed| routed.plugin.name().to_owned())
    };
    if args.output == OutputFormat::Json {
        let rows: Vec<_> = models
            .iter()
            .map(|model| {
                let mut row = json!(model);
                row["plugin"] = json!(plugin_of(&model.model_id));
                row["invoke_with"] = json!(invoke_with(model));
                row
            })
            .collect();
        stdout::json(&json!({ "models": rows }))?;
        return Ok(Exit::Success);
    }
    let table: Vec<[String; 9]> = models
        .iter()
        .map(|model| {
            [
                model.model_id.clone(),
                model.name.clone().unwrap_or_default(),
                model.provider.clone().unwrap_or_default(),
                format!(
                    "{}→{}",
                    model.input_modalities.join("+"),
                    model.output_modalities.join("+")
                ),
                match model.streaming {
                    Some(true) => "yes".into(),
                    Some(false) => "no".into(),
                    None => "-".into(),
                },
                model.inference_types.join(","),
                model
                    .lifecycle
                    .as_ref()
                    .map(lifecycle::summary)
                    .unwrap_or_default(),
                invoke_with(model).unwrap_or_else(|| "-".into()),
                plugin_of(&model.model_id).unwrap_or_else(|| "-".into()),
            ]
        })
        .collect();
    let header = [
        "MODEL ID",
        "NAME",
        "PROVIDER",
        "MODALITIES",
        "STREAM",
        "INFERENCE",
        "LIFECYCLE",
        "INVOKE WITH",
        "PLUGIN",
    ];
    let mut widths = header.map(str::len);
    for row in &table {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: &[&str]| {
        let padded: Vec<String> = cells
            .iter()
            .zip(widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        padded.join("  ").trim_end().to_owned()
    };
    outln!("{}", line(&header));
    for row in &table {
        let cells: Vec<&str> = row.iter().map(String::as_str).collect();
        outln!("{}", line(&cells));
    }
    Ok(Exit::Success)
}

/// The id to invoke a model with: its own id when it has on-demand
/// throughput, else the id of a system-defined inference profile that
/// contains it (this region's geography first), else none.
fn invoke_with(
    model: &FoundationModel,
    profiles: &[InferenceProfile],
    prefix: Option<&str>,
) -> Option<String> {
    if model.inference_types.iter().any(|t| t == "ON_DEMAND") {
        return Some(model.model_id.clone());
    }
    let containing: Vec<&InferenceProfile> = profiles
        .iter()
        .filter(|p| {
            p.kind == "SYSTEM_DEFINED"
                && p.model_arns
                    .iter()
                    .any(|arn| arn.ends_with(&format!("/{}", model.model_id)))
        })
        .collect();
    let local = prefix.and_then(|prefix| {
        containing
            .iter()
            .find(|p| p.id == format!("{prefix}.{}", model.model_id))
    });
    local.or(containing.first()).map(|p| p.id.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(id: &str, inference: &[&str]) -> FoundationModel {
        FoundationModel {
            model_id: id.into(),
            model_arn: format!("arn:aws:bedrock:us-east-1::foundation-model/{id}"),
            name: None,
            provider: None,
            input_modalities: Vec::new(),
            output_modalities: Vec::new(),
            streaming: None,
            inference_types: inference.iter().map(|t| (*t).to_owned()).collect(),
            customizations: Vec::new(),
            lifecycle: None,
        }
    }

    fn profile(id: &str, model: &str) -> InferenceProfile {
        InferenceProfile {
            id: id.into(),
            arn: format!("arn:aws:bedrock:us-east-1:123456789012:inference-profile/{id}"),
            name: id.into(),
            kind: "SYSTEM_DEFINED".into(),
            model_arns: vec![format!(
                "arn:aws:bedrock:us-west-2::foundation-model/{model}"
            )],
        }
    }

    #[test]
    fn on_demand_models_are_invoked_by_their_own_id() {
        let m = model(
            "anthropic.claude-3-haiku-20240307-v1:0",
            &["ON_DEMAND", "INFERENCE_PROFILE"],
        );
        assert_eq!(
            invoke_with(&m, &[], Some("us")).as_deref(),
            Some("anthropic.claude-3-haiku-20240307-v1:0")
        );
    }

    #[test]
    fn profile_only_models_are_invoked_through_the_regions_profile() {
        let id = "anthropic.claude-sonnet-4-20250514-v1:0";
        let m = model(id, &["INFERENCE_PROFILE"]);
        let profiles = [
            profile(&format!("global.{id}"), id),
            profile(&format!("us.{id}"), id),
        ];
        assert_eq!(
            invoke_with(&m, &profiles, Some("us")),
            Some(format!("us.{id}"))
        );
        assert_eq!(
            invoke_with(&m, &profiles, Some("eu")),
            Some(format!("global.{id}"))
        );
        assert_eq!(invoke_with(&m, &[], Some("us")), None);
    }
}
