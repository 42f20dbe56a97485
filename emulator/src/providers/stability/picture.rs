//! The images the Stability models (and Amazon's Nova Canvas and Titan Image Generator v2,
//! `amazon/canvas.rs`) "generate": a real PNG (8-bit RGB, written with the `png`
//! crate) of the requested size whose pixels are a deterministic pattern, a gradient over a
//! checkerboard tinted by a SHA-256 of the prompt and the seed. Invariant: the same prompt, seed
//! and size always give the same bytes, and different prompts or seeds give different pictures.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};

use crate::api_error::ApiError;

/// Side of one checkerboard square, in pixels.
const SQUARE: u32 = 64;

/// Renders the picture for `prompt` and `seed` as a base64 PNG of `width` x `height` pixels.
pub(crate) fn png_base64(
    prompt: &str,
    seed: u64,
    width: u32,
    height: u32,
) -> Result<String, ApiError> {
    let digest = Sha256::new()
        .chain_update(prompt.as_bytes())
        .chain_update(seed.to_be_bytes())
        .finalize();
    let tint = [digest[0], digest[1], digest[2]];
    let capacity = u64::from(width) * u64::from(height) * 3;
    let mut pixels = Vec::with_capacity(usize::try_from(capacity).unwrap_or(0));
    for y in 0..height {
        for x in 0..width {
            let across = scale(x, width);
            let down = scale(y, height);
            let square = if (x / SQUARE + y / SQUARE).is_multiple_of(2) {
                0
            } else {
                48
            };
            pixels.push(tint[0].wrapping_add(across));
            pixels.push(tint[1].wrapping_add(down));
            pixels.push(tint[2].wrapping_add(square));
        }
    }
    let mut png = Vec::new();
    let mut encoder = png::Encoder::new(&mut png, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Fast);
    let written = encoder.write_header().and_then(|mut writer| {
        writer
            .write_image_data(&pixels)
            .and_then(|()| writer.finish())
    });
    written.map_err(|error| {
        ApiError::internal(format!("The emulator could not encode its PNG: {error}"))
    })?;
    Ok(STANDARD.encode(png))
}

/// `position` of `extent` mapped onto 0..=255.
fn scale(position: u32, extent: u32) -> u8 {
    u8::try_from(position.saturating_mul(255) / extent.max(1)).unwrap_or(u8::MAX)
}

/// The seed a picture is drawn with: the `requested` one, or, when the request sets none or 0,
/// one in 1..=`maximum` derived from the prompt.
pub(crate) fn seed(requested: Option<i64>, prompt: &str, maximum: i64) -> u64 {
    match requested.and_then(|seed| u64::try_from(seed).ok()) {
        Some(seed) if seed > 0 => seed,
        _ => seed_for(prompt, maximum.unsigned_abs()),
    }
}

/// A seed in 1..=`maximum` derived from the prompt, for requests that leave the seed to chance.
fn seed_for(prompt: &str, maximum: u64) -> u64 {
    let digest = Sha256::digest(prompt.as_bytes());
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(bytes) % maximum + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(base64: &str) -> (png::OutputInfo, Vec<u8>) {
        let bytes = STANDARD.decode(base64).expect("base64");
        let mut reader = png::Decoder::new(std::io::Cursor::new(bytes))
            .read_info()
            .expect("a PNG");
        let mut pixels = vec![0; reader.output_buffer_size().expect("a size")];
        let info = reader.next_frame(&mut pixels).expect("a frame");
        (info, pixels)
    }

    #[test]
    fn the_png_has_the_requested_size_and_is_deterministic() {
        let first = png_base64("trees", 20, 96, 64).expect("renders");
        let (info, pixels) = decode(&first);
        assert_eq!((info.width, info.height), (96, 64));
        assert_eq!(info.color_type, png::ColorType::Rgb);
        assert_eq!(pixels.len(), 96 * 64 * 3);
        assert_eq!(png_base64("trees", 20, 96, 64).expect("renders"), first);
        assert_ne!(png_base64("trees", 21, 96, 64).expect("renders"), first);
        assert_ne!(png_base64("rivers", 20, 96, 64).expect("renders"), first);
    }

    #[test]
    fn derived_seeds_are_in_range() {
        let seed = seed_for("a landscape with trees", 10);
        assert!((1..=10).contains(&seed));
        assert_eq!(seed, seed_for("a landscape with trees", 10));
    }
}
