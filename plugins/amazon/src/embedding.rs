//! Amazon's embedding models on `InvokeModel`: Titan Text Embeddings V2
//! (`amazon.titan-embed-text-v2:0`), Titan Embeddings G1 - Text
//! (`amazon.titan-embed-text-v1`), Titan Multimodal Embeddings G1
//! (`amazon.titan-embed-image-v1`) and Nova Multimodal Embeddings, called
//! synchronously (`amazon.nova-2-multimodal-embeddings-v1:0`): what each
//! takes, the body that embeds one input, and the vectors of its answer.
//!
//! Invariants: every one of these models embeds exactly one input per call,
//! so a request of any other count is refused; a setting the model does not
//! have (a dimension, a purpose, normalisation, a format, an image) is
//! refused by name, never dropped; an answer gives one set per format asked
//! for (floats when none was), each of exactly one vector.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use bedrock_adapter_kit::models;
use bedrock_adapter_kit::options::{self, Kind};
use bedrock_adapter_kit::request::json_body;
use bedrock_adapter_kit::types::{AdapterError, Body, Image};
use bedrock_adapter_kit::wire;
use serde_json::{Map, Value, json};

use crate::exports::bedrock::adapter::embedder::{
    EmbeddingFormat, EmbeddingInput, EmbeddingModel, EmbeddingRequest, EmbeddingSet, Embeddings,
    InputPurpose,
};

/// The body family of an Amazon embedding model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Model {
    /// Titan Text Embeddings V2: `inputText`, `dimensions`, `normalize`,
    /// `embeddingTypes`.
    TitanTextV2,
    /// Titan Embeddings G1 - Text: `inputText` alone, 1,536 floats.
    TitanTextG1,
    /// Titan Multimodal Embeddings G1: `inputText` or `inputImage`, and
    /// `embeddingConfig.outputEmbeddingLength`.
    TitanMultimodal,
    /// Nova Multimodal Embeddings: `taskType: SINGLE_EMBEDDING` and
    /// `singleEmbeddingParams`.
    NovaMultimodal,
}

/// The base-id prefixes of each model, as in Bedrock's model ids.
const PREFIXES: &[(&str, Model)] = &[
    ("amazon.titan-embed-text-v2", Model::TitanTextV2),
    ("amazon.titan-embed-text-v1", Model::TitanTextG1),
    ("amazon.titan-embed-g1-text-", Model::TitanTextG1),
    ("amazon.titan-embed-image-v1", Model::TitanMultimodal),
    (
        "amazon.nova-2-multimodal-embeddings-",
        Model::NovaMultimodal,
    ),
];

/// The image types Titan Multimodal Embeddings reads (AWS, "Amazon Titan
/// Multimodal Embeddings G1": PNG and JPEG).
const TITAN_IMAGE_TYPES: &[&str] = &["image/png", "image/jpeg"];

/// The image types Nova Multimodal Embeddings reads (its `image.format`:
/// png, jpeg, gif, webp).
const NOVA_IMAGE_TYPES: &[&str] = &["image/png", "image/jpeg", "image/gif", "image/webp"];

/// The largest image sent inline: the request payload of `InvokeModel` is
/// at most 25 MB, and an image goes base64 encoded (4 bytes for every 3).
const IMAGE_MAX_BYTES: u64 = 25 * 1000 * 1000 / 4 * 3;

/// The body fields each model's adapter fills itself, with what to use
/// instead of `-o`.
const OWNED: &[(&str, &str)] = &[
    ("inputText", "give the text as an input"),
    ("inputImage", "use --image"),
    ("dimensions", "use --dimensions"),
    ("normalize", "use --normalize"),
    ("embeddingTypes", "use --embedding-type"),
    ("embeddingConfig", "use --dimensions"),
    ("taskType", "only SINGLE_EMBEDDING is served on InvokeModel"),
    (
        "singleEmbeddingParams",
        "use --dimensions, --input-type and the inputs",
    ),
];

/// The option kinds the adapter checks; other keys go to Bedrock as given.
const KNOWN: &[(&str, Kind)] = &[("schemaVersion", Kind::String)];

/// The embedding models of this adapter, one entry per pattern.
pub fn supported() -> Vec<EmbeddingModel> {
    PREFIXES
        .iter()
        .map(|(prefix, model)| describe(&format!("{prefix}*"), *model))
        .collect()
}

