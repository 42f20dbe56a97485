//! `parse-response`: reads a non-streamed Stability body, in either shape
//! (SDXL `artifacts`, or SD3 / Stable Image `images` + `finish_reasons`,
//! told apart by its keys, whatever the model id).
//!
//! Invariants: each image whose own finish reason is success becomes one
//! image output, decoded, in order; a filtered or failed image gives no
//! output (Stability may still send bytes for it, such as a blurred
//! picture), and its reason, kept raw, becomes the response's stop, so the
//! host can say why there is no image; a body with nothing to report (no
//! image and no reason) is `malformed-response`. There is never usage:
//! these bodies carry no token counts.

use bedrock_adapter_kit::types::{AdapterError, Output, Response, Stop};
use bedrock_adapter_kit::wire::{json, read};

use crate::image;
use crate::stop;
use crate::wire::{Artifact, Reply, Shape};

/// Parses the body of a successful `InvokeModel` response.
pub fn parse(body: &[u8]) -> Result<Response, AdapterError> {
    let value = json(body, "the body")?;
    if !value.is_object() {
        return Err(AdapterError::MalformedResponse(format!(
            "the body is not a JSON object: {}",
            kind(&value)
        )));
    }
    let reply: Reply = read(value, "a Stability image body")?;
    let (outputs, stops) = match reply.shape()? {
        Shape::Sdxl { result, artifacts } => sdxl(result, artifacts)?,
        Shape::StableImage {
            images,
            finish_reasons,
        } => stable_image(images, finish_reasons)?,
    };
    Ok(Response {
        outputs,
        stop: stop::overall(stops),
        usage: None,
    })
}

/// The images and stops of an SDXL body.
fn sdxl(
    result: Option<String>,
    artifacts: Vec<Artifact>,
) -> Result<(Vec<Output>, Vec<Stop>), AdapterError> {
    if artifacts.is_empty() {
        return Err(AdapterError::MalformedResponse(format!(
            "the body has no artifacts (result: {})",
            result.as_deref().unwrap_or("none")
        )));
    }
    let mut outputs = Vec::new();
    let mut stops = Vec::new();
    for (index, artifact) in artifacts.into_iter().enumerate() {
        let stop = stop::from_sdxl(artifact.finish_reason.as_deref());
        if stop::keeps_image(&stop) {
            let base64 = artifact.base64.ok_or_else(|| {
                AdapterError::MalformedResponse(format!(
                    "artifact {} succeeded but has no base64 image",
                    index + 1
                ))
            })?;
            outputs.push(Output::Image(image::decode(index, &base64)?));
        }
        stops.push(stop);
    }
    Ok((outputs, stops))
}

/// The images and stops of an SD3 / Stable Image body: `images[i]` goes
/// with `finish_reasons[i]`, and a missing reason is success.
fn stable_image(
    images: Vec<String>,
    finish_reasons: Vec<Option<String>>,
) -> Result<(Vec<Output>, Vec<Stop>), AdapterError> {
    let count = images.len().max(finish_reasons.len());
    if count == 0 {
        return Err(AdapterError::MalformedResponse(
            "the body has no images and no finish_reasons".to_owned(),
        ));
    }
    let mut images = images.into_iter();
    let mut reasons = finish_reasons.into_iter();
    let mut outputs = Vec::new();
    let mut stops = Vec::new();
    for index in 0..count {
        let image = images.next();
        let stop = stop::from_stable_image(reasons.next().flatten().as_deref());
        if stop::keeps_image(&stop) {
            let base64 = image.ok_or_else(|| {
                AdapterError::MalformedResponse(format!(
                    "finish_reasons[{index}] is null (success) but there is no images[{index}]"
                ))
            })?;
            outputs.push(Output::Image(image::decode(index, &base64)?));
        }
        stops.push(stop);
    }
    Ok((outputs, stops))
}

