//! Stable Diffusion XL 1.0 on Bedrock: request validation and the reply shape, from AWS's
//! "Stability.ai Diffusion 1.0 text to image" page (no SDXL traffic was recorded). The request is
//! `{"text_prompts":[{"text","weight"}], "height", "width", "cfg_scale", "clip_guidance_preset",
//! "sampler", "samples", "seed", "steps", "style_preset", "extras"}`: at least one prompt of at
//! most 2000 characters, cfg_scale 0..=35, seed 0..=4294967295, steps 10..=150, samples 1, the
//! documented enums, and width x height one of the documented SDXL sizes (default 1024x1024).
//! The reply is `{"result":"success","artifacts":[{"seed","base64","finishReason":"SUCCESS"}]}`
//! with a PNG of the requested size; a seed of 0 (or none) means "random", which here is a seed
//! derived from the prompt.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::api_error::ApiError;
use crate::providers::schema::{self, Violations};
use crate::providers::stability::picture;

const KEYS: &[&str] = &[
    "text_prompts",
    "height",
    "width",
    "cfg_scale",
    "clip_guidance_preset",
    "sampler",
    "samples",
    "seed",
    "steps",
    "style_preset",
    "extras",
];
const PROMPT_KEYS: &[&str] = &["text", "weight"];
const MAX_PROMPT_LENGTH: usize = 2000;
const CLIP_GUIDANCE_PRESETS: &[&str] = &[
    "FAST_BLUE",
    "FAST_GREEN",
    "NONE",
    "SIMPLE",
    "SLOW",
    "SLOWER",
    "SLOWEST",
];
const SAMPLERS: &[&str] = &[
    "DDIM",
    "DDPM",
    "K_DPMPP_2M",
    "K_DPMPP_2S_ANCESTRAL",
    "K_DPM_2",
    "K_DPM_2_ANCESTRAL",
    "K_EULER",
    "K_EULER_ANCESTRAL",
    "K_HEUN",
    "K_LMS",
];
const STYLE_PRESETS: &[&str] = &[
    "3d-model",
    "analog-film",
    "anime",
    "cinematic",
    "comic-book",
    "digital-art",
    "enhance",
    "fantasy-art",
    "isometric",
    "line-art",
    "low-poly",
    "modeling-compound",
    "neon-punk",
    "origami",
    "photographic",
    "pixel-art",
    "tile-texture",
];
/// The documented SDXL sizes, width x height.
const SIZES: &[(u32, u32)] = &[
    (1024, 1024),
    (1152, 896),
    (1216, 832),
    (1344, 768),
    (1536, 640),
    (640, 1536),
    (768, 1344),
    (832, 1216),
    (896, 1152),
];
const DEFAULT_SIDE: u32 = 1024;
const MAX_SEED: i64 = 4_294_967_295;

