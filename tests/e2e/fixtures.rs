//! Recorded Bedrock traffic through the real plugins. Every 200 response and
//! stream in the shared fixtures (`shared/fixtures/bedrock`, see its
//! README) whose model id routes to an installed plugin is run through that
//! plugin's `.wasm`, fed as the host feeds it (the body as recorded; for a
//! stream, each frame's base64 `bytes` decoded), and what the plugin made of
//! it is compared with what the raw recorded JSON says, worked out here by
//! the plugin family's own expectation function in `FAMILIES`.
//!
//! Invariant: nothing that routes to a plugin goes unchecked. An exchange
//! whose plugin has no entry in `FAMILIES` fails the test, and each entry
//! states how many exchanges of each kind it must check, so the test cannot
//! pass by finding nothing. Exchanges no installed plugin serves are skipped
//! and counted.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use bedrock_host::model_id::ModelId;
use bedrock_host::plugin::{
    CompileCache, Event, LoadedPlugin, Output, PluginRegistry, PluginRuntime, PluginSources,
    Response, RouteError, SandboxLimits, StopReason,
};
use serde::Deserialize;
use serde_json::Value;

use crate::support::plugins_dir;

/// Overrides where the recorded traffic is read from.
const FIXTURES_ENV: &str = "BEDROCK_HOST_FIXTURES";

/// The folders of VCR cassettes holding non-streamed exchanges.
const CASSETTE_DIRS: &[&str] = &["otel-python-contrib", "openllmetry", "dd-trace-py"];

/// New Relic's response bodies and streams, as JSON.
const NEW_RELIC: &str =
    "newrelic-python-agent/_mock_external_bedrock_server_invoke_model.extracted.json";

/// The recent non-streamed langchaingo responses, as JSON.
const LANGCHAINGO: &str = "langchaingo/TestAmazonOutputLegacyAPI.selected-records.json";

/// The list of every recorded invocation, streams with their decoded frames.
const STREAM_INDEX: &str = "decoded/INDEX.json";

// ---------------------------------------------------------------------------
// What a plugin made of an exchange, in one comparable shape.

/// A stop reason with the raw value beside it.
#[derive(Debug, PartialEq)]
struct Ending {
    reason: StopReason,
    raw: Option<String>,
}

/// Input and output token counts.
#[derive(Debug, PartialEq)]
struct Counts {
    input: u32,
    output: u32,
}

/// An answer: all its text joined in order, how many images, why it
/// stopped and what it cost. Both the plugin's result and the expectation
/// are put in this shape.
#[derive(Debug, PartialEq)]
struct Answer {
    text: String,
    images: usize,
    stop: Option<Ending>,
    usage: Option<Counts>,
}

impl Answer {
    fn of_response(response: Response) -> Self {
        let mut answer = Self::empty();
        for output in response.outputs {
            match output {
                Output::Text(text) => answer.text.push_str(&text),
                Output::Image(_) => answer.images += 1,
            }
        }
        answer.stop = response.stop.map(|stop| Ending {
            reason: stop.reason,
            raw: stop.raw,
        });
        answer.usage = response.usage.map(|usage| Counts {
            input: usage.input_tokens,
            output: usage.output_tokens,
        });
        answer
    }

    /// The answer a stream's events add up to; a stream ends once, so a
    /// second stop or usage event is an error.
    fn of_events(events: Vec<Event>) -> Result<Self, String> {
        let mut answer = Self::empty();
        for event in events {
            match event {
                Event::Text(text) => answer.text.push_str(&text),
                Event::Stop(stop) => {
                    let ending = Ending {
                        reason: stop.reason,
                        raw: stop.raw,
                    };
                    if let Some(first) = answer.stop.replace(ending) {
                        return Err(format!("a second stop event, after {first:?}"));
                    }
                }
                Event::Usage(usage) => {
                    let counts = Counts {
                        input: usage.input_tokens,
                        output: usage.output_tokens,
                    };
                    if let Some(first) = answer.usage.replace(counts) {
                        return Err(format!("a second usage event, after {first:?}"));
                    }
                }
            }
        }
        Ok(answer)
    }

    fn empty() -> Self {
        Self {
            text: String::new(),
            images: 0,
            stop: None,
            usage: None,
        }
    }
}

// ---------------------------------------------------------------------------
// The expectation functions, one entry per plugin family.

