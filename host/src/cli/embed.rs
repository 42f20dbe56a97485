//! `bedrock-host embed`: turns texts and images into vectors with an
//! embedding model, through the plugin whose `describe-embedder` claims it.
//!
//! Invariants: the inputs are sent in calls of at most the pattern's
//! `max-inputs`, several calls at once (`--max-concurrency`), and the
//! vectors come back in the inputs' order whatever order the calls end in;
//! what the pattern does not list (images, a dimension count, a purpose,
//! normalisation, a format) is refused before anything is sent; one failed
//! call fails the command and prints no vector (a partial set of vectors
//! would be misread as whole). Nothing here names a family.

use std::io::{self, IsTerminal as _};
use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Args, ValueEnum};
use futures_util::{StreamExt as _, TryStreamExt as _};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{Value, json};

use super::attachments::{self, AttachmentKind};
use super::invoke::resolve_model;
use super::session::Session;
use super::{Exit, UsageError, stdout};
use crate::aws;
use crate::model_id::ModelId;
use crate::plugin::embedding::{
    EmbeddingFormat, EmbeddingInput, EmbeddingModel, EmbeddingRequest, InputPurpose,
};
use crate::plugin::{Image, LoadedPlugin, UserChoice};

/// Embed texts or images: one input per argument, per line of --file, or per --image.
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  bedrock-host --local embed -m amazon.titan-embed-text-v2:0 'Hello world' 'Goodbye'
  bedrock-host embed -m cohere.embed-english-v3 --input-type search-query 'rivers of Europe'
  bedrock-host embed -m cohere.embed-english-v3 --file corpus.txt --output jsonl > vectors.jsonl
  bedrock-host embed -m amazon.titan-embed-image-v1 --image cat.png --dimensions 256

Text output is one JSON array per input, in order (of the first --embedding-type). `--output json` is one object:
{\"model_id\", \"plugin\", \"embeddings\": [[...]], \"input_tokens\", \"dimensions\"}
(and \"embeddings_by_type\" when several --embedding-type are asked for);
`--output jsonl` is one object per input: {\"index\", \"embedding\"}.")]
pub struct EmbedArgs {
    /// The embedding model id, inference profile or ARN.
    #[arg(short, long)]
    model: String,
    /// Texts to embed, one input each; `-` reads stdin, one input per line.
    texts: Vec<String>,
    /// Read inputs from this file, one per non-empty line (`-` for stdin).
    #[arg(long, value_name = "FILE")]
    file: Option<PathBuf>,
    /// An image to embed (repeatable); PNG, JPEG, GIF or WebP.
    #[arg(long = "image", value_name = "FILE")]
    images: Vec<PathBuf>,
    /// The length of each vector, where the model offers several.
    #[arg(long, value_name = "N")]
    dimensions: Option<u32>,
    /// What the vectors are for, where the model embeds differently by use.
    #[arg(long, value_enum, value_name = "PURPOSE")]
    input_type: Option<Purpose>,
    /// Scale the vectors to unit length, where the model can.
    #[arg(long)]
    normalize: bool,
    /// The number format of the vectors (repeatable); floats by default.
    #[arg(long = "embedding-type", value_enum, value_name = "TYPE")]
    embedding_types: Vec<Format>,
    /// A family-specific body field (repeatable): `-o key=value`.
    #[arg(short = 'o', long = "option", value_name = "KEY=VALUE", value_parser = super::invoke::parse_option)]
    options: Vec<(String, String)>,
    /// Use this plugin, whatever the patterns say.
    #[arg(long, value_name = "NAME")]
    family: Option<String>,
    /// The most calls in flight at once.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=256))]
    max_concurrency: u32,
    /// How to print the vectors.
    #[arg(long, value_enum, default_value_t = EmbedOutput::Text)]
    output: EmbedOutput,
}

impl EmbedArgs {
    /// The output format, for errors (`jsonl` reports errors as JSON too).
    pub fn output(&self) -> super::OutputFormat {
        match self.output {
            EmbedOutput::Text => super::OutputFormat::Text,
            EmbedOutput::Json | EmbedOutput::Jsonl => super::OutputFormat::Json,
        }
    }
}

/// How `embed` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum EmbedOutput {
    /// One JSON array per input, one per line.
    Text,
    /// One JSON object with every vector.
    Json,
    /// One JSON object per input, one per line.
    Jsonl,
}

/// `--input-type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Purpose {
    SearchDocument,
    SearchQuery,
    Classification,
    Clustering,
}

