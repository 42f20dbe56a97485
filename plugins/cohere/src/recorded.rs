//! Tests against real Bedrock traffic: every recorded 200 response and
//! stream of a Command or Command R model in the shared fixtures
//! (`shared/fixtures/bedrock`, see its README and SOURCES; the folder can be
//! moved with `BEDROCK_HOST_FIXTURES`) is parsed natively, and what the
//! adapter made of it is compared with what the raw JSON says: the text (a
//! stream's generations each kept whole, in generation order), the raw stop
//! reason, and no usage (no recorded Cohere body carries token counts).
//!
//! Invariant: the test cannot pass by finding nothing. It counts what it
//! checked against the number of recordings there were when it was written,
//! and every recorded stop reason must map to something other than `other`.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::Value;

use crate::bedrock::adapter::types::{Event, Output, Response, StopReason};
use crate::exports::bedrock::adapter::adapter::GuestStreamDecoder;
use crate::models::{self, Family};
use crate::stream::Decoder;
use crate::{response, stop};

use std::collections::BTreeMap;

/// Overrides where the recorded traffic is read from.
const FIXTURES_ENV: &str = "BEDROCK_HOST_FIXTURES";

/// The folders of VCR cassettes holding non-streamed exchanges.
const CASSETTE_DIRS: &[&str] = &["otel-python-contrib", "openllmetry", "dd-trace-py"];

/// New Relic's recorded bodies, as JSON.
const NEW_RELIC: &str =
    "newrelic-python-agent/_mock_external_bedrock_server_invoke_model.extracted.json";

/// Every recorded invocation; streams with their decoded frames.
const STREAM_INDEX: &str = "decoded/INDEX.json";

/// How many Command and Command R bodies and streams were recorded when
/// this test was written.
const RECORDED_BODIES: usize = 8;
const RECORDED_STREAMS: usize = 4;

/// One recorded exchange of a model this adapter serves.
struct Exchange<T> {
    origin: String,
    model_id: String,
    family: Family,
    recorded: T,
}

/// What the adapter made of an exchange, or what its JSON says.
#[derive(Debug, PartialEq)]
struct Answer {
    text: String,
    stop: Option<String>,
    /// Whether the adapter reported usage (it never should).
    usage: bool,
}

// ---------------------------------------------------------------------------
// Reading the recordings.

fn fixtures_dir() -> PathBuf {
    let dir = std::env::var_os(FIXTURES_ENV)
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/bedrock")
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

/// The base model id in a request path's id (an ARN or a cross-region
/// profile is cut down to it), with its family, if this adapter serves it.
fn served(encoded: &str) -> Option<(String, Family)> {
    let id = percent_decode(encoded);
    let base = &id[id.find("cohere.")?..];
    models::family(base).map(|family| (base.to_owned(), family))
}

/// `https://host/model/<id>/invoke` → the id, percent-encoded.
fn invoked_id(uri: &str) -> Option<&str> {
    uri.split_once("/model/")?.1.strip_suffix("/invoke")
}

fn recorded_bodies(root: &Path) -> Vec<Exchange<Vec<u8>>> {
    let mut bodies = Vec::new();
    for dir in CASSETTE_DIRS {
        let mut files: Vec<PathBuf> = std::fs::read_dir(root.join(dir))
            .unwrap_or_else(|e| panic!("{dir}: {e}"))
            .map(|entry| entry.expect("a folder entry").path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "yaml"))
            .collect();
        files.sort();
        for file in files {
            let text = std::fs::read_to_string(&file).expect("a readable cassette");
            let cassette: serde_norway::Value =
                serde_norway::from_str(&text).expect("a YAML cassette");
            let Some(interactions) = cassette.get("interactions").and_then(|i| i.as_sequence())
            else {
                continue;
            };
            for (index, interaction) in interactions.iter().enumerate() {
                let uri = interaction["request"]["uri"].as_str().unwrap_or_default();
                let Some((model_id, family)) = invoked_id(uri).and_then(served) else {
                    continue;
                };
                let response = &interaction["response"];
                if response["status"]["code"].as_u64() != Some(200) {
                    continue;
                }
                let body = response["body"]["string"]
                    .as_str()
                    .expect("a 200 body as text");
                bodies.push(Exchange {
                    origin: format!("{}, interaction {index}", file.display()),
                    model_id,
                    family,
                    recorded: body.as_bytes().to_vec(),
                });
            }
        }
    }
    let new_relic = read_json(&root.join(NEW_RELIC));
    for (key, entry) in new_relic["RESPONSES"].as_object().expect("RESPONSES") {
        let (encoded, prompt) = key.split_once("::").expect("`id::prompt`");
        // `Malformed ...` entries are New Relic's own broken test inputs.
        let Some((model_id, family)) = served(encoded) else {
            continue;
        };
        if entry[1] != 200 || prompt.starts_with("Malformed") {
            continue;
        }
        bodies.push(Exchange {
            origin: format!("{NEW_RELIC} {key}"),
            model_id,
            family,
            recorded: serde_json::to_vec(&entry[2]).expect("JSON"),
        });
    }
    bodies
}

