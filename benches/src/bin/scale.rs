//! `scale`: N concurrent streams in one process against a running local
//! Bedrock, through the host's own invocation API; prints one JSON object
//! with throughput, time-to-first-token percentiles and peak memory.
//!
//! `--through plugin` (the default) is what `bedrock-host invoke` does for
//! each stream: a fresh sandbox, the plugin builds the body, every chunk is
//! fed to the plugin's stream decoder. `--through sdk` sends the same body
//! (built once by the plugin) and only reads the chunks with the SDK, so the
//! difference between the two is what the plugin adds per chunk.
//!
//! Invariant: all streams are launched at once after set-up, and every time
//! is measured from that launch, so a stream that waited for a connection or
//! a sandbox is not flattered. Memory is the whole process's (`VmHWM`): run
//! one process per concurrency level for a clean peak.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use aws_sdk_bedrockruntime::Client;
use bedrock_benchmarks::{load_plugins, local_client, memory_kib, text_request};
use bedrock_host::aws::{self, StreamChunk};
use bedrock_host::invocation;
use bedrock_host::model_id::ModelId;

/// The most one stream may carry: the CLI's default `--max-response-mib`.
const MAX_RESPONSE_BYTES: u64 = (aws::DEFAULT_MAX_RESPONSE_MIB as u64) << 20;
use bedrock_host::plugin::{Body, PluginRegistry, Request};
use clap::{Parser, ValueEnum};
use serde_json::json;

/// Concurrent streams against a local Bedrock, through the host's library.
#[derive(Debug, Parser)]
struct Args {
    /// The local Bedrock (`bedrock-host serve-local`), e.g. http://127.0.0.1:8080.
    #[arg(long)]
    endpoint: String,
    /// The folder of plugins to load (every one, as the CLI does).
    #[arg(long)]
    plugins_dir: PathBuf,
    /// The compile cache folder.
    #[arg(long)]
    cache_dir: PathBuf,
    /// The model to stream from.
    #[arg(long, default_value = "anthropic.claude-3-haiku-20240307-v1:0")]
    model: String,
    /// How many streams run at once.
    #[arg(long, default_value_t = 1)]
    concurrency: usize,
    /// What each stream goes through.
    #[arg(long, value_enum, default_value_t = Through::Plugin)]
    through: Through,
    /// `max_tokens` of each request.
    #[arg(long, default_value_t = 200)]
    max_tokens: u32,
}

/// What a stream's chunks go through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Through {
    /// A fresh sandbox per stream; every chunk is decoded by the plugin.
    Plugin,
    /// The SDK's event-stream reader only.
    Sdk,
}

/// What one stream measured.
struct StreamTimes {
    /// From the common launch to the first text (plugin) or chunk (sdk).
    first_token: Option<Duration>,
    chunks: u64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let model = ModelId::parse(&args.model).context("not a model id")?;
    let registry = load_plugins(&args.plugins_dir, &args.cache_dir).await?;
    let registry = Arc::new(registry);
    let client = local_client(&args.endpoint).await?;
    let request = Arc::new(text_request(
        model.base(),
        "Tell me about rivers",
        args.max_tokens,
    ));
    let body = {
        let plugin = registry.route(model.base())?;
        Arc::new(plugin.sandbox().await?.build_request(&request).await?)
    };
    let (_, baseline_rss_kib) = memory_kib()?;

    let open = Arc::new(AtomicUsize::new(0));
    let most_open = Arc::new(AtomicUsize::new(0));
    let launched = Instant::now();
    let mut tasks = Vec::with_capacity(args.concurrency);
    for _ in 0..args.concurrency {
        let stream = OneStream {
            client: client.clone(),
            registry: Arc::clone(&registry),
            model: model.clone(),
            request: Arc::clone(&request),
            body: Arc::clone(&body),
            launched,
            open: Arc::clone(&open),
            most_open: Arc::clone(&most_open),
        };
        tasks.push(tokio::spawn(stream.run(args.through)));
    }
    let mut times = Vec::with_capacity(args.concurrency);
    let mut failures = Vec::new();
    for task in tasks {
        match task.await.context("a stream task panicked")? {
            Ok(measured) => times.push(measured),
            Err(error) => failures.push(format!("{error:#}")),
        }
    }
    let wall = launched.elapsed();
    let (peak_hwm_kib, final_rss_kib) = memory_kib()?;