/// What the models of `pattern` take.
fn describe(pattern: &str, model: Model) -> EmbeddingModel {
    let (images, dimensions, purposes, normalize, formats) = match model {
        Model::TitanTextV2 => (
            None,
            vec![256, 512, 1024],
            vec![],
            true,
            vec![EmbeddingFormat::Float, EmbeddingFormat::Binary],
        ),
        Model::TitanTextG1 => (None, vec![], vec![], false, vec![]),
        Model::TitanMultimodal => (
            Some(models::limits(TITAN_IMAGE_TYPES, IMAGE_MAX_BYTES, 1)),
            vec![256, 384, 1024],
            vec![],
            false,
            vec![],
        ),
        Model::NovaMultimodal => (
            Some(models::limits(NOVA_IMAGE_TYPES, IMAGE_MAX_BYTES, 1)),
            vec![256, 384, 1024, 3072],
            vec![
                InputPurpose::SearchDocument,
                InputPurpose::SearchQuery,
                InputPurpose::Classification,
                InputPurpose::Clustering,
            ],
            false,
            vec![],
        ),
    };
    EmbeddingModel {
        pattern: pattern.to_owned(),
        texts: true,
        images,
        max_inputs: 1,
        dimensions,
        purposes,
        normalize,
        formats,
    }
}

/// The family of `model_id`, or the refusal naming it.
fn model_of(model_id: &str) -> Result<Model, AdapterError> {
    models::route(PREFIXES, model_id).ok_or_else(|| {
        AdapterError::Unsupported(format!("{model_id} is not an Amazon embedding model"))
    })
}

/// The name of `format` in Amazon's and Cohere's bodies.
pub fn format_name(format: EmbeddingFormat) -> &'static str {
    match format {
        EmbeddingFormat::Float => "float",
        EmbeddingFormat::Int8 => "int8",
        EmbeddingFormat::Uint8 => "uint8",
        EmbeddingFormat::Binary => "binary",
        EmbeddingFormat::Ubinary => "ubinary",
    }
}

/// Builds the body that embeds the one input of `req`.
pub fn build(req: EmbeddingRequest) -> Result<Body, AdapterError> {
    let model = model_of(&req.model_id)?;
    refuse_undescribed(&req.model_id, &describe("", model), &req)?;
    let [input] = <[EmbeddingInput; 1]>::try_from(req.inputs).map_err(|inputs| {
        AdapterError::InvalidRequest(format!(
            "{} embeds one input per call, not {}",
            req.model_id,
            inputs.len()
        ))
    })?;
    let mut body = options::parse_known(&req.extra, OWNED, KNOWN)?;
    match model {
        Model::TitanTextV2 => {
            body.insert(
                "inputText".to_owned(),
                json!(text_of(input, &req.model_id)?),
            );
            if let Some(dimensions) = req.dimensions {
                body.insert("dimensions".to_owned(), json!(dimensions));
            }
            if let Some(normalize) = req.normalize {
                body.insert("normalize".to_owned(), json!(normalize));
            }
            if !req.formats.is_empty() {
                let names: Vec<&str> = req.formats.iter().map(|f| format_name(*f)).collect();
                body.insert("embeddingTypes".to_owned(), json!(names));
            }
        }
        Model::TitanTextG1 => {
            body.insert(
                "inputText".to_owned(),
                json!(text_of(input, &req.model_id)?),
            );
        }
        Model::TitanMultimodal => {
            match input {
                EmbeddingInput::Text(text) => body.insert("inputText".to_owned(), json!(text)),
                EmbeddingInput::Image(image) => {
                    body.insert("inputImage".to_owned(), json!(BASE64.encode(image.data)))
                }
            };
            if let Some(length) = req.dimensions {
                body.insert(
                    "embeddingConfig".to_owned(),
                    json!({ "outputEmbeddingLength": length }),
                );
            }
        }
        Model::NovaMultimodal => nova_body(&mut body, input, req.purpose, req.dimensions)?,
    }
    json_body(&Value::Object(body))
}

