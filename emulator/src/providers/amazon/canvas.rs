//! Amazon's text-to-image models on Bedrock, Nova Canvas (`amazon.nova-canvas-v1:0`) and Titan
//! Image Generator G1 v2 (`amazon.titan-image-generator-v2:0`), which share one body:
//! `{"taskType": "TEXT_IMAGE", "textToImageParams": {"text", "negativeText", ...},
//! "imageGenerationConfig": {"width", "height", "quality", "cfgScale", "seed",
//! "numberOfImages"}}`, validated as AWS's pages document it (Nova Canvas: sides 320 to 4096
//! and multiples of 16, an aspect ratio within 1:4 and 4:1, at most 4,194,304 pixels, a prompt
//! of at most 1,024 characters, seeds up to 858,993,459; Titan v2: the sizes its page lists,
//! prompts of at most 512 characters, seeds up to 2,147,483,646). The reply is
//! `{"images": [base64 PNG, ...]}`, one real PNG of the asked size per image. Other task types
//! (editing, variations, colour guidance) are refused by name. Image models count no tokens and
//! do not stream. Invariant: the same prompt, seed and size give the same pictures.

use serde_json::{Map, Value, json};

use crate::api_error::ApiError;
use crate::providers::schema::{self, Violations};
use crate::providers::stability::picture;
use crate::providers::{InvocationMetrics, Reply, TokenUsage};

/// Which of the two models, for the limits that differ between them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Painter {
    /// Nova Canvas.
    NovaCanvas,
    /// Titan Image Generator G1 v2.
    TitanImageV2,
}

/// The task types AWS documents for these models; only `TEXT_IMAGE` is served here.
const TASK_TYPES: &[&str] = &[
    "TEXT_IMAGE",
    "COLOR_GUIDED_GENERATION",
    "IMAGE_VARIATION",
    "INPAINTING",
    "OUTPAINTING",
    "BACKGROUND_REMOVAL",
];
/// Nova Canvas's `textToImageParams.style` values.
const STYLES: &[&str] = &[
    "3D_ANIMATED_FAMILY_FILM",
    "DESIGN_SKETCH",
    "FLAT_VECTOR_ILLUSTRATION",
    "GRAPHIC_NOVEL_ILLUSTRATION",
    "MAXIMALISM",
    "MIDCENTURY_RETRO",
    "PHOTOREALISM",
    "SOFT_DIGITAL_PAINTING",
];
/// The sizes Titan Image Generator v2 accepts, width x height.
const TITAN_SIZES: &[(u32, u32)] = &[
    (1024, 1024),
    (768, 768),
    (512, 512),
    (768, 1152),
    (384, 576),
    (1152, 768),
    (576, 384),
    (768, 1280),
    (384, 640),
    (1280, 768),
    (640, 384),
    (896, 1152),
    (448, 576),
    (1152, 896),
    (576, 448),
    (768, 1408),
    (384, 704),
    (1408, 768),
    (704, 384),
    (640, 1408),
    (320, 704),
    (1408, 640),
    (704, 320),
    (1152, 640),
    (1173, 640),
];
/// Nova Canvas's side limits and pixel budget.
const NOVA_SIDES: std::ops::RangeInclusive<i64> = 320..=4096;
const NOVA_MAX_PIXELS: u64 = 4_194_304;

impl Painter {
    fn max_prompt(self) -> usize {
        match self {
            Self::NovaCanvas => 1024,
            Self::TitanImageV2 => 512,
        }
    }

    fn max_seed(self) -> i64 {
        match self {
            Self::NovaCanvas => 858_993_459,
            Self::TitanImageV2 => 2_147_483_646,
        }
    }

    fn default_seed(self) -> i64 {
        match self {
            Self::NovaCanvas => 12,
            Self::TitanImageV2 => 42,
        }
    }
}

/// Validates `object` as a body of `painter` and renders its images.
pub(crate) fn invoke(
    painter: Painter,
    object: &Map<String, Value>,
) -> Result<Box<dyn Reply>, ApiError> {
    let mut violations = Violations::default();
    schema::reject_unknown_keys(
        object,
        "#",
        &[
            "taskType",
            "textToImageParams",
            "imageGenerationConfig",
            "colorGuidedGenerationParams",
            "imageVariationParams",
            "inPaintingParams",
            "outPaintingParams",
            "backgroundRemovalParams",
        ],
        &mut violations,
    );
    if !object.contains_key("taskType") {
        violations.required_key("#", "taskType");
    }
    let task = schema::optional_enum(object, "#", "taskType", TASK_TYPES, &mut violations);
    if let Some(task) = task.filter(|task| *task != "TEXT_IMAGE") {
        return Err(ApiError::validation(format!(
            "The local Bedrock serves taskType TEXT_IMAGE only, not {task}."
        )));
    }
    let (prompt, negative) = text_params(painter, object, &mut violations);
    let config = Config::read(painter, object, &mut violations);
    violations.into_result()?;
    size_rules(painter, config.width, config.height)?;
    let seed = u64::try_from(config.seed).unwrap_or(0);
    let images = (0..config.count)
        .map(|index| {
            picture::png_base64(
                &format!("{prompt}|{negative}"),
                seed + index,
                config.width,
                config.height,
            )
        })
        .collect::<Result<Vec<String>, ApiError>>()?;
    Ok(Box::new(ImageReply {
        body: json!({ "images": images }).to_string().into_bytes(),
    }))
}

