//! Tests against real Bedrock traffic: every recorded 200 response and
//! stream of a Nova or Titan Text model in the shared fixtures
//! (`shared/fixtures/bedrock`, see its README and SOURCES; the folder can be
//! moved with `BEDROCK_HOST_FIXTURES`) is parsed natively, and what the
//! adapter made of it is compared with what the raw JSON says: the text, the
//! raw stop reason, and the token counts, which must also equal Bedrock's
//! own (the `X-Amzn-Bedrock-*-Token-Count` headers of a body, the
//! `amazon-bedrock-invocationMetrics` of a stream's last chunk).
//!
//! Invariant: the test cannot pass by finding nothing. It counts what it
//! checked against the number of recordings there were when it was written,
//! and every recorded stop reason must map to something other than `other`.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::Value;

use crate::bedrock::adapter::types::{Event, Output, Response, StopReason, Usage};
use crate::exports::bedrock::adapter::adapter::GuestStreamDecoder;
use crate::models::{self, Family};
use crate::stream::Decoder;
use crate::{response, stop};

/// Overrides where the recorded traffic is read from.
const FIXTURES_ENV: &str = "BEDROCK_HOST_FIXTURES";

/// The folders of VCR cassettes holding non-streamed exchanges.
const CASSETTE_DIRS: &[&str] = &["otel-python-contrib", "openllmetry", "dd-trace-py"];

/// New Relic's recorded bodies, as JSON.
const NEW_RELIC: &str =
    "newrelic-python-agent/_mock_external_bedrock_server_invoke_model.extracted.json";

/// langchaingo's recent bodies (Nova 2 among them), as JSON.
const LANGCHAINGO: &str = "langchaingo/TestAmazonOutputLegacyAPI.selected-records.json";

/// Every recorded invocation; streams with their decoded frames.
const STREAM_INDEX: &str = "decoded/INDEX.json";

/// How many Nova and Titan bodies and streams were recorded when this test
/// was written.
const RECORDED_BODIES: usize = 21;
const RECORDED_STREAMS: usize = 19;

/// One recorded exchange of a model this adapter serves.
struct Exchange<T> {
    origin: String,
    model_id: String,
    family: Family,
    /// Bedrock's token-count headers, when recorded.
    headers: Option<Usage>,
    recorded: T,
}

/// What the adapter made of an exchange, or what its JSON says.
#[derive(Debug, PartialEq)]
struct Answer {
    text: String,
    stop: Option<String>,
    usage: Option<Usage>,
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
    let base = &id[id.find("amazon.")?..];
    models::family(base).map(|family| (base.to_owned(), family))
}

/// `https://host/model/<id>/invoke` → the id, percent-encoded.
fn invoked_id(uri: &str) -> Option<&str> {
    uri.split_once("/model/")?.1.strip_suffix("/invoke")
}