/// Fills the body of a synchronous Nova Multimodal Embeddings call:
/// `embeddingPurpose` is `GENERIC_INDEX` unless a purpose is given, and
/// `embeddingDimension` is 3072 unless a length is.
fn nova_body(
    body: &mut Map<String, Value>,
    input: EmbeddingInput,
    purpose: Option<InputPurpose>,
    dimensions: Option<u32>,
) -> Result<(), AdapterError> {
    let purpose = match purpose {
        None | Some(InputPurpose::SearchDocument) => "GENERIC_INDEX",
        Some(InputPurpose::SearchQuery) => "GENERIC_RETRIEVAL",
        Some(InputPurpose::Classification) => "CLASSIFICATION",
        Some(InputPurpose::Clustering) => "CLUSTERING",
    };
    let mut params = Map::new();
    params.insert("embeddingPurpose".to_owned(), json!(purpose));
    params.insert(
        "embeddingDimension".to_owned(),
        json!(dimensions.unwrap_or(3072)),
    );
    match input {
        EmbeddingInput::Text(text) => {
            params.insert(
                "text".to_owned(),
                json!({ "truncationMode": "END", "value": text }),
            );
        }
        EmbeddingInput::Image(Image { media_type, data }) => {
            let format = media_type
                .strip_prefix("image/")
                .filter(|_| NOVA_IMAGE_TYPES.contains(&media_type.as_str()))
                .ok_or_else(|| {
                    AdapterError::Unsupported(format!(
                        "images of type {media_type}: Nova Multimodal Embeddings reads {}",
                        NOVA_IMAGE_TYPES.join(", ")
                    ))
                })?;
            params.insert(
                "image".to_owned(),
                json!({ "format": format, "source": { "bytes": BASE64.encode(data) } }),
            );
        }
    }
    body.insert("taskType".to_owned(), json!("SINGLE_EMBEDDING"));
    body.insert("singleEmbeddingParams".to_owned(), Value::Object(params));
    Ok(())
}

/// The text of `input`, or the refusal of an image by a text-only model.
fn text_of(input: EmbeddingInput, model_id: &str) -> Result<String, AdapterError> {
    match input {
        EmbeddingInput::Text(text) => Ok(text),
        EmbeddingInput::Image(_) => Err(AdapterError::Unsupported(format!(
            "images: {model_id} embeds text only"
        ))),
    }
}

