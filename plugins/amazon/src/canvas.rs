//! Amazon's text-to-image models on `InvokeModel`: Nova Canvas
//! (`amazon.nova-canvas-v1:0`) and Titan Image Generator G1 v2
//! (`amazon.titan-image-generator-v2:0`), which share the `TEXT_IMAGE` body
//! (AWS, "Amazon Nova Canvas request and response schema" and "Amazon Titan
//! Image Generator G1 models"): `taskType`, `textToImageParams` (`text`,
//! `negativeText`, `style`) and `imageGenerationConfig` (`width`, `height`,
//! `quality`, `cfgScale`, `seed`, `numberOfImages`); the answer is
//! `{"images": [base64, ...], "error"?}`.
//!
//! Invariants: the prompt is the one user message's text, sent as given;
//! the text-generation settings are refused by name, never dropped;
//! `--seed` is checked against the model's documented range; `-o` keys of
//! the two nested objects go into them (checked by type), other keys go to
//! the top level for Bedrock to judge; an answer's images are decoded and
//! typed from their bytes, and an `error` with no image is a
//! content-filtered stop.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use bedrock_adapter_kit::models;
use bedrock_adapter_kit::options::{self, Kind};
use bedrock_adapter_kit::request::{self, Setting, json_body};
use bedrock_adapter_kit::types::{
    AdapterError, Body, Capabilities, Image, Message, ModelSupport, Output, Request, Response,
    Role, Stop, StopReason,
};
use bedrock_adapter_kit::wire;
use serde::Deserialize;
use serde_json::{Map, Value, json};

/// The largest seed Nova Canvas takes (AWS: 0 to 858,993,459).
pub const MAX_NOVA_CANVAS_SEED: u64 = 858_993_459;
/// The largest seed Titan Image Generator v2 takes (AWS: 0 to 2,147,483,646).
pub const MAX_TITAN_IMAGE_SEED: u64 = 2_147_483_646;

/// The base-id prefixes of the two models, with the largest seed each takes.
const PREFIXES: &[(&str, u64)] = &[
    ("amazon.nova-canvas-", MAX_NOVA_CANVAS_SEED),
    ("amazon.titan-image-generator-v2", MAX_TITAN_IMAGE_SEED),
];

/// The `-o` keys these models know: the first two go into
/// `textToImageParams`, the rest into `imageGenerationConfig`.
pub const KNOWN: &[(&str, Kind)] = &[
    ("negativeText", Kind::String),
    ("style", Kind::String),
    ("width", Kind::Count),
    ("height", Kind::Count),
    ("quality", Kind::String),
    ("cfgScale", Kind::Number),
    ("numberOfImages", Kind::Count),
];
/// How many of [`KNOWN`] go into `textToImageParams`.
const TEXT_PARAMS: usize = 2;
/// Body fields the adapter fills itself, with what to use instead of `-o`.
pub const OWNED: &[(&str, &str)] = &[
    ("taskType", "only TEXT_IMAGE is built"),
    ("text", "the prompt is the text"),
    (
        "textToImageParams",
        "give -o negativeText=... or -o style=...",
    ),
    (
        "imageGenerationConfig",
        "give -o width=, height=, quality=, cfgScale=, numberOfImages= and --seed",
    ),
    ("seed", "use --seed"),
];

/// The patterns `describe` lists for these models: one text prompt, no
/// system prompt, whole answers, never a stream.
pub fn supported() -> Vec<ModelSupport> {
    PREFIXES
        .iter()
        .map(|(prefix, _)| ModelSupport {
            pattern: format!("{prefix}*"),
            capabilities: Capabilities {
                system: false,
                streaming: false,
                ..models::text_only()
            },
        })
        .collect()
}

/// Whether `model_id` is one of these image models.
pub fn serves(model_id: &str) -> bool {
    models::route(PREFIXES, model_id).is_some()
}

