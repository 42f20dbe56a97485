//! The recorded Bedrock traffic of the project's shared fixtures
//! (`tests/fixtures/bedrock`, in the repository; see its README and
//! SOURCES), read the way the host would hand it to an adapter: a 200
//! `InvokeModel` body as recorded, a 200 stream as the decoded `bytes` of
//! each chunk frame. The folder can be moved with `BEDROCK_HOST_FIXTURES`,
//! as for the host's end-to-end tests.
//!
//! Invariants: only successful exchanges are read (status 200; New Relic's
//! deliberately broken `Malformed ...` inputs and its corrupted stream are
//! left out); every exchange names where it comes from (`origin`: the file,
//! relative to the fixtures folder, and the interaction, key or record); a
//! fixture that cannot be read fails the test that asked for it, loudly.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::Value;

use crate::types::{AdapterError, Event, Output, Response, Usage};

/// Overrides where the recorded traffic is read from.
pub const FIXTURES_ENV: &str = "BEDROCK_HOST_FIXTURES";

/// The folders of VCR cassettes holding non-streamed exchanges.
const CASSETTE_DIRS: &[&str] = &["otel-python-contrib", "openllmetry", "dd-trace-py"];

/// New Relic's recorded bodies, as JSON.
const NEW_RELIC: &str =
    "newrelic-python-agent/_mock_external_bedrock_server_invoke_model.extracted.json";

/// langchaingo's recent bodies (Nova 2 and Claude 4.5 among them), as JSON.
const LANGCHAINGO: &str = "langchaingo/TestAmazonOutputLegacyAPI.selected-records.json";

/// Every recorded invocation; streams with their decoded frames.
const STREAM_INDEX: &str = "decoded/INDEX.json";

/// One recorded exchange with a model.
#[derive(Debug, Clone)]
pub struct Exchange<T> {
    /// Where it was recorded: the fixture file and the exchange in it.
    pub origin: String,
    /// The base model id (a cross-region profile or an ARN in the recorded
    /// path is cut down to it, as the host does).
    pub model_id: String,
    /// Bedrock's `X-Amzn-Bedrock-Input-Token-Count` and `-Output-` headers,
    /// when the recording kept them.
    pub token_headers: Option<Usage>,
    /// What Bedrock answered: a body, or a stream's chunks.
    pub recorded: T,
}

/// The fixtures folder: `$BEDROCK_HOST_FIXTURES`, else
/// `tests/fixtures/bedrock` in the repository. Panics, naming the
/// variable, when there is no recorded traffic there.
pub fn fixtures_dir() -> PathBuf {
    let dir = std::env::var_os(FIXTURES_ENV)
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/bedrock")
        });
    assert!(
        dir.join(STREAM_INDEX).is_file(),
        "no recorded Bedrock traffic at {} (set {FIXTURES_ENV} to the fixtures folder)",
        dir.display()
    );
    dir
}

/// Every recorded 200 `InvokeModel` body of a model whose id starts with
/// `provider` (`"amazon."`), from the cassettes, New Relic's bodies and
/// langchaingo's records, in that order.
pub fn bodies(provider: &str) -> Vec<Exchange<Vec<u8>>> {
    let root = fixtures_dir();
    let mut bodies = Vec::new();
    for dir in CASSETTE_DIRS {
        let mut files: Vec<PathBuf> = std::fs::read_dir(root.join(dir))
            .unwrap_or_else(|err| panic!("{dir}: {err}"))
            .map(|entry| entry.expect("a folder entry").path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "yaml"))
            .collect();
        files.sort();
        for file in files {
            bodies.extend(cassette_bodies(&root, &file, provider));
        }
    }
    bodies.extend(new_relic_bodies(&root, provider));
    bodies.extend(langchaingo_bodies(&root, provider));
    bodies
}

/// Every recorded 200 stream of a model whose id starts with `provider`
/// that has decodable frames, as the chunks the host feeds, in the order
/// of the stream index.
pub fn streams(provider: &str) -> Vec<Exchange<Vec<Vec<u8>>>> {
    let root = fixtures_dir();
    let index = read_json(&root.join(STREAM_INDEX));
    let mut streams = Vec::new();
    for entry in index.as_array().expect("the stream index is a list") {
        if entry["operation"] != "invoke-with-response-stream" || entry["status"] != 200 {
            continue;
        }
        let Some(model_id) = entry["model_id_in_path"]
            .as_str()
            .and_then(|id| base_model_id(id, provider))
        else {
            continue;
        };
        // New Relic's deliberately corrupted stream has no frames.
        let Some(frames) = entry["files"].as_array().and_then(|files| {
            files
                .iter()
                .filter_map(Value::as_str)
                .find(|file| file.ends_with(".frames.json"))
        }) else {
            continue;
        };
        let chunks = read_json(&root.join(frames))["frames"]
            .as_array()
            .unwrap_or_else(|| panic!("{frames}: no frames"))
            .iter()
            .map(|frame| {
                let bytes = frame["payload_json"]["bytes"]
                    .as_str()
                    .unwrap_or_else(|| panic!("{frames}: a frame without bytes"));
                BASE64
                    .decode(bytes)
                    .unwrap_or_else(|err| panic!("{frames}: {err}"))
            })
            .collect();
        streams.push(Exchange {
            origin: frames.to_owned(),
            model_id,
            token_headers: None,
            recorded: chunks,
        });
    }
    streams
}

