//! Reading the recorded traffic: every 200 `InvokeModel` body as recorded
//! and every 200 stream as the decoded `bytes` of its chunk frames, which is
//! what the host hands an adapter; and, for the local Bedrock's shape
//! checks, one cassette's or one stream's JSON by name. The folder is
//! `tests/fixtures/bedrock` unless `BEDROCK_HOST_FIXTURES` names another.
//!
//! Invariants: only successful exchanges of `InvokeModel` and
//! `InvokeModelWithResponseStream` are read (New Relic's deliberately broken
//! `Malformed ...` inputs are left out, and its corrupted stream is listed
//! as undecodable, not fed); every exchange names where it comes from (the
//! file relative to the fixtures folder, and the interaction, key or record
//! in it); a fixture that cannot be read panics, naming it, in the test that
//! asked for it.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::Value;

use crate::answer::Counts;

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
    /// The model id of the request path, percent-decoded: a base id, a
    /// cross-region profile or an ARN, as the client sent it.
    pub model_id: String,
    /// Bedrock's `X-Amzn-Bedrock-Input-Token-Count` and `-Output-` headers,
    /// when the recording kept them.
    pub token_headers: Option<Counts>,
    /// What Bedrock answered: a body, or a stream's chunks of model JSON.
    pub recorded: T,
}

impl<T> Exchange<T> {
    /// The base model id, when the model is one of `provider`'s
    /// (`"amazon."`): a profile or an ARN is cut down to it.
    pub fn base_model_id(&self, provider: &str) -> Option<&str> {
        let start = self.model_id.find(provider)?;
        Some(&self.model_id[start..])
    }
}

/// What reading the stream index found.
pub struct Streams {
    /// Every decodable 200 stream, in the order of the index.
    pub streams: Vec<Exchange<Vec<Vec<u8>>>>,
    /// Recorded 200 streams whose bytes do not decode (New Relic's
    /// deliberately corrupted `Malformed Streaming Chunk`): nothing to feed.
    pub undecodable: Vec<String>,
}

/// The fixtures folder: `$BEDROCK_HOST_FIXTURES`, else
/// `tests/fixtures/bedrock` in the repository. Panics, naming the
/// variable, when there is no recorded traffic there.
pub fn fixtures_dir() -> PathBuf {
    let dir = std::env::var_os(FIXTURES_ENV)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures/bedrock"));
    assert!(
        dir.join(STREAM_INDEX).is_file(),
        "no recorded Bedrock traffic at {} (set {FIXTURES_ENV} to the fixtures folder)",
        dir.display()
    );
    dir
}

/// Every recorded 200 `InvokeModel` body: the cassettes, New Relic's
/// bodies and langchaingo's records, in that order.
pub fn bodies() -> Vec<Exchange<Vec<u8>>> {
    let root = fixtures_dir();
    let mut bodies = Vec::new();
    for dir in CASSETTE_DIRS {
        for file in cassettes(&root, dir) {
            bodies.extend(cassette_bodies(&root, &file));
        }
    }
    bodies.extend(new_relic_bodies(&root));
    bodies.extend(langchaingo_bodies(&root));
    bodies
}

/// Every recorded 200 stream in the stream index, as the chunks the host
/// feeds.
pub fn streams() -> Streams {
    let root = fixtures_dir();
    let index = read_json(&root.join(STREAM_INDEX));
    let mut found = Streams {
        streams: Vec::new(),
        undecodable: Vec::new(),
    };
    for entry in index.as_array().expect("the stream index is a list") {
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
                .find(|file| file.ends_with(".frames.json"))
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
        let encoded = entry["model_id_in_path"]
            .as_str()
            .unwrap_or_else(|| panic!("{origin}: no `model_id_in_path`"));
        let chunks =
            stream_chunks(&root.join(frames)).unwrap_or_else(|err| panic!("{origin}: {err}"));
        found.streams.push(Exchange {
            model_id: percent_decode(encoded, &origin),
            origin,
            token_headers: None,
            recorded: chunks,
        });
    }
    found
}

/// The JSON of every 200 response body in one VCR cassette (`cassette` is
/// relative to the fixtures folder), streams' binary bodies left out.
pub fn cassette_json_bodies(cassette: &str) -> Vec<Value> {
    let path = fixtures_dir().join(cassette);
    interactions(&path, cassette)
        .iter()
        .filter(|interaction| interaction["response"]["status"]["code"].as_u64() == Some(200))
        .filter_map(|interaction| {
            let body = &interaction["response"]["body"];
            let text = body
                .get("string")
                .and_then(serde_norway::Value::as_str)
                .or_else(|| body.as_str())?;
            serde_json::from_str(text).ok()
        })
        .collect()
}

/// The model JSON of every chunk of one decoded stream
/// (`decoded/<name>.frames.json`).
pub fn decoded_stream_json(name: &str) -> Vec<Value> {
    let path = fixtures_dir()
        .join("decoded")
        .join(format!("{name}.frames.json"));
    read_json(&path)["frames"]
        .as_array()
        .unwrap_or_else(|| panic!("{name}: no frames"))
        .iter()
        .map(|frame| frame["decoded_bytes_json"].clone())
        .collect()
}

