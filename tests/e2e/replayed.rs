//! Recorded Bedrock answers replayed to the CLI: a one-answer HTTP server
//! sends the recorded body (or the recorded event-stream bytes, frames and
//! checksums as Bedrock sent them) to the real binary, which parses it with
//! the real `.wasm` plugin, and what `--output json` says is compared with
//! what the recorded JSON says, worked out here from the JSON alone.
//!
//! Invariant: each test states how many recordings it checks, so none
//! passes by finding nothing.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpListener;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::support::{Run, bedrock_host, run};

/// A loopback HTTP server that answers every request with one recorded
/// `200` response, for as long as the test process lives.
struct Replay {
    endpoint: String,
}

impl Replay {
    fn serve(content_type: &'static str, body: Vec<u8>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let endpoint = format!("http://{}", listener.local_addr().expect("an address"));
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().expect("clone the stream"));
                let mut length = 0usize;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    if let Some((name, value)) = line.split_once(':')
                        && name.eq_ignore_ascii_case("content-length")
                    {
                        length = value.trim().parse().unwrap_or(0);
                    }
                }
                let mut request = vec![0; length];
                let _ = reader.read_exact(&mut request);
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nx-amzn-RequestId: replayed\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(head.as_bytes());
                let _ = stream.write_all(&body);
            }
        });
        Self { endpoint }
    }

    /// `invoke` against this server, with any credentials.
    fn invoke(&self, args: &[&str]) -> Run {
        let mut command = bedrock_host();
        command
            .args([
                "--endpoint-url",
                &self.endpoint,
                "--region",
                "us-east-1",
                "--max-attempts",
                "1",
            ])
            .arg("invoke")
            .args(args)
            .env("AWS_ACCESS_KEY_ID", "AKIDREPLAYED")
            .env("AWS_SECRET_ACCESS_KEY", "replayed");
        run(command)
    }
}

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/bedrock")
}

/// The interactions of a VCR cassette: (request body JSON, response body bytes).
fn cassette(path: &Path) -> Vec<(Value, Vec<u8>)> {
    let text = std::fs::read_to_string(path).expect("a cassette");
    let cassette: serde_norway::Value = serde_norway::from_str(&text).expect("YAML");
    cassette["interactions"]
        .as_sequence()
        .expect("interactions")
        .iter()
        .map(|interaction| {
            let request = interaction["request"]["body"]
                .as_str()
                .expect("a request body");
            let body = &interaction["response"]["body"]["string"];
            let bytes = match body {
                serde_norway::Value::String(text) => text.as_bytes().to_vec(),
                other => serde_norway::from_value::<Vec<u8>>(other.clone()).unwrap_or_default(),
            };
            (
                serde_json::from_str(request).expect("a JSON request"),
                bytes,
            )
        })
        .collect()
}

/// The model id in a cassette's request path, percent-decoded.
fn model_of(path: &Path) -> String {
    let text = std::fs::read_to_string(path).expect("a cassette");
    let uri = text
        .lines()
        .find_map(|line| line.trim().strip_prefix("uri: "))
        .expect("a uri");
    let model = uri.split("/model/").nth(1).expect("a model path");
    model
        .split('/')
        .next()
        .expect("a model id")
        .replace("%3A", ":")
}

/// The recorded request's tools, as a file for `--tools` (Anthropic's shape
/// for Claude, the `toolSpec` shape for Nova: both are read as they are).
fn tools_file(request: &Value, dir: &Path) -> PathBuf {
    let tools = request
        .get("tools")
        .or_else(|| request.pointer("/toolConfig/tools"))
        .expect("the recorded request has tools");
    let path = dir.join("tools.json");
    std::fs::write(&path, tools.to_string()).expect("write the tools");
    path
}

/// The tool calls (name, input) a recorded body holds, Claude's or Nova's.
fn calls_of_body(body: &Value) -> Vec<(String, Value)> {
    let claude = body["content"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|b| b["type"] == "tool_use");
    let nova = body
        .pointer("/output/message/content")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|block| block.get("toolUse"));
    claude
        .chain(nova)
        .map(|call| {
            (
                call["name"].as_str().expect("a name").to_owned(),
                call["input"].clone(),
            )
        })
        .collect()
}

