//! Amazon's embedding and rerank models on Bedrock, validated field by field as AWS's
//! model-parameter pages document them and answered with deterministic vectors: Titan Text
//! Embeddings V2 (`inputText`, `dimensions` 256/512/1024, `normalize`, `embeddingTypes` float
//! and binary; `embedding`, `embeddingsByType`, `inputTextTokenCount`), Titan Embeddings G1 -
//! Text (`inputText` alone, 1,536 floats), Titan Multimodal Embeddings G1 (`inputText` and/or a
//! base64 PNG or JPEG `inputImage`, `embeddingConfig.outputEmbeddingLength` 256/384/1024), Nova
//! Multimodal Embeddings called synchronously (`taskType: SINGLE_EMBEDDING`,
//! `singleEmbeddingParams` with a purpose, a dimension and one text, image, audio or video;
//! `embeddings[{embeddingType, embedding}]`), and Amazon Rerank 1.0 (`query`, `documents`,
//! `top_n`; `results[{index, relevance_score}]`, most relevant first).
//! Invariant: a vector depends only on the model, the input and the settings that shape it.

use serde_json::{Map, Value, json};

use crate::api_error::ApiError;
use crate::providers::embedding::{BodyReply, relevance, vector};
use crate::providers::media::{Sniffed, decode_base64, decoded_len};
use crate::providers::schema::{self, Violations};
use crate::providers::{Reply, count_words};

/// Which embedding or rerank body a model takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EmbedKind {
    /// Titan Text Embeddings V2.
    TitanTextV2,
    /// Titan Embeddings G1 - Text.
    TitanTextG1,
    /// Titan Multimodal Embeddings G1.
    TitanMultimodal,
    /// Nova Multimodal Embeddings, synchronous.
    NovaMultimodal,
    /// Amazon Rerank 1.0.
    Rerank,
}

/// The longest `inputText` of the Titan text models (AWS: 50,000 characters for V2).
const MAX_TEXT_CHARS: usize = 50_000;
/// The largest inline image (AWS: 25 MB for Titan Multimodal).
const MAX_IMAGE_BYTES: usize = 25 * 1000 * 1000;
/// The most documents of one rerank call (AWS: 1,000).
const MAX_DOCUMENTS: usize = 1000;
/// The `embeddingPurpose` values of Nova Multimodal Embeddings.
const NOVA_PURPOSES: &[&str] = &[
    "GENERIC_INDEX",
    "GENERIC_RETRIEVAL",
    "TEXT_RETRIEVAL",
    "IMAGE_RETRIEVAL",
    "VIDEO_RETRIEVAL",
    "DOCUMENT_RETRIEVAL",
    "AUDIO_RETRIEVAL",
    "CLASSIFICATION",
    "CLUSTERING",
];

/// Validates `object` as a body of `kind` for the model `id` and answers it.
pub(crate) fn invoke(
    id: &str,
    kind: EmbedKind,
    object: &Map<String, Value>,
) -> Result<Box<dyn Reply>, ApiError> {
    let (body, input_tokens) = match kind {
        EmbedKind::TitanTextV2 => titan_text_v2(id, object)?,
        EmbedKind::TitanTextG1 => titan_text_g1(id, object)?,
        EmbedKind::TitanMultimodal => titan_multimodal(id, object)?,
        EmbedKind::NovaMultimodal => nova(id, object)?,
        EmbedKind::Rerank => rerank(object)?,
    };
    Ok(Box::new(BodyReply {
        body: body.to_string().into_bytes(),
        input_tokens,
    }))
}

/// The required `inputText` of a Titan text body, at most [`MAX_TEXT_CHARS`] long.
fn input_text<'a>(object: &'a Map<String, Value>, violations: &mut Violations) -> &'a str {
    let text = schema::required_string(object, "#", "inputText", violations).unwrap_or("");
    let length = text.chars().count();
    if length > MAX_TEXT_CHARS {
        violations.too_long("#/inputText", MAX_TEXT_CHARS, length);
    }
    text
}