/// The 200 bodies of one VCR cassette.
fn cassette_bodies(root: &Path, file: &Path, provider: &str) -> Vec<Exchange<Vec<u8>>> {
    let name = file
        .strip_prefix(root)
        .unwrap_or(file)
        .display()
        .to_string();
    let text = std::fs::read_to_string(file).unwrap_or_else(|err| panic!("{name}: {err}"));
    let cassette: serde_norway::Value =
        serde_norway::from_str(&text).unwrap_or_else(|err| panic!("{name}: not YAML: {err}"));
    let Some(interactions) = cassette
        .get("interactions")
        .and_then(serde_norway::Value::as_sequence)
    else {
        return Vec::new();
    };
    let mut bodies = Vec::new();
    for (index, interaction) in interactions.iter().enumerate() {
        let uri = interaction["request"]["uri"].as_str().unwrap_or_default();
        let Some(model_id) = invoked_id(uri).and_then(|id| base_model_id(id, provider)) else {
            continue;
        };
        let response = &interaction["response"];
        if response["status"]["code"].as_u64() != Some(200) {
            continue;
        }
        let origin = format!("{name}, interaction {index}");
        let body = response["body"]["string"]
            .as_str()
            .unwrap_or_else(|| panic!("{origin}: the 200 body is not text"));
        let headers = &response["headers"];
        bodies.push(Exchange {
            origin,
            model_id,
            token_headers: usage(
                header_count(headers, "X-Amzn-Bedrock-Input-Token-Count"),
                header_count(headers, "X-Amzn-Bedrock-Output-Token-Count"),
            ),
            recorded: body.as_bytes().to_vec(),
        });
    }
    bodies
}

/// New Relic's `RESPONSES`: `"<model id in path>::<prompt>"` →
/// `[headers, status, body as JSON]`.
fn new_relic_bodies(root: &Path, provider: &str) -> Vec<Exchange<Vec<u8>>> {
    let all = read_json(&root.join(NEW_RELIC));
    let responses = all["RESPONSES"]
        .as_object()
        .expect("New Relic's RESPONSES is an object");
    let mut bodies = Vec::new();
    for (key, entry) in responses {
        let Some((encoded, prompt)) = key.split_once("::") else {
            panic!("{NEW_RELIC}: the key {key} has no `::`");
        };
        let Some(model_id) = base_model_id(encoded, provider) else {
            continue;
        };
        // `Malformed ...` entries are New Relic's own broken test inputs.
        if entry[1] != 200 || prompt.starts_with("Malformed") {
            continue;
        }
        bodies.push(Exchange {
            origin: format!("{NEW_RELIC}, RESPONSES[{key}]"),
            model_id,
            token_headers: None,
            recorded: serde_json::to_vec(&entry[2]).expect("JSON serialises"),
        });
    }
    bodies
}

/// langchaingo's `records`, each with its request URL and response body.
fn langchaingo_bodies(root: &Path, provider: &str) -> Vec<Exchange<Vec<u8>>> {
    let all = read_json(&root.join(LANGCHAINGO));
    let records = all["records"]
        .as_array()
        .expect("langchaingo's records are a list");
    let mut bodies = Vec::new();
    for (index, record) in records.iter().enumerate() {
        let url = record["request"]["url"].as_str().unwrap_or_default();
        let Some(model_id) = invoked_id(url).and_then(|id| base_model_id(id, provider)) else {
            continue;
        };
        if record["response"]["status"] != 200 {
            continue;
        }
        let origin = format!("{LANGCHAINGO}, records[{index}]");
        let body = record["response"]["body"]
            .as_str()
            .unwrap_or_else(|| panic!("{origin}: the body is not text"));
        bodies.push(Exchange {
            origin,
            model_id,
            token_headers: None,
            recorded: body.as_bytes().to_vec(),
        });
    }
    bodies
}

fn read_json(path: &Path) -> Value {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|err| panic!("{}: not JSON: {err}", path.display()))
}

/// `https://host/model/<id>/invoke` → the id, percent-encoded.
fn invoked_id(uri: &str) -> Option<&str> {
    uri.split_once("/model/")?.1.strip_suffix("/invoke")
}