impl From<Purpose> for InputPurpose {
    fn from(purpose: Purpose) -> Self {
        match purpose {
            Purpose::SearchDocument => Self::SearchDocument,
            Purpose::SearchQuery => Self::SearchQuery,
            Purpose::Classification => Self::Classification,
            Purpose::Clustering => Self::Clustering,
        }
    }
}

/// `--embedding-type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Float,
    Int8,
    Uint8,
    Binary,
    Ubinary,
}

impl From<Format> for EmbeddingFormat {
    fn from(format: Format) -> Self {
        match format {
            Format::Float => Self::Float,
            Format::Int8 => Self::Int8,
            Format::Uint8 => Self::Uint8,
            Format::Binary => Self::Binary,
            Format::Ubinary => Self::Ubinary,
        }
    }
}

/// The vectors of every input in one format, in the inputs' order.
struct FormatVectors {
    format: EmbeddingFormat,
    vectors: Vec<Vec<f64>>,
}

/// What an `embed` or `rerank` command sends to: the model `given` names
/// (an alias resolved, an opaque ARN looked up), the plugin that serves it by
/// its embedding and rerank patterns (or `family`), and the AWS settings.
pub(super) struct Routed<'s> {
    pub model: ModelId,
    pub plugin: &'s LoadedPlugin,
    pub settings: &'s aws::ClientSettings,
}

/// Resolves and routes the model `given` (see [`Routed`]).
pub(super) async fn route<'s>(
    session: &'s Session,
    given: &str,
    family: Option<&'s str>,
) -> anyhow::Result<Routed<'s>> {
    let name = session.conversation_settings().model_id(given).to_owned();
    let settings = session.client_settings().await?;
    let model = resolve_model(settings, ModelId::parse(&name), &name, family.is_some()).await?;
    let registry = session.plugins().await?;
    let choice = UserChoice {
        family,
        table: Some(session.routing()),
    };
    let plugin = registry.route_embedding(model.base(), choice)?.plugin;
    Ok(Routed {
        model,
        plugin,
        settings,
    })
}

pub async fn run(session: &Session, args: EmbedArgs) -> anyhow::Result<Exit> {
    let inputs = read_inputs(&args)?;
    let Routed {
        model,
        plugin,
        settings,
    } = route(session, &args.model, args.family.as_deref()).await?;
    let support = plugin.embedding_model(model.base()).ok_or_else(|| {
        UsageError(format!(
            "plugin `{}` serves no embedding model `{}`",
            plugin.name(),
            model.base()
        ))
    })?;
    let formats: Vec<EmbeddingFormat> = args
        .embedding_types
        .iter()
        .map(|&format| format.into())
        .collect();
    let template = EmbeddingRequest {
        model_id: model.base().to_owned(),
        inputs: Vec::new(),
        dimensions: args.dimensions,
        purpose: args.input_type.map(Into::into),
        normalize: args.normalize.then_some(true),
        formats: formats.clone(),
        extra: args.options.clone(),
    };
    check_asked(support, &template, &inputs, &model, plugin.name())?;
    let client = aws::runtime_client(settings).await?;
    let batch = support.max_inputs.max(1) as usize;
    let calls = inputs.len().div_ceil(batch);
    let progress = progress_bar(inputs.len(), calls);
    let answers: Vec<(Vec<FormatVectors>, Option<u32>)> =
        futures_util::stream::iter(inputs.chunks(batch).map(|chunk| {
            let request = EmbeddingRequest {
                inputs: chunk.to_vec(),
                ..template.clone()
            };
            let (client, model, formats, progress) = (&client, &model, &formats, &progress);
            async move {
                let answer = embed_call(client, plugin, model, &request, formats).await;
                progress.inc(chunk.len() as u64);
                answer
            }
        }))
        .buffered(args.max_concurrency as usize)
        .try_collect()
        .await?;
    progress.finish_and_clear();
    let mut sets: Vec<FormatVectors> = Vec::new();
    let mut input_tokens: Option<u32> = Some(0);
    for (answer, tokens) in answers {
        input_tokens = input_tokens.zip(tokens).map(|(sum, more)| sum + more);
        for set in answer {
            match sets.iter_mut().find(|known| known.format == set.format) {
                Some(known) => known.vectors.extend(set.vectors),
                None => sets.push(set),
            }
        }
    }
    let order: Vec<EmbeddingFormat> = if formats.is_empty() {
        vec![EmbeddingFormat::Float]
    } else {
        formats
    };
    sets.sort_by_key(|set| order.iter().position(|format| *format == set.format));
    print(&args, &model, plugin.name(), &sets, input_tokens)?;
    Ok(Exit::Success)
}