/// Every decodable 200 stream, as the chunks the host feeds.
fn recorded_streams(root: &Path) -> Vec<Exchange<Vec<Vec<u8>>>> {
    let mut streams = Vec::new();
    for entry in read_json(&root.join(STREAM_INDEX))
        .as_array()
        .expect("the index is a list")
    {
        if entry["operation"] != "invoke-with-response-stream" || entry["status"] != 200 {
            continue;
        }
        let Some((model_id, family)) = entry["model_id_in_path"].as_str().and_then(served) else {
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
            .expect("frames")
            .iter()
            .map(|frame| {
                let bytes = frame["payload_json"]["bytes"].as_str().expect("bytes");
                BASE64.decode(bytes).expect("base64")
            })
            .collect();
        streams.push(Exchange {
            origin: frames.to_owned(),
            model_id,
            family,
            recorded: chunks,
        });
    }
    streams
}

// ---------------------------------------------------------------------------
// What the recorded JSON says.

fn text_at(value: &Value, pointer: &str) -> String {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

fn finish_reason(value: &Value) -> Option<String> {
    value["finish_reason"].as_str().map(str::to_owned)
}

fn expected_body(family: Family, body: &Value) -> Answer {
    match family {
        Family::Command => {
            let generations = body["generations"].as_array().expect("generations");
            Answer {
                text: generations.iter().map(|g| text_at(g, "/text")).collect(),
                stop: finish_reason(&generations[0]),
                usage: false,
            }
        }
        Family::CommandR => Answer {
            text: text_at(body, "/text"),
            stop: finish_reason(body),
            usage: false,
        },
    }
}

/// A stream's text is each generation's text whole, in generation order.
fn expected_stream(chunks: &[Value]) -> Answer {
    let mut by_generation: BTreeMap<u64, String> = BTreeMap::new();
    let mut stop = None;
    for chunk in chunks {
        if let Some(generations) = chunk["generations"].as_array() {
            for (index, generation) in (0..).zip(generations) {
                by_generation.insert(index, text_at(generation, "/text"));
            }
            stop = stop.or_else(|| finish_reason(&generations[0]));
        } else if let Some(event_type) = chunk["event_type"].as_str() {
            match event_type {
                "text-generation" => {
                    *by_generation.entry(0).or_default() += &text_at(chunk, "/text");
                }
                "stream-end" => stop = stop.or_else(|| finish_reason(chunk)),
                _ => {}
            }
        } else if chunk["is_finished"] == true {
            stop = stop.or_else(|| finish_reason(chunk));
        } else {
            let index = chunk["index"].as_u64().unwrap_or(0);
            *by_generation.entry(index).or_default() += &text_at(chunk, "/text");
        }
    }
    Answer {
        text: by_generation.into_values().collect(),
        stop,
        usage: false,
    }
}

// ---------------------------------------------------------------------------
// What the adapter made of it.

fn answer_of_response(response: Response) -> Answer {
    let text = response
        .outputs
        .into_iter()
        .map(|output| match output {
            Output::Text(text) => text,
            Output::Image(_) => panic!("an image from a text model"),
        })
        .collect();
    Answer {
        text,
        stop: response.stop.and_then(|stop| stop.raw),
        usage: response.usage.is_some(),
    }
}

fn answer_of_stream(model_id: &str, chunks: &[Vec<u8>]) -> Result<Answer, String> {
    let decoder = Decoder::new(model_id.to_owned());
    let mut events = Vec::new();
    for (index, chunk) in chunks.iter().enumerate() {
        events.extend(
            decoder
                .feed(chunk.clone())
                .map_err(|e| format!("chunk {index}: {e:?}"))?,
        );
    }
    events.extend(decoder.finish().map_err(|e| format!("finish: {e:?}"))?);
    let mut answer = Answer {
        text: String::new(),
        stop: None,
        usage: false,
    };
    for event in events {
        match event {
            Event::Text(text) => answer.text += &text,
            Event::Stop(stop) if answer.stop.is_none() => answer.stop = stop.raw,
            Event::Usage(_) => answer.usage = true,
            Event::Stop(stop) => return Err(format!("a second stop event: {stop:?}")),
        }
    }
    Ok(answer)
}

/// Every recorded stop reason is one the adapter understands.
fn understood(raw: Option<&str>) -> bool {
    raw.is_none_or(|raw| stop::from_finish_reason(raw).reason != StopReason::Other)
}

#[test]
fn every_recorded_body_parses_as_recorded() {
    let bodies = recorded_bodies(&fixtures_dir());
    let mut failures = Vec::new();
    for exchange in &bodies {
        let json: Value = serde_json::from_slice(&exchange.recorded).expect("recorded JSON");
        let expected = expected_body(exchange.family, &json);
        let actual =
            response::parse(&exchange.model_id, &exchange.recorded).map(answer_of_response);
        if actual.as_ref() != Ok(&expected) || !understood(expected.stop.as_deref()) {
            failures.push(format!(
                "{} ({}):\n  adapter:  {actual:?}\n  recorded: {expected:?}",
                exchange.origin, exchange.model_id
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(bodies.len(), RECORDED_BODIES, "recorded bodies checked");
}

#[test]
fn every_recorded_stream_decodes_as_recorded() {
    let streams = recorded_streams(&fixtures_dir());
    let mut failures = Vec::new();
    for exchange in &streams {
        let chunks: Vec<Value> = exchange
            .recorded
            .iter()
            .map(|chunk| serde_json::from_slice(chunk).expect("recorded JSON"))
            .collect();
        let expected = expected_stream(&chunks);
        let actual = answer_of_stream(&exchange.model_id, &exchange.recorded);
        if actual.as_ref() != Ok(&expected) || !understood(expected.stop.as_deref()) {
            failures.push(format!(
                "{} ({}):\n  adapter:  {actual:?}\n  recorded: {expected:?}",
                exchange.origin, exchange.model_id
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(streams.len(), RECORDED_STREAMS, "recorded streams checked");
}
