//! Cohere's embedding and rerank models on Bedrock: Embed v3 English and Multilingual and Embed
//! v4 (`texts` or `images`, `input_type` required, `truncate`, `embedding_types`; v4 also
//! `inputs`, `output_dimension`, `max_tokens`) and Rerank 3.5 (`query`, `documents`, `top_n`,
//! `api_version: 2`), validated as Bedrock validates them (a ValidationException naming the
//! field) and answered in their recorded shapes with deterministic vectors and relevances.
//! Invariant: the vectors of an input depend only on the model, its `input_type` and the input.

use serde_json::{Map, Value, json};

use crate::api_error::ApiError;
use crate::providers::embedding::{BodyReply, relevance, vector};
use crate::providers::schema::{self, Violations};
use crate::providers::{Reply, count_words};

/// One Cohere embedding or rerank model.
#[derive(Debug)]
pub(crate) struct CohereEmbedModel {
    /// The Bedrock base model id.
    id: &'static str,
    kind: Kind,
}

/// What a model does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    EmbedV3,
    EmbedV4,
    Rerank,
}

const MODELS: &[CohereEmbedModel] = &[
    CohereEmbedModel {
        id: "cohere.embed-english-v3",
        kind: Kind::EmbedV3,
    },
    CohereEmbedModel {
        id: "cohere.embed-multilingual-v3",
        kind: Kind::EmbedV3,
    },
    CohereEmbedModel {
        id: "cohere.embed-v4:0",
        kind: Kind::EmbedV4,
    },
    CohereEmbedModel {
        id: "cohere.rerank-v3-5:0",
        kind: Kind::Rerank,
    },
];

/// The most texts or images of one call.
const MAX_INPUTS: usize = 96;
/// The most documents of one rerank call.
const MAX_DOCUMENTS: usize = 1000;
/// The formats `embedding_types` may name.
const FORMATS: &[&str] = &["float", "int8", "uint8", "binary", "ubinary"];

/// The Cohere embedding or rerank model with this base id.
pub(crate) fn lookup(base_model_id: &str) -> Option<&'static CohereEmbedModel> {
    MODELS.iter().find(|model| model.id == base_model_id)
}

/// Validates `body` for `model` and answers it.
pub(crate) fn invoke(
    model: &'static CohereEmbedModel,
    body: &[u8],
) -> Result<Box<dyn Reply>, ApiError> {
    let object = schema::parse_object(body)?;
    match model.kind {
        Kind::Rerank => rerank(&object),
        Kind::EmbedV3 | Kind::EmbedV4 => embed(model, &object),
    }
}

fn embed(
    model: &CohereEmbedModel,
    object: &Map<String, Value>,
) -> Result<Box<dyn Reply>, ApiError> {
    let v4 = model.kind == Kind::EmbedV4;
    let mut violations = Violations::default();
    let allowed: &[&str] = if v4 {
        &[
            "texts",
            "images",
            "inputs",
            "input_type",
            "truncate",
            "embedding_types",
            "output_dimension",
            "max_tokens",
        ]
    } else {
        &[
            "texts",
            "images",
            "input_type",
            "truncate",
            "embedding_types",
        ]
    };
    schema::reject_unknown_keys(object, "#", allowed, &mut violations);
    let purposes: &[&str] = if v4 {
        &[
            "search_document",
            "search_query",
            "classification",
            "clustering",
        ]
    } else {
        &[
            "search_document",
            "search_query",
            "classification",
            "clustering",
            "image",
        ]
    };
    if !object.contains_key("input_type") {
        violations.required_key("#", "input_type");
    }
    let input_type =
        schema::optional_enum(object, "#", "input_type", purposes, &mut violations).unwrap_or("");
    schema::optional_enum(
        object,
        "#",
        "truncate",
        if v4 {
            &["NONE", "LEFT", "RIGHT"]
        } else {
            &["NONE", "START", "END"]
        },
        &mut violations,
    );
    let formats = schema::optional_string_list(
        object,
        "#",
        "embedding_types",
        FORMATS.len(),
        &mut violations,
    );
    for format in &formats {
        if !FORMATS.contains(&format.as_str()) {
            violations.not_in_enum("#/embedding_types", format);
        }
    }
    let length = match object.get("output_dimension") {
        Some(value) => match value.as_u64() {
            Some(n @ (256 | 512 | 1024 | 1536)) => n as usize,
            _ => {
                violations.not_in_enum("#/output_dimension", &value.to_string());
                0
            }
        },
        None => {
            if v4 {
                1536
            } else {
                1024
            }
        }
    };
    schema::optional_count(object, "#", "max_tokens", 1..=128_000, &mut violations);
    let inputs = inputs_of(object, v4, &mut violations);
    violations.into_result()?;
    if inputs.is_empty() {
        return Err(ApiError::validation(
            "Malformed input request: one of texts, images or inputs is required",
        ));
    }
    let vectors = |format: &str| -> Vec<Vec<f64>> {
        inputs
            .iter()
            .map(|input| {
                let floats = vector(&format!("{}|{input_type}|{input}", model.id), length, true);
                match format {
                    "float" => floats,
                    "int8" => floats.iter().map(|n| (n * 127.0).round()).collect(),
                    "uint8" => floats.iter().map(|n| (n * 127.0).round() + 128.0).collect(),
                    "binary" | "ubinary" => floats
                        .chunks(8)
                        .map(|bits| {
                            let byte = bits
                                .iter()
                                .fold(0u8, |acc, n| (acc << 1) | u8::from(*n > 0.0));
                            if format == "binary" {
                                f64::from(byte) - 128.0
                            } else {
                                f64::from(byte)
                            }
                        })
                        .collect(),
                    _ => floats,
                }
            })
            .collect()
    };
    let texts: Vec<&str> = inputs.iter().map(String::as_str).collect();
    let body = if formats.is_empty() && !v4 {
        json!({ "id": uuid::Uuid::new_v4().to_string(), "embeddings": vectors("float"),
                "response_type": "embeddings_floats", "texts": texts })
    } else {
        let wanted = if formats.is_empty() {
            vec!["float".to_owned()]
        } else {
            formats
        };
        let by_type: Map<String, Value> = wanted
            .iter()
            .map(|f| (f.clone(), json!(vectors(f))))
            .collect();
        json!({ "id": uuid::Uuid::new_v4().to_string(), "embeddings": by_type,
                "response_type": "embeddings_by_type", "texts": texts })
    };
    let input_tokens = inputs.iter().map(|input| count_words(input)).sum();
    Ok(Box::new(BodyReply {
        body: body.to_string().into_bytes(),
        input_tokens,
    }))
}

