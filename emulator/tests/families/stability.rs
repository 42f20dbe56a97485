//! Stability AI image models. Nothing was recorded for them (see the fixtures' README), so the
//! expected shapes are those of AWS's "Stability.ai Diffusion 1.0 text to image" page (SDXL:
//! `result`, `artifacts[].seed/base64/finishReason`) and its SD3 / Stable Image pages (`seeds`,
//! `finish_reasons`, `images`). Every image is decoded as a PNG and its size checked.

use std::collections::BTreeSet;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use crate::harness::{harness, key_paths, malformed, number_at, text_at};

const SDXL: &str = "stability.stable-diffusion-xl-v1";

/// The notebook's SDXL body, with `extra` merged in.
fn notebook_body(extra: Value) -> Value {
    let mut body = json!({
        "text_prompts": [{"text": "a landscape with trees"}],
        "cfg_scale": 10,
        "seed": 20,
        "steps": 50
    });
    if let (Some(body), Value::Object(extra)) = (body.as_object_mut(), extra) {
        body.extend(extra);
    }
    body
}

/// The width and height of a base64 PNG, after decoding every pixel.
fn png_size(base64: &str) -> (u32, u32) {
    let bytes = STANDARD.decode(base64).expect("base64");
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG signature");
    let mut reader = png::Decoder::new(std::io::Cursor::new(bytes))
        .read_info()
        .expect("a PNG header");
    let mut pixels = vec![0; reader.output_buffer_size().expect("a size")];
    let frame = reader.next_frame(&mut pixels).expect("decodable pixels");
    (frame.width, frame.height)
}

#[tokio::test]
async fn sdxl_renders_the_notebook_body_as_a_1024_png() {
    let harness = harness().await;
    let reply = harness.invoke(SDXL, &notebook_body(json!({}))).await;
    assert_eq!(reply["result"], "success");
    assert_eq!(reply["artifacts"][0]["finishReason"], "SUCCESS");
    assert_eq!(number_at(&reply, "/artifacts/0/seed"), 20);
    assert_eq!(
        png_size(text_at(&reply, "/artifacts/0/base64")),
        (1024, 1024)
    );
    assert!(!harness.has_header("x-amzn-bedrock-input-token-count"));
    assert!(!harness.has_header("x-amzn-bedrock-output-token-count"));
    let documented: BTreeSet<String> = [
        "result",
        "artifacts",
        "artifacts[].seed",
        "artifacts[].base64",
        "artifacts[].finishReason",
    ]
    .iter()
    .map(|path| (*path).to_owned())
    .collect();
    assert_eq!(key_paths(&reply), documented);

    let again = harness.invoke(SDXL, &notebook_body(json!({}))).await;
    assert_eq!(
        again["artifacts"][0]["base64"],
        reply["artifacts"][0]["base64"]
    );
    let other_seed = harness
        .invoke(SDXL, &notebook_body(json!({"seed": 21})))
        .await;
    assert_ne!(
        other_seed["artifacts"][0]["base64"],
        reply["artifacts"][0]["base64"]
    );
}

#[tokio::test]
async fn sdxl_honours_the_requested_size() {
    let harness = harness().await;
    let wide = harness
        .invoke(SDXL, &notebook_body(json!({"width": 1344, "height": 768})))
        .await;
    assert_eq!(png_size(text_at(&wide, "/artifacts/0/base64")), (1344, 768));
    let error = harness
        .invoke_error(SDXL, &notebook_body(json!({"width": 1000, "height": 1000})))
        .await;
    assert_eq!(error.code, "ValidationException");
    assert!(
        error.message.contains("not a supported SDXL size"),
        "{}",
        error.message
    );
}

#[tokio::test]
async fn image_models_refuse_to_stream() {
    let harness = harness().await;
    for model_id in [SDXL, "stability.sd3-5-large-v1:0"] {
        let error = harness
            .stream_error(model_id, &notebook_body(json!({})))
            .await;
        assert_eq!(error.code, "ValidationException", "{model_id}");
        assert_eq!(error.message, "The model is unsupported for streaming.");
    }
}

#[tokio::test]
async fn a_malformed_sdxl_body_is_a_validation_exception() {
    let harness = harness().await;
    let error = harness
        .invoke_error(
            SDXL,
            &json!({"prompt": "a landscape with trees", "seed": 20}),
        )
        .await;
    assert_eq!(error.code, "ValidationException");
    assert_eq!(
        error.message,
        malformed(
            "#: extraneous key [prompt] is not permitted#: required key [text_prompts] not found"
        )
    );
}

#[tokio::test]
async fn stable_image_models_honour_the_aspect_ratio_and_render_png_only() {
    let harness = harness().await;
    let reply = harness
        .invoke(
            "stability.stable-image-ultra-v1:1",
            &json!({"prompt": "a landscape with trees", "aspect_ratio": "16:9", "seed": 5}),
        )
        .await;
    assert_eq!(reply["seeds"], json!([5]));
    assert_eq!(reply["finish_reasons"], json!([null]));
    assert_eq!(png_size(text_at(&reply, "/images/0")), (1344, 768));

    let square = harness
        .invoke(
            "stability.sd3-large-v1:0",
            &json!({"prompt": "a landscape with trees", "output_format": "png"}),
        )
        .await;
    assert_eq!(png_size(text_at(&square, "/images/0")), (1024, 1024));
    assert!(number_at(&square, "/seeds/0") > 0);

    let error = harness
        .invoke_error(
            "stability.stable-image-core-v1:0",
            &json!({"prompt": "a landscape with trees", "output_format": "jpeg"}),
        )
        .await;
    assert_eq!(error.code, "ValidationException");
    assert!(error.message.contains("PNG only"), "{}", error.message);
}