/// The base model id in a request path's (percent-encoded) id, when it is
/// one of `provider`'s: an ARN or a cross-region profile is cut down to it.
fn base_model_id(encoded: &str, provider: &str) -> Option<String> {
    let id = percent_decode(encoded);
    id.find(provider).map(|start| id[start..].to_owned())
}

/// `%3A` → `:` and the like.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|pair| {
            std::str::from_utf8(pair)
                .ok()
                .and_then(|pair| u8::from_str_radix(pair, 16).ok())
        });
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8(out).expect("a UTF-8 model id")
}

fn header_count(headers: &serde_norway::Value, name: &str) -> Option<u32> {
    headers.get(name)?.get(0)?.as_str()?.parse().ok()
}

fn usage(input_tokens: Option<u32>, output_tokens: Option<u32>) -> Option<Usage> {
    crate::wire::usage(input_tokens, output_tokens)
}

/// The text at `pointer` in `value`, or `""` when there is none.
pub fn text_at(value: &Value, pointer: &str) -> String {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// The token count at `pointer` in `value`: a whole number, written as an
/// integer or as a float (`28.0`, as Titan writes it under a guardrail).
pub fn count_at(value: &Value, pointer: &str) -> Option<u32> {
    let number = value.pointer(pointer)?.as_f64()?;
    (number.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&number))
        .then_some(number as u32)
}

/// Bedrock's own counts in a stream's last chunk
/// (`amazon-bedrock-invocationMetrics`).
pub fn invocation_metrics(chunks: &[Value]) -> Option<Usage> {
    let metrics = chunks.last()?.get("amazon-bedrock-invocationMetrics")?;
    usage(
        count_at(metrics, "/inputTokenCount"),
        count_at(metrics, "/outputTokenCount"),
    )
}

/// What an adapter made of an exchange, or what its recorded JSON says, in
/// one comparable shape: all the text joined in order, the raw stop value,
/// and the usage.
#[derive(Debug, Default, PartialEq)]
pub struct Answer {
    /// The text, joined.
    pub text: String,
    /// The stop value as sent.
    pub stop: Option<String>,
    /// The token counts.
    pub usage: Option<Usage>,
}

impl Answer {
    /// The answer of a parsed response; an image output is an error (these
    /// are text models' recordings).
    pub fn of_response(response: Response) -> Result<Answer, String> {
        let mut text = String::new();
        for output in response.outputs {
            match output {
                Output::Text(part) => text.push_str(&part),
                Output::Image(_) => return Err("an image from a text model".to_owned()),
            }
        }
        Ok(Answer {
            text,
            stop: response.stop.and_then(|stop| stop.raw),
            usage: response.usage,
        })
    }

    /// The answer of a recorded stream: `chunks` fed in order through
    /// `feed`, then `finish`, as [`decode`](super::decode) does.
    pub fn of_stream(
        chunks: &[Vec<u8>],
        feed: impl Fn(Vec<u8>) -> Result<Vec<Event>, AdapterError>,
        finish: impl FnOnce() -> Result<Vec<Event>, AdapterError>,
    ) -> Result<Answer, String> {
        let events = super::decode(chunks, feed, finish).map_err(|err| format!("{err:?}"))?;
        Answer::of_events(events)
    }

    /// The answer a stream's events add up to; a stream ends once, so a
    /// second stop or usage event is an error.
    pub fn of_events(events: Vec<Event>) -> Result<Answer, String> {
        let mut answer = Answer::default();
        let (mut stopped, mut counted) = (false, false);
        for event in events {
            match event {
                Event::Text(text) => answer.text.push_str(&text),
                Event::Stop(stop) if !stopped => {
                    stopped = true;
                    answer.stop = stop.raw;
                }
                Event::Usage(usage) if !counted => {
                    counted = true;
                    answer.usage = Some(usage);
                }
                other => return Err(format!("a second stop or usage event: {other:?}")),
            }
        }
        Ok(answer)
    }
}

/// Runs `check` on each recorded item, then asserts that none failed
/// (listing every failure) and that there were `expected` of them, the
/// number recorded when the test was written, so that a test cannot pass
/// by finding nothing.
pub fn check_all<I>(
    items: &[I],
    expected: usize,
    what: &str,
    check: impl Fn(&I) -> Result<(), String>,
) {
    let failures: Vec<String> = items.iter().filter_map(|item| check(item).err()).collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(items.len(), expected, "{what} checked");
}

/// The items of `exchanges` whose model `family` knows, with their family.
pub fn with_family<T, F>(
    exchanges: Vec<Exchange<T>>,
    family: impl Fn(&str) -> Option<F>,
) -> Vec<(F, Exchange<T>)> {
    exchanges
        .into_iter()
        .filter_map(|exchange| Some((family(&exchange.model_id)?, exchange)))
        .collect()
}
