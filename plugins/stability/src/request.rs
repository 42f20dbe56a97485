//! `build-request`: turns a provider-neutral request into the JSON body of
//! a Stability text-to-image model, in its family's shape (see
//! [`crate::models`]).
//!
//! Invariants: the prompt is one user message of text, sent as given (no
//! template); a setting the family does not have is `unsupported` naming
//! the flag, never dropped (the text-generation settings, `--system`,
//! `--raw`); a setting the user did not give is left out of the body, so
//! Bedrock applies Stability's defaults; `--seed` is checked against its
//! family's documented range before it is sent.

use bedrock_adapter_kit::request::{self, Setting, json_body};
use bedrock_adapter_kit::types::{AdapterError, Body, Message, Params, Request, Role};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::models::{self, Family};
use crate::options::{self, Options};

/// The largest seed SDXL takes: "Minimum 0, Maximum 4294967295" (AWS,
/// "Stability.ai Diffusion 1.0 text to image"). 0 asks for a random seed.
pub const MAX_SDXL_SEED: u64 = 4_294_967_295;

/// The largest seed SD3 and Stable Image take: 4294967294 in Stability's API
/// reference for its Stable Image generation endpoints, which AWS's pages
/// point to (AWS's "Stable Image Core request and response" says 4294967295;
/// the stricter bound is kept, so no seed passes that either source
/// refuses). 0 asks for a random seed.
pub const MAX_STABLE_IMAGE_SEED: u64 = 4_294_967_294;

/// The weight of the `text_prompts` entry an SDXL negative prompt becomes:
/// "a value that is less than zero declares a negative prompt" (AWS,
/// "Stability.ai Diffusion 1.0 text to image").
const NEGATIVE_WEIGHT: f32 = -1.0;

/// Builds the request body for `req.model_id`.
pub fn build(req: Request) -> Result<Body, AdapterError> {
    let family = models::family(&req.model_id)?;
    refuse_text_settings(&req.params)?;
    if req.system.is_some() {
        return Err(AdapterError::Unsupported(
            "--system: Stability image models take no system prompt; give what the \
             image should not show with -o negative_prompt=..."
                .to_owned(),
        ));
    }
    request::refuse_beyond_described(&req, &models::supported())?;
    let Request {
        model_id,
        messages,
        params,
        ..
    } = req;
    let seed = seed(family, params.seed)?;
    let Options {
        negative_prompt,
        fields,
    } = options::parse(family, &params.extra)?;
    let prompt = prompt(messages, &model_id)?;
    match family {
        Family::Sdxl => json_body(&sdxl_body(prompt, negative_prompt, seed, fields)),
        Family::StableImage => json_body(&StableImageBody {
            prompt,
            negative_prompt,
            seed,
            fields,
        }),
    }
}

/// An SDXL body (AWS, "Stability.ai Diffusion 1.0 text to image"); every
/// field but `text_prompts` and `seed` comes from `-o`.
#[derive(Serialize)]
struct SdxlBody {
    text_prompts: Vec<TextPrompt>,
    #[serde(skip_serializing_if = "Option::is_none")]
    seed: Option<u32>,
    #[serde(flatten)]
    fields: Map<String, Value>,
}

/// One entry of `text_prompts`; no weight means Stability's default, 1.
#[derive(Serialize)]
struct TextPrompt {
    text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    weight: Option<f32>,
}

fn sdxl_body(
    prompt: String,
    negative_prompt: Option<String>,
    seed: Option<u32>,
    fields: Map<String, Value>,
) -> SdxlBody {
    let positive = TextPrompt {
        text: prompt,
        weight: None,
    };
    let negative = negative_prompt.map(|text| TextPrompt {
        text,
        weight: Some(NEGATIVE_WEIGHT),
    });
    SdxlBody {
        text_prompts: std::iter::once(positive).chain(negative).collect(),
        seed,
        fields,
    }
}

/// An SD3 / Stable Image body (AWS, "Stable Diffusion 3", "Stable Image
/// Ultra request and response", "Stable Image Core request and response");
/// `aspect_ratio`, `output_format`, `mode` and the rest come from `-o`.
#[derive(Serialize)]
struct StableImageBody {
    prompt: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    negative_prompt: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    seed: Option<u32>,
    #[serde(flatten)]
    fields: Map<String, Value>,
}

/// The common settings that belong to text generation, with why an image
/// model has none of them.
fn refuse_text_settings(params: &Params) -> Result<(), AdapterError> {
    let refused = [
        (Setting::MaxTokens, "an image model generates no tokens"),
        (
            Setting::Temperature,
            "an image model has no sampling temperature (SDXL's -o cfg_scale sets how \
             closely the image follows the prompt)",
        ),
        (Setting::TopP, "an image model has no nucleus sampling"),
        (Setting::TopK, "an image model has no top-k sampling"),
        (Setting::Stop, "an image model has no stop sequences"),
        (
            Setting::Raw,
            "the prompt is always sent as given: an image model has no chat template \
             to leave out",
        ),
    ];
    refused
        .into_iter()
        .try_for_each(|(setting, why)| request::refuse(params, &[setting], why))
}

