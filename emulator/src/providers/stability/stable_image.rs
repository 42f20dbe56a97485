//! SD3 Large, SD3.5 Large, Stable Image Ultra and Stable Image Core on Bedrock: request
//! validation and the reply shape, from AWS's Stability parameter pages (no traffic was
//! recorded). The request is `{"prompt", "negative_prompt", "aspect_ratio", "mode", "image",
//! "strength", "seed", "output_format"}`: a prompt of at most 10000 characters, aspect_ratio one
//! of the nine documented ratios (default `1:1`), seed 0..=4294967294 (0 or none: random, here
//! derived from the prompt). The reply is `{"seeds":[seed],"finish_reasons":[null],"images":
//! [base64]}`, the image a PNG at Stability's documented size for the ratio. The emulator renders
//! PNG only: `output_format` `jpeg` or `webp` is refused with a ValidationException that says so.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::api_error::ApiError;
use crate::providers::schema::{self, Violations};
use crate::providers::stability::picture;

const KEYS: &[&str] = &[
    "prompt",
    "negative_prompt",
    "aspect_ratio",
    "mode",
    "image",
    "strength",
    "seed",
    "output_format",
];
const MODES: &[&str] = &["text-to-image", "image-to-image"];
const OUTPUT_FORMATS: &[&str] = &["png", "jpeg", "webp"];
const MAX_PROMPT_LENGTH: usize = 10_000;
const MAX_SEED: i64 = 4_294_967_294;
const DEFAULT_ASPECT_RATIO: &str = "1:1";
/// Each documented aspect ratio and the pixel size Stability renders for it (width, height).
const ASPECT_RATIOS: &[(&str, (u32, u32))] = &[
    ("1:1", (1024, 1024)),
    ("16:9", (1344, 768)),
    ("21:9", (1536, 640)),
    ("2:3", (832, 1216)),
    ("3:2", (1216, 832)),
    ("4:5", (896, 1088)),
    ("5:4", (1088, 896)),
    ("9:16", (768, 1344)),
    ("9:21", (640, 1536)),
];

/// Validates an SD3 / Stable Image body and renders the reply body.
pub(super) fn invoke(object: &Map<String, Value>) -> Result<Vec<u8>, ApiError> {
    let mut violations = Violations::default();
    schema::reject_unknown_keys(object, "#", KEYS, &mut violations);
    let prompt = schema::required_string(object, "#", "prompt", &mut violations);
    for key in ["prompt", "negative_prompt"] {
        if let Some(text) = schema::optional_string(object, "#", key, &mut violations) {
            let length = text.chars().count();
            if length > MAX_PROMPT_LENGTH {
                violations.too_long(&schema::child_path("#", key), MAX_PROMPT_LENGTH, length);
            }
        }
    }
    let ratios: Vec<&str> = ASPECT_RATIOS.iter().map(|(ratio, _)| *ratio).collect();
    let ratio = schema::optional_enum(object, "#", "aspect_ratio", &ratios, &mut violations);
    schema::optional_enum(object, "#", "mode", MODES, &mut violations);
    schema::optional_string(object, "#", "image", &mut violations);
    schema::optional_number(object, "#", "strength", 0.0..=1.0, &mut violations);
    let seed = schema::optional_integer(object, "#", "seed", 0..=MAX_SEED, &mut violations);
    let format = schema::optional_enum(
        object,
        "#",
        "output_format",
        OUTPUT_FORMATS,
        &mut violations,
    );
    violations.into_result()?;
    let Some(prompt) = prompt else {
        return Err(ApiError::internal(
            "validated Stable Image body has no prompt",
        ));
    };
    if let Some(format) = format.filter(|format| *format != "png") {
        return Err(ApiError::validation(format!(
            "output_format {format} is not supported by the local Bedrock emulator, which \
             renders PNG only; use \"png\"."
        )));
    }

    let ratio = ratio.unwrap_or(DEFAULT_ASPECT_RATIO);
    let (width, height) = ASPECT_RATIOS
        .iter()
        .find(|(known, _)| *known == ratio)
        .map_or((1024, 1024), |(_, size)| *size);
    let seed = picture::seed(seed, prompt, MAX_SEED);
    let image = picture::png_base64(prompt, seed, width, height)?;
    serde_json::to_vec(&StableImageResponse {
        seeds: [seed],
        finish_reasons: [None],
        images: [image],
    })
    .map_err(|error| ApiError::unrenderable(&error))
}

#[derive(Serialize)]
struct StableImageResponse {
    seeds: [u64; 1],
    finish_reasons: [Option<&'static str>; 1],
    images: [String; 1],
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::testing::object;
    use serde_json::json;

    fn render(value: Value) -> Result<Value, ApiError> {
        invoke(&object(value)).map(|body| serde_json::from_slice(&body).expect("JSON"))
    }

    #[test]
    fn every_violation_is_reported() {
        let error = render(json!({"text_prompts": [], "aspect_ratio": "4:3", "seed": -1}))
            .expect_err("invalid");
        assert_eq!(
            error.message(),
            "Malformed input request: #: extraneous key [text_prompts] is not permitted#: \
             required key [prompt] not found#/aspect_ratio: 4:3 is not a valid enum value#/seed: \
             -1 is not greater or equal to 0, please reformat your input and try again."
        );
    }

    #[test]
    fn jpeg_is_refused_and_png_is_the_default() {
        let error =
            render(json!({"prompt": "a fox", "output_format": "jpeg"})).expect_err("jpeg refused");
        assert_eq!(error.error_type(), "ValidationException");
        assert!(error.message().contains("renders PNG only"));
        let reply = render(json!({"prompt": "a fox", "seed": 42})).expect("valid");
        assert_eq!(reply["seeds"], json!([42]));
        assert_eq!(reply["finish_reasons"], json!([null]));
        assert_eq!(reply["images"].as_array().map(Vec::len), Some(1));
    }
}
