//! Cohere's embedding models on `InvokeModel`: Embed v3 English and
//! Multilingual (`cohere.embed-english-v3`, `cohere.embed-multilingual-v3`)
//! and Embed v4 (`cohere.embed-v4:0`): what each takes, the body that
//! embeds up to 96 inputs, and the vectors of its answer, whether a list of
//! floats (`embeddings_floats`) or an object by type (`embeddings_by_type`).
//!
//! Invariants: `input_type` is always sent, and is `search_document` when
//! the user gives no purpose (Bedrock requires it of v3); v3 embeds texts or
//! one image in a call, never both; a setting the model does not have is
//! refused by name, never dropped; an answer gives one set per format asked
//! for (floats when none was), each of exactly one vector per input.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use bedrock_adapter_kit::models;
use bedrock_adapter_kit::options::{self, Kind};
use bedrock_adapter_kit::request::json_body;
use bedrock_adapter_kit::types::{AdapterError, Body, Image};
use bedrock_adapter_kit::wire;
use serde_json::{Value, json};

use crate::exports::bedrock::adapter::embedder::{
    EmbeddingFormat, EmbeddingInput, EmbeddingModel, EmbeddingRequest, EmbeddingSet, Embeddings,
    InputPurpose,
};

/// The body family of a Cohere embedding model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Model {
    /// Embed v3: `texts` or one image in `images`, `input_type`,
    /// `truncate`, `embedding_types`.
    V3,
    /// Embed v4: v3's fields, mixed `inputs`, `output_dimension`,
    /// `max_tokens`.
    V4,
}

/// The base-id prefixes of each model, as in Bedrock's model ids.
const PREFIXES: &[(&str, Model)] = &[
    ("cohere.embed-english-v3", Model::V3),
    ("cohere.embed-multilingual-v3", Model::V3),
    ("cohere.embed-v4", Model::V4),
];

/// The most inputs of one call (AWS, "Cohere Embed": 96 texts; v4: 96
/// texts or images).
const MAX_INPUTS: u32 = 96;

/// The image types and size Embed v3 reads (AWS: a data URI of
/// `image/jpeg` or `image/png`, at most 5 MB).
const V3_IMAGE_TYPES: &[&str] = &["image/png", "image/jpeg"];

/// The image types Embed v4 reads as data URIs.
const V4_IMAGE_TYPES: &[&str] = &["image/png", "image/jpeg", "image/webp", "image/gif"];

/// The largest image of either model (5 MB).
const IMAGE_MAX_BYTES: u64 = 5 * 1000 * 1000;

/// Every format both models return.
const FORMATS: &[EmbeddingFormat] = &[
    EmbeddingFormat::Float,
    EmbeddingFormat::Int8,
    EmbeddingFormat::Uint8,
    EmbeddingFormat::Binary,
    EmbeddingFormat::Ubinary,
];

/// The body fields the adapter fills itself, with what to use instead.
const OWNED: &[(&str, &str)] = &[
    ("texts", "give the texts as inputs"),
    ("images", "use --image"),
    ("inputs", "give the texts as inputs and images with --image"),
    ("input_type", "use --input-type"),
    ("embedding_types", "use --embedding-type"),
    ("output_dimension", "use --dimensions"),
];

/// The option kinds the adapter checks; other keys go to Bedrock as given.
const KNOWN: &[(&str, Kind)] = &[("truncate", Kind::String), ("max_tokens", Kind::Count)];

/// The embedding models of this adapter, one entry per pattern.
pub fn supported() -> Vec<EmbeddingModel> {
    PREFIXES
        .iter()
        .map(|(prefix, model)| describe(&format!("{prefix}*"), *model))
        .collect()
}

/// What the models of `pattern` take.
fn describe(pattern: &str, model: Model) -> EmbeddingModel {
    let (images, dimensions) = match model {
        Model::V3 => (models::limits(V3_IMAGE_TYPES, IMAGE_MAX_BYTES, 1), vec![]),
        Model::V4 => (
            models::limits(V4_IMAGE_TYPES, IMAGE_MAX_BYTES, MAX_INPUTS),
            vec![256, 512, 1024, 1536],
        ),
    };
    EmbeddingModel {
        pattern: pattern.to_owned(),
        texts: true,
        images: Some(images),
        max_inputs: MAX_INPUTS,
        dimensions,
        purposes: vec![
            InputPurpose::SearchDocument,
            InputPurpose::SearchQuery,
            InputPurpose::Classification,
            InputPurpose::Clustering,
        ],
        normalize: false,
        formats: FORMATS.to_vec(),
    }
}

