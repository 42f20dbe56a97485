//! The `-o key=value` options: which keys the adapter knows, which it
//! refuses, and the checks on the values it knows.
//!
//! Every option but `negative_prompt` is a top-level body field, passed
//! through as the JSON the user gave; keys the adapter does not know for a
//! family are passed through unchecked, for Bedrock to judge, so fields
//! Stability adds later need no new adapter. `negative_prompt` is the
//! adapter's own key for both families: SD3 and Stable Image take it as a
//! body field of that name, SDXL as an extra `text_prompts` entry of weight
//! -1 (see [`crate::request`]). Invariant: an option never replaces what the
//! prompt or a common setting puts in the body (`-o seed=5` is refused with
//! a pointer to `--seed`), so each body field has one source.

use bedrock_adapter_kit::options::{self, Kind, invalid};
use bedrock_adapter_kit::types::AdapterError;
use serde_json::{Map, Value};

use crate::models::Family;

/// The options this adapter knows, as listed by `describe`: the SDXL fields
/// of AWS's "Stability.ai Diffusion 1.0 text to image" page, the SD3 /
/// Stable Image fields of its "Stable Diffusion 3", "Stable Image Ultra
/// request and response" and "Stable Image Core request and response"
/// pages, and `negative_prompt` for both.
pub const KNOWN: &[&str] = &[
    "negative_prompt",
    "cfg_scale",
    "steps",
    "width",
    "height",
    "samples",
    "style_preset",
    "sampler",
    "clip_guidance_preset",
    "extras",
    "aspect_ratio",
    "output_format",
    "mode",
];

/// Body fields that the prompt or a common setting fills, with what the
/// user should use instead of `-o`.
const OWNED: &[(&str, &str)] = &[
    (
        "text_prompts",
        "the body's text_prompts are built from the prompt; give a negative \
         prompt with -o negative_prompt=...",
    ),
    ("prompt", "the body's prompt is the prompt given"),
    ("seed", "use --seed"),
];

/// The `-o` options of one request, split as the body builders use them.
#[derive(Debug, PartialEq)]
pub struct Options {
    /// What the image should not show (`-o negative_prompt=...`).
    pub negative_prompt: Option<String>,
    /// Every other option: top-level body fields.
    pub fields: Map<String, Value>,
}

/// Parses the `-o` pairs for a model of `family`, checking the keys that
/// family knows. A key given twice keeps its last value.
pub fn parse(family: Family, extra: &[(String, String)]) -> Result<Options, AdapterError> {
    let mut fields = options::parse(extra, OWNED, |key, value| check(family, key, value))?;
    let negative_prompt = match fields.remove("negative_prompt") {
        Some(Value::String(text)) => Some(text),
        _ => None,
    };
    Ok(Options {
        negative_prompt,
        fields,
    })
}

/// The type of each option a family knows.
fn kind(family: Family, key: &str) -> Option<Kind> {
    match (family, key) {
        (Family::Sdxl, "cfg_scale") => Some(Kind::Number),
        (Family::Sdxl, "steps" | "width" | "height" | "samples") => Some(Kind::Count),
        (Family::Sdxl, "style_preset" | "sampler" | "clip_guidance_preset") => Some(Kind::String),
        (Family::Sdxl, "extras") => Some(Kind::Object),
        (Family::StableImage, "aspect_ratio" | "output_format" | "mode") => Some(Kind::String),
        _ => None,
    }
}

/// Checks `negative_prompt`, and the type of an option `family` knows;
/// other keys pass. A refused known option is shown in the message.
fn check(family: Family, key: &str, value: Value) -> Result<Value, AdapterError> {
    if key == "negative_prompt" {
        return Kind::String.check(key, value);
    }
    match kind(family, key) {
        Some(kind) if !kind.fits(&value) => {
            let expected = match kind {
                Kind::Count => "a whole number, 0 or more",
                kind => kind.expected(),
            };
            Err(invalid(key, &format!("expected {expected}, not {value}")))
        }
        _ => Ok(value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bedrock_adapter_kit::testing::pairs;

    #[test]
    fn known_and_unknown_keys_pass_through() {
        let options = parse(
            Family::Sdxl,
            &pairs(&[
                ("cfg_scale", "10"),
                ("steps", "50"),
                ("style_preset", "\"photographic\""),
                ("negative_prompt", "\"fog\""),
                ("init_image_mode", "\"IMAGE_STRENGTH\""),
                ("steps", "40"),
            ]),
        )
        .expect("valid options");
        assert_eq!(options.negative_prompt.as_deref(), Some("fog"));
        assert_eq!(
            Value::Object(options.fields),
            serde_json::json!({
                "cfg_scale": 10, "steps": 40, "style_preset": "photographic",
                "init_image_mode": "IMAGE_STRENGTH",
            })
        );
    }

    #[test]
    fn checks_are_per_family() {
        // `steps` is an SDXL field; for SD3 it is unknown and left to Bedrock.
        let sd3 = parse(Family::StableImage, &pairs(&[("steps", "\"many\"")]));
        assert!(sd3.is_ok());
        let sdxl = parse(Family::Sdxl, &pairs(&[("steps", "\"many\"")]));
        assert!(matches!(sdxl, Err(AdapterError::InvalidRequest(m)) if m.starts_with("-o steps:")));
    }

    #[test]
    fn owned_keys_are_refused() {
        for (key, hint) in [
            ("seed", "--seed"),
            ("prompt", "prompt given"),
            ("text_prompts", "negative_prompt"),
        ] {
            for family in [Family::Sdxl, Family::StableImage] {
                let err = parse(family, &pairs(&[(key, "1")]));
                assert!(
                    matches!(&err, Err(AdapterError::InvalidRequest(m)) if m.contains(hint)),
                    "{key}: {err:?}"
                );
            }
        }
    }

    #[test]
    fn wrong_types_are_refused() {
        for (family, key, value) in [
            (Family::Sdxl, "cfg_scale", "\"high\""),
            (Family::Sdxl, "steps", "-1"),
            (Family::Sdxl, "width", "10.5"),
            (Family::Sdxl, "sampler", "3"),
            (Family::Sdxl, "extras", "[]"),
            (Family::Sdxl, "negative_prompt", "[\"fog\"]"),
            (Family::StableImage, "output_format", "1"),
            (Family::StableImage, "aspect_ratio", "1.5"),
            (Family::StableImage, "negative_prompt", "null"),
        ] {
            let err = parse(family, &pairs(&[(key, value)]));
            assert!(
                matches!(&err, Err(AdapterError::InvalidRequest(m)) if m.starts_with(&format!("-o {key}:"))),
                "{key}: {err:?}"
            );
        }
    }

    #[test]
    fn values_that_are_not_json_are_refused() {
        let err = parse(Family::Sdxl, &pairs(&[("cfg_scale", "ten")]));
        assert!(matches!(err, Err(AdapterError::InvalidRequest(m)) if m.contains("not JSON")));
    }
}
