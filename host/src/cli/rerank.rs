//! `bedrock-host rerank`: orders documents by their relevance to a query
//! with a rerank model, through the plugin whose `describe-embedder` claims
//! it.
//!
//! Invariants: more documents than the pattern's `max-documents` are
//! refused before anything is sent (a ranking made of several calls would
//! not be one ranking); the printed ranking is most relevant first, and each
//! entry names its document by its position in the input, from 0, with the
//! document's text. Nothing here names a family.

use std::io::{self, BufRead as _};
use std::path::PathBuf;

use clap::Args;
use serde_json::json;

use super::embed::{Routed, route};
use super::session::Session;
use super::{Exit, OutputFormat, UsageError, stdout};
use crate::aws;
use crate::plugin::embedding::RerankRequest;

/// Order documents by relevance to a query.
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  bedrock-host --local rerank -m cohere.rerank-v3-5:0 --query 'capital of the USA' \\
      'Carson City is the capital of Nevada.' 'Washington, D.C. is the capital of the United States.'
  bedrock-host rerank -m amazon.rerank-v1:0 --query 'rivers' --file passages.txt --top-n 3

Text output is one line per ranked document: its score, its index (from 0) and its text.
`--output json` is {\"model_id\", \"plugin\", \"results\": [{\"index\", \"score\", \"document\"}]}.")]
pub struct RerankArgs {
    /// The rerank model id, inference profile or ARN.
    #[arg(short, long)]
    model: String,
    /// The query the documents are ranked against.
    #[arg(short, long)]
    query: String,
    /// The documents, one per argument.
    documents: Vec<String>,
    /// Read documents from this file, one per non-empty line (`-` for stdin).
    #[arg(long, value_name = "FILE")]
    file: Option<PathBuf>,
    /// Return only the N most relevant.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    top_n: Option<u32>,
    /// A family-specific body field (repeatable): `-o key=value`.
    #[arg(short = 'o', long = "option", value_name = "KEY=VALUE", value_parser = super::invoke::parse_option)]
    options: Vec<(String, String)>,
    /// Use this plugin, whatever the patterns say.
    #[arg(long, value_name = "NAME")]
    family: Option<String>,
    /// How to print the ranking.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    output: OutputFormat,
}

impl RerankArgs {
    /// The output format, for errors.
    pub fn output(&self) -> OutputFormat {
        self.output
    }
}

pub async fn run(session: &Session, args: RerankArgs) -> anyhow::Result<Exit> {
    let documents = read_documents(&args)?;
    if args.query.trim().is_empty() {
        return Err(UsageError("the --query is empty".into()).into());
    }
    let Routed {
        model,
        plugin,
        settings,
    } = route(session, &args.model, args.family.as_deref()).await?;
    let Some(support) = plugin.rerank_model(model.base()) else {
        return Err(UsageError(format!(
            "plugin `{}` serves no rerank model `{}`",
            plugin.name(),
            model.base()
        ))
        .into());
    };
    if documents.len() > support.max_documents as usize {
        return Err(UsageError(format!(
            "`{}` (plugin `{}`) ranks at most {} documents in one call; {} were given",
            model.as_given(),
            plugin.name(),
            support.max_documents,
            documents.len()
        ))
        .into());
    }
    let request = RerankRequest {
        model_id: model.base().to_owned(),
        query: args.query.clone(),
        documents,
        top_n: args.top_n,
        extra: args.options.clone(),
    };
    let client = aws::runtime_client(settings).await?;
    let mut sandbox = plugin.sandbox().await?;
    let body = sandbox.build_rerank_request(&request).await?;
    let reply = aws::invoke_model(
        &client,
        model.as_given(),
        body.bytes,
        &body.content_type,
        &body.accept,
        MAX_RESPONSE_BYTES,
    )
    .await?;
    let mut ranked = sandbox
        .parse_rerank_response(model.base(), request.documents.len(), &reply.body)
        .await?;
    ranked.sort_by(|a, b| b.score.total_cmp(&a.score));
    let document = |index: u32| {
        request
            .documents
            .get(index as usize)
            .map_or("", String::as_str)
    };
    match args.output {
        OutputFormat::Json => stdout::json(&json!({
            "model_id": model.as_given(),
            "plugin": plugin.name(),
            "results": ranked.iter().map(|entry| json!({
                "index": entry.index,
                "score": entry.score,
                "document": document(entry.index),
            })).collect::<Vec<_>>(),
        }))?,
        OutputFormat::Text => {
            for entry in &ranked {
                stdout::line(format!(
                    "{:.4}  {}  {}",
                    entry.score,
                    entry.index,
                    document(entry.index)
                ))?;
            }
        }
    }
    Ok(Exit::Success)
}

/// A rerank answer is a few numbers per document.
const MAX_RESPONSE_BYTES: u64 = 16 * 1024 * 1024;

/// The documents: the arguments, then `--file`'s non-empty lines.
fn read_documents(args: &RerankArgs) -> Result<Vec<String>, UsageError> {
    let mut documents = args.documents.clone();
    if let Some(path) = &args.file {
        let read = |reader: &mut dyn io::BufRead| -> io::Result<Vec<String>> {
            reader
                .lines()
                .filter(|line| line.as_ref().map_or(true, |l| !l.trim().is_empty()))
                .collect()
        };
        let lines = if path.as_os_str() == "-" {
            read(&mut io::stdin().lock())
        } else {
            std::fs::File::open(path).and_then(|file| read(&mut io::BufReader::new(file)))
        };
        documents.extend(
            lines
                .map_err(|error| UsageError(format!("cannot read {}: {error}", path.display())))?,
        );
    }
    if documents.is_empty() {
        return Err(UsageError(
            "nothing to rank: give documents as arguments or --file".into(),
        ));
    }
    Ok(documents)
}