/// The family of `model_id`, or the refusal naming it.
fn model_of(model_id: &str) -> Result<Model, AdapterError> {
    models::route(PREFIXES, model_id).ok_or_else(|| {
        AdapterError::Unsupported(format!("{model_id} is not a Cohere embedding model"))
    })
}

/// The name of `format` in Cohere's bodies.
fn format_name(format: EmbeddingFormat) -> &'static str {
    match format {
        EmbeddingFormat::Float => "float",
        EmbeddingFormat::Int8 => "int8",
        EmbeddingFormat::Uint8 => "uint8",
        EmbeddingFormat::Binary => "binary",
        EmbeddingFormat::Ubinary => "ubinary",
    }
}

/// The `input_type` of `purpose`; `search_document` when none is given.
fn input_type(purpose: Option<InputPurpose>) -> &'static str {
    match purpose {
        None | Some(InputPurpose::SearchDocument) => "search_document",
        Some(InputPurpose::SearchQuery) => "search_query",
        Some(InputPurpose::Classification) => "classification",
        Some(InputPurpose::Clustering) => "clustering",
    }
}

/// `image` as the data URI Cohere reads, if its type is one of `types`.
fn data_uri(image: &Image, types: &[&str], model_id: &str) -> Result<String, AdapterError> {
    if !types.contains(&image.media_type.as_str()) {
        return Err(AdapterError::Unsupported(format!(
            "images of type {}: {model_id} reads {}",
            image.media_type,
            types.join(", ")
        )));
    }
    Ok(format!(
        "data:{};base64,{}",
        image.media_type,
        BASE64.encode(&image.data)
    ))
}

/// Builds the body that embeds the inputs of `req`. Without a purpose the
/// inputs are embedded as `search_document`; v3 embeds an image with
/// `input_type: image`, as Bedrock requires.
pub fn build(req: EmbeddingRequest) -> Result<Body, AdapterError> {
    let model = model_of(&req.model_id)?;
    let model_id = req.model_id.as_str();
    if req.inputs.is_empty() || req.inputs.len() > MAX_INPUTS as usize {
        return Err(AdapterError::InvalidRequest(format!(
            "{model_id} embeds 1 to {MAX_INPUTS} inputs per call, not {}",
            req.inputs.len()
        )));
    }
    if let Some(dimensions) = req.dimensions {
        let described = describe("", model);
        if !described.dimensions.contains(&dimensions) {
            return Err(AdapterError::InvalidRequest(match model {
                Model::V3 => format!("--dimensions {dimensions}: {model_id} has one length, 1024"),
                Model::V4 => {
                    format!("--dimensions {dimensions}: {model_id} takes 256, 512, 1024 or 1536")
                }
            }));
        }
    }
    if req.normalize.is_some() {
        return Err(AdapterError::Unsupported(format!(
            "--normalize: {model_id} does not normalise on request"
        )));
    }
    let mut body = options::parse_known(&req.extra, OWNED, KNOWN)?;
    let mut texts = Vec::new();
    let mut images = Vec::new();
    let image_types = match model {
        Model::V3 => V3_IMAGE_TYPES,
        Model::V4 => V4_IMAGE_TYPES,
    };
    for input in &req.inputs {
        match input {
            EmbeddingInput::Text(text) => texts.push(json!(text)),
            EmbeddingInput::Image(image) => {
                images.push(json!(data_uri(image, image_types, model_id)?))
            }
        }
    }
    let mut kind = input_type(req.purpose);
    match (model, texts.is_empty(), images.is_empty()) {
        (_, false, true) => {
            body.insert("texts".to_owned(), Value::Array(texts));
        }
        (Model::V3, true, false) if images.len() == 1 => {
            body.insert("images".to_owned(), Value::Array(images));
            kind = "image";
        }
        (Model::V3, _, _) => {
            return Err(AdapterError::InvalidRequest(format!(
                "{model_id} embeds texts or one image in a call, not {} texts and {} images",
                texts.len(),
                images.len()
            )));
        }
        (Model::V4, true, _) => {
            body.insert("images".to_owned(), Value::Array(images));
        }
        (Model::V4, false, false) => {
            let inputs: Vec<Value> = req
                .inputs
                .iter()
                .map(|input| match input {
                    EmbeddingInput::Text(text) => Ok(json!({ "content": [
                        { "type": "text", "text": text } ] })),
                    EmbeddingInput::Image(image) => Ok(json!({ "content": [
                        { "type": "image_url", "image_url": data_uri(image, image_types, model_id)? } ] })),
                })
                .collect::<Result<_, AdapterError>>()?;
            body.insert("inputs".to_owned(), Value::Array(inputs));
        }
    }
    body.insert("input_type".to_owned(), json!(kind));
    if !req.formats.is_empty() {
        let names: Vec<&str> = req.formats.iter().map(|f| format_name(*f)).collect();
        body.insert("embedding_types".to_owned(), json!(names));
    }
    if let Some(dimensions) = req.dimensions {
        body.insert("output_dimension".to_owned(), json!(dimensions));
    }
    json_body(&Value::Object(body))
}

