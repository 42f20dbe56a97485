//! The family tests' harness: an emulator with a client that records response headers (from the
//! shared `tests/support`), helpers that invoke and stream JSON bodies, the notebook's prompts,
//! the recorded traffic in `tests/fixtures/bedrock` (VCR cassettes and decoded streams, read by
//! `bedrock-recorded`) together with the key-path comparison the shape checks use.

use std::collections::BTreeSet;

use aws_sdk_bedrockruntime::Client;
use aws_sdk_bedrockruntime::error::ProvideErrorMetadata;
use aws_sdk_bedrockruntime::types::ResponseStream;
use bedrock_emulator::{EmulatorConfig, RunningEmulator};
use serde_json::Value;

use crate::support::clients::{Outcome, own_keys, sdk_config};
use crate::support::emulator::{json_body, start};
use crate::support::headers::ResponseHeaders;

/// The recorded traffic, read by the project's one reader: the JSON bodies
/// of a cassette's 200 interactions, and the model JSON of every chunk of a
/// decoded stream (`decoded/<name>.frames.json`).
pub use bedrock_recorded::read::{
    cassette_json_bodies as recorded_bodies, decoded_stream_json as recorded_stream,
};

/// The request of every 200 interaction of one VCR cassette (relative to the fixtures folder):
/// the model id of its URI, percent-decoded, and its JSON body.
pub fn recorded_requests(cassette: &str) -> Vec<(String, Value)> {
    let path = bedrock_recorded::read::fixtures_dir().join(cassette);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{cassette}: {err}"));
    let cassette_yaml: serde_norway::Value =
        serde_norway::from_str(&text).unwrap_or_else(|err| panic!("{cassette}: {err}"));
    cassette_yaml["interactions"]
        .as_sequence()
        .into_iter()
        .flatten()
        .filter(|interaction| interaction["response"]["status"]["code"].as_u64() == Some(200))
        .map(|interaction| {
            let uri = interaction["request"]["uri"].as_str().unwrap_or_default();
            let encoded = uri
                .split("/model/")
                .nth(1)
                .and_then(|rest| rest.split('/').next())
                .unwrap_or_else(|| panic!("{cassette}: no model in {uri}"));
            let model_id = percent_encoding::percent_decode_str(encoded)
                .decode_utf8_lossy()
                .into_owned();
            let body = interaction["request"]["body"].as_str().unwrap_or_default();
            let body = serde_json::from_str(body)
                .unwrap_or_else(|err| panic!("{cassette}: request body is not JSON: {err}"));
            (model_id, body)
        })
        .collect()
}

/// The JSON request bodies of a langchaingo `httprr` trace (relative to the fixtures folder),
/// whatever Bedrock answered: each record is `<request bytes> <response bytes>` on a line, then
/// the request (headers, blank line, body) and the response.
pub fn httprr_request_bodies(trace: &str) -> Vec<Value> {
    let path = bedrock_recorded::read::fixtures_dir().join(trace);
    let bytes = std::fs::read(&path).unwrap_or_else(|err| panic!("{trace}: {err}"));
    let mut rest = bytes
        .strip_prefix(b"httprr trace v1\n".as_slice())
        .unwrap_or_else(|| panic!("{trace}: not an httprr trace"));
    let mut bodies = Vec::new();
    while let Some(end_of_line) = rest.iter().position(|byte| *byte == b'\n') {
        let sizes = String::from_utf8_lossy(&rest[..end_of_line]).into_owned();
        let mut sizes = sizes.split(' ').map(|size| size.parse::<usize>());
        let (Some(Ok(request_len)), Some(Ok(response_len))) = (sizes.next(), sizes.next()) else {
            panic!("{trace}: a record does not start with its two lengths");
        };
        let record = &rest[end_of_line + 1..];
        let request = String::from_utf8_lossy(&record[..request_len]).into_owned();
        if let Some((_, body)) = request
            .split_once("\r\n\r\n")
            .or_else(|| request.split_once("\n\n"))
        {
            bodies.push(serde_json::from_str(body).unwrap_or_else(|err| panic!("{trace}: {err}")));
        }
        rest = &record[request_len + response_len..];
    }
    bodies
}

/// The notebook's prompt for Jamba, Nova, Cohere (and Titan here).
pub const BLOG_PROMPT: &str =
    "Command: Write me a blog about making strong business decisions as a leader.\n\nBlog:\n";

/// The notebook's Llama 2 style prompt for Llama and Mistral.
pub const LLAMA_PROMPT: &str = "<s>[INST] <<SYS>>\nYou are a helpful, respectful and honest \
assistant. Always answer as helpfully as possible, while being safe.  Your answers should not \
include any harmful, unethical, racist, sexist, toxic, dangerous, or illegal content. Please \
ensure that your responses are socially unbiased and positive in nature.\nIf a question does not \
make any sense, or is not factually coherent, explain why instead of answering something not \
correct. If you don't know the answer to a question, please don't share false information.\n\
<</SYS>>\n\nWrite me a blog about making strong business decisions as a leader. [/INST]";

/// The user's own words in [`LLAMA_PROMPT`], which a reply restates first.
pub const LLAMA_INSTRUCTION: &str =
    "Write me a blog about making strong business decisions as a leader.";

/// A running emulator and a client signed for it.
pub struct Harness {
    /// Kept alive for the client's sake.
    _emulator: RunningEmulator,
    pub client: Client,
    headers: ResponseHeaders,
}