/// Builds the `TEXT_IMAGE` body of `req`.
pub fn build(req: Request) -> Result<Body, AdapterError> {
    let max_seed = models::route(PREFIXES, &req.model_id).ok_or_else(|| {
        AdapterError::Unsupported(format!("{} is not an Amazon image model", req.model_id))
    })?;
    request::refuse_beyond_described(&req, &supported())?;
    let why = "an image model generates no text";
    for setting in [
        Setting::MaxTokens,
        Setting::Temperature,
        Setting::TopP,
        Setting::TopK,
        Setting::Stop,
        Setting::Raw,
    ] {
        request::refuse(&req.params, &[setting], why)?;
    }
    if req.system.is_some() {
        return Err(AdapterError::Unsupported(
            "--system: Amazon's image models take no system prompt; give what the image \
             should not show with -o negativeText=..."
                .to_owned(),
        ));
    }
    let mut fields = options::parse_known(&req.params.extra, OWNED, KNOWN)?;
    let prompt = prompt(req.messages, &req.model_id)?;
    let mut text_params = Map::new();
    text_params.insert("text".to_owned(), json!(prompt));
    let mut config = Map::new();
    for (index, (key, _)) in KNOWN.iter().enumerate() {
        if let Some(value) = fields.remove(*key) {
            let into = if index < TEXT_PARAMS {
                &mut text_params
            } else {
                &mut config
            };
            into.insert((*key).to_owned(), value);
        }
    }
    if let Some(seed) = req.params.seed {
        if seed > max_seed {
            return Err(AdapterError::InvalidRequest(format!(
                "--seed: {seed} is out of range; {} takes 0 to {max_seed}",
                req.model_id
            )));
        }
        config.insert("seed".to_owned(), json!(seed));
    }
    fields.insert("taskType".to_owned(), json!("TEXT_IMAGE"));
    fields.insert("textToImageParams".to_owned(), Value::Object(text_params));
    if !config.is_empty() {
        fields.insert("imageGenerationConfig".to_owned(), Value::Object(config));
    }
    json_body(&Value::Object(fields))
}

/// The prompt: the text of the one user message.
fn prompt(messages: Vec<Message>, model_id: &str) -> Result<String, AdapterError> {
    let [message] = <[Message; 1]>::try_from(messages).map_err(|messages| {
        AdapterError::InvalidRequest(format!(
            "an image model takes one prompt, not a conversation of {} messages",
            messages.len()
        ))
    })?;
    if message.role != Role::User {
        return Err(AdapterError::InvalidRequest(
            "the prompt must be the user's message".to_owned(),
        ));
    }
    let prompt = request::text_only(message.content, model_id)?;
    if prompt.trim().is_empty() {
        return Err(AdapterError::InvalidRequest(
            "the prompt is empty".to_owned(),
        ));
    }
    Ok(prompt)
}

/// A text-to-image answer.
#[derive(Deserialize)]
struct WireAnswer {
    #[serde(default)]
    images: Vec<String>,
    #[serde(default)]
    error: Option<String>,
}

/// Parses a text-to-image answer into its images.
pub fn parse(body: &[u8]) -> Result<Response, AdapterError> {
    let answer: WireAnswer = wire::read(wire::object(body, "the body")?, "an image answer")?;
    let outputs = answer
        .images
        .iter()
        .enumerate()
        .map(|(index, base64)| decode(index, base64).map(Output::Image))
        .collect::<Result<Vec<Output>, AdapterError>>()?;
    let stop = match (&answer.error, outputs.is_empty()) {
        (Some(error), true) => Some(Stop {
            reason: StopReason::ContentFiltered,
            raw: Some(error.clone()),
        }),
        (None, true) => {
            return Err(AdapterError::MalformedResponse(
                "the body has no images and no error".to_owned(),
            ));
        }
        _ => None,
    };
    Ok(Response {
        outputs,
        stop,
        usage: None,
    })
}