/// Parses the answer to a call embedding `inputs` inputs in `formats`:
/// `embeddings` is a list of float vectors (`embeddings_floats`) or an
/// object of such lists by format (`embeddings_by_type`).
pub fn parse(
    model_id: &str,
    inputs: u32,
    formats: &[EmbeddingFormat],
    body: &[u8],
) -> Result<Embeddings, AdapterError> {
    model_of(model_id)?;
    let value = wire::object(body, "the body")?;
    let embeddings = value
        .get("embeddings")
        .ok_or_else(|| AdapterError::MalformedResponse("the body has no embeddings".to_owned()))?;
    let wanted: Vec<EmbeddingFormat> = if formats.is_empty() {
        vec![EmbeddingFormat::Float]
    } else {
        formats.to_vec()
    };
    let mut sets = Vec::with_capacity(wanted.len());
    for format in wanted {
        let name = format_name(format);
        let vectors = match embeddings {
            Value::Array(_) if format == EmbeddingFormat::Float => embeddings,
            Value::Object(by_type) => by_type.get(name).ok_or_else(|| {
                AdapterError::MalformedResponse(format!("the body has no {name} embeddings"))
            })?,
            _ => {
                return Err(AdapterError::MalformedResponse(format!(
                    "the body has no {name} embeddings"
                )));
            }
        };
        let vectors = vectors_of(vectors, name)?;
        if vectors.len() != inputs as usize {
            return Err(AdapterError::MalformedResponse(format!(
                "{} {name} embeddings for {inputs} inputs",
                vectors.len()
            )));
        }
        sets.push(EmbeddingSet { format, vectors });
    }
    Ok(Embeddings {
        sets,
        input_tokens: None,
    })
}

