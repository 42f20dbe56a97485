//! Amazon's embedding, rerank and image models as a user meets them: `embed`,
//! `rerank` and `invoke --out` through the real CLI, the real `amazon` plugin
//! and the AWS SDK against the local Bedrock. Titan V2 vectors have the asked
//! length and unit norm, images are embedded by Titan Multimodal and Nova,
//! Amazon Rerank orders and cuts with `--top-n`, Nova Canvas writes a PNG of
//! the asked size, and what a model does not take is refused by name.

use std::path::Path;

use serde_json::Value;

use crate::support::{LocalServer, run};

const TITAN_V2: &str = "amazon.titan-embed-text-v2:0";
const TITAN_IMAGE: &str = "amazon.titan-embed-image-v1";
const NOVA_EMBED: &str = "amazon.nova-2-multimodal-embeddings-v1:0";
const RERANK: &str = "amazon.rerank-v1:0";
const CANVAS: &str = "amazon.nova-canvas-v1:0";

/// A complete 1x1 PNG: signature, IHDR, IDAT, IEND.
const PNG_1X1: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0xda, 0x63, 0x64, 0xf8, 0xcf, 0x50,
    0x0f, 0x00, 0x03, 0x86, 0x01, 0x80, 0x5a, 0x34, 0x7d, 0x6b, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

fn vectors(answer: &Value) -> Vec<Vec<f64>> {
    answer["embeddings"]
        .as_array()
        .expect("embeddings")
        .iter()
        .map(|vector| {
            vector
                .as_array()
                .expect("a vector")
                .iter()
                .map(|number| number.as_f64().expect("a number"))
                .collect()
        })
        .collect()
}

/// The width and height a PNG's IHDR chunk gives, after checking the
/// signature and that the first chunk is IHDR.
fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    assert_eq!(&bytes[12..16], b"IHDR", "the first chunk is not IHDR");
    let number =
        |at: usize| u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    assert!(
        bytes.ends_with(&[0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82]),
        "no IEND"
    );
    (number(16), number(20))
}

fn write_png(folder: &Path) -> std::path::PathBuf {
    let path = folder.join("dot.png");
    std::fs::write(&path, PNG_1X1).expect("write the image");
    path
}

#[test]
fn titan_v2_gives_vectors_of_the_asked_length_and_unit_norm() {
    let server = LocalServer::start();
    let embedded = run(server.command(&[
        "embed",
        "-m",
        TITAN_V2,
        "--dimensions",
        "256",
        "--normalize",
        "--output",
        "json",
        "Hello World!",
        "Goodbye cruel world!",
    ]));
    assert_eq!(embedded.code, Some(0), "{}", embedded.stderr);
    let answer = embedded.json();
    assert_eq!(answer["plugin"], "amazon");
    assert_eq!(answer["dimensions"], 256);
    let vectors = vectors(&answer);
    assert_eq!(vectors.len(), 2, "one call per input, in order");
    for vector in &vectors {
        assert_eq!(vector.len(), 256);
        let norm = vector.iter().map(|n| n * n).sum::<f64>().sqrt();
        assert!((norm - 1.0).abs() < 1e-6, "{norm}");
    }
    assert_ne!(vectors[0], vectors[1]);
    let alone = run(server.command(&[
        "embed",
        "-m",
        TITAN_V2,
        "--dimensions",
        "256",
        "--normalize",
        "--output",
        "json",
        "Goodbye cruel world!",
    ]));
    assert_eq!(alone.code, Some(0), "{}", alone.stderr);
    assert_eq!(self::vectors(&alone.json())[0], vectors[1]);
}

#[test]
fn titan_multimodal_and_nova_embed_an_image() {
    let server = LocalServer::start();
    let folder = tempfile::tempdir().expect("temp dir");
    let image = write_png(folder.path());
    let image = image.to_str().expect("a UTF-8 path");
    let titan = run(server.command(&[
        "embed",
        "-m",
        TITAN_IMAGE,
        "--image",
        image,
        "--dimensions",
        "384",
        "--output",
        "json",
    ]));
    assert_eq!(titan.code, Some(0), "{}", titan.stderr);
    let titan = vectors(&titan.json());
    assert_eq!(titan.len(), 1);
    assert_eq!(titan[0].len(), 384);

    let nova = run(server.command(&[
        "embed",
        "-m",
        NOVA_EMBED,
        "--dimensions",
        "256",
        "--input-type",
        "search-query",
        "--output",
        "json",
        "a red dot",
    ]));
    assert_eq!(nova.code, Some(0), "{}", nova.stderr);
    assert_eq!(vectors(&nova.json())[0].len(), 256);
    let nova_image = run(server.command(&[
        "embed", "-m", NOVA_EMBED, "--image", image, "--output", "json",
    ]));
    assert_eq!(nova_image.code, Some(0), "{}", nova_image.stderr);
    assert_eq!(
        vectors(&nova_image.json())[0].len(),
        3072,
        "Nova's default length"
    );
}

