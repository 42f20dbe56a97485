//! `bedrock-host plugins ...`: what is installed, and what failed to load.

use std::process::ExitCode;

use clap::{Args, Subcommand};
use serde_json::json;

use super::{GlobalArgs, OutputFormat};

/// The `plugins` subcommands.
#[derive(Debug, Subcommand)]
pub enum PluginsCommand {
    /// List every plugin found: name, version, contract, model patterns, file
    /// and sha256, and every file that could not be loaded, with the reason.
    List(ListArgs),
}

/// Arguments of `plugins list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// How to print the list.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    output: OutputFormat,
}

pub async fn run(global: &GlobalArgs, command: PluginsCommand) -> anyhow::Result<ExitCode> {
    let PluginsCommand::List(args) = command;
    let (_runtime, registry) = global.load_plugins().await?;
    if args.output == OutputFormat::Json {
        let plugins: Vec<_> = registry
            .plugins()
            .iter()
            .map(|p| {
                json!({
                    "name": p.name(),
                    "version": p.info().version,
                    "contract": format!("bedrock:adapter@{}", p.contract_version()),
                    "description": p.info().description,
                    "models": p.info().models,
                    "streaming": p.info().streaming,
                    "options": p.info().options,
                    "file": p.path(),
                    "sha256": p.sha256(),
                })
            })
            .collect();
        let failures: Vec<_> = registry.failures().iter().map(|f| f.to_string()).collect();
        let searched: Vec<_> = registry
            .searched()
            .iter()
            .map(|d| d.display().to_string())
            .collect();
        println!(
            "{}",
            json!({"plugins": plugins, "failures": failures, "searched": searched})
        );
        return Ok(ExitCode::SUCCESS);
    }
    if registry.plugins().is_empty() {
        println!("No plugins found.");
    }
    for plugin in registry.plugins() {
        let info = plugin.info();
        println!(
            "{} {}  (bedrock:adapter@{})",
            info.name,
            info.version,
            plugin.contract_version()
        );
        println!("  {}", info.description);
        println!("  models:    {}", info.models.join(", "));
        println!("  streaming: {}", if info.streaming { "yes" } else { "no" });
        if !info.options.is_empty() {
            println!("  options:   {}", info.options.join(", "));
        }
        println!("  file:      {}", plugin.path().display());
        println!("  sha256:    {}", plugin.sha256());
    }
    for failure in registry.failures() {
        println!("could not load {failure}");
    }
    let searched: Vec<_> = registry
        .searched()
        .iter()
        .map(|d| d.display().to_string())
        .collect();
    println!("searched: {}", searched.join(", "));
    Ok(ExitCode::SUCCESS)
}
