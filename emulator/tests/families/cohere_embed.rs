//! Cohere Embed v3 and v4 and Rerank 3.5 through the real HTTP API: the recorded request bodies
//! are answered in the recorded shapes, vectors are deterministic and of the asked length, the
//! fields Bedrock refuses are refused by name, and streaming is refused.

use serde_json::json;

use crate::harness::{harness, key_paths, recorded_bodies, recorded_requests};

const EMBED_V3: &str = "cohere.embed-english-v3";
const EMBED_V4: &str = "cohere.embed-v4:0";
const RERANK: &str = "cohere.rerank-v3-5:0";

#[tokio::test]
async fn embed_v3_answers_the_recorded_request_in_the_recorded_shape() {
    let harness = harness().await;
    let requests = recorded_requests("dd-trace-py/cohere_embedding.yaml");
    let (_, body) = &requests[0];
    let reply = harness.invoke(EMBED_V3, body).await;
    let recorded = recorded_bodies("dd-trace-py/cohere_embedding.yaml");
    assert_eq!(key_paths(&reply), key_paths(&recorded[0]));
    assert_eq!(reply["embeddings"].as_array().map(Vec::len), Some(2));
    assert_eq!(reply["embeddings"][0].as_array().map(Vec::len), Some(1024));
    // "Hello World!" and "Goodbye cruel world!": five words.
    assert_eq!(
        harness.header_count("x-amzn-bedrock-input-token-count"),
        Some(5)
    );
    let again = harness.invoke(EMBED_V3, body).await;
    assert_eq!(
        again["embeddings"], reply["embeddings"],
        "the same text gives the same vector"
    );
}

#[tokio::test]
async fn embed_v4_answers_by_type_at_the_asked_dimension() {
    let harness = harness().await;
    let reply = harness
        .invoke(
            EMBED_V4,
            &json!({"texts": ["a b"], "input_type": "search_query",
            "output_dimension": 256, "embedding_types": ["float", "int8"]}),
        )
        .await;
    assert_eq!(reply["response_type"], "embeddings_by_type");
    assert_eq!(
        reply["embeddings"]["float"][0].as_array().map(Vec::len),
        Some(256)
    );
    assert_eq!(
        reply["embeddings"]["int8"][0].as_array().map(Vec::len),
        Some(256)
    );
}

#[tokio::test]
async fn embed_refuses_what_bedrock_refuses_by_field() {
    let harness = harness().await;
    let missing = harness
        .invoke_error(EMBED_V3, &json!({"texts": ["a"]}))
        .await;
    assert_eq!(missing.code, "ValidationException");
    assert!(
        missing.message.contains("required key [input_type]"),
        "{}",
        missing.message
    );
    let many = vec!["a"; 97];
    let too_many = harness
        .invoke_error(
            EMBED_V3,
            &json!({"texts": many, "input_type": "search_document"}),
        )
        .await;
    assert!(too_many.message.contains("#/texts"), "{}", too_many.message);
    let dimension = harness
        .invoke_error(
            EMBED_V4,
            &json!({"texts": ["a"], "input_type": "search_document",
            "output_dimension": 300}),
        )
        .await;
    assert!(
        dimension.message.contains("#/output_dimension"),
        "{}",
        dimension.message
    );
    let stream = harness
        .stream_error(
            EMBED_V3,
            &json!({"texts": ["a"], "input_type": "search_document"}),
        )
        .await;
    assert_eq!(stream.message, "The model is unsupported for streaming.");
}

#[tokio::test]
async fn rerank_orders_the_recorded_documents_by_overlap_with_the_query() {
    let harness = harness().await;
    let requests = recorded_requests("dd-trace-py/cohere_rerank_invoke.yaml");
    let (_, body) = &requests[0];
    let reply = harness.invoke(RERANK, body).await;
    let recorded = recorded_bodies("dd-trace-py/cohere_rerank_invoke.yaml");
    assert_eq!(key_paths(&reply), key_paths(&recorded[0]));
    let results = reply["results"].as_array().expect("results");
    assert_eq!(results.len(), 3, "top_n");
    // The Washington document holds every word of the query.
    assert_eq!(results[0]["index"], 2);
    let scores: Vec<f64> = results
        .iter()
        .map(|r| r["relevance_score"].as_f64().unwrap())
        .collect();
    assert!(
        scores.windows(2).all(|pair| pair[0] >= pair[1]),
        "{scores:?}"
    );
    let no_version = harness
        .invoke_error(RERANK, &json!({"query": "q", "documents": ["d"]}))
        .await;
    assert!(
        no_version.message.contains("required key [api_version]"),
        "{}",
        no_version.message
    );
}