/// The tool calls (name, input) of a recorded stream's chunks, Claude's
/// (`tool_use` block, `input_json_delta` fragments) or Nova's (`toolUse`
/// start, `toolUse.input` deltas).
fn calls_of_stream(chunks: &[Value]) -> Vec<(String, Value)> {
    let mut calls: Vec<(u64, String, String)> = Vec::new();
    for chunk in chunks {
        if chunk["type"] == "content_block_start" && chunk["content_block"]["type"] == "tool_use" {
            let name = chunk["content_block"]["name"].as_str().expect("a name");
            calls.push((
                chunk["index"].as_u64().expect("an index"),
                name.into(),
                String::new(),
            ));
        }
        if let Some(fragment) = chunk.pointer("/delta/partial_json").and_then(Value::as_str)
            && let Some(call) = calls
                .iter_mut()
                .find(|c| Some(c.0) == chunk["index"].as_u64())
        {
            call.2.push_str(fragment);
        }
        if let Some(start) = chunk.pointer("/contentBlockStart/start/toolUse") {
            let index = chunk
                .pointer("/contentBlockStart/contentBlockIndex")
                .and_then(Value::as_u64);
            calls.push((
                index.expect("an index"),
                start["name"].as_str().expect("a name").into(),
                String::new(),
            ));
        }
        if let Some(fragment) = chunk
            .pointer("/contentBlockDelta/delta/toolUse/input")
            .and_then(Value::as_str)
        {
            let index = chunk
                .pointer("/contentBlockDelta/contentBlockIndex")
                .and_then(Value::as_u64);
            if let Some(call) = calls.iter_mut().find(|c| Some(c.0) == index) {
                call.2.push_str(fragment);
            }
        }
    }
    calls
        .into_iter()
        .map(|(_, name, input)| {
            let input = if input.is_empty() {
                json!({})
            } else {
                serde_json::from_str(&input).expect("JSON input")
            };
            (name, input)
        })
        .collect()
}

/// The (name, input) pairs of `--output json`'s `tool_calls`.
fn calls_printed(run: &Run) -> Vec<(String, Value)> {
    let object = run.json();
    object["tool_calls"]
        .as_array()
        .unwrap_or_else(|| panic!("no tool_calls: {object}"))
        .iter()
        .map(|call| {
            assert!(
                call["id"].as_str().is_some_and(|id| !id.is_empty()),
                "{call}"
            );
            (
                call["name"].as_str().expect("a name").to_owned(),
                call["input"].clone(),
            )
        })
        .collect()
}

const TOOL_CALL_CASSETTES: &[&str] = &[
    "test_invoke_model_no_content_tool_call[anthropic.claude]",
    "test_invoke_model_with_content_tool_call[anthropic.claude]",
    "test_invoke_model_no_content_tool_call[amazon.nova]",
    "test_invoke_model_with_content_tool_call[amazon.nova]",
];

const TOOL_CALL_STREAMS: &[&str] = &[
    "test_invoke_model_with_response_stream_no_content_tool_call[anthropic.claude]",
    "test_invoke_model_with_response_stream_with_content_tool_call[anthropic.claude]",
    "test_invoke_model_with_response_stream_no_content_tool_call[amazon.nova]",
    "test_invoke_model_with_response_stream_with_content_tool_call[amazon.nova]",
];