/// The inputs: texts from the arguments (`-`: stdin lines), then `--file`'s
/// lines, then `--image`s; at least one.
fn read_inputs(args: &EmbedArgs) -> Result<Vec<EmbeddingInput>, UsageError> {
    let mut inputs = Vec::new();
    for text in &args.texts {
        if text == "-" {
            inputs.extend(lines(io::stdin().lock(), "stdin")?);
        } else if text.is_empty() {
            return Err(UsageError("an input to embed is empty".into()));
        } else {
            inputs.push(EmbeddingInput::Text(text.clone()));
        }
    }
    if let Some(path) = &args.file {
        if path.as_os_str() == "-" {
            inputs.extend(lines(io::stdin().lock(), "stdin")?);
        } else {
            let file = std::fs::File::open(path)
                .map_err(|error| UsageError(format!("cannot read {}: {error}", path.display())))?;
            inputs.extend(lines(
                io::BufReader::new(file),
                &path.display().to_string(),
            )?);
        }
    }
    for path in &args.images {
        let attachment = attachments::read(path).map_err(|error| UsageError(error.to_string()))?;
        if attachment.kind != AttachmentKind::Image {
            return Err(UsageError(format!(
                "--image {} is a {} ({}), not an image",
                path.display(),
                attachment.kind,
                attachment.media_type
            )));
        }
        inputs.push(EmbeddingInput::Image(Image {
            media_type: attachment.media_type.to_owned(),
            data: attachment.data,
        }));
    }
    if inputs.is_empty() {
        return Err(UsageError(
            "nothing to embed: give texts, `-` for stdin, --file or --image".into(),
        ));
    }
    Ok(inputs)
}

/// The non-empty lines of `reader`, each one input.
fn lines(reader: impl io::BufRead, name: &str) -> Result<Vec<EmbeddingInput>, UsageError> {
    let mut inputs = Vec::new();
    for line in reader.lines() {
        let line = line.map_err(|error| UsageError(format!("cannot read {name}: {error}")))?;
        if !line.trim().is_empty() {
            inputs.push(EmbeddingInput::Text(line));
        }
    }
    Ok(inputs)
}