fn header_count(headers: &serde_norway::Value, name: &str) -> Option<u32> {
    headers.get(name)?.get(0)?.as_str()?.parse().ok()
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
                let headers = &response["headers"];
                let body = response["body"]["string"]
                    .as_str()
                    .expect("a 200 body as text");
                bodies.push(Exchange {
                    origin: format!("{}, interaction {index}", file.display()),
                    model_id,
                    family,
                    headers: header_count(headers, "X-Amzn-Bedrock-Input-Token-Count")
                        .zip(header_count(headers, "X-Amzn-Bedrock-Output-Token-Count"))
                        .map(|(input_tokens, output_tokens)| Usage {
                            input_tokens,
                            output_tokens,
                        }),
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
            headers: None,
            recorded: serde_json::to_vec(&entry[2]).expect("JSON"),
        });
    }
    let langchaingo = read_json(&root.join(LANGCHAINGO));
    for (index, record) in langchaingo["records"]
        .as_array()
        .expect("records")
        .iter()
        .enumerate()
    {
        let url = record["request"]["url"].as_str().unwrap_or_default();
        let Some((model_id, family)) = invoked_id(url).and_then(served) else {
            continue;
        };
        if record["response"]["status"] != 200 {
            continue;
        }
        bodies.push(Exchange {
            origin: format!("{LANGCHAINGO} records[{index}]"),
            model_id,
            family,
            headers: None,
            recorded: record["response"]["body"]
                .as_str()
                .expect("a body")
                .as_bytes()
                .to_vec(),
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
            headers: None,
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

/// A token count, as Titan may write it (`28.0`).
fn count_at(value: &Value, pointer: &str) -> Option<u32> {
    let number = value.pointer(pointer)?.as_f64()?;
    (number.fract() == 0.0).then_some(number as u32)
}

fn expected_body(family: Family, body: &Value) -> Answer {
    match family {
        Family::Nova => Answer {
            text: body["output"]["message"]["content"]
                .as_array()
                .expect("content")
                .iter()
                .map(|block| text_at(block, "/text"))
                .collect(),
            stop: body["stopReason"].as_str().map(str::to_owned),
            usage: count_at(body, "/usage/inputTokens")
                .zip(count_at(body, "/usage/outputTokens"))
                .map(usage),
        },
        Family::Titan => {
            let results = body["results"].as_array().expect("results");
            let output: Option<u32> = results.iter().map(|r| count_at(r, "/tokenCount")).sum();
            Answer {
                text: results.iter().map(|r| text_at(r, "/outputText")).collect(),
                stop: results[0]["completionReason"].as_str().map(str::to_owned),
                usage: count_at(body, "/inputTextTokenCount")
                    .zip(output)
                    .map(usage),
            }
        }
    }
}

fn expected_stream(family: Family, chunks: &[Value]) -> Answer {
    let mut answer = Answer {
        text: String::new(),
        stop: None,
        usage: None,
    };
    match family {
        Family::Nova => {
            for chunk in chunks {
                answer.text += &text_at(chunk, "/contentBlockDelta/delta/text");
                if let Some(raw) = chunk.pointer("/messageStop/stopReason") {
                    answer.stop = raw.as_str().map(str::to_owned);
                }
                if chunk.get("metadata").is_some() {
                    answer.usage = count_at(chunk, "/metadata/usage/inputTokens")
                        .zip(count_at(chunk, "/metadata/usage/outputTokens"))
                        .map(usage);
                }
            }
        }
        Family::Titan => {
            let (mut input, mut output) = (None, None);
            for chunk in chunks {
                answer.text += &text_at(chunk, "/outputText");
                if answer.stop.is_none() {
                    answer.stop = chunk["completionReason"].as_str().map(str::to_owned);
                }
                input = count_at(chunk, "/inputTextTokenCount").or(input);
                output = count_at(chunk, "/totalOutputTextTokenCount").or(output);
            }
            answer.usage = input.zip(output).map(usage);
        }
    }
    answer
}

fn usage((input_tokens, output_tokens): (u32, u32)) -> Usage {
    Usage {
        input_tokens,
        output_tokens,
    }
}

/// Bedrock's own counts in a stream's last chunk.
fn invocation_metrics(chunks: &[Value]) -> Option<Usage> {
    let metrics = chunks.last()?.get("amazon-bedrock-invocationMetrics")?;
    count_at(metrics, "/inputTokenCount")
        .zip(count_at(metrics, "/outputTokenCount"))
        .map(usage)
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
        usage: response.usage,
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
        usage: None,
    };
    for event in events {
        match event {
            Event::Text(text) => answer.text += &text,
            Event::Stop(stop) if answer.stop.is_none() => answer.stop = stop.raw,
            Event::Usage(usage) if answer.usage.is_none() => answer.usage = Some(usage),
            other => return Err(format!("a second stop or usage event: {other:?}")),
        }
    }
    Ok(answer)
}

/// Every recorded stop reason is one the adapter understands.
fn understood(family: Family, raw: Option<&str>) -> bool {
    let reason = match (family, raw) {
        (_, None) => return true,
        (Family::Nova, Some(raw)) => stop::nova(raw).reason,
        (Family::Titan, Some(raw)) => stop::titan(raw).reason,
    };
    reason != StopReason::Other
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
        let agrees = match (&actual, exchange.headers) {
            (
                Ok(Answer {
                    usage: Some(usage), ..
                }),
                Some(headers),
            ) => *usage == headers,
            _ => true,
        };
        if actual.as_ref() != Ok(&expected)
            || !agrees
            || !understood(exchange.family, expected.stop.as_deref())
        {
            failures.push(format!(
                "{} ({}):\n  adapter:  {actual:?}\n  recorded: {expected:?}\n  headers:  {:?}",
                exchange.origin, exchange.model_id, exchange.headers
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
        let expected = expected_stream(exchange.family, &chunks);
        let actual = answer_of_stream(&exchange.model_id, &exchange.recorded);
        let agrees = match (&actual, invocation_metrics(&chunks)) {
            (
                Ok(Answer {
                    usage: Some(usage), ..
                }),
                Some(metrics),
            ) => *usage == metrics,
            _ => true,
        };
        if actual.as_ref() != Ok(&expected)
            || !agrees
            || !understood(exchange.family, expected.stop.as_deref())
        {
            failures.push(format!(
                "{} ({}):\n  adapter:  {actual:?}\n  recorded: {expected:?}",
                exchange.origin, exchange.model_id
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(streams.len(), RECORDED_STREAMS, "recorded streams checked");
}