/// How to check one plugin against recorded traffic.
struct Family {
    /// The plugin's name, as it describes itself.
    plugin: &'static str,
    /// The answer a non-streamed body holds.
    body: fn(&Value) -> Result<Answer, String>,
    /// The answer a stream's chunks (model JSON, in order) add up to.
    stream: fn(&[Value]) -> Result<Answer, String>,
    /// How many recorded bodies and streams must be checked at least: the
    /// numbers in the fixtures when the entry was written.
    min_bodies: usize,
    min_streams: usize,
}

const FAMILIES: &[Family] = &[Family {
    plugin: "anthropic",
    body: anthropic::body,
    stream: anthropic::stream,
    min_bodies: 23,
    min_streams: 16,
}];

fn family(plugin: &str) -> Option<&'static Family> {
    FAMILIES.iter().find(|family| family.plugin == plugin)
}

/// Claude on Bedrock, in both shapes (Messages API and text completions),
/// as `plugins/anthropic/README.md` says the plugin reads them.
mod anthropic {
    use serde_json::Value;

    use super::{Answer, Counts, Ending, StopReason, field_str, field_u32};

    /// The stop sequence text completions end a turn with.
    const HUMAN_TURN: &str = "\n\nHuman:";

    pub fn body(body: &Value) -> Result<Answer, String> {
        if body.get("completion").is_some() {
            return Ok(Answer {
                text: field_str(body, "/completion")?.to_owned(),
                images: 0,
                stop: completion_stop(body)?,
                usage: None,
            });
        }
        let blocks = body["content"]
            .as_array()
            .ok_or("a message without a `content` list")?;
        let mut text = String::new();
        for block in blocks.iter().filter(|block| block["type"] == "text") {
            text.push_str(field_str(block, "/text")?);
        }
        let usage = match (
            body.pointer("/usage/input_tokens"),
            body.pointer("/usage/output_tokens"),
        ) {
            (Some(_), Some(_)) => Some(Counts {
                input: field_u32(body, "/usage/input_tokens")?,
                output: field_u32(body, "/usage/output_tokens")?,
            }),
            _ => None,
        };
        Ok(Answer {
            text,
            images: 0,
            stop: body["stop_reason"].as_str().map(messages_stop),
            usage,
        })
    }

    pub fn stream(chunks: &[Value]) -> Result<Answer, String> {
        let mut answer = Answer::empty();
        let mut input = None;
        for chunk in chunks {
            if chunk.get("completion").is_some() {
                answer.text.push_str(field_str(chunk, "/completion")?);
                answer.stop = completion_stop(chunk)?.or(answer.stop);
                continue;
            }
            match chunk["type"].as_str() {
                Some("message_start") => {
                    input = Some(field_u32(chunk, "/message/usage/input_tokens")?)
                }
                Some("content_block_start") if chunk["content_block"]["type"] == "text" => {
                    answer
                        .text
                        .push_str(field_str(chunk, "/content_block/text")?);
                }
                Some("content_block_delta") if chunk["delta"]["type"] == "text_delta" => {
                    answer.text.push_str(field_str(chunk, "/delta/text")?);
                }
                Some("message_delta") => {
                    answer.stop = chunk["delta"]["stop_reason"].as_str().map(messages_stop);
                    if chunk.pointer("/usage/output_tokens").is_some() {
                        let output = field_u32(chunk, "/usage/output_tokens")?;
                        let input = input.ok_or("`message_delta` before `message_start`")?;
                        answer.usage = Some(Counts { input, output });
                    }
                }
                _ => {}
            }
        }
        if let Some(usage) = &answer.usage {
            agrees_with_metrics(usage, chunks)?;
        }
        Ok(answer)
    }

    /// The plugin's usage comes from the body. Its input count is Bedrock's
    /// own (the README: cache tokens are not added), so it must equal the
    /// last chunk's `amazon-bedrock-invocationMetrics`. The output counts
    /// agree too, except in streams with a tool call, where Bedrock's metrics
    /// were recorded lower than the body's count and the body wins.
    fn agrees_with_metrics(usage: &Counts, chunks: &[Value]) -> Result<(), String> {
        let Some(metrics) = chunks
            .last()
            .and_then(|last| last.get("amazon-bedrock-invocationMetrics"))
        else {
            return Ok(());
        };
        let input = field_u32(metrics, "/inputTokenCount")?;
        let output = field_u32(metrics, "/outputTokenCount")?;
        let calls_tools = chunks.iter().any(|chunk| {
            chunk.pointer("/content_block/type").and_then(Value::as_str) == Some("tool_use")
        });
        if usage.input != input || (usage.output != output && !calls_tools) {
            return Err(format!(
                "the body's usage {usage:?} disagrees with the invocation metrics {metrics}"
            ));
        }
        Ok(())
    }