#[test]
fn amazon_rerank_orders_documents_and_keeps_the_top_n() {
    let server = LocalServer::start();
    let documents = [
        "Bread rises in an oven.",
        "Paris is the capital of France.",
        "France exports wine.",
    ];
    let mut args = vec![
        "rerank",
        "-m",
        RERANK,
        "--query",
        "What is the capital of France?",
        "--output",
        "json",
    ];
    args.extend(documents);
    let ranked = run(server.command(&args));
    assert_eq!(ranked.code, Some(0), "{}", ranked.stderr);
    let results = ranked.json()["results"]
        .as_array()
        .expect("results")
        .clone();
    let order: Vec<u64> = results
        .iter()
        .map(|result| result["index"].as_u64().expect("an index"))
        .collect();
    assert_eq!(order, [1, 2, 0]);
    assert_eq!(results[0]["document"], documents[1]);

    args.extend(["--top-n", "2"]);
    let top = run(server.command(&args));
    assert_eq!(top.code, Some(0), "{}", top.stderr);
    let top = top.json()["results"].as_array().expect("results").clone();
    assert_eq!(top.len(), 2);
    assert_eq!(top[0]["index"], 1);
}

#[test]
fn what_a_model_does_not_take_is_refused_by_name() {
    let server = LocalServer::start();
    let int8 = run(server.command(&["embed", "-m", TITAN_V2, "--embedding-type", "int8", "hi"]));
    assert_eq!(int8.code, Some(2), "{}", int8.stderr);
    assert!(
        int8.stderr.contains("--embedding-type") && int8.stderr.contains(TITAN_V2),
        "{}",
        int8.stderr
    );
    let odd = run(server.command(&["embed", "-m", TITAN_V2, "--dimensions", "300", "hi"]));
    assert_eq!(odd.code, Some(2), "{}", odd.stderr);
    assert!(odd.stderr.contains("--dimensions"), "{}", odd.stderr);
    let folder = tempfile::tempdir().expect("temp dir");
    let image = write_png(folder.path());
    let mut text_only = server.command(&["embed", "-m", TITAN_V2, "--image"]);
    text_only.arg(&image);
    let text_only = run(text_only);
    assert_eq!(text_only.code, Some(2), "{}", text_only.stderr);
}

#[test]
fn nova_canvas_writes_a_png_of_the_asked_size() {
    let server = LocalServer::start();
    let folder = tempfile::tempdir().expect("temp dir");
    let out = folder.path().join("lighthouse.png");
    let mut paint = server.command(&[
        "invoke",
        "-m",
        CANVAS,
        "-o",
        "width=320",
        "-o",
        "height=640",
        "-o",
        "negativeText=\"fog\"",
        "--seed",
        "7",
        "--out",
    ]);
    paint.arg(&out).arg("a lighthouse at dusk");
    let painted = run(paint);
    assert_eq!(painted.code, Some(0), "{}", painted.stderr);
    let bytes = std::fs::read(&out).expect("the image was written");
    assert_eq!(png_size(&bytes), (320, 640));

    let bad = folder.path().join("bad.png");
    let mut wrong = server.command(&["invoke", "-m", CANVAS, "-o", "width=100", "--out"]);
    wrong.arg(&bad).arg("a lighthouse");
    let wrong = run(wrong);
    assert_eq!(wrong.code, Some(4), "{}", wrong.stderr);
    assert!(
        wrong.stderr.contains("imageGenerationConfig/width"),
        "{}",
        wrong.stderr
    );
    assert!(!bad.exists(), "no image for a refused request");

    let tokens =
        run(server.command(&["invoke", "-m", CANVAS, "--max-tokens", "5", "a lighthouse"]));
    assert_eq!(tokens.code, Some(3), "{}", tokens.stderr);
    assert!(tokens.stderr.contains("--max-tokens"), "{}", tokens.stderr);
}
