//! Cohere Rerank 3.5 on `InvokeModel` (`cohere.rerank-v3-5:0`): the body
//! that orders documents by relevance to a query (`query`, `documents`,
//! `top_n`, `api_version: 2`) and the ranking of its answer
//! (`results[].index` and `relevance_score`).
//!
//! Invariants: `api_version` is always 2, which Bedrock requires of Rerank
//! 3.5; the answer's order is kept (most relevant first); whether each
//! index names a document once is the host's check, which knows how many
//! were sent.

use bedrock_adapter_kit::models;
use bedrock_adapter_kit::options::{self, Kind};
use bedrock_adapter_kit::request::json_body;
use bedrock_adapter_kit::types::{AdapterError, Body};
use bedrock_adapter_kit::wire;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::exports::bedrock::adapter::embedder::{Ranked, RerankModel, RerankRequest};

/// The base-id prefix of Cohere Rerank 3.5.
const PREFIX: &str = "cohere.rerank-v3-5";

/// The most documents one call ranks (Cohere Rerank 3.5: 1,000).
const MAX_DOCUMENTS: u32 = 1000;

/// The body fields the adapter fills itself, with what to use instead.
const OWNED: &[(&str, &str)] = &[
    ("query", "use --query"),
    ("documents", "give the documents as arguments or --file"),
    ("top_n", "use --top-n"),
    (
        "api_version",
        "the adapter sends 2, which Rerank 3.5 requires",
    ),
];

/// The option kinds the adapter checks; other keys go to Bedrock as given.
const KNOWN: &[(&str, Kind)] = &[("max_tokens_per_doc", Kind::Count)];

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
            "{} is not a Cohere rerank model",
            req.model_id
        )));
    }
    let mut body = options::parse_known(&req.extra, OWNED, KNOWN)?;
    body.insert("query".to_owned(), json!(req.query));
    body.insert("documents".to_owned(), json!(req.documents));
    body.insert("api_version".to_owned(), json!(2));
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

    /// The query and documents dd-trace-py recorded
    /// (`dd-trace-py/cohere_rerank_invoke.yaml`).
    const QUERY: &str = "What is the capital of the United States?";
    const DOCUMENTS: &[&str] = &[
        "Carson City is the capital city of the American state of Nevada.",
        "The Commonwealth of the Northern Mariana Islands is a group of islands in the Pacific Ocean. Its capital is Saipan.",
        "Washington, D.C. (also known as simply Washington or D.C., and officially as the District of Columbia) is the capital of the United States. It is a federal district.",
        "Capitalization or capitalisation in English grammar is the use of a capital letter at the start of a word. English usage varies from capitalization in other languages.",
        "Capital punishment has existed in the United States since beforethe United States was a country. As of 2017, capital punishment is legal in 30 of the 50 states.",
    ];

    #[test]
    fn builds_the_recorded_request() {
        let req = RerankRequest {
            model_id: "cohere.rerank-v3-5:0".to_owned(),
            query: QUERY.to_owned(),
            documents: DOCUMENTS.iter().map(|d| (*d).to_owned()).collect(),
            top_n: Some(3),
            extra: vec![],
        };
        assert_eq!(
            body_json(build(req)),
            json!({ "query": QUERY, "documents": DOCUMENTS, "api_version": 2, "top_n": 3 })
        );
    }

    #[test]
    fn the_recorded_answer_gives_exactly_its_scores() {
        let answers =
            bedrock_recorded::read::cassette_json_bodies("dd-trace-py/cohere_rerank_invoke.yaml");
        assert_eq!(answers.len(), 1);
        let ranked = parse(&serde_json::to_vec(&answers[0]).unwrap()).unwrap();
        let pairs: Vec<(u32, f64)> = ranked.iter().map(|r| (r.index, r.score)).collect();
        assert_eq!(pairs, [(2, 0.8742601), (0, 0.1728413), (4, 0.10793502)]);
    }

    #[test]
    fn refuses_an_owned_field_and_a_bad_answer() {
        let req = RerankRequest {
            model_id: "cohere.rerank-v3-5:0".to_owned(),
            query: "q".to_owned(),
            documents: vec!["d".to_owned()],
            top_n: None,
            extra: vec![("api_version".to_owned(), "1".to_owned())],
        };
        assert!(matches!(build(req),
            Err(AdapterError::InvalidRequest(message)) if message.starts_with("-o api_version")));
        assert!(matches!(
            parse(b"{}"),
            Err(AdapterError::MalformedResponse(_))
        ));
    }
}
