//! The plugin boundary (issue 6, items 1 and 2): each family's adapter as a
//! `.wasm` component called through the host, against the same adapter crate
//! linked natively and called as Rust.
//!
//! Groups, each with a `component/<family>` and a `native/<family>` bench:
//! - `build_request` and `parse_response`: one call on a sandbox that is
//!   already instantiated (the boundary alone: lowering, the call, lifting);
//! - `per_request`: what the host does for one non-streamed request, a fresh
//!   sandbox (new `Store`, instantiate from the `InstancePre`), then build
//!   and parse in it, and the sandbox dropped; natively, build and parse;
//! - `stream_feed`: one streamed text chunk through a live stream decoder.
//!
//! Inputs are the real ones: the request of each family's cell of the AWS
//! notebook (`examples/notebook-tour.sh`, prompts byte for byte from
//! `examples/prompts/`), and response bodies and stream chunks recorded from
//! Bedrock (`tests/fixtures/bedrock`, read by `bedrock-recorded`).
//! Two families have no recording there: Stability's body is an SDXL reply
//! around a 1 MiB image (the size of a 1024x1024 SDXL PNG), and AI21's
//! chunk is a Jamba content delta in the shape AI21 documents (the one the
//! ai21 adapter's own stream test cites); Stability does not stream.
//!
//! Invariant: before anything is timed, the set-up checks that the component
//! and the native adapter give the same answer for the input, so each ratio
//! compares the same work. Inputs the native functions take by value are
//! cloned outside the timing, and outputs on both sides are dropped outside
//! it.

mod support;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use bedrock_adapter_kit::types as kit;
use bedrock_host::plugin::{self as host, InstanceAllocation, LoadedPlugin, Sandbox};
use bedrock_recorded::Exchange;
use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use tokio::runtime::Runtime;

use support::{FAMILIES, load, runtime, time_async, tokio};

/// One family's adapter, compiled natively: the very functions its
/// component exports, called as Rust.
struct Native {
    build: fn(kit::Request) -> Result<kit::Body, kit::AdapterError>,
    parse: fn(String, Vec<u8>) -> Result<kit::Response, kit::AdapterError>,
    /// The `stream-decoder` constructor; the closure is its `feed`.
    decoder: fn(String) -> NativeFeed,
}

/// A native stream decoder's `feed`.
type NativeFeed = Box<dyn Fn(Vec<u8>) -> Result<Vec<kit::Event>, kit::AdapterError>>;

macro_rules! native {
    ($krate:ident) => {{
        use $krate::exports::bedrock::adapter::adapter::{Guest, GuestStreamDecoder};
        type Adapter = $krate::Component;
        type Decoder = <Adapter as Guest>::StreamDecoder;
        Native {
            build: <Adapter as Guest>::build_request,
            parse: <Adapter as Guest>::parse_response,
            decoder: |model_id| {
                let decoder = <Decoder as GuestStreamDecoder>::new(model_id);
                Box::new(move |chunk| decoder.feed(chunk))
            },
        }
    }};
}

/// The native adapter of `family`.
fn native(family: &str) -> Native {
    match family {
        "ai21" => native!(bedrock_plugin_ai21),
        "amazon" => native!(bedrock_plugin_amazon),
        "anthropic" => native!(bedrock_plugin_anthropic),
        "cohere" => native!(bedrock_plugin_cohere),
        "meta" => native!(bedrock_plugin_meta),
        "mistral" => native!(bedrock_plugin_mistral),
        "stability" => native!(bedrock_plugin_stability),
        other => panic!("no adapter for the family {other}"),
    }
}

/// One cell of the notebook tour: the model, the prompt and the settings.
struct Cell {
    model_id: &'static str,
    prompt: &'static str,
    max_tokens: Option<u32>,
    temperature: Option<f32>,
    top_p: Option<f32>,
    top_k: Option<u32>,
    seed: Option<u64>,
    extra: &'static [(&'static str, &'static str)],
    raw: bool,
}

const BLOG_COMMAND: &str = include_str!("../../examples/prompts/blog-command.txt");
const CLAUDE_BLOG: &str = include_str!("../../examples/prompts/claude-blog.txt");
const LLAMA_BLOG: &str = include_str!("../../examples/prompts/llama-blog.txt");