/// Decodes the `index`-th image (from 0), typed from its first bytes.
fn decode(index: usize, base64: &str) -> Result<Image, AdapterError> {
    let number = index + 1;
    let data = BASE64.decode(base64).map_err(|err| {
        AdapterError::MalformedResponse(format!("image {number} is not base64: {err}"))
    })?;
    let media_type = if data.starts_with(b"\x89PNG\r\n\x1a\n") {
        "image/png"
    } else if data.starts_with(b"\xff\xd8\xff") {
        "image/jpeg"
    } else {
        return Err(AdapterError::MalformedResponse(format!(
            "image {number} is not a PNG or JPEG image ({} bytes)",
            data.len()
        )));
    };
    Ok(Image {
        media_type: media_type.to_owned(),
        data,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use bedrock_adapter_kit::testing::{body_json, pairs, params, text};

    const PNG_1X1: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";

    fn request(extra: &[(&str, &str)], seed: Option<u64>) -> Request {
        let mut settings = params();
        settings.extra = pairs(extra);
        settings.seed = seed;
        bedrock_adapter_kit::testing::request(
            "amazon.nova-canvas-v1:0",
            vec![text(Role::User, "a lighthouse")],
            settings,
        )
    }

    #[test]
    fn builds_the_text_image_body_from_prompt_options_and_seed() {
        let body = body_json(build(request(
            &[
                ("negativeText", "\"fog\""),
                ("width", "320"),
                ("height", "640"),
                ("quality", "\"premium\""),
                ("cfgScale", "6.5"),
                ("numberOfImages", "2"),
            ],
            Some(7),
        )));
        assert_eq!(
            body,
            json!({ "taskType": "TEXT_IMAGE",
                "textToImageParams": { "text": "a lighthouse", "negativeText": "fog" },
                "imageGenerationConfig": { "width": 320, "height": 640, "quality": "premium",
                    "cfgScale": 6.5, "numberOfImages": 2, "seed": 7 } })
        );
        let plain = body_json(build(request(&[], None)));
        assert_eq!(
            plain,
            json!({ "taskType": "TEXT_IMAGE", "textToImageParams": { "text": "a lighthouse" } })
        );
    }

    #[test]
    fn refuses_text_settings_owned_fields_and_big_seeds_by_name() {
        let mut tokens = request(&[], None);
        tokens.params.max_tokens = Some(5);
        assert!(matches!(build(tokens),
            Err(AdapterError::Unsupported(m) | AdapterError::InvalidRequest(m)) if m.contains("--max-tokens")));
        let seed = build(request(&[], Some(MAX_NOVA_CANVAS_SEED + 1)));
        assert!(matches!(seed, Err(AdapterError::InvalidRequest(m)) if m.starts_with("--seed")));
        let owned = build(request(&[("seed", "1")], None));
        assert!(matches!(owned, Err(AdapterError::InvalidRequest(m)) if m.contains("--seed")));
        let typed = build(request(&[("width", "\"wide\"")], None));
        assert!(matches!(typed, Err(AdapterError::InvalidRequest(m)) if m.starts_with("-o width")));
    }

    #[test]
    fn parses_images_and_a_filtered_answer() {
        let answer = format!(r#"{{"images":["{PNG_1X1}","{PNG_1X1}"]}}"#);
        let parsed = parse(answer.as_bytes()).expect("valid");
        assert_eq!(parsed.outputs.len(), 2);
        assert!(
            matches!(&parsed.outputs[0], Output::Image(image) if image.media_type == "image/png")
        );
        let filtered = parse(br#"{"images":[],"error":"blocked by content filters"}"#).unwrap();
        assert_eq!(
            filtered.stop.map(|stop| stop.reason),
            Some(StopReason::ContentFiltered)
        );
        assert!(matches!(
            parse(br#"{"images":["AQID"]}"#),
            Err(AdapterError::MalformedResponse(m)) if m.contains("not a PNG")
        ));
    }
}
