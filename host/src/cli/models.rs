//! `bedrock-host models`: the foundation models of a region, and which
//! installed plugin serves each.

use std::process::ExitCode;

use clap::Args;
use serde_json::json;

use super::{GlobalArgs, OutputFormat};
use crate::aws::{self, ModelFilters};

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
    /// How to print the list.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    output: OutputFormat,
}

pub async fn run(global: &GlobalArgs, args: ModelsArgs) -> anyhow::Result<ExitCode> {
    let filters = ModelFilters {
        by_provider: args.by_provider,
        by_output_modality: args.by_output_modality.map(|m| m.to_ascii_uppercase()),
        by_inference_type: args.by_inference_type.map(|t| t.to_ascii_uppercase()),
        by_customization_type: args.by_customization_type.map(|c| c.to_ascii_uppercase()),
    };
    let (settings, _emulator) = global.connect().await?;
    let client = aws::control_client(&settings).await?;
    let models = aws::list_foundation_models(&client, &filters).await?;
    let (_runtime, registry) = global.load_plugins().await?;
    let plugin_of = |id: &str| registry.route(id).ok().map(|p| p.name().to_owned());
    if args.output == OutputFormat::Json {
        let rows: Vec<_> = models
            .iter()
            .map(|model| {
                let mut row = json!(model);
                row["plugin"] = json!(plugin_of(&model.model_id));
                row
            })
            .collect();
        println!("{}", json!({ "models": rows }));
        return Ok(ExitCode::SUCCESS);
    }
    let table: Vec<[String; 8]> = models
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
                model.lifecycle.clone().unwrap_or_default(),
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
    println!("{}", line(&header));
    for row in &table {
        let cells: Vec<&str> = row.iter().map(String::as_str).collect();
        println!("{}", line(&cells));
    }
    Ok(ExitCode::SUCCESS)
}