fn titan_text_v2(id: &str, object: &Map<String, Value>) -> Result<(Value, u32), ApiError> {
    let mut violations = Violations::default();
    schema::reject_unknown_keys(
        object,
        "#",
        &["inputText", "dimensions", "normalize", "embeddingTypes"],
        &mut violations,
    );
    let text = input_text(object, &mut violations);
    let dimensions = one_of(
        object,
        "#",
        "dimensions",
        &[256, 512, 1024],
        1024,
        &mut violations,
    );
    let normalize =
        schema::optional_bool(object, "#", "normalize", &mut violations).unwrap_or(true);
    let formats = schema::optional_string_list(object, "#", "embeddingTypes", 2, &mut violations);
    if object.contains_key("embeddingTypes") && formats.is_empty() {
        violations.too_few_items("#/embeddingTypes", 1, 0);
    }
    for format in &formats {
        if !["float", "binary"].contains(&format.as_str()) {
            violations.not_in_enum("#/embeddingTypes", format);
        }
    }
    violations.into_result()?;
    let floats = vector(&format!("{id}|{text}"), dimensions, normalize);
    let binary: Vec<u8> = floats.iter().map(|n| u8::from(*n > 0.0)).collect();
    let mut by_type = Map::new();
    if formats.is_empty() || formats.iter().any(|f| f == "float") {
        by_type.insert("float".to_owned(), json!(floats));
    }
    if formats.iter().any(|f| f == "binary") {
        by_type.insert("binary".to_owned(), json!(binary));
    }
    let tokens = count_words(text);
    Ok((
        json!({ "embedding": floats, "inputTextTokenCount": tokens,
                "embeddingsByType": by_type }),
        tokens,
    ))
}

fn titan_text_g1(id: &str, object: &Map<String, Value>) -> Result<(Value, u32), ApiError> {
    let mut violations = Violations::default();
    schema::reject_unknown_keys(object, "#", &["inputText"], &mut violations);
    let text = input_text(object, &mut violations);
    violations.into_result()?;
    let tokens = count_words(text);
    Ok((
        json!({ "embedding": vector(&format!("{id}|{text}"), 1536, false),
                "inputTextTokenCount": tokens }),
        tokens,
    ))
}

fn titan_multimodal(id: &str, object: &Map<String, Value>) -> Result<(Value, u32), ApiError> {
    let mut violations = Violations::default();
    schema::reject_unknown_keys(
        object,
        "#",
        &["inputText", "inputImage", "embeddingConfig"],
        &mut violations,
    );
    let text = schema::optional_string(object, "#", "inputText", &mut violations);
    let image = schema::optional_string(object, "#", "inputImage", &mut violations);
    let mut length = 1024;
    if let Some(config) = schema::optional_object(object, "#", "embeddingConfig", &mut violations) {
        schema::reject_unknown_keys(
            config,
            "#/embeddingConfig",
            &["outputEmbeddingLength"],
            &mut violations,
        );
        length = one_of(
            config,
            "#/embeddingConfig",
            "outputEmbeddingLength",
            &[256, 384, 1024],
            1024,
            &mut violations,
        );
    }
    violations.into_result()?;
    if text.is_none() && image.is_none() {
        return Err(ApiError::validation(
            "Malformed input request: at least one of inputText and inputImage is required, \
             please reformat your input and try again.",
        ));
    }
    if let Some(image) = image {
        image_of(image, &[Sniffed::Png, Sniffed::Jpeg], "inputImage")?;
    }
    let seed = format!("{id}|{}|{}", text.unwrap_or(""), image.unwrap_or(""));
    let tokens = text.map_or(0, count_words);
    Ok((
        json!({ "embedding": vector(&seed, length, true), "inputTextTokenCount": tokens }),
        tokens,
    ))
}