/// Validates an SDXL body and renders the reply body.
pub(super) fn invoke(object: &Map<String, Value>) -> Result<Vec<u8>, ApiError> {
    let mut violations = Violations::default();
    schema::reject_unknown_keys(object, "#", KEYS, &mut violations);
    let prompts = parse_prompts(object, &mut violations);
    let height = schema::optional_count(object, "#", "height", 0..=u32::MAX, &mut violations);
    let width = schema::optional_count(object, "#", "width", 0..=u32::MAX, &mut violations);
    schema::optional_number(object, "#", "cfg_scale", 0.0..=35.0, &mut violations);
    schema::optional_enum(
        object,
        "#",
        "clip_guidance_preset",
        CLIP_GUIDANCE_PRESETS,
        &mut violations,
    );
    schema::optional_enum(object, "#", "sampler", SAMPLERS, &mut violations);
    schema::optional_integer(object, "#", "samples", 1..=1, &mut violations);
    let seed = schema::optional_integer(object, "#", "seed", 0..=MAX_SEED, &mut violations);
    schema::optional_integer(object, "#", "steps", 10..=150, &mut violations);
    schema::optional_enum(object, "#", "style_preset", STYLE_PRESETS, &mut violations);
    schema::optional_object(object, "#", "extras", &mut violations);
    violations.into_result()?;
    let Some(prompt) = prompts else {
        return Err(ApiError::internal(
            "validated SDXL body has no text_prompts",
        ));
    };
    let size = (
        width.unwrap_or(DEFAULT_SIDE),
        height.unwrap_or(DEFAULT_SIDE),
    );
    if !SIZES.contains(&size) {
        return Err(ApiError::validation(format!(
            "{}x{} (width x height) is not a supported SDXL size; use one of {}.",
            size.0,
            size.1,
            SIZES
                .iter()
                .map(|(width, height)| format!("{width}x{height}"))
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }

    let seed = picture::seed(seed, &prompt, MAX_SEED);
    let base64 = picture::png_base64(&prompt, seed, size.0, size.1)?;
    serde_json::to_vec(&SdxlResponse {
        result: "success",
        artifacts: [Artifact {
            seed,
            base64,
            finish_reason: "SUCCESS",
        }],
    })
    .map_err(|error| ApiError::unrenderable(&error))
}

/// The prompts' texts joined by newlines, or `None` (with violations) when they are malformed.
fn parse_prompts(object: &Map<String, Value>, violations: &mut Violations) -> Option<String> {
    let prompts = schema::required_array(object, "#", "text_prompts", 1, violations)?;
    let mut texts = Vec::new();
    for (index, prompt) in prompts.iter().enumerate() {
        let path = format!("#/text_prompts/{index}");
        let Some(prompt) = schema::as_object(prompt, &path, violations) else {
            continue;
        };
        schema::reject_unknown_keys(prompt, &path, PROMPT_KEYS, violations);
        if let Some(text) = schema::required_string(prompt, &path, "text", violations) {
            let length = text.chars().count();
            if length > MAX_PROMPT_LENGTH {
                violations.too_long(&format!("{path}/text"), MAX_PROMPT_LENGTH, length);
            }
            texts.push(text);
        }
        schema::optional_number(prompt, &path, "weight", f64::MIN..=f64::MAX, violations);
    }
    Some(texts.join("\n"))
}

#[derive(Serialize)]
struct SdxlResponse {
    result: &'static str,
    artifacts: [Artifact; 1],
}

#[derive(Serialize)]
struct Artifact {
    seed: u64,
    base64: String,
    #[serde(rename = "finishReason")]
    finish_reason: &'static str,
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
        let error = render(json!({
            "text_prompts": [{"txt": "trees"}], "cfg_scale": 50, "steps": 5, "samples": 2,
            "style_preset": "watercolour"
        }))
        .expect_err("invalid");
        assert_eq!(
            error.message(),
            "Malformed input request: #/text_prompts/0: extraneous key [txt] is not permitted\
             #/text_prompts/0: required key [text] not found#/cfg_scale: 50 is not less or equal \
             to 35#/samples: 2 is not less or equal to 1#/steps: 5 is not greater or equal to 10\
             #/style_preset: watercolour is not a valid enum value, please reformat your input \
             and try again."
        );
    }

    #[test]
    fn only_documented_sizes_are_rendered() {
        let error =
            render(json!({"text_prompts": [{"text": "trees"}], "width": 512, "height": 512}))
                .expect_err("unsupported size");
        assert!(
            error
                .message()
                .starts_with("512x512 (width x height) is not a supported SDXL size")
        );
        let reply = render(
            json!({"text_prompts": [{"text": "trees"}], "width": 1536, "height": 640, "seed": 7}),
        )
        .expect("valid");
        assert_eq!(reply["artifacts"][0]["seed"], 7);
        assert_eq!(reply["artifacts"][0]["finishReason"], "SUCCESS");
        assert_eq!(reply["result"], "success");
    }

    #[test]
    fn a_zero_seed_is_replaced_by_one_from_the_prompt() {
        let reply = render(
            json!({"text_prompts": [{"text": "trees"}], "seed": 0, "height": 896, "width": 1152}),
        )
        .expect("valid");
        let seed = reply["artifacts"][0]["seed"].as_u64().expect("a seed");
        assert!(seed > 0);
    }
}