/// A cell with no setting: the base the table below fills in.
const NOTHING_SET: Cell = Cell {
    model_id: "",
    prompt: "",
    max_tokens: None,
    temperature: None,
    top_p: None,
    top_k: None,
    seed: None,
    extra: &[],
    raw: false,
};

/// `family`'s cell of `examples/notebook-tour.sh`.
fn cell(family: &str) -> Cell {
    match family {
        "ai21" => Cell {
            model_id: "ai21.jamba-instruct-v1:0",
            prompt: BLOG_COMMAND,
            max_tokens: Some(200),
            ..NOTHING_SET
        },
        "amazon" => Cell {
            model_id: "amazon.nova-lite-v1:0",
            prompt: BLOG_COMMAND,
            max_tokens: Some(250),
            top_p: Some(0.9),
            top_k: Some(20),
            temperature: Some(0.7),
            ..NOTHING_SET
        },
        "anthropic" => Cell {
            model_id: "anthropic.claude-3-5-sonnet-20240620-v1:0",
            prompt: CLAUDE_BLOG,
            max_tokens: Some(250),
            ..NOTHING_SET
        },
        "cohere" => Cell {
            model_id: "cohere.command-text-v14",
            prompt: BLOG_COMMAND,
            max_tokens: Some(200),
            raw: true,
            ..NOTHING_SET
        },
        "meta" => Cell {
            model_id: "meta.llama3-8b-instruct-v1:0",
            prompt: LLAMA_BLOG,
            max_tokens: Some(512),
            temperature: Some(0.5),
            top_p: Some(0.9),
            raw: true,
            ..NOTHING_SET
        },
        "mistral" => Cell {
            model_id: "mistral.mixtral-8x7b-instruct-v0:1",
            prompt: LLAMA_BLOG,
            max_tokens: Some(500),
            top_p: Some(0.9),
            temperature: Some(0.2),
            raw: true,
            ..NOTHING_SET
        },
        "stability" => Cell {
            model_id: "stability.stable-diffusion-xl-v1",
            prompt: "a landscape with trees",
            seed: Some(20),
            extra: &[("cfg_scale", "10"), ("steps", "50")],
            ..NOTHING_SET
        },
        other => panic!("no notebook cell for {other}"),
    }
}

impl Cell {
    fn extra(&self) -> Vec<(String, String)> {
        self.extra
            .iter()
            .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
            .collect()
    }

    /// The request as the host hands it to a component.
    fn host_request(&self) -> host::Request {
        host::Request {
            model_id: self.model_id.to_owned(),
            system: None,
            messages: vec![host::Message {
                role: host::Role::User,
                content: vec![host::Content::Text(self.prompt.to_owned())],
            }],
            params: host::Params {
                max_tokens: self.max_tokens,
                temperature: self.temperature,
                top_p: self.top_p,
                top_k: self.top_k,
                stop_sequences: Vec::new(),
                seed: self.seed,
                extra: self.extra(),
                raw: self.raw,
            },
            tools: Vec::new(),
            tool_choice: None,
            reasoning: None,
            cache: host::CachePoints {
                system: false,
                tools: false,
            },
            streamed: false,
        }
    }

    /// The same request in the kit's types, for the native adapter.
    fn kit_request(&self) -> kit::Request {
        kit::Request {
            model_id: self.model_id.to_owned(),
            system: None,
            messages: vec![kit::Message {
                role: kit::Role::User,
                content: vec![kit::Content::Text(self.prompt.to_owned())],
            }],
            params: kit::Params {
                max_tokens: self.max_tokens,
                temperature: self.temperature,
                top_p: self.top_p,
                top_k: self.top_k,
                stop_sequences: Vec::new(),
                seed: self.seed,
                extra: self.extra(),
                raw: self.raw,
            },
            tools: Vec::new(),
            tool_choice: None,
            reasoning: None,
            cache: kit::CachePoints {
                system: false,
                tools: false,
            },
            streamed: false,
        }
    }
}

/// How many leading characters two model ids share.
fn shared_prefix(a: &str, b: &str) -> usize {
    a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count()
}