/// Checks that base64 `data` (the field `field`) decodes to an image of one of `formats`
/// within [`MAX_IMAGE_BYTES`].
fn image_of(data: &str, formats: &[Sniffed], field: &str) -> Result<Sniffed, ApiError> {
    if decoded_len(data) > MAX_IMAGE_BYTES {
        return Err(ApiError::validation(format!(
            "{field} is larger than the {MAX_IMAGE_BYTES} bytes allowed."
        )));
    }
    decode_base64(data)
        .and_then(|bytes| Sniffed::of(&bytes))
        .filter(|format| formats.contains(format))
        .ok_or_else(|| {
            let names: Vec<&str> = formats.iter().map(|f| f.short_name()).collect();
            ApiError::validation(format!(
                "{field} must be a base64-encoded image in one of these formats: {}.",
                names.join(", ")
            ))
        })
}

fn nova(id: &str, object: &Map<String, Value>) -> Result<(Value, u32), ApiError> {
    let mut violations = Violations::default();
    schema::reject_unknown_keys(
        object,
        "#",
        &["schemaVersion", "taskType", "singleEmbeddingParams"],
        &mut violations,
    );
    schema::optional_enum(
        object,
        "#",
        "schemaVersion",
        &["nova-multimodal-embed-v1"],
        &mut violations,
    );
    if !object.contains_key("taskType") {
        violations.required_key("#", "taskType");
    }
    if let Some(task) = schema::optional_string(object, "#", "taskType", &mut violations)
        && task != "SINGLE_EMBEDDING"
    {
        violations.not_in_enum("#/taskType", task);
    }
    let params = match object.get("singleEmbeddingParams") {
        Some(value) => schema::as_object(value, "#/singleEmbeddingParams", &mut violations),
        None => {
            violations.required_key("#", "singleEmbeddingParams");
            None
        }
    };
    let Some(params) = params else {
        violations.into_result()?;
        return Err(ApiError::validation("singleEmbeddingParams is required."));
    };
    let path = "#/singleEmbeddingParams";
    schema::reject_unknown_keys(
        params,
        path,
        &[
            "embeddingPurpose",
            "embeddingDimension",
            "text",
            "image",
            "audio",
            "video",
        ],
        &mut violations,
    );
    if !params.contains_key("embeddingPurpose") {
        violations.required_key(path, "embeddingPurpose");
    }
    let purpose = schema::optional_enum(
        params,
        path,
        "embeddingPurpose",
        NOVA_PURPOSES,
        &mut violations,
    )
    .unwrap_or("");
    let dimension = one_of(
        params,
        path,
        "embeddingDimension",
        &[256, 384, 1024, 3072],
        3072,
        &mut violations,
    );
    let given: Vec<&str> = ["text", "image", "audio", "video"]
        .into_iter()
        .filter(|key| params.contains_key(*key))
        .collect();
    let (kind, seed, tokens) = match given.as_slice() {
        ["text"] => nova_text(params, &mut violations),
        [one] => nova_media(params, one, &mut violations),
        _ => {
            violations.into_result()?;
            return Err(ApiError::validation(
                "Malformed input request: singleEmbeddingParams takes exactly one of text, \
                 image, audio and video, please reformat your input and try again.",
            ));
        }
    };
    violations.into_result()?;
    let floats = vector(&format!("{id}|{purpose}|{seed}"), dimension, true);
    let mut embedding = json!({ "embeddingType": kind, "embedding": floats });
    if kind == "TEXT" {
        embedding["truncatedCharLength"] = json!(seed.chars().count());
    }
    Ok((json!({ "embeddings": [embedding] }), tokens))
}