    let chunks: u64 = times.iter().map(|t| t.chunks).sum();
    let mut first_tokens: Vec<f64> = times
        .iter()
        .filter_map(|t| t.first_token)
        .map(|d| d.as_secs_f64() * 1e3)
        .collect();
    first_tokens.sort_by(f64::total_cmp);
    let wall_seconds = wall.as_secs_f64();
    let report = json!({
        "through": format!("{:?}", args.through).to_lowercase(),
        "model": args.model,
        "concurrency": args.concurrency,
        "streams_ok": times.len(),
        "streams_failed": failures.len(),
        "first_failure": failures.first(),
        "most_open_at_once": most_open.load(Ordering::Relaxed),
        "chunks_total": chunks,
        "wall_seconds": wall_seconds,
        "chunks_per_second": chunks as f64 / wall_seconds,
        "ns_per_chunk": wall_seconds * 1e9 / chunks.max(1) as f64,
        "ttft_ms": {
            "p50": percentile(&first_tokens, 0.50),
            "p99": percentile(&first_tokens, 0.99),
            "min": first_tokens.first(),
            "max": first_tokens.last(),
        },
        "baseline_rss_kib": baseline_rss_kib,
        "peak_hwm_kib": peak_hwm_kib,
        "final_rss_kib": final_rss_kib,
    });
    println!("{report}");
    if failures.is_empty() {
        Ok(())
    } else {
        anyhow::bail!("{} of the streams failed", failures.len())
    }
}

/// Everything one stream task needs.
struct OneStream {
    client: Client,
    registry: Arc<PluginRegistry>,
    model: ModelId,
    request: Arc<Request>,
    body: Arc<Body>,
    launched: Instant,
    open: Arc<AtomicUsize>,
    most_open: Arc<AtomicUsize>,
}

impl OneStream {
    async fn run(self, through: Through) -> anyhow::Result<StreamTimes> {
        let now_open = self.open.fetch_add(1, Ordering::Relaxed) + 1;
        self.most_open.fetch_max(now_open, Ordering::Relaxed);
        let measured = match through {
            Through::Plugin => self.through_plugin().await,
            Through::Sdk => self.through_sdk().await,
        };
        self.open.fetch_sub(1, Ordering::Relaxed);
        measured
    }

    async fn through_plugin(&self) -> anyhow::Result<StreamTimes> {
        let plugin = self.registry.route(self.model.base())?;
        let mut sandbox = plugin.sandbox().await?;
        let mut first_token = None;
        let launched = self.launched;
        let mut on_shown = |_: invocation::Shown<'_>| -> std::io::Result<()> {
            first_token.get_or_insert_with(|| launched.elapsed());
            Ok(())
        };
        let report = invocation::invoke_streaming(
            &self.client,
            &mut sandbox,
            &self.model,
            &self.request,
            MAX_RESPONSE_BYTES,
            &mut on_shown,
        )
        .await
        .map_err(|failure| failure.error)?;
        Ok(StreamTimes {
            first_token,
            chunks: report.chunks,
        })
    }

    async fn through_sdk(&self) -> anyhow::Result<StreamTimes> {
        let mut stream = aws::invoke_model_stream(
            &self.client,
            self.model.as_given(),
            self.body.bytes.clone(),
            &self.body.content_type,
            &self.body.accept,
            MAX_RESPONSE_BYTES,
        )
        .await?;
        let mut first_token = None;
        let mut chunks = 0;
        while let StreamChunk::Data { .. } = stream.next().await? {
            first_token.get_or_insert_with(|| self.launched.elapsed());
            chunks += 1;
        }
        Ok(StreamTimes {
            first_token,
            chunks,
        })
    }
}

/// The `q` quantile of sorted `values` (nearest rank), if any.
fn percentile(sorted: &[f64], q: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted
        .get(rank.saturating_sub(1).min(sorted.len() - 1))
        .copied()
}