/// The model (its base id) and what was recorded, of each of `exchanges`
/// whose model is one of `provider`'s (`"amazon."`).
fn of_provider<T>(exchanges: Vec<Exchange<T>>, provider: &str) -> Vec<(String, T)> {
    exchanges
        .into_iter()
        .filter_map(|exchange| {
            let base = exchange.base_model_id(provider)?.to_owned();
            Some((base, exchange.recorded))
        })
        .collect()
}

/// Of `recordings`, the one whose model is closest to `model_id` (the
/// longest shared prefix; the first of equals).
fn closest<T>(recordings: Vec<(String, T)>, model_id: &str) -> (String, T) {
    let best = recordings
        .iter()
        .map(|(recorded_model, _)| shared_prefix(recorded_model, model_id))
        .max()
        .unwrap_or_else(|| panic!("no recording for {model_id}"));
    recordings
        .into_iter()
        .find(|(recorded_model, _)| shared_prefix(recorded_model, model_id) == best)
        .unwrap_or_else(|| panic!("no recording for {model_id}"))
}

/// The response body `family` is benchmarked on, and the model it is from.
fn response_body(family: &str, cell: &Cell) -> (String, Vec<u8>) {
    if family == "stability" {
        return (cell.model_id.to_owned(), sdxl_body());
    }
    let prefix = cell.model_id.split('.').next().unwrap_or_default();
    closest(
        of_provider(bedrock_recorded::bodies(), &format!("{prefix}.")),
        cell.model_id,
    )
}

/// An SDXL reply around a 1 MiB PNG: the signature, then bytes that do
/// not compress (a photograph's PNG does not either).
fn sdxl_body() -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    png.extend((0..1 << 20).map(|_| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state.to_le_bytes()[0]
    }));
    serde_json::to_vec(&serde_json::json!({
        "result": "success",
        "artifacts": [{"seed": 20, "base64": BASE64.encode(png), "finishReason": "SUCCESS"}],
    }))
    .expect("JSON serialises")
}

/// The recorded stream of `family` closest to its notebook model among
/// those with a text chunk, and the index of the chunk to time: of the
/// chunks that give exactly one text event, the one of median size. AI21 has
/// no recording (see the top).
fn stream(family: &str, cell: &Cell, native: &Native) -> Option<(String, Vec<Vec<u8>>, usize)> {
    let mut candidates = match family {
        "stability" => return None,
        "ai21" => vec![(
            cell.model_id.to_owned(),
            vec![
                br#"{"id":"chat-1","choices":[{"index":0,"delta":{"role":"assistant"},"finish_reason":null}],"usage":null}"#.to_vec(),
                br#"{"id":"chat-1","choices":[{"index":0,"delta":{"content":" decisions"},"finish_reason":null}],"usage":null}"#.to_vec(),
            ],
        )],
        _ => {
            let prefix = cell.model_id.split('.').next().unwrap_or_default();
            of_provider(bedrock_recorded::streams().streams, &format!("{prefix}."))
        }
    };
    candidates
        .sort_by_key(|(model_id, _)| std::cmp::Reverse(shared_prefix(model_id, cell.model_id)));
    candidates.into_iter().find_map(|(model_id, chunks)| {
        let feed = (native.decoder)(model_id.clone());
        let mut texts: Vec<usize> = chunks
            .iter()
            .enumerate()
            .filter(|(_, chunk)| {
                matches!(feed((*chunk).clone()).as_deref(), Ok([kit::Event::Text(_)]))
            })
            .map(|(index, _)| index)
            .collect();
        texts.sort_by_key(|index| chunks[*index].len());
        let chosen = *texts.get(texts.len() / 2)?;
        Some((model_id, chunks, chosen))
    })
}

/// What a response says, in one comparable shape.
#[derive(Debug, PartialEq)]
enum Said {
    Text(String),
    Image(String, usize),
    Stop(Option<String>),
    Usage(u32, u32),
    /// Anything else the contract carries (tool calls, reasoning), which the
    /// benched text requests never produce.
    Other,
}

