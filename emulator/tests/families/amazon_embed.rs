//! Amazon's embedding, rerank and image models through the real HTTP API: the recorded Titan
//! embedding request is answered in the recorded shape, Titan V2, Nova embeddings, Amazon Rerank
//! and Nova Canvas answer in the shapes AWS documents, refusals name their field, and none of
//! them streams.

use serde_json::json;

use crate::harness::{harness, key_paths, recorded_bodies, recorded_requests};

#[tokio::test]
async fn titan_answers_the_recorded_request_in_the_recorded_shape() {
    let harness = harness().await;
    let requests = recorded_requests("dd-trace-py/amazon_embedding.yaml");
    let (model_id, body) = &requests[0];
    let reply = harness.invoke(model_id, body).await;
    let recorded = recorded_bodies("dd-trace-py/amazon_embedding.yaml");
    assert_eq!(key_paths(&reply), key_paths(&recorded[0]));
    assert_eq!(
        reply["embedding"].as_array().map(Vec::len),
        recorded[0]["embedding"].as_array().map(Vec::len)
    );
    assert_eq!(
        harness.header_count("x-amzn-bedrock-input-token-count"),
        reply["inputTextTokenCount"].as_u64()
    );
    let refused = harness.stream_error(model_id, body).await;
    assert_eq!(refused.code, "ValidationException");
}

#[tokio::test]
async fn titan_v2_nova_rerank_and_canvas_answer_in_their_documented_shapes() {
    let harness = harness().await;
    let v2 = harness
        .invoke(
            "amazon.titan-embed-text-v2:0",
            &json!({"inputText": "a b c", "dimensions": 512, "embeddingTypes": ["binary"]}),
        )
        .await;
    assert_eq!(v2["embedding"].as_array().map(Vec::len), Some(512));
    assert_eq!(
        v2["embeddingsByType"]["binary"].as_array().map(Vec::len),
        Some(512)
    );
    assert_eq!(v2["inputTextTokenCount"], 3);

    let nova = harness
        .invoke(
            "amazon.nova-2-multimodal-embeddings-v1:0",
            &json!({"schemaVersion": "nova-multimodal-embed-v1", "taskType": "SINGLE_EMBEDDING",
                    "singleEmbeddingParams": {"embeddingPurpose": "TEXT_RETRIEVAL",
                        "embeddingDimension": 384,
                        "text": {"truncationMode": "NONE", "value": "hello"}}}),
        )
        .await;
    assert_eq!(nova["embeddings"][0]["embeddingType"], "TEXT");
    assert_eq!(
        nova["embeddings"][0]["embedding"].as_array().map(Vec::len),
        Some(384)
    );

    let ranked = harness
        .invoke(
            "amazon.rerank-v1:0",
            &json!({"query": "red fox", "documents": ["blue sky", "a red fox"]}),
        )
        .await;
    assert_eq!(ranked["results"][0]["index"], 1);
    assert!(ranked["results"][0]["relevance_score"].is_f64());

    let painted = harness
        .invoke(
            "amazon.nova-canvas-v1:0",
            &json!({"taskType": "TEXT_IMAGE", "textToImageParams": {"text": "a fox"},
                    "imageGenerationConfig": {"width": 320, "height": 320}}),
        )
        .await;
    assert_eq!(painted["images"].as_array().map(Vec::len), Some(1));
    assert!(!harness.has_header("x-amzn-bedrock-input-token-count"));

    let refused = harness
        .invoke_error(
            "amazon.titan-embed-text-v2:0",
            &json!({"inputText": "a", "embeddingTypes": ["int8"]}),
        )
        .await;
    assert_eq!(refused.code, "ValidationException");
    assert!(
        refused.message.contains("#/embeddingTypes: int8"),
        "{}",
        refused.message
    );
}