/// Refuses what the model's pattern does not list, naming the model, the
/// plugin and what was asked.
fn check_asked(
    support: &EmbeddingModel,
    request: &EmbeddingRequest,
    inputs: &[EmbeddingInput],
    model: &ModelId,
    plugin: &str,
) -> Result<(), UsageError> {
    let refuse = |what: String| {
        Err(UsageError(format!(
            "`{}` (plugin `{plugin}`) {what}",
            model.as_given()
        )))
    };
    let images: Vec<&Image> = inputs
        .iter()
        .filter_map(|input| match input {
            EmbeddingInput::Image(image) => Some(image),
            EmbeddingInput::Text(_) => None,
        })
        .collect();
    if !support.texts && images.len() < inputs.len() {
        return refuse("embeds no text, only images".into());
    }
    if !images.is_empty() {
        let Some(limits) = &support.images else {
            return refuse("embeds no images".into());
        };
        for image in images {
            if !limits.media_types.contains(&image.media_type) {
                return refuse(format!(
                    "takes no {} images (it takes {})",
                    image.media_type,
                    limits.media_types.join(", ")
                ));
            }
            if image.data.len() as u64 > limits.max_bytes {
                return refuse(format!(
                    "takes images of at most {} bytes; one is {} bytes",
                    limits.max_bytes,
                    image.data.len()
                ));
            }
        }
    }
    if let Some(dimensions) = request.dimensions
        && !support.dimensions.contains(&dimensions)
    {
        return refuse(if support.dimensions.is_empty() {
            "has one vector length; --dimensions cannot change it".into()
        } else {
            format!(
                "offers --dimensions {}",
                support
                    .dimensions
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        });
    }
    if let Some(purpose) = request.purpose
        && !support.purposes.contains(&purpose)
    {
        return refuse("does not distinguish this --input-type".into());
    }
    if request.normalize.is_some() && !support.normalize {
        return refuse("cannot be asked to --normalize".into());
    }
    let offered: &[EmbeddingFormat] = if support.formats.is_empty() {
        &[EmbeddingFormat::Float]
    } else {
        &support.formats
    };
    if let Some(format) = request.formats.iter().find(|f| !offered.contains(f)) {
        return refuse(format!(
            "does not return --embedding-type {} (it returns {})",
            format.name(),
            offered
                .iter()
                .map(|f| f.name())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    Ok(())
}

/// One call: a fresh sandbox builds the body, Bedrock answers, the same
/// sandbox parses the answer.
async fn embed_call(
    client: &aws_sdk_bedrockruntime::Client,
    plugin: &LoadedPlugin,
    model: &ModelId,
    request: &EmbeddingRequest,
    formats: &[EmbeddingFormat],
) -> anyhow::Result<(Vec<FormatVectors>, Option<u32>)> {
    let mut sandbox = plugin.sandbox().await?;
    let body = sandbox.build_embedding_request(request).await?;
    let reply = aws::invoke_model(
        client,
        model.as_given(),
        body.bytes,
        &body.content_type,
        &body.accept,
        MAX_RESPONSE_BYTES,
    )
    .await?;
    let inputs = u32::try_from(request.inputs.len()).context("too many inputs in one call")?;
    let embeddings = sandbox
        .parse_embedding_response(model.base(), inputs, formats, &reply.body)
        .await?;
    let sets = embeddings
        .sets
        .into_iter()
        .map(|set| FormatVectors {
            format: set.format,
            vectors: set.vectors,
        })
        .collect();
    Ok((sets, embeddings.input_tokens.or(reply.counts.input_tokens)))
}

/// The largest answer to one embedding call: 96 inputs of 1,536 floats
/// printed in full fit well within it.
const MAX_RESPONSE_BYTES: u64 = 64 * 1024 * 1024;

/// A progress bar on a terminal when there is more than one call; hidden
/// otherwise.
fn progress_bar(inputs: usize, calls: usize) -> ProgressBar {
    if calls < 2 || !io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(inputs as u64);
    if let Ok(style) =
        ProgressStyle::with_template("embedding {bar:30} {pos}/{len} inputs, {per_sec}, eta {eta}")
    {
        bar.set_style(style);
    }
    bar
}

/// A vector as JSON: integers for the integer formats.
fn vector_json(format: EmbeddingFormat, vector: &[f64]) -> Value {
    match format {
        EmbeddingFormat::Float => json!(vector),
        _ => Value::Array(vector.iter().map(|&value| json!(value as i64)).collect()),
    }
}

fn print(
    args: &EmbedArgs,
    model: &ModelId,
    plugin: &str,
    sets: &[FormatVectors],
    input_tokens: Option<u32>,
) -> anyhow::Result<()> {
    let Some(first) = sets.first() else {
        return Ok(());
    };
    let dimensions = first.vectors.first().map_or(0, Vec::len);
    let by_type = || -> Value {
        sets.iter()
            .map(|set| {
                (
                    set.format.name().to_owned(),
                    Value::Array(
                        set.vectors
                            .iter()
                            .map(|vector| vector_json(set.format, vector))
                            .collect(),
                    ),
                )
            })
            .collect::<serde_json::Map<_, _>>()
            .into()
    };
    match args.output {
        EmbedOutput::Json => {
            let mut object = json!({
                "model_id": model.as_given(),
                "plugin": plugin,
                "embeddings": first.vectors.iter().map(|v| vector_json(first.format, v)).collect::<Vec<_>>(),
                "input_tokens": input_tokens,
                "dimensions": dimensions,
            });
            if sets.len() > 1 {
                object["embeddings_by_type"] = by_type();
            }
            stdout::json(&object)?;
        }
        EmbedOutput::Jsonl => {
            for (index, vector) in first.vectors.iter().enumerate() {
                let mut line =
                    json!({"index": index, "embedding": vector_json(first.format, vector)});
                if sets.len() > 1 {
                    line["embeddings_by_type"] = sets
                        .iter()
                        .map(|set| {
                            (
                                set.format.name().to_owned(),
                                set.vectors
                                    .get(index)
                                    .map_or(Value::Null, |vector| vector_json(set.format, vector)),
                            )
                        })
                        .collect::<serde_json::Map<_, _>>()
                        .into();
                }
                stdout::line(line)?;
            }
        }
        EmbedOutput::Text => {
            for vector in &first.vectors {
                stdout::line(vector_json(first.format, vector))?;
            }
        }
    }
    Ok(())
}