/// The vectors of one format, or the error naming it.
fn vectors_of(vectors: &Value, name: &str) -> Result<Vec<Vec<f64>>, AdapterError> {
    let malformed = || {
        AdapterError::MalformedResponse(format!("the {name} embeddings are not lists of numbers"))
    };
    vectors
        .as_array()
        .ok_or_else(malformed)?
        .iter()
        .map(|vector| {
            vector
                .as_array()
                .ok_or_else(malformed)?
                .iter()
                .map(|number| number.as_f64().ok_or_else(malformed))
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use bedrock_adapter_kit::testing::body_json;

    fn request(model_id: &str, inputs: Vec<EmbeddingInput>) -> EmbeddingRequest {
        EmbeddingRequest {
            model_id: model_id.to_owned(),
            inputs,
            dimensions: None,
            purpose: None,
            normalize: None,
            formats: vec![],
            extra: vec![],
        }
    }

    fn text(text: &str) -> EmbeddingInput {
        EmbeddingInput::Text(text.to_owned())
    }

    fn png() -> EmbeddingInput {
        EmbeddingInput::Image(Image {
            media_type: "image/png".to_owned(),
            data: vec![1, 2, 3],
        })
    }

    fn refusal(result: Result<Body, AdapterError>) -> String {
        match result {
            Err(AdapterError::InvalidRequest(message) | AdapterError::Unsupported(message)) => {
                message
            }
            other => panic!("not refused: {other:?}"),
        }
    }

    #[test]
    fn recorded_answers_give_exactly_their_vectors() {
        let mut parsed = 0;
        for exchange in bedrock_recorded::read::bodies() {
            let Some(model_id) = exchange.base_model_id("cohere.embed") else {
                continue;
            };
            let recorded: Value = serde_json::from_slice(&exchange.recorded).unwrap();
            let expected: Vec<Vec<f64>> = serde_json::from_value(recorded["embeddings"].clone())
                .unwrap_or_else(|err| panic!("{}: {err}", exchange.origin));
            let inputs = expected.len() as u32;
            let embeddings = parse(model_id, inputs, &[], &exchange.recorded)
                .unwrap_or_else(|err| panic!("{}: {err:?}", exchange.origin));
            assert_eq!(embeddings.sets.len(), 1, "{}", exchange.origin);
            assert_eq!(embeddings.sets[0].vectors, expected, "{}", exchange.origin);
            parsed += 1;
        }
        // dd-trace-py's two texts and New Relic's one.
        assert!(parsed >= 2, "only {parsed} recorded Cohere embeddings");
    }

    #[test]
    fn builds_the_recorded_request() {
        // dd-trace-py/cohere_embedding.yaml sent these texts, with no
        // purpose given: search_document.
        let req = request(
            "cohere.embed-english-v3",
            vec![text("Hello World!"), text("Goodbye cruel world!")],
        );
        assert_eq!(
            body_json(build(req)),
            json!({ "texts": ["Hello World!", "Goodbye cruel world!"],
                    "input_type": "search_document" })
        );
    }

    #[test]
    fn reads_embeddings_by_type_in_the_asked_order() {
        let answer = br#"{"embeddings":{"float":[[0.5],[0.25]],"int8":[[3],[-4]]},
            "response_type":"embeddings_by_type"}"#;
        let formats = [EmbeddingFormat::Int8, EmbeddingFormat::Float];
        let parsed = parse("cohere.embed-v4:0", 2, &formats, answer).unwrap();
        assert_eq!(parsed.sets[0].format, EmbeddingFormat::Int8);
        assert_eq!(parsed.sets[0].vectors, [vec![3.0], vec![-4.0]]);
        assert_eq!(parsed.sets[1].vectors, [vec![0.5], vec![0.25]]);
        assert!(matches!(
            parse("cohere.embed-v4:0", 3, &formats, answer),
            Err(AdapterError::MalformedResponse(message)) if message.contains("for 3 inputs")
        ));
    }

    #[test]
    fn v3_embeds_one_image_as_an_image_input() {
        let mut req = request("cohere.embed-multilingual-v3", vec![png()]);
        req.formats = vec![EmbeddingFormat::Ubinary];
        assert_eq!(
            body_json(build(req)),
            json!({ "images": ["data:image/png;base64,AQID"], "input_type": "image",
                    "embedding_types": ["ubinary"] })
        );
        let mixed = request("cohere.embed-english-v3", vec![text("a"), png()]);
        assert!(refusal(build(mixed)).contains("texts or one image"));
    }

    #[test]
    fn v4_sends_dimensions_and_mixes_inputs() {
        let mut req = request("cohere.embed-v4:0", vec![text("a"), png()]);
        req.dimensions = Some(512);
        req.purpose = Some(InputPurpose::SearchQuery);
        assert_eq!(
            body_json(build(req)),
            json!({ "inputs": [
                { "content": [{ "type": "text", "text": "a" }] },
                { "content": [{ "type": "image_url", "image_url": "data:image/png;base64,AQID" }] }
            ], "input_type": "search_query", "output_dimension": 512 })
        );
    }

    #[test]
    fn refuses_what_the_model_does_not_take_by_name() {
        let mut v3 = request("cohere.embed-english-v3", vec![text("a")]);
        v3.dimensions = Some(512);
        assert!(refusal(build(v3)).contains("--dimensions 512"));
        let mut v4 = request("cohere.embed-v4:0", vec![text("a")]);
        v4.dimensions = Some(300);
        assert!(refusal(build(v4)).contains("--dimensions 300"));
        let mut normalize = request("cohere.embed-v4:0", vec![text("a")]);
        normalize.normalize = Some(true);
        assert!(refusal(build(normalize)).contains("--normalize"));
        let many = request("cohere.embed-english-v3", vec![text("a"); 97]);
        assert!(refusal(build(many)).contains("not 97"));
        let mut owned = request("cohere.embed-english-v3", vec![text("a")]);
        owned.extra = vec![("input_type".to_owned(), "\"image\"".to_owned())];
        assert!(refusal(build(owned)).starts_with("-o input_type"));
    }

    #[test]
    fn describes_each_model_honestly() {
        let described = supported();
        let patterns: Vec<&str> = described.iter().map(|m| m.pattern.as_str()).collect();
        assert_eq!(
            patterns,
            [
                "cohere.embed-english-v3*",
                "cohere.embed-multilingual-v3*",
                "cohere.embed-v4*"
            ]
        );
        assert!(
            described
                .iter()
                .all(|m| m.max_inputs == 96 && m.purposes.len() == 4)
        );
        assert_eq!(described[0].images.as_ref().map(|i| i.max_count), Some(1));
        assert_eq!(described[2].dimensions, [256, 512, 1024, 1536]);
    }
}