    fn messages_stop(raw: &str) -> Ending {
        let reason = match raw {
            "end_turn" => StopReason::EndTurn,
            "max_tokens" | "model_context_window_exceeded" => StopReason::MaxTokens,
            "stop_sequence" => StopReason::StopSequence,
            "tool_use" => StopReason::ToolUse,
            "refusal" => StopReason::ContentFiltered,
            _ => StopReason::Other,
        };
        Ending {
            reason,
            raw: Some(raw.to_owned()),
        }
    }

    /// A text completion stopped by the built-in `"\n\nHuman:"` ended its
    /// turn; otherwise its stop reason reads as a Messages one.
    fn completion_stop(chunk: &Value) -> Result<Option<Ending>, String> {
        let Some(raw) = chunk["stop_reason"].as_str() else {
            return Ok(None);
        };
        if raw == "stop_sequence" && chunk["stop"] == HUMAN_TURN {
            return Ok(Some(Ending {
                reason: StopReason::EndTurn,
                raw: Some(raw.to_owned()),
            }));
        }
        Ok(Some(messages_stop(raw)))
    }
}

/// The string at `pointer`, or why there is none.
fn field_str<'a>(value: &'a Value, pointer: &str) -> Result<&'a str, String> {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("no string at `{pointer}` in {value}"))
}

/// The token count at `pointer`, or why there is none.
fn field_u32(value: &Value, pointer: &str) -> Result<u32, String> {
    value
        .pointer(pointer)
        .and_then(Value::as_u64)
        .and_then(|n| u32::try_from(n).ok())
        .ok_or_else(|| format!("no token count at `{pointer}` in {value}"))
}

// ---------------------------------------------------------------------------
// Reading the recordings.

/// One recorded 200 exchange.
struct Exchange<T> {
    /// The fixture file and the interaction in it, for failure messages.
    origin: String,
    /// The model id as it was in the request path, percent-decoded.
    model_id: String,
    /// The body bytes, or the stream's chunks of model JSON.
    recorded: T,
}

fn fixtures_dir() -> PathBuf {
    let dir = std::env::var_os(FIXTURES_ENV)
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures/bedrock")
        });
    assert!(
        dir.join(STREAM_INDEX).is_file(),
        "no recorded Bedrock traffic at {} (set {FIXTURES_ENV} to the fixtures folder)",
        dir.display()
    );
    dir
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: not JSON: {e}", path.display()))
}

/// `https://host/model/<id>/<operation>` → the decoded id and the operation.
fn model_in_path(uri: &str) -> Option<(String, &str)> {
    let (_, rest) = uri.split_once("/model/")?;
    let (id, operation) = rest.rsplit_once('/')?;
    let id = percent_encoding::percent_decode_str(id)
        .decode_utf8()
        .ok()?;
    Some((id.into_owned(), operation))
}

/// A VCR cassette, as far as this test reads it.
#[derive(Deserialize)]
struct Cassette {
    interactions: Vec<Interaction>,
}

#[derive(Deserialize)]
struct Interaction {
    request: CassetteRequest,
    response: CassetteResponse,
}

#[derive(Deserialize)]
struct CassetteRequest {
    uri: String,
}

#[derive(Deserialize)]
struct CassetteResponse {
    status: CassetteStatus,
    /// `{string: ...}`; streams hold `!!binary` there, and a few errors none.
    body: Option<serde_norway::Value>,
}

#[derive(Deserialize)]
struct CassetteStatus {
    code: u16,
}

/// Every non-streamed 200 body: the cassettes, New Relic's, langchaingo's.
fn recorded_bodies(root: &Path) -> Vec<Exchange<Vec<u8>>> {
    let mut bodies = Vec::new();
    for dir in CASSETTE_DIRS {
        let mut files: Vec<PathBuf> = std::fs::read_dir(root.join(dir))
            .unwrap_or_else(|e| panic!("{dir}: {e}"))
            .map(|entry| entry.expect("a readable folder entry").path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "yaml"))
            .collect();
        files.sort();
        for file in files {
            bodies.extend(cassette_bodies(root, &file));
        }
    }
    bodies.extend(new_relic_bodies(root));
    bodies.extend(langchaingo_bodies(root));
    bodies
}