fn said_host(response: &host::Response) -> Vec<Said> {
    let mut said: Vec<Said> = response
        .outputs
        .iter()
        .map(|output| match output {
            host::Output::Text(text) => Said::Text(text.clone()),
            host::Output::Image(image) => Said::Image(image.media_type.clone(), image.data.len()),
            _ => Said::Other,
        })
        .collect();
    said.push(Said::Stop(
        response.stop.as_ref().and_then(|stop| stop.raw.clone()),
    ));
    said.extend(
        response
            .usage
            .map(|usage| Said::Usage(usage.input_tokens, usage.output_tokens)),
    );
    said
}

fn said_kit(response: &kit::Response) -> Vec<Said> {
    let mut said: Vec<Said> = response
        .outputs
        .iter()
        .map(|output| match output {
            kit::Output::Text(text) => Said::Text(text.clone()),
            kit::Output::Image(image) => Said::Image(image.media_type.clone(), image.data.len()),
            _ => Said::Other,
        })
        .collect();
    said.push(Said::Stop(
        response.stop.as_ref().and_then(|stop| stop.raw.clone()),
    ));
    said.extend(
        response
            .usage
            .map(|usage| Said::Usage(usage.input_tokens, usage.output_tokens)),
    );
    said
}

fn events_host(events: &[host::Event]) -> Vec<Said> {
    events
        .iter()
        .map(|event| match event {
            host::Event::Text(text) => Said::Text(text.clone()),
            host::Event::Stop(stop) => Said::Stop(stop.raw.clone()),
            host::Event::Usage(usage) => Said::Usage(usage.input_tokens, usage.output_tokens),
            _ => Said::Other,
        })
        .collect()
}

fn events_kit(events: &[kit::Event]) -> Vec<Said> {
    events
        .iter()
        .map(|event| match event {
            kit::Event::Text(text) => Said::Text(text.clone()),
            kit::Event::Stop(stop) => Said::Stop(stop.raw.clone()),
            kit::Event::Usage(usage) => Said::Usage(usage.input_tokens, usage.output_tokens),
            _ => Said::Other,
        })
        .collect()
}

/// A fresh sandbox of `plugin`, failing the bench on any error.
async fn sandbox(plugin: &LoadedPlugin) -> Sandbox {
    plugin
        .sandbox()
        .await
        .unwrap_or_else(|error| panic!("{}: {error}", plugin.name()))
}

/// Everything one family's benches need, checked.
struct Family {
    name: &'static str,
    plugin: LoadedPlugin,
    native: Native,
    host_request: host::Request,
    kit_request: kit::Request,
    response_model: String,
    response_body: Vec<u8>,
    stream: Option<(String, Vec<Vec<u8>>, usize)>,
}

impl Family {
    fn new(rt: &Runtime, runtime: &host::PluginRuntime, name: &'static str) -> Self {
        let cell = cell(name);
        let native = native(name);
        let (response_model, response_body) = response_body(name, &cell);
        let stream = stream(name, &cell, &native);
        assert!(
            stream.is_some() || name == "stability",
            "{name}: no recorded stream has a text chunk"
        );
        let family = Self {
            name,
            plugin: load(rt, runtime, name),
            host_request: cell.host_request(),
            kit_request: cell.kit_request(),
            native,
            response_model,
            response_body,
            stream,
        };
        rt.block_on(family.check_same_answers());
        family
    }

    /// Panics unless component and native agree on every input.
    async fn check_same_answers(&self) {
        let name = self.name;
        let mut sandbox = sandbox(&self.plugin).await;
        let built = sandbox
            .build_request(&self.host_request)
            .await
            .unwrap_or_else(|error| panic!("{name}: {error}"));
        let native_built = (self.native.build)(self.kit_request.clone())
            .unwrap_or_else(|error| panic!("{name}: {error:?}"));
        assert_eq!(built.bytes, native_built.bytes, "{name}: build-request");
        let parsed = sandbox
            .parse_response(&self.response_model, &self.response_body)
            .await
            .unwrap_or_else(|error| panic!("{name}: {error}"));
        let native_parsed =
            (self.native.parse)(self.response_model.clone(), self.response_body.clone())
                .unwrap_or_else(|error| panic!("{name}: {error:?}"));
        assert_eq!(
            said_host(&parsed),
            said_kit(&native_parsed),
            "{name}: parse-response"
        );
        if let Some((model_id, chunks, _)) = &self.stream {
            sandbox
                .start_stream(model_id)
                .await
                .unwrap_or_else(|error| panic!("{name}: {error}"));
            let feed = (self.native.decoder)(model_id.clone());
            for chunk in chunks {
                let events = sandbox
                    .feed(chunk)
                    .await
                    .unwrap_or_else(|error| panic!("{name}: {error}"));
                let native_events =
                    feed(chunk.clone()).unwrap_or_else(|error| panic!("{name}: {error:?}"));
                assert_eq!(
                    events_host(&events),
                    events_kit(&native_events),
                    "{name}: stream-decoder.feed"
                );
            }
        }
    }
}

