//! Embeddings and reranking as a user meets them: `embed` and `rerank`
//! through the real CLI, the real `cohere` plugin (its `embedder` export,
//! contract 0.2.1) and the AWS SDK against the local Bedrock. Many inputs
//! are split into calls of the pattern's size and come back in order; what
//! the model's pattern does not list is refused before anything is sent.

use serde_json::Value;

use crate::support::{LocalServer, run};

const EMBED: &str = "cohere.embed-english-v3";
const RERANK: &str = "cohere.rerank-v3-5:0";

fn vectors(value: &Value) -> Vec<Vec<f64>> {
    value
        .as_array()
        .expect("a list of vectors")
        .iter()
        .map(|vector| {
            vector
                .as_array()
                .expect("a vector")
                .iter()
                .map(|number| number.as_f64().expect("a number"))
                .collect()
        })
        .collect()
}

#[test]
fn embed_gives_one_vector_per_input_in_json_and_in_text() {
    let server = LocalServer::start();
    let json = run(server.command(&[
        "embed",
        "-m",
        EMBED,
        "--output",
        "json",
        "Hello World!",
        "Goodbye cruel world!",
    ]));
    assert_eq!(json.code, Some(0), "{}", json.stderr);
    let answer = json.json();
    assert_eq!(answer["model_id"], EMBED);
    assert_eq!(answer["plugin"], "cohere");
    assert_eq!(answer["dimensions"], 1024);
    assert!(
        answer["input_tokens"].as_u64().is_some_and(|n| n > 0),
        "{answer}"
    );
    let embedded = vectors(&answer["embeddings"]);
    assert_eq!(embedded.len(), 2);
    assert!(embedded.iter().all(|v| v.len() == 1024));
    assert_ne!(
        embedded[0], embedded[1],
        "different texts, different vectors"
    );

    let text = run(server.command(&["embed", "-m", EMBED, "Hello World!"]));
    assert_eq!(text.code, Some(0), "{}", text.stderr);
    let line: Value = serde_json::from_str(text.stdout.trim()).expect("one JSON array");
    assert_eq!(vectors(&Value::Array(vec![line]))[0], embedded[0]);
}

/// 100 inputs make two calls (Cohere takes 96 a call), sent at once; each
/// vector is the one its input gets alone, so the order is the inputs'.
#[test]
fn many_inputs_are_split_into_calls_and_come_back_in_order() {
    let server = LocalServer::start();
    let dir = tempfile::tempdir().expect("temp dir");
    let texts: Vec<String> = (0..100).map(|n| format!("sentence number {n}")).collect();
    let file = dir.path().join("inputs.txt");
    std::fs::write(&file, texts.join("\n")).expect("write the inputs");
    let mut command = server.command(&["embed", "-m", EMBED, "--output", "jsonl", "--file"]);
    command.arg(&file);
    let all = run(command);
    assert_eq!(all.code, Some(0), "{}", all.stderr);
    let lines: Vec<Value> = all
        .stdout
        .lines()
        .map(|line| serde_json::from_str(line).expect("a JSON line"))
        .collect();
    assert_eq!(lines.len(), 100);
    for (index, line) in lines.iter().enumerate() {
        assert_eq!(line["index"], index);
    }
    for index in [0, 95, 96, 99] {
        let alone = run(server.command(&["embed", "-m", EMBED, &texts[index]]));
        assert_eq!(alone.code, Some(0), "{}", alone.stderr);
        let vector: Value = serde_json::from_str(alone.stdout.trim()).expect("a vector");
        assert_eq!(lines[index]["embedding"], vector, "input {index}");
    }
}

#[test]
fn what_the_pattern_does_not_list_is_refused_naming_model_plugin_and_flag() {
    let server = LocalServer::start();
    let dimensions = run(server.command(&["embed", "-m", EMBED, "--dimensions", "256", "hi"]));
    assert_eq!(dimensions.code, Some(2), "{}", dimensions.stderr);
    assert!(
        dimensions.stderr.contains(EMBED)
            && dimensions.stderr.contains("cohere")
            && dimensions.stderr.contains("--dimensions"),
        "{}",
        dimensions.stderr
    );
    let normalize = run(server.command(&["embed", "-m", EMBED, "--normalize", "hi"]));
    assert_eq!(normalize.code, Some(2), "{}", normalize.stderr);
    let nothing = run(server.command(&["embed", "-m", EMBED]));
    assert_eq!(nothing.code, Some(2), "{}", nothing.stderr);
    let text_model = run(server.command(&[
        "embed",
        "-m",
        "anthropic.claude-3-haiku-20240307-v1:0",
        "hi",
    ]));
    assert_eq!(text_model.code, Some(3), "{}", text_model.stderr);
}

#[test]
fn rerank_orders_documents_most_relevant_first() {
    let server = LocalServer::start();
    let documents = [
        "Carson City is the capital city of Nevada.",
        "Washington, D.C. is the capital of the United States.",
        "Capital punishment is legal in some states.",
    ];
    let mut args = vec![
        "rerank",
        "-m",
        RERANK,
        "--query",
        "What is the capital of the United States?",
        "--output",
        "json",
    ];
    args.extend(documents);
    let ranked = run(server.command(&args));
    assert_eq!(ranked.code, Some(0), "{}", ranked.stderr);
    let results = ranked.json()["results"]
        .as_array()
        .expect("results")
        .clone();
    assert_eq!(results.len(), 3);
    assert_eq!(results[0]["index"], 1);
    assert_eq!(results[0]["document"], documents[1]);
    let scores: Vec<f64> = results
        .iter()
        .map(|r| r["score"].as_f64().expect("a score"))
        .collect();
    assert!(
        scores.windows(2).all(|pair| pair[0] >= pair[1]),
        "{scores:?}"
    );

    args.extend(["--top-n", "1"]);
    let top = run(server.command(&args));
    assert_eq!(top.code, Some(0), "{}", top.stderr);
    assert_eq!(top.json()["results"].as_array().map(Vec::len), Some(1));
}