fn cassette_bodies(root: &Path, file: &Path) -> Vec<Exchange<Vec<u8>>> {
    let name = file
        .strip_prefix(root)
        .unwrap_or(file)
        .display()
        .to_string();
    let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{name}: {e}"));
    let cassette: Cassette =
        serde_norway::from_str(&text).unwrap_or_else(|e| panic!("{name}: not a cassette: {e}"));
    let mut bodies = Vec::new();
    for (index, interaction) in cassette.interactions.into_iter().enumerate() {
        let origin = format!("{name}, interaction {index}");
        let Some((model_id, "invoke")) = model_in_path(&interaction.request.uri) else {
            continue;
        };
        if interaction.response.status.code != 200 {
            continue;
        }
        let body = interaction
            .response
            .body
            .as_ref()
            .and_then(|body| body.get("string"))
            .and_then(serde_norway::Value::as_str)
            .unwrap_or_else(|| panic!("{origin}: the 200 body is not text"));
        bodies.push(Exchange {
            origin,
            model_id,
            recorded: body.as_bytes().to_vec(),
        });
    }
    bodies
}

/// New Relic's `RESPONSES`: `"<model id in path>::<prompt>"` →
/// `[headers, status, body as JSON]`. Its `Malformed Body` entries are
/// New Relic's own deliberately broken test inputs, not recordings.
fn new_relic_bodies(root: &Path) -> Vec<Exchange<Vec<u8>>> {
    let all = read_json(&root.join(NEW_RELIC));
    let responses = all["RESPONSES"]
        .as_object()
        .expect("New Relic's RESPONSES is an object");
    let mut bodies = Vec::new();
    for (key, entry) in responses {
        let origin = format!("{NEW_RELIC}, RESPONSES[{key:?}]");
        let (encoded, prompt) = key
            .split_once("::")
            .unwrap_or_else(|| panic!("{origin}: no `::`"));
        if entry[1] != 200 || prompt.starts_with("Malformed") {
            continue;
        }
        let model_id = percent_encoding::percent_decode_str(encoded)
            .decode_utf8()
            .unwrap_or_else(|e| panic!("{origin}: {e}"))
            .into_owned();
        let body = serde_json::to_vec(&entry[2]).expect("JSON serialises");
        bodies.push(Exchange {
            origin,
            model_id,
            recorded: body,
        });
    }
    bodies
}

fn langchaingo_bodies(root: &Path) -> Vec<Exchange<Vec<u8>>> {
    let all = read_json(&root.join(LANGCHAINGO));
    let records = all["records"]
        .as_array()
        .expect("langchaingo's records are a list");
    let mut bodies = Vec::new();
    for (index, record) in records.iter().enumerate() {
        let origin = format!("{LANGCHAINGO}, records[{index}]");
        let url = field_str(record, "/request/url").unwrap_or_else(|e| panic!("{origin}: {e}"));
        let Some((model_id, "invoke")) = model_in_path(url) else {
            continue;
        };
        if record["response"]["status"] != 200 {
            continue;
        }
        let body = field_str(record, "/response/body").unwrap_or_else(|e| panic!("{origin}: {e}"));
        bodies.push(Exchange {
            origin,
            model_id,
            recorded: body.as_bytes().to_vec(),
        });
    }
    bodies
}

/// What reading the stream index found.
struct Streams {
    streams: Vec<Exchange<Vec<Vec<u8>>>>,
    /// Recorded streams whose bytes do not decode (New Relic's deliberately
    /// corrupted `Malformed Streaming Chunk`): nothing to feed a plugin.
    undecodable: Vec<String>,
}