/// The embedding type, the seed and the token count of a Nova `text` input.
fn nova_text(
    params: &Map<String, Value>,
    violations: &mut Violations,
) -> (&'static str, String, u32) {
    let path = "#/singleEmbeddingParams/text";
    let Some(text) = params
        .get("text")
        .and_then(|value| schema::as_object(value, path, violations))
    else {
        return ("TEXT", String::new(), 0);
    };
    schema::reject_unknown_keys(
        text,
        path,
        &["truncationMode", "value", "source"],
        violations,
    );
    if !text.contains_key("truncationMode") {
        violations.required_key(path, "truncationMode");
    }
    schema::optional_enum(
        text,
        path,
        "truncationMode",
        &["START", "END", "NONE"],
        violations,
    );
    let value = schema::optional_string(text, path, "value", violations);
    let source = schema::optional_object(text, path, "source", violations);
    if value.is_some() == source.is_some() {
        violations.required_key(path, "value");
    }
    let value = value.unwrap_or("");
    ("TEXT", value.to_owned(), count_words(value))
}

/// The embedding type and seed of a Nova `image`, `audio` or `video` input.
fn nova_media(
    params: &Map<String, Value>,
    key: &str,
    violations: &mut Violations,
) -> (&'static str, String, u32) {
    let path = format!("#/singleEmbeddingParams/{key}");
    let (kind, formats, extra): (&str, &[&str], &[&str]) = match key {
        "image" => ("IMAGE", &["png", "jpeg", "gif", "webp"], &["detailLevel"]),
        "audio" => ("AUDIO", &["mp3", "wav", "ogg"], &[]),
        _ => (
            "VIDEO",
            &[
                "mp4", "mov", "mkv", "webm", "flv", "mpeg", "mpg", "wmv", "3gp",
            ],
            &["embeddingMode"],
        ),
    };
    let Some(media) = params
        .get(key)
        .and_then(|value| schema::as_object(value, &path, violations))
    else {
        return (kind, String::new(), 0);
    };
    let allowed: Vec<&str> = ["format", "source"].iter().chain(extra).copied().collect();
    schema::reject_unknown_keys(media, &path, &allowed, violations);
    if !media.contains_key("format") {
        violations.required_key(&path, "format");
    }
    schema::optional_enum(media, &path, "format", formats, violations);
    schema::optional_enum(
        media,
        &path,
        "detailLevel",
        &["STANDARD_IMAGE", "DOCUMENT_IMAGE"],
        violations,
    );
    schema::optional_enum(
        media,
        &path,
        "embeddingMode",
        &["AUDIO_VIDEO_COMBINED", "AUDIO_VIDEO_SEPARATE"],
        violations,
    );
    let source_path = format!("{path}/source");
    let Some(source) = media
        .get("source")
        .and_then(|value| schema::as_object(value, &source_path, violations))
    else {
        violations.required_key(&path, "source");
        return (kind, String::new(), 0);
    };
    schema::reject_unknown_keys(source, &source_path, &["bytes", "s3Location"], violations);
    let bytes = schema::optional_string(source, &source_path, "bytes", violations);
    let s3 = schema::optional_object(source, &source_path, "s3Location", violations);
    if bytes.is_some() == s3.is_some() {
        violations.required_key(&source_path, "bytes");
    }
    if let Some(bytes) = bytes
        && decode_base64(bytes).is_none()
    {
        violations.wrong_type(&format!("{source_path}/bytes"), "base64", &json!(bytes));
    }
    let seed = bytes.map_or_else(|| json!(s3).to_string(), str::to_owned);
    (kind, seed, 0)
}

/// An optional integer of `object` that must be one of `allowed`; `default` when absent.
fn one_of(
    object: &Map<String, Value>,
    parent: &str,
    key: &str,
    allowed: &[u64],
    default: usize,
    violations: &mut Violations,
) -> usize {
    match object.get(key) {
        None => default,
        Some(value) => match value.as_u64() {
            Some(n) if allowed.contains(&n) => usize::try_from(n).unwrap_or(default),
            _ => {
                violations.not_in_enum(&schema::child_path(parent, key), &value.to_string());
                default
            }
        },
    }
}