/// Refuses, by name, a setting of `req` that `described` does not list.
fn refuse_undescribed(
    model_id: &str,
    described: &EmbeddingModel,
    req: &EmbeddingRequest,
) -> Result<(), AdapterError> {
    if let Some(dimensions) = req.dimensions
        && !described.dimensions.contains(&dimensions)
    {
        return Err(AdapterError::InvalidRequest(format!(
            "--dimensions {dimensions}: {model_id} takes {}",
            listed(&described.dimensions)
        )));
    }
    if req.purpose.is_some() && described.purposes.is_empty() {
        return Err(AdapterError::Unsupported(format!(
            "--input-type: {model_id} has no input types"
        )));
    }
    if req.normalize.is_some() && !described.normalize {
        return Err(AdapterError::Unsupported(format!(
            "--normalize: {model_id} does not normalise on request"
        )));
    }
    for format in &req.formats {
        let floats_only = described.formats.is_empty() && *format == EmbeddingFormat::Float;
        if !floats_only && !described.formats.contains(format) {
            return Err(AdapterError::Unsupported(format!(
                "--embedding-type {}: {model_id} returns {}",
                format_name(*format),
                if described.formats.is_empty() {
                    "floats only".to_owned()
                } else {
                    described
                        .formats
                        .iter()
                        .map(|f| format_name(*f))
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            )));
        }
    }
    Ok(())
}

/// `values` as `256, 512 or 1024`; `only its default` when empty.
fn listed(values: &[u32]) -> String {
    match values {
        [] => "only its default length".to_owned(),
        [one] => one.to_string(),
        [rest @ .., last] => {
            let rest: Vec<String> = rest.iter().map(u32::to_string).collect();
            format!("{} or {last}", rest.join(", "))
        }
    }
}

/// Parses the answer to a call embedding `inputs` inputs in `formats`.
pub fn parse(
    model_id: &str,
    inputs: u32,
    formats: &[EmbeddingFormat],
    body: &[u8],
) -> Result<Embeddings, AdapterError> {
    let model = model_of(model_id)?;
    if inputs != 1 {
        return Err(AdapterError::MalformedResponse(format!(
            "{model_id} embeds one input per call, not {inputs}"
        )));
    }
    let value = wire::object(body, "the body")?;
    let wanted: Vec<EmbeddingFormat> = if formats.is_empty() {
        vec![EmbeddingFormat::Float]
    } else {
        formats.to_vec()
    };
    let mut sets = Vec::with_capacity(wanted.len());
    for format in wanted {
        let name = format_name(format);
        let found = match model {
            Model::NovaMultimodal if format == EmbeddingFormat::Float => {
                value.pointer("/embeddings/0/embedding")
            }
            _ => value
                .pointer(&format!("/embeddingsByType/{name}"))
                .or_else(|| (format == EmbeddingFormat::Float).then(|| value.get("embedding"))?),
        };
        let vector = found.ok_or_else(|| {
            AdapterError::MalformedResponse(format!("the body has no {name} embedding"))
        })?;
        sets.push(EmbeddingSet {
            format,
            vectors: vec![numbers(vector, name)?],
        });
    }
    let input_tokens = match value.get("inputTextTokenCount") {
        None | Some(Value::Null) => None,
        Some(count) => Some(
            count
                .as_u64()
                .and_then(|count| u32::try_from(count).ok())
                .ok_or_else(|| {
                    AdapterError::MalformedResponse(format!(
                        "inputTextTokenCount is not a count: {count}"
                    ))
                })?,
        ),
    };
    Ok(Embeddings { sets, input_tokens })
}

/// The numbers of one vector, or the error naming its format.
pub fn numbers(vector: &Value, name: &str) -> Result<Vec<f64>, AdapterError> {
    let malformed = || {
        AdapterError::MalformedResponse(format!("the {name} embedding is not a list of numbers"))
    };
    vector
        .as_array()
        .ok_or_else(malformed)?
        .iter()
        .map(|number| number.as_f64().ok_or_else(malformed))
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
    fn recorded_titan_answers_give_exactly_their_vectors() {
        let mut parsed = 0;
        for exchange in bedrock_recorded::read::bodies() {
            let Some(model_id) = exchange.base_model_id("amazon.titan-embed") else {
                continue;
            };
            let recorded: Value = serde_json::from_slice(&exchange.recorded).unwrap();
            let embeddings = parse(model_id, 1, &[], &exchange.recorded)
                .unwrap_or_else(|err| panic!("{}: {err:?}", exchange.origin));
            assert_eq!(embeddings.sets.len(), 1, "{}", exchange.origin);
            assert_eq!(embeddings.sets[0].format, EmbeddingFormat::Float);
            let expected: Vec<f64> = recorded["embedding"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n.as_f64().unwrap())
                .collect();
            assert_eq!(
                embeddings.sets[0].vectors,
                [expected],
                "{}",
                exchange.origin
            );
            let count = recorded["inputTextTokenCount"].as_u64().map(|n| n as u32);
            assert_eq!(embeddings.input_tokens, count, "{}", exchange.origin);
            parsed += 1;
        }
        // dd-trace-py's titan-embed-text-v1 and New Relic's two models.
        assert!(parsed >= 3, "only {parsed} recorded Titan embeddings");
    }

    #[test]
    fn builds_the_recorded_titan_request() {
        // dd-trace-py/amazon_embedding.yaml sent `{"inputText": "Hello World!"}`.
        let body = body_json(build(request(
            "amazon.titan-embed-text-v1",
            vec![text("Hello World!")],
        )));
        assert_eq!(body, json!({ "inputText": "Hello World!" }));
    }

    #[test]
    fn titan_v2_sends_its_settings_and_reads_each_format() {
        let mut req = request("amazon.titan-embed-text-v2:0", vec![text("hi")]);
        req.dimensions = Some(256);
        req.normalize = Some(false);
        req.formats = vec![EmbeddingFormat::Float, EmbeddingFormat::Binary];
        assert_eq!(
            body_json(build(req)),
            json!({ "inputText": "hi", "dimensions": 256, "normalize": false,
                    "embeddingTypes": ["float", "binary"] })
        );
        let answer = br#"{"embedding":[0.5,-0.5],"inputTextTokenCount":2,
            "embeddingsByType":{"float":[0.5,-0.5],"binary":[1,0]}}"#;
        let formats = [EmbeddingFormat::Binary, EmbeddingFormat::Float];
        let parsed = parse("amazon.titan-embed-text-v2:0", 1, &formats, answer).unwrap();
        assert_eq!(parsed.sets[0].format, EmbeddingFormat::Binary);
        assert_eq!(parsed.sets[0].vectors, [vec![1.0, 0.0]]);
        assert_eq!(parsed.sets[1].vectors, [vec![0.5, -0.5]]);
        assert_eq!(parsed.input_tokens, Some(2));
    }

    #[test]
    fn refuses_what_the_model_does_not_take_by_name() {
        let two = request("amazon.titan-embed-text-v2:0", vec![text("a"), text("b")]);
        assert!(refusal(build(two)).contains("one input per call, not 2"));
        let mut odd = request("amazon.titan-embed-text-v2:0", vec![text("a")]);
        odd.dimensions = Some(300);
        assert!(refusal(build(odd)).contains("--dimensions 300"));
        let mut int8 = request("amazon.titan-embed-text-v2:0", vec![text("a")]);
        int8.formats = vec![EmbeddingFormat::Int8];
        assert!(refusal(build(int8)).contains("--embedding-type int8"));
        let image = request("amazon.titan-embed-text-v1", vec![png()]);
        assert!(refusal(build(image)).contains("images"));
        let mut purpose = request("amazon.titan-embed-text-v1", vec![text("a")]);
        purpose.purpose = Some(InputPurpose::SearchQuery);
        assert!(refusal(build(purpose)).contains("--input-type"));
        let mut owned = request("amazon.titan-embed-text-v1", vec![text("a")]);
        owned.extra = vec![("inputText".to_owned(), "\"b\"".to_owned())];
        assert!(refusal(build(owned)).starts_with("-o inputText"));
    }

    #[test]
    fn titan_multimodal_embeds_an_image_at_the_asked_length() {
        let mut req = request("amazon.titan-embed-image-v1", vec![png()]);
        req.dimensions = Some(384);
        assert_eq!(
            body_json(build(req)),
            json!({ "inputImage": "AQID", "embeddingConfig": { "outputEmbeddingLength": 384 } })
        );
    }

    #[test]
    fn nova_embeds_one_text_or_image_for_a_purpose() {
        let mut req = request("amazon.nova-2-multimodal-embeddings-v1:0", vec![text("hi")]);
        req.purpose = Some(InputPurpose::SearchQuery);
        req.dimensions = Some(1024);
        assert_eq!(
            body_json(build(req)),
            json!({ "taskType": "SINGLE_EMBEDDING", "singleEmbeddingParams": {
                "embeddingPurpose": "GENERIC_RETRIEVAL", "embeddingDimension": 1024,
                "text": { "truncationMode": "END", "value": "hi" } } })
        );
        let req = request("amazon.nova-2-multimodal-embeddings-v1:0", vec![png()]);
        assert_eq!(
            body_json(build(req))["singleEmbeddingParams"],
            json!({ "embeddingPurpose": "GENERIC_INDEX", "embeddingDimension": 3072,
                    "image": { "format": "png", "source": { "bytes": "AQID" } } })
        );
        let answer = br#"{"embeddings":[{"embeddingType":"TEXT","embedding":[0.25,0.75]}]}"#;
        let parsed = parse("amazon.nova-2-multimodal-embeddings-v1:0", 1, &[], answer).unwrap();
        assert_eq!(parsed.sets[0].vectors, [vec![0.25, 0.75]]);
        assert_eq!(parsed.input_tokens, None);
    }

    #[test]
    fn an_answer_without_the_asked_format_is_malformed() {
        let answer = br#"{"embedding":[0.5]}"#;
        let binary = [EmbeddingFormat::Binary];
        assert!(matches!(
            parse("amazon.titan-embed-text-v2:0", 1, &binary, answer),
            Err(AdapterError::MalformedResponse(message)) if message.contains("binary")
        ));
    }

    #[test]
    fn describes_each_model_honestly() {
        let described = supported();
        let v2 = &described[0];
        assert_eq!(v2.pattern, "amazon.titan-embed-text-v2*");
        assert_eq!((v2.max_inputs, v2.normalize), (1, true));
        assert_eq!(v2.dimensions, [256, 512, 1024]);
        assert!(described.iter().all(|model| model.max_inputs == 1));
        let images: Vec<&str> = described
            .iter()
            .filter(|model| model.images.is_some())
            .map(|model| model.pattern.as_str())
            .collect();
        assert_eq!(
            images,
            [
                "amazon.titan-embed-image-v1*",
                "amazon.nova-2-multimodal-embeddings-*"
            ]
        );
    }
}