/// Every 200 stream in `decoded/INDEX.json`, as the chunks the host feeds.
fn recorded_streams(root: &Path) -> Streams {
    let index = read_json(&root.join(STREAM_INDEX));
    let mut found = Streams {
        streams: Vec::new(),
        undecodable: Vec::new(),
    };
    for entry in index.as_array().expect("the index is a list") {
        if entry["operation"] != "invoke-with-response-stream" || entry["status"] != 200 {
            continue;
        }
        let file = entry["source_file"].as_str().unwrap_or("an unnamed source");
        let source = match (entry.get("interaction"), entry.get("key")) {
            (Some(interaction), _) => format!("{file}, interaction {interaction}"),
            (None, Some(key)) => format!("{file}, {key}"),
            (None, None) => file.to_owned(),
        };
        let frames = entry["files"].as_array().and_then(|files| {
            files
                .iter()
                .filter_map(Value::as_str)
                .find(|f| f.ends_with(".frames.json"))
        });
        let Some(frames) = frames else {
            assert!(
                entry.get("decode_error").is_some(),
                "{source}: a 200 stream without frames"
            );
            found.undecodable.push(source);
            continue;
        };
        let origin = format!("{frames} (from {source})");
        let encoded =
            field_str(entry, "/model_id_in_path").unwrap_or_else(|e| panic!("{origin}: {e}"));
        let model_id = percent_encoding::percent_decode_str(encoded)
            .decode_utf8()
            .unwrap_or_else(|e| panic!("{origin}: {e}"))
            .into_owned();
        let chunks = stream_chunks(&root.join(frames)).unwrap_or_else(|e| panic!("{origin}: {e}"));
        found.streams.push(Exchange {
            origin,
            model_id,
            recorded: chunks,
        });
    }
    found
}

/// The model JSON of each chunk frame: what the host hands `feed`.
fn stream_chunks(path: &Path) -> Result<Vec<Vec<u8>>, String> {
    let frames = read_json(path);
    let frames = frames["frames"].as_array().ok_or("no `frames` list")?;
    frames
        .iter()
        .enumerate()
        .map(|(index, frame)| {
            let kind = (
                frame["headers"][":message-type"].as_str(),
                frame["headers"][":event-type"].as_str(),
            );
            if kind != (Some("event"), Some("chunk")) {
                return Err(format!(
                    "frame {index} is not a chunk event: {}",
                    frame["headers"]
                ));
            }
            let bytes = field_str(frame, "/payload_json/bytes")?;
            base64::engine::general_purpose::STANDARD
                .decode(bytes)
                .map_err(|e| format!("frame {index}: `bytes` is not base64: {e}"))
        })
        .collect()
}

// ---------------------------------------------------------------------------
// Running the plugins.

async fn registry() -> PluginRegistry {
    let runtime =
        PluginRuntime::new(SandboxLimits::default(), CompileCache::disabled()).expect("engine");
    let registry = PluginRegistry::load(&PluginSources::only(vec![plugins_dir()]), &runtime).await;
    assert!(
        registry.failures().is_empty(),
        "plugins failed to load: {:?}",
        registry.failures()
    );
    registry
}

async fn parse_body(plugin: &LoadedPlugin, model: &str, body: &[u8]) -> Result<Answer, String> {
    let mut sandbox = plugin.sandbox().await.map_err(|e| e.to_string())?;
    let response = sandbox
        .parse_response(model, body)
        .await
        .map_err(|e| e.to_string())?;
    Ok(Answer::of_response(response))
}

async fn decode_stream(
    plugin: &LoadedPlugin,
    model: &str,
    chunks: &[Vec<u8>],
) -> Result<Answer, String> {
    let mut sandbox = plugin.sandbox().await.map_err(|e| e.to_string())?;
    sandbox
        .start_stream(model)
        .await
        .map_err(|e| e.to_string())?;
    let mut events = Vec::new();
    for (index, chunk) in chunks.iter().enumerate() {
        events.extend(
            sandbox
                .feed(chunk)
                .await
                .map_err(|e| format!("chunk {index}: {e}"))?,
        );
    }
    events.extend(sandbox.finish().await.map_err(|e| e.to_string())?);
    Answer::of_events(events)
}

fn as_json(bytes: &[u8]) -> Result<Value, String> {
    serde_json::from_slice(bytes).map_err(|e| format!("the recorded JSON does not parse: {e}"))
}

/// What a run found: checks per plugin, skips, and what went wrong.
#[derive(Default)]
struct Tally {
    checked: BTreeMap<String, usize>,
    skipped: Vec<String>,
    failures: Vec<String>,
}