fn rerank(object: &Map<String, Value>) -> Result<(Value, u32), ApiError> {
    let mut violations = Violations::default();
    schema::reject_unknown_keys(
        object,
        "#",
        &["query", "documents", "top_n"],
        &mut violations,
    );
    let query = schema::required_string(object, "#", "query", &mut violations).unwrap_or("");
    let documents =
        schema::required_array(object, "#", "documents", 1, &mut violations).unwrap_or(&[]);
    if documents.len() > MAX_DOCUMENTS {
        violations.too_many_items("#/documents", MAX_DOCUMENTS, documents.len());
    }
    let texts: Vec<&str> = documents
        .iter()
        .enumerate()
        .map(|(index, document)| {
            document.as_str().unwrap_or_else(|| {
                violations.wrong_type(&format!("#/documents/{index}"), "String", document);
                ""
            })
        })
        .collect();
    let most = u32::try_from(texts.len().clamp(1, MAX_DOCUMENTS)).unwrap_or(1);
    let top_n = schema::optional_count(object, "#", "top_n", 1..=most, &mut violations);
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
    let tokens = count_words(query) + texts.iter().map(|text| count_words(text)).sum::<u32>();
    Ok((json!({ "results": results }), tokens))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::providers::testing::{reply, response_json};

    fn answer(model_id: &str, body: serde_json::Value) -> serde_json::Value {
        let reply = reply(model_id, &body).unwrap_or_else(|e| panic!("{}", e.message()));
        response_json(reply.as_ref())
    }

    fn refusal(model_id: &str, body: serde_json::Value) -> String {
        match reply(model_id, &body) {
            Err(error) => {
                assert_eq!(error.error_type(), "ValidationException");
                error.message().to_owned()
            }
            Ok(_) => panic!("{body} was accepted"),
        }
    }

    fn norm(vector: &serde_json::Value) -> f64 {
        vector
            .as_array()
            .expect("a vector")
            .iter()
            .map(|n| n.as_f64().expect("a number").powi(2))
            .sum::<f64>()
            .sqrt()
    }

    #[test]
    fn titan_v2_gives_the_asked_dimensions_and_formats() {
        let body = json!({ "inputText": "hello world", "dimensions": 256, "normalize": true,
                           "embeddingTypes": ["float", "binary"] });
        let answer = answer("amazon.titan-embed-text-v2:0", body);
        assert_eq!(answer["embedding"].as_array().map(Vec::len), Some(256));
        assert!((norm(&answer["embedding"]) - 1.0).abs() < 1e-9);
        assert_eq!(answer["embeddingsByType"]["float"], answer["embedding"]);
        let binary = answer["embeddingsByType"]["binary"]
            .as_array()
            .expect("binary");
        assert_eq!(binary.len(), 256);
        assert!(binary.iter().all(|bit| bit == 0 || bit == 1));
        assert_eq!(answer["inputTextTokenCount"], 2);
        let plain = self::answer("amazon.titan-embed-text-v2:0", json!({ "inputText": "a" }));
        assert_eq!(plain["embedding"].as_array().map(Vec::len), Some(1024));
        assert_eq!(
            plain["embeddingsByType"].as_object().map(|o| o.len()),
            Some(1)
        );
    }

    #[test]
    fn titan_v2_refuses_by_field() {
        let model = "amazon.titan-embed-text-v2:0";
        let odd = refusal(model, json!({ "inputText": "a", "dimensions": 300 }));
        assert!(
            odd.contains("#/dimensions: 300 is not a valid enum value"),
            "{odd}"
        );
        let int8 = refusal(
            model,
            json!({ "inputText": "a", "embeddingTypes": ["int8"] }),
        );
        assert!(int8.contains("#/embeddingTypes: int8"), "{int8}");
        let missing = refusal(model, json!({ "dimensions": 256 }));
        assert!(missing.contains("required key [inputText]"), "{missing}");
        let g1 = refusal(
            "amazon.titan-embed-text-v1",
            json!({ "inputText": "a", "dimensions": 256 }),
        );
        assert!(g1.contains("extraneous key [dimensions]"), "{g1}");
    }

    #[test]
    fn titan_g1_answers_1536_floats() {
        let answer = answer(
            "amazon.titan-embed-text-v1",
            json!({ "inputText": "hi there" }),
        );
        assert_eq!(answer["embedding"].as_array().map(Vec::len), Some(1536));
        assert_eq!(answer["inputTextTokenCount"], 2);
    }

    #[test]
    fn titan_multimodal_reads_text_and_images() {
        let png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";
        let model = "amazon.titan-embed-image-v1";
        let both = answer(
            model,
            json!({ "inputText": "a red dot", "inputImage": png,
                    "embeddingConfig": { "outputEmbeddingLength": 384 } }),
        );
        assert_eq!(both["embedding"].as_array().map(Vec::len), Some(384));
        let image = answer(model, json!({ "inputImage": png }));
        assert_eq!(image["embedding"].as_array().map(Vec::len), Some(1024));
        assert_ne!(image["embedding"], both["embedding"]);
        assert!(refusal(model, json!({})).contains("inputText and inputImage"));
        assert!(refusal(model, json!({ "inputImage": "AQID" })).contains("png, jpeg"));
        let length =
            json!({ "inputText": "a", "embeddingConfig": { "outputEmbeddingLength": 512 } });
        assert!(refusal(model, length).contains("outputEmbeddingLength: 512"));
    }

    #[test]
    fn nova_embeds_one_input_for_a_purpose() {
        let model = "amazon.nova-2-multimodal-embeddings-v1:0";
        let text = json!({ "taskType": "SINGLE_EMBEDDING", "singleEmbeddingParams": {
            "embeddingPurpose": "GENERIC_INDEX", "embeddingDimension": 256,
            "text": { "truncationMode": "END", "value": "hello" } } });
        let answer = answer(model, text.clone());
        assert_eq!(answer["embeddings"][0]["embeddingType"], "TEXT");
        assert_eq!(
            answer["embeddings"][0]["embedding"]
                .as_array()
                .map(Vec::len),
            Some(256)
        );
        let mut query = text.clone();
        query["singleEmbeddingParams"]["embeddingPurpose"] = json!("GENERIC_RETRIEVAL");
        assert_ne!(
            self::answer(model, query)["embeddings"],
            answer["embeddings"]
        );
        let mut segmented = text.clone();
        segmented["taskType"] = json!("SEGMENTED_EMBEDDING");
        assert!(refusal(model, segmented).contains("#/taskType: SEGMENTED_EMBEDDING"));
        let mut no_purpose = text.clone();
        no_purpose["singleEmbeddingParams"]
            .as_object_mut()
            .expect("params")
            .remove("embeddingPurpose");
        assert!(refusal(model, no_purpose).contains("required key [embeddingPurpose]"));
        let mut two = text;
        two["singleEmbeddingParams"]["image"] =
            json!({ "format": "png", "source": { "bytes": "AQID" } });
        assert!(refusal(model, two).contains("exactly one of"));
    }

    #[test]
    fn rerank_orders_by_relevance_and_keeps_top_n() {
        let model = "amazon.rerank-v1:0";
        let body = json!({ "query": "capital of France",
            "documents": ["bread", "Paris is the capital of France", "the capital"],
            "top_n": 2 });
        let answer = answer(model, body);
        let indices: Vec<u64> = answer["results"]
            .as_array()
            .expect("results")
            .iter()
            .map(|r| r["index"].as_u64().expect("an index"))
            .collect();
        assert_eq!(indices, [1, 2]);
        let cohere = json!({ "query": "a", "documents": ["a"], "api_version": 2 });
        assert!(refusal(model, cohere).contains("extraneous key [api_version]"));
        let many = json!({ "query": "a", "documents": ["a"], "top_n": 2 });
        assert!(refusal(model, many).contains("#/top_n: 2 is not less or equal to 1"));
    }
}