/// What a JSON value is, for an error message that does not echo a body
/// which may be megabytes of base64.
fn kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::samples::{JPEG_HEAD, PNG_1X1, PNG_SIGNATURE};
    use bedrock_adapter_kit::types::{Image, StopReason};

    fn stop(reason: StopReason, raw: Option<&str>) -> Option<Stop> {
        Some(Stop {
            reason,
            raw: raw.map(str::to_owned),
        })
    }

    fn images(response: &Response) -> Vec<&Image> {
        response
            .outputs
            .iter()
            .map(|output| match output {
                Output::Image(image) => image,
                other => panic!("unexpected output {other:?}"),
            })
            .collect()
    }

    #[test]
    fn sdxl_success() {
        // The response shape of AWS's "Stability.ai Diffusion 1.0 text to
        // image": {"result", "artifacts": [{"seed", "base64", "finishReason"}]}.
        let body = format!(
            r#"{{"result":"success","artifacts":[{{"seed":20,"base64":"{PNG_1X1}","finishReason":"SUCCESS"}}]}}"#
        );
        let response = parse(body.as_bytes()).expect("parse");
        let images = images(&response);
        assert_eq!(images.len(), 1);
        assert_eq!(images[0].media_type, "image/png");
        assert!(images[0].data.starts_with(PNG_SIGNATURE));
        assert_eq!(response.stop, stop(StopReason::EndTurn, Some("SUCCESS")));
        assert_eq!(response.usage, None);
    }

    #[test]
    fn sdxl_filtered() {
        // finishReason CONTENT_FILTERED (same AWS page): no image, the reason kept.
        let body = format!(
            r#"{{"result":"success","artifacts":[{{"seed":7,"base64":"{PNG_1X1}","finishReason":"CONTENT_FILTERED"}}]}}"#
        );
        assert_eq!(
            parse(body.as_bytes()),
            Ok(Response {
                outputs: Vec::new(),
                stop: stop(StopReason::ContentFiltered, Some("CONTENT_FILTERED")),
                usage: None,
            })
        );
    }

    #[test]
    fn sdxl_error_and_mixed_samples() {
        // finishReason ERROR (same AWS page) gives no image and stop `other`;
        // with several samples, the one filtered decides the stop and the
        // successful image is still output.
        let body = format!(
            r#"{{"result":"success","artifacts":[
                {{"seed":1,"base64":"{PNG_1X1}","finishReason":"SUCCESS"}},
                {{"seed":2,"base64":"","finishReason":"ERROR"}},
                {{"seed":3,"base64":"","finishReason":"CONTENT_FILTERED"}}]}}"#
        );
        let response = parse(body.as_bytes()).expect("parse");
        assert_eq!(images(&response).len(), 1);
        assert_eq!(
            response.stop,
            stop(StopReason::ContentFiltered, Some("CONTENT_FILTERED"))
        );
        let error =
            r#"{"result":"success","artifacts":[{"seed":2,"base64":"","finishReason":"ERROR"}]}"#;
        assert_eq!(
            parse(error.as_bytes()),
            Ok(Response {
                outputs: Vec::new(),
                stop: stop(StopReason::Other, Some("ERROR")),
                usage: None,
            })
        );
    }

    #[test]
    fn stable_image_success() {
        // AWS's "Stable Image Ultra request and response" (same shape for
        // "Stable Diffusion 3" and "Stable Image Core"):
        // {'seeds': [2130420379], "finish_reasons":[null], "images":["..."]}.
        let body =
            format!(r#"{{"seeds":[2130420379],"finish_reasons":[null],"images":["{PNG_1X1}"]}}"#);
        let response = parse(body.as_bytes()).expect("parse");
        let images = images(&response);
        assert_eq!(images.len(), 1);
        assert_eq!(images[0].media_type, "image/png");
        assert!(images[0].data.starts_with(PNG_SIGNATURE));
        assert_eq!(response.stop, stop(StopReason::EndTurn, None));
    }

    #[test]
    fn stable_image_jpeg() {
        // `-o output_format=jpeg`: the media type follows the bytes.
        let body = format!(r#"{{"seeds":[42],"finish_reasons":[null],"images":["{JPEG_HEAD}"]}}"#);
        let response = parse(body.as_bytes()).expect("parse");
        assert_eq!(images(&response)[0].media_type, "image/jpeg");
    }

    #[test]
    fn stable_image_filtered() {
        // The filtered example of the same AWS page: {"finish_reasons":["Filter reason: prompt"]}.
        assert_eq!(
            parse(br#"{"finish_reasons":["Filter reason: prompt"]}"#),
            Ok(Response {
                outputs: Vec::new(),
                stop: stop(StopReason::ContentFiltered, Some("Filter reason: prompt")),
                usage: None,
            })
        );
        // An output image filtered, with bytes sent anyway: they are not shown.
        let body = format!(
            r#"{{"seeds":[1],"finish_reasons":["Filter reason: output image"],"images":["{PNG_1X1}"]}}"#
        );
        let response = parse(body.as_bytes()).expect("parse");
        assert!(response.outputs.is_empty());
        assert_eq!(
            response.stop,
            stop(
                StopReason::ContentFiltered,
                Some("Filter reason: output image")
            )
        );
        assert_eq!(
            parse(br#"{"seeds":[1],"finish_reasons":["Inference error"],"images":[]}"#)
                .map(|r| r.stop),
            Ok(stop(StopReason::Other, Some("Inference error")))
        );
    }

    #[test]
    fn malformed() {
        let png = PNG_1X1;
        for body in [
            "not json".to_owned(),
            "[]".to_owned(),
            "\"text\"".to_owned(),
            "{}".to_owned(),
            r#"{"result":"success"}"#.to_owned(),
            r#"{"result":"success","artifacts":[]}"#.to_owned(),
            r#"{"artifacts":{}}"#.to_owned(),
            r#"{"artifacts":[{"finishReason":"SUCCESS"}]}"#.to_owned(),
            r#"{"artifacts":[{"base64":"AQID","finishReason":"SUCCESS"}]}"#.to_owned(),
            r#"{"artifacts":[{"base64":"@@@","finishReason":"SUCCESS"}]}"#.to_owned(),
            r#"{"artifacts":[{"base64":3,"finishReason":"SUCCESS"}]}"#.to_owned(),
            r#"{"images":[],"finish_reasons":[]}"#.to_owned(),
            r#"{"finish_reasons":[null]}"#.to_owned(),
            r#"{"finish_reasons":[3],"images":[]}"#.to_owned(),
            format!(r#"{{"images":"{png}"}}"#),
            r#"{"images":["AQID"]}"#.to_owned(),
        ] {
            assert!(
                matches!(
                    parse(body.as_bytes()),
                    Err(AdapterError::MalformedResponse(_))
                ),
                "{body}"
            );
        }
    }
}