/// The prompt and the negative prompt of `textToImageParams`.
fn text_params<'a>(
    painter: Painter,
    object: &'a Map<String, Value>,
    violations: &mut Violations,
) -> (&'a str, &'a str) {
    let path = "#/textToImageParams";
    let Some(params) = (match object.get("textToImageParams") {
        Some(value) => schema::as_object(value, path, violations),
        None => {
            violations.required_key("#", "textToImageParams");
            None
        }
    }) else {
        return ("", "");
    };
    let keys: &[&str] = match painter {
        Painter::NovaCanvas => &[
            "text",
            "negativeText",
            "style",
            "conditionImage",
            "controlMode",
            "controlStrength",
        ],
        Painter::TitanImageV2 => &[
            "text",
            "negativeText",
            "conditionImage",
            "controlMode",
            "controlStrength",
        ],
    };
    schema::reject_unknown_keys(params, path, keys, violations);
    let mut bounded = |key: &str, required: bool| -> &'a str {
        let text = if required {
            schema::required_string(params, path, key, violations)
        } else {
            schema::optional_string(params, path, key, violations)
        };
        let text = text.unwrap_or("");
        let length = text.chars().count();
        if params.contains_key(key) && length == 0 {
            violations.below_minimum(&schema::child_path(path, key), &json!(text), "1 character");
        }
        if length > painter.max_prompt() {
            violations.too_long(&schema::child_path(path, key), painter.max_prompt(), length);
        }
        text
    };
    let prompt = bounded("text", true);
    let negative = bounded("negativeText", false);
    schema::optional_enum(params, path, "style", STYLES, violations);
    schema::optional_string(params, path, "conditionImage", violations);
    schema::optional_enum(
        params,
        path,
        "controlMode",
        &["CANNY_EDGE", "SEGMENTATION"],
        violations,
    );
    schema::optional_number(params, path, "controlStrength", 0.0..=1.0, violations);
    (prompt, negative)
}

/// The settings of `imageGenerationConfig`, with the model's defaults.
struct Config {
    width: u32,
    height: u32,
    seed: i64,
    count: u64,
}

impl Config {
    fn read(painter: Painter, object: &Map<String, Value>, violations: &mut Violations) -> Self {
        let mut config = Self {
            width: 1024,
            height: 1024,
            seed: painter.default_seed(),
            count: 1,
        };
        let path = "#/imageGenerationConfig";
        let Some(settings) =
            schema::optional_object(object, "#", "imageGenerationConfig", violations)
        else {
            return config;
        };
        schema::reject_unknown_keys(
            settings,
            path,
            &[
                "width",
                "height",
                "quality",
                "cfgScale",
                "seed",
                "numberOfImages",
            ],
            violations,
        );
        let sides = match painter {
            Painter::NovaCanvas => NOVA_SIDES,
            Painter::TitanImageV2 => 320..=1408,
        };
        let side = |key: &str, violations: &mut Violations| {
            schema::optional_integer(settings, path, key, sides.clone(), violations)
                .and_then(|side| u32::try_from(side).ok())
        };
        config.width = side("width", violations).unwrap_or(config.width);
        config.height = side("height", violations).unwrap_or(config.height);
        schema::optional_enum(
            settings,
            path,
            "quality",
            &["standard", "premium"],
            violations,
        );
        schema::optional_number(settings, path, "cfgScale", 1.1..=10.0, violations);
        config.seed =
            schema::optional_integer(settings, path, "seed", 0..=painter.max_seed(), violations)
                .unwrap_or(config.seed);
        config.count =
            schema::optional_integer(settings, path, "numberOfImages", 1..=5, violations)
                .and_then(|count| u64::try_from(count).ok())
                .unwrap_or(config.count);
        config
    }
}