impl Tally {
    /// The plugin, base model id and family to check an exchange with; `None`
    /// when it is skipped (no installed plugin serves it, or its id names no
    /// model by itself) or has failed already (ambiguous, or no family).
    fn route<'r, T>(
        &mut self,
        registry: &'r PluginRegistry,
        exchange: &Exchange<T>,
    ) -> Option<(&'r LoadedPlugin, String, &'static Family)> {
        let Ok(id) = ModelId::parse(&exchange.model_id) else {
            self.skipped
                .push(format!("{} ({})", exchange.origin, exchange.model_id));
            return None;
        };
        let plugin = match registry.route(id.base()) {
            Ok(plugin) => plugin,
            Err(RouteError::NoMatch { .. }) => {
                self.skipped
                    .push(format!("{} ({})", exchange.origin, exchange.model_id));
                return None;
            }
            Err(ambiguous) => {
                self.failures
                    .push(format!("{}: {ambiguous}", exchange.origin));
                return None;
            }
        };
        let Some(family) = family(plugin.name()) else {
            self.outcome(
                plugin.name(),
                &exchange.origin,
                Err(format!(
                    "routes to plugin `{}`, which has no entry in FAMILIES (tests/e2e/fixtures.rs): \
                     add its expectation function",
                    plugin.name()
                )),
            );
            return None;
        };
        Some((plugin, id.base().to_owned(), family))
    }

    fn outcome(&mut self, plugin: &str, origin: &str, result: Result<(), String>) {
        *self.checked.entry(plugin.to_owned()).or_default() += 1;
        if let Err(failure) = result {
            self.failures
                .push(format!("{origin} [{plugin}]: {failure}"));
        }
    }

    /// Fails on any mismatch, and unless each family checked its minimum.
    fn assert_all_good(&self, kind: &str, minimum: fn(&Family) -> usize) {
        eprintln!(
            "{kind}: checked {:?}; skipped {}: {:#?}",
            self.checked,
            self.skipped.len(),
            self.skipped
        );
        assert!(
            self.failures.is_empty(),
            "{} recorded {kind} did not come out as recorded:\n{}",
            self.failures.len(),
            self.failures.join("\n")
        );
        for family in FAMILIES {
            let checked = self.checked.get(family.plugin).copied().unwrap_or(0);
            assert!(
                checked >= minimum(family),
                "plugin `{}`: only {checked} recorded {kind} checked, expected at least {}",
                family.plugin,
                minimum(family)
            );
        }
    }
}

fn compare(actual: Result<Answer, String>, expected: Result<Answer, String>) -> Result<(), String> {
    let expected = expected.map_err(|e| format!("cannot work out the expected answer: {e}"))?;
    let actual = actual.map_err(|e| format!("the plugin failed: {e}"))?;
    if actual == expected {
        Ok(())
    } else {
        Err(format!(
            "\n  plugin:   {actual:?}\n  recorded: {expected:?}"
        ))
    }
}

#[tokio::test]
async fn every_recorded_response_parses_as_its_body_says() {
    let registry = registry().await;
    let mut tally = Tally::default();
    for exchange in recorded_bodies(&fixtures_dir()) {
        let Some((plugin, model, family)) = tally.route(&registry, &exchange) else {
            continue;
        };
        let expected = as_json(&exchange.recorded).and_then(|body| (family.body)(&body));
        let actual = parse_body(plugin, &model, &exchange.recorded).await;
        tally.outcome(plugin.name(), &exchange.origin, compare(actual, expected));
    }
    tally.assert_all_good("bodies", |family| family.min_bodies);
}

#[tokio::test]
async fn every_recorded_stream_decodes_as_its_chunks_say() {
    let registry = registry().await;
    let mut tally = Tally::default();
    let found = recorded_streams(&fixtures_dir());
    tally.skipped.extend(
        found
            .undecodable
            .iter()
            .map(|source| format!("{source} (undecodable)")),
    );
    for exchange in found.streams {
        let Some((plugin, model, family)) = tally.route(&registry, &exchange) else {
            continue;
        };
        let chunks: Result<Vec<Value>, String> = exchange
            .recorded
            .iter()
            .map(|chunk| as_json(chunk))
            .collect();
        let expected = chunks.and_then(|chunks| (family.stream)(&chunks));
        let actual = decode_stream(plugin, &model, &exchange.recorded).await;
        tally.outcome(plugin.name(), &exchange.origin, compare(actual, expected));
    }
    tally.assert_all_good("streams", |family| family.min_streams);
}