/// The inputs of an embed body, as the text each vector is derived from; violations for too
/// many, for texts with images, and for v3's more than one image.
fn inputs_of(object: &Map<String, Value>, v4: bool, violations: &mut Violations) -> Vec<String> {
    let texts = schema::optional_string_list(object, "#", "texts", MAX_INPUTS, violations);
    let images = schema::optional_string_list(
        object,
        "#",
        "images",
        if v4 { MAX_INPUTS } else { 1 },
        violations,
    );
    let mixed: Vec<String> = match object.get("inputs") {
        Some(Value::Array(items)) if items.len() <= MAX_INPUTS => {
            items.iter().map(Value::to_string).collect()
        }
        Some(Value::Array(items)) => {
            violations.too_many_items("#/inputs", MAX_INPUTS, items.len());
            vec![]
        }
        Some(other) => {
            violations.wrong_type("#/inputs", "JSONArray", other);
            vec![]
        }
        None => vec![],
    };
    let given = [!texts.is_empty(), !images.is_empty(), !mixed.is_empty()];
    if given.iter().filter(|g| **g).count() > 1 {
        violations.extraneous_key("#", "images");
    }
    texts.into_iter().chain(images).chain(mixed).collect()
}

fn rerank(object: &Map<String, Value>) -> Result<Box<dyn Reply>, ApiError> {
    let mut violations = Violations::default();
    schema::reject_unknown_keys(
        object,
        "#",
        &[
            "query",
            "documents",
            "top_n",
            "api_version",
            "max_tokens_per_doc",
        ],
        &mut violations,
    );
    let query = schema::required_string(object, "#", "query", &mut violations).unwrap_or("");
    let documents =
        schema::required_array(object, "#", "documents", 1, &mut violations).unwrap_or(&[]);
    if documents.len() > MAX_DOCUMENTS {
        violations.too_many_items("#/documents", MAX_DOCUMENTS, documents.len());
    }
    match object.get("api_version") {
        Some(value) if value.as_u64() == Some(2) => {}
        Some(value) => violations.not_in_enum("#/api_version", &value.to_string()),
        None => violations.required_key("#", "api_version"),
    }
    let top_n = schema::optional_count(
        object,
        "#",
        "top_n",
        1..=MAX_DOCUMENTS as u32,
        &mut violations,
    );
    let texts: Vec<String> = documents
        .iter()
        .map(|document| {
            document
                .as_str()
                .map_or_else(|| document.to_string(), str::to_owned)
        })
        .collect();
    violations.into_result()?;
    let mut scored: Vec<(usize, f64)> = texts
        .iter()
        .map(|text| relevance(query, text))
        .enumerate()
        .collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    scored.truncate(top_n.map_or(scored.len(), |n| n as usize));
    let results: Vec<Value> = scored
        .iter()
        .map(|(index, score)| json!({ "index": index, "relevance_score": score }))
        .collect();
    let input_tokens = count_words(query) + texts.iter().map(|text| count_words(text)).sum::<u32>();
    Ok(Box::new(BodyReply {
        body: json!({ "results": results }).to_string().into_bytes(),
        input_tokens,
    }))
}