/// The size rules beyond each side's range: Nova Canvas's multiples of 16, aspect ratio and
/// pixel budget, and Titan v2's list of sizes.
fn size_rules(painter: Painter, width: u32, height: u32) -> Result<(), ApiError> {
    let refused = |why: String| {
        Err(ApiError::validation(format!(
            "Invalid imageGenerationConfig: width {width} and height {height}: {why}."
        )))
    };
    match painter {
        Painter::NovaCanvas => {
            if !width.is_multiple_of(16) || !height.is_multiple_of(16) {
                return refused("each side must be a multiple of 16".to_owned());
            }
            if width > height * 4 || height > width * 4 {
                return refused("the aspect ratio must be between 1:4 and 4:1".to_owned());
            }
            if u64::from(width) * u64::from(height) > NOVA_MAX_PIXELS {
                return refused(format!(
                    "the image may have at most {NOVA_MAX_PIXELS} pixels"
                ));
            }
            Ok(())
        }
        Painter::TitanImageV2 if TITAN_SIZES.contains(&(width, height)) => Ok(()),
        Painter::TitanImageV2 => {
            refused("the size is not one Titan Image Generator v2 takes".to_owned())
        }
    }
}

/// A rendered image reply: the JSON body, complete.
struct ImageReply {
    body: Vec<u8>,
}

impl Reply for ImageReply {
    fn usage(&self) -> Option<TokenUsage> {
        None
    }

    fn response_body(&self) -> Result<Vec<u8>, serde_json::Error> {
        Ok(self.body.clone())
    }

    /// Never reached: streams are refused for image models before a reply is made.
    fn stream_chunks(
        &self,
        _metrics: &InvocationMetrics,
    ) -> Result<Vec<Vec<u8>>, serde_json::Error> {
        Ok(vec![self.body.clone()])
    }
}

#[cfg(test)]
mod tests {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    use serde_json::{Value, json};

    use crate::providers::testing::{reply, response_json};

    const CANVAS: &str = "amazon.nova-canvas-v1:0";

    fn size_of(base64: &Value) -> (u32, u32) {
        let bytes = STANDARD
            .decode(base64.as_str().expect("base64"))
            .expect("base64");
        let reader = png::Decoder::new(std::io::Cursor::new(bytes))
            .read_info()
            .expect("a PNG");
        (reader.info().width, reader.info().height)
    }

    fn refusal(model: &str, body: Value) -> String {
        match reply(model, &body) {
            Err(error) => {
                assert_eq!(error.error_type(), "ValidationException");
                error.message().to_owned()
            }
            Ok(_) => panic!("{body} was accepted"),
        }
    }

    #[test]
    fn canvas_paints_pngs_of_the_asked_size() {
        let body = json!({ "taskType": "TEXT_IMAGE",
            "textToImageParams": { "text": "a lighthouse", "negativeText": "fog" },
            "imageGenerationConfig": { "width": 320, "height": 640, "quality": "premium",
                "cfgScale": 6.5, "seed": 7, "numberOfImages": 2 } });
        let reply = reply(CANVAS, &body).expect("valid");
        assert_eq!(reply.usage(), None);
        let answer = response_json(reply.as_ref());
        let images = answer["images"].as_array().expect("images");
        assert_eq!(images.len(), 2);
        assert_eq!(size_of(&images[0]), (320, 640));
        assert_ne!(images[0], images[1]);
    }

    #[test]
    fn sizes_and_ranges_are_refused_by_name() {
        let sized = |width: u32, height: u32| {
            json!({ "taskType": "TEXT_IMAGE", "textToImageParams": { "text": "a" },
                    "imageGenerationConfig": { "width": width, "height": height } })
        };
        assert!(refusal(CANVAS, sized(100, 320)).contains("#/imageGenerationConfig/width: 100"));
        assert!(refusal(CANVAS, sized(330, 320)).contains("multiple of 16"));
        assert!(refusal(CANVAS, sized(320, 1600)).contains("aspect ratio"));
        assert!(refusal(CANVAS, sized(4096, 4096)).contains("pixels"));
        let titan = "amazon.titan-image-generator-v2:0";
        assert!(refusal(titan, sized(320, 320)).contains("Titan Image Generator v2"));
        let body = json!({ "taskType": "TEXT_IMAGE", "textToImageParams": { "text": "a" },
            "imageGenerationConfig": { "cfgScale": 11, "numberOfImages": 6 } });
        let message = refusal(CANVAS, body);
        assert!(
            message.contains("#/imageGenerationConfig/cfgScale: 11"),
            "{message}"
        );
        assert!(
            message.contains("#/imageGenerationConfig/numberOfImages: 6"),
            "{message}"
        );
        let edit = json!({ "taskType": "INPAINTING", "inPaintingParams": {} });
        assert!(refusal(CANVAS, edit).contains("TEXT_IMAGE only, not INPAINTING"));
        let long =
            json!({ "taskType": "TEXT_IMAGE", "textToImageParams": { "text": "a".repeat(513) } });
        assert!(refusal(titan, long).contains("maxLength: 512"));
    }
}
