//! The two things the benchmarks ask of the local Bedrock, through the real SDK over HTTP: a
//! `long_stream` behaviour pads a stream to an exact number of well-formed chunks, and
//! `/_emulator/arrivals` reports when each Bedrock request arrived, on the wall clock.

use std::time::{SystemTime, UNIX_EPOCH};

use aws_sdk_bedrockruntime::Client;
use aws_sdk_bedrockruntime::types::ResponseStream;
use bedrock_emulator::{ARRIVALS_PATH, Behaviour, EmulatorConfig, LongStream, RunningEmulator};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use support::clients::{Outcome, keys, own_keys, sdk_config};
use support::emulator::{json_body, start};

mod support {
    pub mod clients;
    pub mod emulator;
}

const HAIKU: &str = "anthropic.claude-3-haiku-20240307-v1:0";
const LLAMA3_8B: &str = "meta.llama3-8b-instruct-v1:0";

fn client(emulator: &RunningEmulator) -> Client {
    Client::new(&sdk_config(emulator, own_keys(emulator)))
}

/// The model JSON of every chunk of one stream of `model_id`.
async fn stream_chunks(client: &Client, model_id: &str, body: &Value) -> Vec<Value> {
    let mut output = client
        .invoke_model_with_response_stream()
        .model_id(model_id)
        .body(json_body(body))
        .send()
        .await
        .accepted("InvokeModelWithResponseStream");
    let mut chunks = Vec::new();
    while let Some(event) = output.body.recv().await.expect("the stream is well formed") {
        if let ResponseStream::Chunk(part) = event {
            let bytes = part.bytes().expect("a chunk carries bytes");
            chunks.push(serde_json::from_slice(bytes.as_ref()).expect("chunk JSON"));
        }
    }
    chunks
}

fn messages_body() -> Value {
    json!({
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 200,
        "messages": [{"role": "user", "content": "Tell me about rivers"}],
    })
}

/// A plain HTTP request to the emulator's control routes: (status line, body).
async fn control(emulator: &RunningEmulator, method: &str, path: &str) -> (String, String) {
    let mut socket = tokio::net::TcpStream::connect(emulator.local_addr())
        .await
        .expect("connects");
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        emulator.local_addr()
    );
    socket.write_all(request.as_bytes()).await.expect("sends");
    let mut response = String::new();
    socket.read_to_string(&mut response).await.expect("reads");
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    let status = head.lines().next().unwrap_or_default().to_owned();
    (status, body.to_owned())
}

#[tokio::test]
async fn a_long_stream_has_exactly_the_asked_chunks_and_stays_well_formed() {
    let emulator = start(EmulatorConfig::default()).await;
    let client = client(&emulator);
    let natural = stream_chunks(&client, HAIKU, &messages_body()).await;
    emulator
        .set_behaviour(Behaviour {
            long_stream: Some(LongStream { chunks: 2_000 }),
            ..Behaviour::default()
        })
        .expect("a valid behaviour");
    let padded = stream_chunks(&client, HAIKU, &messages_body()).await;
    assert_eq!(padded.len(), 2_000);
    let types: Vec<&str> = padded
        .iter()
        .filter_map(|chunk| chunk["type"].as_str())
        .collect();
    assert_eq!(types.first(), Some(&"message_start"));
    assert_eq!(types.last(), Some(&"message_stop"));
    let deltas = types
        .iter()
        .filter(|t| **t == "content_block_delta")
        .count();
    let natural_deltas = natural
        .iter()
        .filter(|chunk| chunk["type"] == "content_block_delta")
        .count();
    assert_eq!(deltas, natural_deltas + 2_000 - natural.len());
}

#[tokio::test]
async fn a_long_stream_repeats_generated_text_in_a_prompt_string_family_too() {
    let emulator = start(EmulatorConfig::default()).await;
    emulator
        .set_behaviour(Behaviour {
            long_stream: Some(LongStream { chunks: 500 }),
            ..Behaviour::default()
        })
        .expect("a valid behaviour");
    let body = json!({"prompt": "Tell me about rivers", "max_gen_len": 200});
    let chunks = stream_chunks(&client(&emulator), LLAMA3_8B, &body).await;
    assert_eq!(chunks.len(), 500);
    assert!(chunks[..499].iter().all(|chunk| {
        chunk["generation"].as_str().is_some_and(|t| !t.is_empty())
            && chunk["stop_reason"].is_null()
    }));
    assert_eq!(chunks[499]["stop_reason"], "stop");
}

#[tokio::test]
async fn arrivals_record_each_bedrock_request_on_the_wall_clock_and_can_be_cleared() {
    let emulator = start(EmulatorConfig::default()).await;
    let before = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_nanos();
    stream_chunks(&client(&emulator), HAIKU, &messages_body()).await;
    let (status, body) = control(&emulator, "GET", ARRIVALS_PATH).await;
    assert!(status.contains("200"), "{status}");
    let log: Value = serde_json::from_str(&body).expect("JSON");
    let arrivals = log["arrivals"].as_array().expect("a list of arrivals");
    assert_eq!(arrivals.len(), 1, "{body}");
    assert_eq!(arrivals[0]["method"], "POST");
    assert!(
        arrivals[0]["path"]
            .as_str()
            .is_some_and(|path| path.ends_with("/invoke-with-response-stream")),
        "{body}"
    );
    let at = u128::from(arrivals[0]["unix_nanos"].as_u64().expect("nanoseconds"));
    assert!(
        at >= before,
        "arrived at {at}, before the request was made ({before})"
    );

    let (status, _) = control(&emulator, "DELETE", ARRIVALS_PATH).await;
    assert!(status.contains("204"), "{status}");
    let (_, body) = control(&emulator, "GET", ARRIVALS_PATH).await;
    assert_eq!(
        serde_json::from_str::<Value>(&body).expect("JSON"),
        json!({"arrivals": []})
    );
}

#[tokio::test]
async fn a_request_that_fails_authentication_still_arrives() {
    let emulator = start(EmulatorConfig::default()).await;
    let stranger = Client::new(&sdk_config(
        &emulator,
        keys("AKIDSTRANGER", "not-the-secret"),
    ));
    stranger
        .invoke_model()
        .model_id(HAIKU)
        .body(json_body(&messages_body()))
        .send()
        .await
        .refused("the keys are wrong");
    let (_, body) = control(&emulator, "GET", ARRIVALS_PATH).await;
    let log: Value = serde_json::from_str(&body).expect("JSON");
    let paths: Vec<&str> = log["arrivals"]
        .as_array()
        .expect("a list of arrivals")
        .iter()
        .filter_map(|arrival| arrival["path"].as_str())
        .collect();
    assert!(
        !paths.is_empty() && paths.iter().all(|path| path.ends_with("/invoke")),
        "{body}"
    );
}
