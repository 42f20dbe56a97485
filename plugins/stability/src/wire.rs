//! The shapes of what Stability's models send back on Bedrock, as far as the
//! adapter reads them: the SDXL body (`artifacts`) and the SD3 / Stable
//! Image body (`images`, `finish_reasons`).
//!
//! Invariants: fields the adapter does not use (`result`'s siblings, the
//! seeds) are ignored; a field the adapter uses that has the wrong type is a
//! deserialisation error, which the caller reports as `malformed-response`.
//! Which shape a body is is decided by its keys ([`Reply::shape`]), never by
//! model id.

use bedrock_adapter_kit::types::AdapterError;
use serde::Deserialize;

/// A response body of either shape; which fields are present says which.
#[derive(Deserialize)]
pub struct Reply {
    /// SDXL: `"success"` when the call succeeded.
    pub result: Option<String>,
    /// SDXL: one artifact per image asked for.
    pub artifacts: Option<Vec<Artifact>>,
    /// SD3 / Stable Image: the images, base64, in order.
    pub images: Option<Vec<String>>,
    /// SD3 / Stable Image: one entry per image, `null` for success.
    pub finish_reasons: Option<Vec<Option<String>>>,
}

/// One SDXL artifact: `{"seed", "base64", "finishReason"}` (AWS,
/// "Stability.ai Diffusion 1.0 text to image").
#[derive(Deserialize)]
pub struct Artifact {
    /// The image, base64-encoded.
    pub base64: Option<String>,
    /// `SUCCESS`, `CONTENT_FILTERED` or `ERROR`.
    #[serde(rename = "finishReason")]
    pub finish_reason: Option<String>,
}

/// A body read as the shape its keys name.
pub enum Shape {
    /// `{"result", "artifacts": [...]}`.
    Sdxl {
        /// The `result` field, for error messages.
        result: Option<String>,
        /// The artifacts, in order.
        artifacts: Vec<Artifact>,
    },
    /// `{"seeds", "finish_reasons", "images"}`; a filtered answer may carry
    /// `finish_reasons` alone.
    StableImage {
        /// The images, in order.
        images: Vec<String>,
        /// Their finish reasons, in the same order.
        finish_reasons: Vec<Option<String>>,
    },
}

impl Reply {
    /// Tells the shape from the keys: `artifacts` is SDXL's, `images` and
    /// `finish_reasons` are the newer models'.
    pub fn shape(self) -> Result<Shape, AdapterError> {
        match self {
            Reply {
                result,
                artifacts: Some(artifacts),
                ..
            } => Ok(Shape::Sdxl { result, artifacts }),
            Reply {
                images,
                finish_reasons,
                ..
            } if images.is_some() || finish_reasons.is_some() => Ok(Shape::StableImage {
                images: images.unwrap_or_default(),
                finish_reasons: finish_reasons.unwrap_or_default(),
            }),
            Reply { result, .. } => Err(AdapterError::MalformedResponse(format!(
                "not a Stability image body: no `artifacts` (SDXL) and no `images` or \
                 `finish_reasons` (SD3, Stable Image){}",
                result.map(|r| format!("; result: {r}")).unwrap_or_default()
            ))),
        }
    }
}