/// Starts an emulator with the default configuration and a client for it.
pub async fn harness() -> Harness {
    let emulator = start(EmulatorConfig::default()).await;
    let headers = ResponseHeaders::default();
    let config =
        aws_sdk_bedrockruntime::config::Builder::from(&sdk_config(&emulator, own_keys(&emulator)))
            .interceptor(headers.clone())
            .build();
    Harness {
        _emulator: emulator,
        client: Client::from_conf(config),
        headers,
    }
}

/// A service error as the SDK classified it.
#[derive(Debug)]
pub struct ServiceError {
    pub code: String,
    pub message: String,
}

impl ServiceError {
    /// The code and message of `error`.
    fn of(error: &impl ProvideErrorMetadata) -> Self {
        Self {
            code: error.code().unwrap_or_default().to_owned(),
            message: error.message().unwrap_or_default().to_owned(),
        }
    }
}

impl Harness {
    /// `InvokeModel` with a JSON body; the decoded JSON response.
    pub async fn invoke(&self, model_id: &str, body: &Value) -> Value {
        let output = self
            .client
            .invoke_model()
            .model_id(model_id)
            .content_type("application/json")
            .accept("application/json")
            .body(json_body(body))
            .send()
            .await
            .accepted(&format!("InvokeModel {model_id}"));
        assert_eq!(output.content_type(), "application/json");
        serde_json::from_slice(output.body().as_ref()).expect("the response is JSON")
    }

    /// `InvokeModel` that must fail; the error the SDK surfaced.
    pub async fn invoke_error(&self, model_id: &str, body: &Value) -> ServiceError {
        let error = self
            .client
            .invoke_model()
            .model_id(model_id)
            .body(json_body(body))
            .send()
            .await
            .refused("InvokeModel is refused");
        ServiceError::of(&error)
    }

    /// `InvokeModelWithResponseStream`; every chunk decoded as JSON.
    pub async fn stream(&self, model_id: &str, body: &Value) -> Vec<Value> {
        let mut output = self
            .client
            .invoke_model_with_response_stream()
            .model_id(model_id)
            .content_type("application/json")
            .accept("application/json")
            .body(json_body(body))
            .send()
            .await
            .accepted(&format!("stream {model_id}"));
        let mut chunks = Vec::new();
        while let Some(event) = output.body.recv().await.expect("the stream is well formed") {
            match event {
                ResponseStream::Chunk(part) => {
                    let bytes = part.bytes().expect("a chunk carries bytes");
                    chunks.push(serde_json::from_slice(bytes.as_ref()).expect("chunk is JSON"));
                }
                other => panic!("unexpected stream member {other:?}"),
            }
        }
        chunks
    }

    /// `InvokeModelWithResponseStream` that must be refused before the stream starts.
    pub async fn stream_error(&self, model_id: &str, body: &Value) -> ServiceError {
        let error = self
            .client
            .invoke_model_with_response_stream()
            .model_id(model_id)
            .body(json_body(body))
            .send()
            .await
            .refused("the stream is refused");
        ServiceError::of(&error)
    }

    /// A header of the last response, as a number.
    pub fn header_count(&self, name: &str) -> Option<u64> {
        self.headers.get(name).and_then(|value| value.parse().ok())
    }

    /// Whether the last response had this header.
    pub fn has_header(&self, name: &str) -> bool {
        self.headers.get(name).is_some()
    }
}

/// The malformed-input message Bedrock sends for these schema violations.
pub fn malformed(violations: &str) -> String {
    format!("Malformed input request: {violations}, please reformat your input and try again.")
}

/// Words in `text`, the emulator's token unit.
pub fn words(text: &str) -> u64 {
    text.split_whitespace().count() as u64
}

/// The text at `pointer` in `value`.
pub fn text_at<'a>(value: &'a Value, pointer: &str) -> &'a str {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("no text at {pointer} in {value}"))
}

/// The number at `pointer` in `value`.
pub fn number_at(value: &Value, pointer: &str) -> u64 {
    value
        .pointer(pointer)
        .and_then(Value::as_u64)
        .unwrap_or_else(|| panic!("no count at {pointer} in {value}"))
}

/// Every key path in `value`: `a`, `a.b`, `list[].c` (array items merged), so two JSON values
/// of the same shape have equal sets whatever their contents.
pub fn key_paths(value: &Value) -> BTreeSet<String> {
    let mut paths = BTreeSet::new();
    collect_paths(value, "", &mut paths);
    paths
}

fn collect_paths(value: &Value, prefix: &str, paths: &mut BTreeSet<String>) {
    match value {
        Value::Object(object) => {
            for (key, inner) in object {
                let path = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                paths.insert(path.clone());
                collect_paths(inner, &path, paths);
            }
        }
        Value::Array(items) => {
            for item in items {
                collect_paths(item, &format!("{prefix}[]"), paths);
            }
        }
        _ => {}
    }
}

/// [`key_paths`] without the paths under `ignored` top-level keys (guardrail annotations and the
/// like, which only some recordings carry).
pub fn key_paths_without(value: &Value, ignored: &[&str]) -> BTreeSet<String> {
    key_paths(value)
        .into_iter()
        .filter(|path| {
            let top = path.split(['.', '[']).next().unwrap_or_default();
            !ignored.contains(&top)
        })
        .collect()
}