/// `--seed`, checked against the range `family` takes.
fn seed(family: Family, seed: Option<u64>) -> Result<Option<u32>, AdapterError> {
    let max = match family {
        Family::Sdxl => MAX_SDXL_SEED,
        Family::StableImage => MAX_STABLE_IMAGE_SEED,
    };
    match seed {
        None => Ok(None),
        Some(seed) => u32::try_from(seed)
            .ok()
            .filter(|_| seed <= max)
            .map(Some)
            .ok_or_else(|| {
                AdapterError::InvalidRequest(format!(
                    "--seed: {seed} is out of range; this model takes 0 to {max} \
                     (0 picks a random seed)"
                ))
            }),
    }
}

/// The prompt: the text of the one user message, parts joined as given.
fn prompt(messages: Vec<Message>, model_id: &str) -> Result<String, AdapterError> {
    let [message] = <[Message; 1]>::try_from(messages).map_err(|messages| {
        AdapterError::InvalidRequest(if messages.is_empty() {
            "there is no prompt to send".to_owned()
        } else {
            format!(
                "an image model takes one prompt, not a conversation of {} messages",
                messages.len()
            )
        })
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

#[cfg(test)]
mod tests {
    use super::*;
    use bedrock_adapter_kit::testing::{self, message, pairs, params, text};
    use bedrock_adapter_kit::types::{Content, Image};

    const SDXL: &str = "stability.stable-diffusion-xl-v1";
    const ULTRA: &str = "stability.stable-image-ultra-v1:1";

    fn request(model_id: &str, prompt: &str, params: Params) -> Request {
        testing::request(model_id, vec![text(Role::User, prompt)], params)
    }

    fn body_json(req: Request) -> Value {
        testing::body_json(build(req))
    }

    #[test]
    fn notebook_body() {
        // The SDXL cell of AWS's Bedrock notebook ("Getting Started"),
        // field for field: `--seed 20 -o cfg_scale=10 -o steps=50`.
        let req = request(
            SDXL,
            "a landscape with trees",
            Params {
                seed: Some(20),
                extra: pairs(&[("cfg_scale", "10"), ("steps", "50")]),
                ..params()
            },
        );
        assert_eq!(
            body_json(req),
            serde_json::json!({
                "text_prompts": [{"text": "a landscape with trees"}],
                "cfg_scale": 10,
                "seed": 20,
                "steps": 50,
            })
        );
    }

    #[test]
    fn sdxl_every_option() {
        // Fields of AWS's "Stability.ai Diffusion 1.0 text to image" request.
        let req = request(
            "stability.stable-diffusion-xl-v0",
            "a lighthouse",
            Params {
                seed: Some(MAX_SDXL_SEED),
                extra: pairs(&[
                    ("negative_prompt", "\"fog\""),
                    ("cfg_scale", "7.5"),
                    ("steps", "30"),
                    ("width", "1152"),
                    ("height", "896"),
                    ("samples", "1"),
                    ("style_preset", "\"photographic\""),
                    ("sampler", "\"K_DPMPP_2M\""),
                    ("clip_guidance_preset", "\"FAST_BLUE\""),
                    ("extras", "{}"),
                ]),
                ..params()
            },
        );
        assert_eq!(
            body_json(req),
            serde_json::json!({
                "text_prompts": [
                    {"text": "a lighthouse"},
                    {"text": "fog", "weight": -1.0},
                ],
                "seed": 4294967295u32,
                "cfg_scale": 7.5, "steps": 30, "width": 1152, "height": 896,
                "samples": 1, "style_preset": "photographic", "sampler": "K_DPMPP_2M",
                "clip_guidance_preset": "FAST_BLUE", "extras": {},
            })
        );
    }

    #[test]
    fn stable_image_body() {
        // Fields of AWS's "Stable Image Ultra request and response".
        let req = request(
            ULTRA,
            "A car made out of vegetables.",
            Params {
                seed: Some(0),
                extra: pairs(&[
                    ("negative_prompt", "\"blurry\""),
                    ("aspect_ratio", "\"16:9\""),
                    ("output_format", "\"jpeg\""),
                    ("mode", "\"text-to-image\""),
                ]),
                ..params()
            },
        );
        assert_eq!(
            body_json(req),
            serde_json::json!({
                "prompt": "A car made out of vegetables.",
                "negative_prompt": "blurry",
                "seed": 0,
                "aspect_ratio": "16:9",
                "output_format": "jpeg",
                "mode": "text-to-image",
            })
        );
    }

    #[test]
    fn bare_prompt() {
        // AWS's "Stable Diffusion 3" example body: `{'prompt': 'Create an image of a panda'}`.
        for id in ["stability.sd3-large-v1:0", "stability.sd3-5-large-v1:0"] {
            assert_eq!(
                body_json(request(id, "Create an image of a panda", params())),
                serde_json::json!({"prompt": "Create an image of a panda"})
            );
        }
    }

    #[test]
    fn seed_range() {
        let with_seed = |id: &str, seed: u64| {
            build(request(
                id,
                "trees",
                Params {
                    seed: Some(seed),
                    ..params()
                },
            ))
        };
        assert!(with_seed(SDXL, MAX_SDXL_SEED).is_ok());
        assert!(with_seed(ULTRA, MAX_STABLE_IMAGE_SEED).is_ok());
        for (id, seed, max) in [
            (SDXL, MAX_SDXL_SEED + 1, "4294967295"),
            (SDXL, u64::MAX, "4294967295"),
            (ULTRA, MAX_STABLE_IMAGE_SEED + 1, "4294967294"),
        ] {
            let err = with_seed(id, seed);
            assert!(
                matches!(&err, Err(AdapterError::InvalidRequest(m)) if m.starts_with("--seed") && m.contains(max)),
                "{id} {seed}: {err:?}"
            );
        }
    }

    #[test]
    fn text_settings_are_refused_by_flag() {
        let cases: [(&str, Params); 6] = [
            (
                "--max-tokens",
                Params {
                    max_tokens: Some(10),
                    ..params()
                },
            ),
            (
                "--temperature",
                Params {
                    temperature: Some(0.5),
                    ..params()
                },
            ),
            (
                "--top-p",
                Params {
                    top_p: Some(0.9),
                    ..params()
                },
            ),
            (
                "--top-k",
                Params {
                    top_k: Some(5),
                    ..params()
                },
            ),
            (
                "--stop",
                Params {
                    stop_sequences: vec!["|".to_owned()],
                    ..params()
                },
            ),
            (
                "--raw",
                Params {
                    raw: true,
                    ..params()
                },
            ),
        ];
        for (flag, params) in cases {
            let err = build(request(SDXL, "trees", params));
            assert!(
                matches!(&err, Err(AdapterError::Unsupported(m)) if m.starts_with(&format!("{flag}:"))),
                "{flag}: {err:?}"
            );
        }
    }

    #[test]
    fn prompt_refusals() {
        let system = build(Request {
            system: Some("Be photographic.".to_owned()),
            ..request(ULTRA, "trees", params())
        });
        assert!(matches!(system, Err(AdapterError::Unsupported(m)) if m.starts_with("--system")));

        let empty = build(request(SDXL, "  ", params()));
        assert!(matches!(empty, Err(AdapterError::InvalidRequest(m)) if m.contains("empty")));

        let none = build(Request {
            messages: Vec::new(),
            ..request(SDXL, "", params())
        });
        assert!(matches!(none, Err(AdapterError::InvalidRequest(_))));

        let turn = |role| Message {
            role,
            content: vec![Content::Text("trees".to_owned())],
        };
        let conversation = build(Request {
            messages: vec![turn(Role::User), turn(Role::Assistant), turn(Role::User)],
            ..request(SDXL, "", params())
        });
        assert!(
            matches!(conversation, Err(AdapterError::InvalidRequest(m)) if m.contains("3 messages"))
        );
        let assistant = build(Request {
            messages: vec![turn(Role::Assistant)],
            ..request(SDXL, "", params())
        });
        assert!(matches!(assistant, Err(AdapterError::InvalidRequest(_))));

        let image = build(Request {
            messages: vec![message(
                Role::User,
                vec![
                    Content::Text("like this".to_owned()),
                    Content::Image(Image {
                        media_type: "image/png".to_owned(),
                        data: vec![0x89],
                    }),
                ],
            )],
            ..request(ULTRA, "", params())
        });
        assert!(matches!(image, Err(AdapterError::Unsupported(m)) if m.starts_with("images")));

        let unknown = build(request(
            "stability.stable-image-inpaint-v1:0",
            "trees",
            params(),
        ));
        assert!(matches!(unknown, Err(AdapterError::Unsupported(_))));
    }

    #[test]
    fn text_parts_are_joined_as_given() {
        let req = Request {
            messages: vec![message(
                Role::User,
                vec![
                    Content::Text("a landscape ".to_owned()),
                    Content::Text("with trees".to_owned()),
                ],
            )],
            ..request(SDXL, "", params())
        };
        assert_eq!(
            body_json(req)["text_prompts"],
            serde_json::json!([{"text": "a landscape with trees"}])
        );
    }
}