fn boundary(c: &mut Criterion) {
    let rt = tokio();
    let runtime = runtime(InstanceAllocation::default());
    let families: Vec<Family> = FAMILIES
        .iter()
        .map(|name| Family::new(&rt, &runtime, name))
        .collect();

    let mut group = c.benchmark_group("build_request");
    for family in &families {
        let mut live = rt.block_on(sandbox(&family.plugin));
        group.bench_function(BenchmarkId::new("component", family.name), |b| {
            b.iter_custom(|iters| time_async!(rt, iters, live.build_request(&family.host_request)));
        });
        group.bench_function(BenchmarkId::new("native", family.name), |b| {
            b.iter_batched(
                || family.kit_request.clone(),
                family.native.build,
                BatchSize::SmallInput,
            );
        });
    }
    group.finish();

    let mut group = c.benchmark_group("parse_response");
    for family in &families {
        let mut live = rt.block_on(sandbox(&family.plugin));
        group.bench_function(BenchmarkId::new("component", family.name), |b| {
            b.iter_custom(|iters| {
                time_async!(
                    rt,
                    iters,
                    live.parse_response(&family.response_model, &family.response_body)
                )
            });
        });
        group.bench_function(BenchmarkId::new("native", family.name), |b| {
            b.iter_batched(
                || (family.response_model.clone(), family.response_body.clone()),
                |(model_id, body)| (family.native.parse)(model_id, body),
                BatchSize::SmallInput,
            );
        });
    }
    group.finish();

    let mut group = c.benchmark_group("per_request");
    for family in &families {
        group.bench_function(BenchmarkId::new("component", family.name), |b| {
            b.iter_custom(|iters| {
                time_async!(rt, iters, async {
                    let mut fresh = sandbox(&family.plugin).await;
                    let body = fresh.build_request(&family.host_request).await;
                    let response = fresh
                        .parse_response(&family.response_model, &family.response_body)
                        .await;
                    (body, response)
                })
            });
        });
        group.bench_function(BenchmarkId::new("native", family.name), |b| {
            b.iter_batched(
                || {
                    (
                        family.kit_request.clone(),
                        family.response_model.clone(),
                        family.response_body.clone(),
                    )
                },
                |(request, model_id, body)| {
                    (
                        (family.native.build)(request),
                        (family.native.parse)(model_id, body),
                    )
                },
                BatchSize::SmallInput,
            );
        });
    }
    group.finish();

    let mut group = c.benchmark_group("stream_feed");
    group.throughput(Throughput::Elements(1));
    for family in &families {
        let Some((model_id, chunks, chosen)) = &family.stream else {
            continue;
        };
        let chunk = &chunks[*chosen];
        let mut live = rt.block_on(sandbox(&family.plugin));
        rt.block_on(async {
            live.start_stream(model_id).await?;
            for earlier in &chunks[..*chosen] {
                live.feed(earlier).await?;
            }
            Ok::<_, host::PluginError>(())
        })
        .unwrap_or_else(|error| panic!("{}: {error}", family.name));
        group.bench_function(BenchmarkId::new("component", family.name), |b| {
            b.iter_custom(|iters| time_async!(rt, iters, live.feed(chunk)));
        });
        let feed = (family.native.decoder)(model_id.clone());
        for earlier in &chunks[..*chosen] {
            let _ = feed(earlier.clone());
        }
        group.bench_function(BenchmarkId::new("native", family.name), |b| {
            b.iter_batched(|| chunk.clone(), &feed, BatchSize::SmallInput);
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = support::criterion();
    targets = boundary
}
criterion_main!(benches);