#[test]
fn recorded_tool_calls_replayed_give_the_recorded_names_and_inputs() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let mut checked = 0;
    for name in TOOL_CALL_CASSETTES {
        let path = fixtures().join(format!("otel-python-contrib/{name}.yaml"));
        let model = model_of(&path);
        for (index, (request, body)) in cassette(&path).into_iter().enumerate() {
            let expected = calls_of_body(&serde_json::from_slice(&body).expect("a JSON body"));
            if expected.is_empty() {
                continue;
            }
            let tools = tools_file(&request, dir.path());
            let replay = Replay::serve("application/json", body);
            let run = replay.invoke(&[
                "-m",
                &model,
                "--no-stream",
                "--output",
                "json",
                "--tools",
                tools.to_str().expect("utf-8"),
                "What is the weather?",
            ]);
            assert_eq!(
                run.code,
                Some(0),
                "{name} #{index}: {}\n{}",
                run.stdout,
                run.stderr
            );
            assert_eq!(calls_printed(&run), expected, "{name} #{index}");
            assert_eq!(run.json()["stop_reason"], "tool_use", "{name} #{index}");
            checked += 1;
        }
    }
    for name in TOOL_CALL_STREAMS {
        let path = fixtures().join(format!("otel-python-contrib/{name}.yaml"));
        let model = model_of(&path);
        let (request, _) = cassette(&path).into_iter().next().expect("an interaction");
        let tools = tools_file(&request, dir.path());
        for interaction in 0..2 {
            let stem = format!(
                "otel-python-contrib__{}__{interaction}",
                name.replace('[', "_").replace(']', "")
            );
            let expected = calls_of_stream(&bedrock_recorded::read::decoded_stream_json(&stem));
            if expected.is_empty() {
                continue;
            }
            let bytes = std::fs::read(fixtures().join(format!("decoded/{stem}.eventstream")))
                .expect("the recorded stream");
            let replay = Replay::serve("application/vnd.amazon.eventstream", bytes);
            let run = replay.invoke(&[
                "-m",
                &model,
                "--output",
                "json",
                "--tools",
                tools.to_str().expect("utf-8"),
                "What is the weather?",
            ]);
            assert_eq!(run.code, Some(0), "{stem}: {}\n{}", run.stdout, run.stderr);
            assert_eq!(calls_printed(&run), expected, "{stem}");
            assert_eq!(run.json()["stop_reason"], "tool_use", "{stem}");
            assert_eq!(run.json()["streamed"], true, "{stem}");
            checked += 1;
        }
    }
    assert_eq!(
        checked, 8,
        "four recorded answers and four recorded streams with tool calls"
    );
}

