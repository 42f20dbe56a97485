//! Amazon Rerank 1.0 on `InvokeModel` (`amazon.rerank-v1:0`): the body that
//! orders documents by relevance to a query (`query`, `documents`,
//! `top_n`) and the ranking of its answer (`results[].index` and
//! `relevance_score`).
//!
//! Invariants: the answer's order is kept (Bedrock sends the most relevant
//! first); whether each index names a document once is the host's check,
//! which knows how many were sent.

use bedrock_adapter_kit::models;
use bedrock_adapter_kit::options::{self, Kind};
use bedrock_adapter_kit::request::json_body;
use bedrock_adapter_kit::types::{AdapterError, Body};
use bedrock_adapter_kit::wire;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::exports::bedrock::adapter::embedder::{Ranked, RerankModel, RerankRequest};

/// The base-id prefix of Amazon Rerank.
const PREFIX: &str = "amazon.rerank-v1";

/// The most documents one call ranks (AWS, "Amazon Rerank": 1,000).
const MAX_DOCUMENTS: u32 = 1000;

/// The body fields the adapter fills itself, with what to use instead.
const OWNED: &[(&str, &str)] = &[
    ("query", "use --query"),
    ("documents", "give the documents as arguments or --file"),
    ("top_n", "use --top-n"),
];

/// The rerank models of this adapter.
pub fn supported() -> Vec<RerankModel> {
    vec![RerankModel {
        pattern: format!("{PREFIX}*"),
        max_documents: MAX_DOCUMENTS,
    }]
}

/// Builds the body that ranks `req.documents` against `req.query`.
pub fn build(req: RerankRequest) -> Result<Body, AdapterError> {
    if !models::matches(&format!("{PREFIX}*"), &req.model_id) {
        return Err(AdapterError::Unsupported(format!(
            "{} is not an Amazon rerank model",
            req.model_id
        )));
    }
    let mut body = options::parse_known(&req.extra, OWNED, &[] as &[(&str, Kind)])?;
    body.insert("query".to_owned(), json!(req.query));
    body.insert("documents".to_owned(), json!(req.documents));
    if let Some(top_n) = req.top_n {
        body.insert("top_n".to_owned(), json!(top_n));
    }
    json_body(&Value::Object(body))
}

/// One result of a rerank answer.
#[derive(Deserialize)]
struct WireResult {
    index: u32,
    relevance_score: f64,
}

/// A rerank answer: `results`, most relevant first.
#[derive(Deserialize)]
struct WireAnswer {
    results: Vec<WireResult>,
}

/// Parses a rerank answer into its ranking, in the answer's order.
pub fn parse(body: &[u8]) -> Result<Vec<Ranked>, AdapterError> {
    let answer: WireAnswer = wire::read(wire::object(body, "the body")?, "a rerank answer")?;
    Ok(answer
        .results
        .into_iter()
        .map(|result| Ranked {
            index: result.index,
            score: result.relevance_score,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use bedrock_adapter_kit::testing::body_json;

    #[test]
    fn builds_query_documents_and_top_n() {
        let req = RerankRequest {
            model_id: "amazon.rerank-v1:0".to_owned(),
            query: "capital".to_owned(),
            documents: vec!["a".to_owned(), "b".to_owned()],
            top_n: Some(1),
            extra: vec![],
        };
        assert_eq!(
            body_json(build(req)),
            json!({ "query": "capital", "documents": ["a", "b"], "top_n": 1 })
        );
    }

    #[test]
    fn parses_the_ranking_in_its_order() {
        let answer =
            br#"{"results":[{"index":2,"relevance_score":0.9},{"index":0,"relevance_score":0.1}]}"#;
        let ranked = parse(answer).unwrap();
        let pairs: Vec<(u32, f64)> = ranked.iter().map(|r| (r.index, r.score)).collect();
        assert_eq!(pairs, [(2, 0.9), (0, 0.1)]);
        assert!(matches!(
            parse(br#"{"results":[{"index":"x"}]}"#),
            Err(AdapterError::MalformedResponse(_))
        ));
    }
}