/// The `.yaml` cassettes in `dir`, sorted.
fn cassettes(root: &Path, dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root.join(dir))
        .unwrap_or_else(|err| panic!("{dir}: {err}"))
        .map(|entry| entry.expect("a readable folder entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "yaml"))
        .collect();
    files.sort();
    files
}

/// A cassette's `interactions` (none when it has no such list).
fn interactions(path: &Path, name: &str) -> Vec<serde_norway::Value> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|err| panic!("{name}: {err}"));
    let cassette: serde_norway::Value =
        serde_norway::from_str(&text).unwrap_or_else(|err| panic!("{name}: not YAML: {err}"));
    cassette
        .get("interactions")
        .and_then(serde_norway::Value::as_sequence)
        .cloned()
        .unwrap_or_default()
}

/// The 200 `InvokeModel` bodies of one VCR cassette.
fn cassette_bodies(root: &Path, file: &Path) -> Vec<Exchange<Vec<u8>>> {
    let name = file
        .strip_prefix(root)
        .unwrap_or(file)
        .display()
        .to_string();
    let mut bodies = Vec::new();
    for (index, interaction) in interactions(file, &name).iter().enumerate() {
        let origin = format!("{name}, interaction {index}");
        let uri = interaction["request"]["uri"].as_str().unwrap_or_default();
        let Some(encoded) = invoked_id(uri) else {
            continue;
        };
        let response = &interaction["response"];
        if response["status"]["code"].as_u64() != Some(200) {
            continue;
        }
        let body = response["body"]["string"]
            .as_str()
            .unwrap_or_else(|| panic!("{origin}: the 200 body is not text"));
        let headers = &response["headers"];
        let token_headers = header_count(headers, "X-Amzn-Bedrock-Input-Token-Count")
            .zip(header_count(headers, "X-Amzn-Bedrock-Output-Token-Count"))
            .map(|(input, output)| Counts { input, output });
        bodies.push(Exchange {
            model_id: percent_decode(encoded, &origin),
            origin,
            token_headers,
            recorded: body.as_bytes().to_vec(),
        });
    }
    bodies
}

/// New Relic's `RESPONSES`: `"<model id in path>::<prompt>"` →
/// `[headers, status, body as JSON]`. Its `Malformed ...` entries are New
/// Relic's own deliberately broken test inputs, not recordings.
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
        bodies.push(Exchange {
            model_id: percent_decode(encoded, &origin),
            recorded: serde_json::to_vec(&entry[2]).expect("JSON serialises"),
            origin,
            token_headers: None,
        });
    }
    bodies
}

/// langchaingo's `records`, each with its request URL and response body.
fn langchaingo_bodies(root: &Path) -> Vec<Exchange<Vec<u8>>> {
    let all = read_json(&root.join(LANGCHAINGO));
    let records = all["records"]
        .as_array()
        .expect("langchaingo's records are a list");
    let mut bodies = Vec::new();
    for (index, record) in records.iter().enumerate() {
        let origin = format!("{LANGCHAINGO}, records[{index}]");
        let url = record["request"]["url"].as_str().unwrap_or_default();
        let Some(encoded) = invoked_id(url) else {
            continue;
        };
        if record["response"]["status"] != 200 {
            continue;
        }
        let body = record["response"]["body"]
            .as_str()
            .unwrap_or_else(|| panic!("{origin}: the body is not text"));
        bodies.push(Exchange {
            model_id: percent_decode(encoded, &origin),
            origin,
            token_headers: None,
            recorded: body.as_bytes().to_vec(),
        });
    }
    bodies
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
            let bytes = frame["payload_json"]["bytes"]
                .as_str()
                .ok_or_else(|| format!("frame {index} has no `bytes`"))?;
            BASE64
                .decode(bytes)
                .map_err(|err| format!("frame {index}: `bytes` is not base64: {err}"))
        })
        .collect()
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

/// `%3A` → `:` and the like; `origin` names the exchange if the result is
/// not UTF-8.
fn percent_decode(text: &str, origin: &str) -> String {
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
    String::from_utf8(out)
        .unwrap_or_else(|err| panic!("{origin}: the model id is not UTF-8: {err}"))
}

fn header_count(headers: &serde_norway::Value, name: &str) -> Option<u32> {
    headers.get(name)?.get(0)?.as_str()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_profile_or_an_arn_is_cut_down_to_the_base_id() {
        let exchange = |model_id: &str| Exchange {
            origin: String::new(),
            model_id: model_id.to_owned(),
            token_headers: None,
            recorded: (),
        };
        assert_eq!(
            exchange("us.amazon.nova-lite-v1:0").base_model_id("amazon."),
            Some("amazon.nova-lite-v1:0")
        );
        assert_eq!(
            exchange("arn:aws:bedrock:us-east-1::foundation-model/meta.llama3")
                .base_model_id("meta."),
            Some("meta.llama3")
        );
        assert_eq!(
            exchange("cohere.command-r-v1:0").base_model_id("meta."),
            None
        );
    }

    #[test]
    fn percent_escapes_are_decoded_and_a_lone_percent_kept() {
        assert_eq!(
            percent_decode("amazon.nova-micro-v1%3A0", ""),
            "amazon.nova-micro-v1:0"
        );
        assert_eq!(percent_decode("a%zz%4", ""), "a%zz%4");
    }
}