#[test]
fn recorded_tool_calls_print_one_parseable_line_each_after_the_text() {
    let path = fixtures().join(
        "otel-python-contrib/test_invoke_model_with_content_tool_call[anthropic.claude].yaml",
    );
    let (request, body) = cassette(&path).into_iter().next().expect("an interaction");
    let expected = calls_of_body(&serde_json::from_slice(&body).expect("JSON"));
    let dir = tempfile::tempdir().expect("a temp dir");
    let tools = tools_file(&request, dir.path());
    let replay = Replay::serve("application/json", body);
    let run = replay.invoke(&[
        "-m",
        &model_of(&path),
        "--no-stream",
        "--tools",
        tools.to_str().expect("utf-8"),
        "What is the weather?",
    ]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let lines: Vec<(String, Value)> = run
        .stdout
        .lines()
        .filter_map(|line| line.strip_prefix("tool call "))
        .map(|rest| {
            let mut fields = rest.splitn(3, ' ');
            let (_id, name, input) = (
                fields.next().expect("id"),
                fields.next().expect("name"),
                fields.next().expect("input"),
            );
            (
                name.to_owned(),
                serde_json::from_str(input).expect("the input as JSON"),
            )
        })
        .collect();
    assert_eq!(lines, expected, "{}", run.stdout);
    let first_call = run.stdout.find("tool call ").expect("a tool call line");
    assert!(
        first_call > 0,
        "the answer's text comes first: {}",
        run.stdout
    );
}

#[test]
fn the_recorded_prompt_cache_exchange_gives_its_cache_counts() {
    let path =
        fixtures().join("openllmetry/traces__cassettes__test_anthropic__test_prompt_cache.yaml");
    let model = model_of(&path);
    let mut checked = 0;
    for (_, body) in cassette(&path) {
        let recorded: Value = serde_json::from_slice(&body).expect("JSON");
        let usage = &recorded["usage"];
        let replay = Replay::serve("application/json", body);
        let run = replay.invoke(&[
            "-m",
            &model,
            "--no-stream",
            "--output",
            "json",
            "--cache",
            "--system",
            "very very long system prompt",
            "How do I write js?",
        ]);
        assert_eq!(run.code, Some(0), "{}", run.stderr);
        let printed = run.json();
        assert_eq!(
            printed["cache_read_tokens"], usage["cache_read_input_tokens"],
            "{printed}"
        );
        assert_eq!(
            printed["cache_write_tokens"], usage["cache_creation_input_tokens"],
            "{printed}"
        );
        assert_eq!(printed["input_tokens"], usage["input_tokens"], "{printed}");
        checked += 1;
    }
    assert_eq!(checked, 2, "one cache write, one cache read");
}

impl Replay {
    /// `COMMAND ARGS` against this server, with any credentials.
    fn run(&self, command_name: &str, args: &[&str]) -> Run {
        let mut command = bedrock_host();
        command
            .args([
                "--endpoint-url",
                &self.endpoint,
                "--region",
                "us-east-1",
                "--max-attempts",
                "1",
            ])
            .arg(command_name)
            .args(args)
            .env("AWS_ACCESS_KEY_ID", "AKIDREPLAYED")
            .env("AWS_SECRET_ACCESS_KEY", "replayed");
        run(command)
    }
}

/// The numbers of a JSON list of lists.
fn matrix(value: &Value) -> Vec<Vec<f64>> {
    value
        .as_array()
        .expect("a list")
        .iter()
        .map(|row| {
            row.as_array()
                .expect("a list of numbers")
                .iter()
                .map(|n| n.as_f64().expect("a number"))
                .collect()
        })
        .collect()
}

/// Recorded Titan and Cohere embedding answers, replayed to `embed`, give
/// exactly the recorded vectors.
#[test]
fn recorded_embeddings_replayed_give_exactly_the_recorded_vectors() {
    let mut checked = 0;
    for name in ["amazon_embedding.yaml", "cohere_embedding.yaml"] {
        let path = fixtures().join("dd-trace-py").join(name);
        let model = model_of(&path);
        for (request, body) in cassette(&path) {
            let recorded: Value = serde_json::from_slice(&body).expect("a JSON answer");
            let expected = match recorded.get("embedding") {
                Some(one) => vec![
                    one.as_array()
                        .expect("a vector")
                        .iter()
                        .map(|n| n.as_f64().expect("a number"))
                        .collect(),
                ],
                None => matrix(&recorded["embeddings"]),
            };
            let texts: Vec<String> = match request.get("inputText") {
                Some(text) => vec![text.as_str().expect("text").to_owned()],
                None => request["texts"]
                    .as_array()
                    .expect("texts")
                    .iter()
                    .map(|t| t.as_str().expect("text").to_owned())
                    .collect(),
            };
            let replay = Replay::serve("application/json", body.clone());
            let mut args = vec!["-m", model.as_str(), "--output", "json"];
            if let Some(purpose) = request.get("input_type").and_then(Value::as_str) {
                args.extend([
                    "--input-type",
                    if purpose == "search_query" {
                        "search-query"
                    } else {
                        "search-document"
                    },
                ]);
            }
            args.extend(texts.iter().map(String::as_str));
            let embedded = replay.run("embed", &args);
            assert_eq!(embedded.code, Some(0), "{name}: {}", embedded.stderr);
            assert_eq!(matrix(&embedded.json()["embeddings"]), expected, "{name}");
            checked += 1;
        }
    }
    assert_eq!(checked, 2, "one recorded exchange each");
}

/// The recorded Cohere Rerank 3.5 answer, replayed to `rerank`, gives
/// exactly the recorded order and scores.
#[test]
fn the_recorded_rerank_replayed_gives_exactly_the_recorded_scores() {
    let path = fixtures()
        .join("dd-trace-py")
        .join("cohere_rerank_invoke.yaml");
    let model = model_of(&path);
    let exchanges = cassette(&path);
    assert_eq!(exchanges.len(), 1);
    let (request, body) = &exchanges[0];
    let recorded: Value = serde_json::from_slice(body).expect("a JSON answer");
    let replay = Replay::serve("application/json", body.clone());
    let documents: Vec<&str> = request["documents"]
        .as_array()
        .expect("documents")
        .iter()
        .map(|d| d.as_str().expect("a document"))
        .collect();
    let top_n = request["top_n"].to_string();
    let mut args = vec![
        "-m",
        model.as_str(),
        "--query",
        request["query"].as_str().expect("a query"),
        "--top-n",
        top_n.as_str(),
        "--output",
        "json",
    ];
    args.extend(documents.iter().copied());
    let ranked = replay.run("rerank", &args);
    assert_eq!(ranked.code, Some(0), "{}", ranked.stderr);
    let got: Vec<(u64, f64)> = ranked.json()["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| {
            (
                r["index"].as_u64().expect("index"),
                r["score"].as_f64().expect("score"),
            )
        })
        .collect();
    let want: Vec<(u64, f64)> = recorded["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| {
            (
                r["index"].as_u64().expect("index"),
                r["relevance_score"].as_f64().expect("score"),
            )
        })
        .collect();
    assert_eq!(got, want);
}
