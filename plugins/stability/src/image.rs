//! Turns one base64 image of a response into the contract's `image`: the
//! decoded bytes and their media type.
//!
//! The media type is read from the bytes' signature, not from the request:
//! `parse-response` is not given the request, so it cannot know which
//! `output_format` was asked for, and the signature cannot disagree with the
//! bytes. Invariant: an image is returned only with a media type that names
//! its format (PNG, JPEG, or WebP); anything else is `malformed-response`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use bedrock_adapter_kit::types::{AdapterError, Image};

/// The first bytes of PNG and JPEG, the formats AWS's model-parameter pages
/// name for Stability's answers. WebP, which Stability's own API also
/// offers, is a RIFF container and is told apart in [`media_type`].
const SIGNATURES: &[(&[u8], &str)] = &[
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
];

/// The media type of `bytes`, from their signature.
pub fn media_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && bytes[8..12] == *b"WEBP" {
        return Some("image/webp");
    }
    SIGNATURES
        .iter()
        .find(|(signature, _)| bytes.starts_with(signature))
        .map(|(_, media_type)| *media_type)
}

/// Decodes the `index`-th image (from 0) of a response.
pub fn decode(index: usize, base64: &str) -> Result<Image, AdapterError> {
    let number = index + 1;
    let data = BASE64.decode(base64).map_err(|err| {
        AdapterError::MalformedResponse(format!("image {number} is not base64: {err}"))
    })?;
    let media_type = media_type(&data).ok_or_else(|| {
        AdapterError::MalformedResponse(format!(
            "image {number} is not a PNG, JPEG or WebP image ({} bytes)",
            data.len()
        ))
    })?;
    Ok(Image {
        media_type: media_type.to_owned(),
        data,
    })
}

/// Test images, shared by the response tests.
#[cfg(test)]
pub mod samples {
    /// A complete 1x1 PNG (70 bytes: signature, IHDR, IDAT, IEND, with
    /// valid CRCs), base64-encoded as Stability sends it.
    pub const PNG_1X1: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";

    /// The first 20 bytes of a JFIF file (SOI, then the APP0 segment): the
    /// adapter reads only the signature, so the rest of a JPEG is not needed.
    pub const JPEG_HEAD: &str = "/9j/4AAQSkZJRgABAQAAAQABAAA=";

    /// The PNG signature.
    pub const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
}

#[cfg(test)]
mod tests {
    use super::samples::*;
    use super::*;

    #[test]
    fn png() {
        let image = decode(0, PNG_1X1).expect("PNG");
        assert_eq!(image.media_type, "image/png");
        assert_eq!(image.data.len(), 70);
        assert!(image.data.starts_with(PNG_SIGNATURE));
    }

    #[test]
    fn jpeg() {
        let image = decode(0, JPEG_HEAD).expect("JPEG");
        assert_eq!(image.media_type, "image/jpeg");
        assert_eq!(image.data[..4], [0xff, 0xd8, 0xff, 0xe0]);
    }

    #[test]
    fn webp() {
        assert_eq!(media_type(b"RIFF\x1a\0\0\0WEBPVP8L"), Some("image/webp"));
        assert_eq!(media_type(b"RIFF\x1a\0\0\0WAVEfmt "), None);
    }

    #[test]
    fn not_an_image() {
        for (base64, why) in [("AQID", "not a PNG"), ("not base64!", "not base64")] {
            assert!(
                matches!(decode(1, base64), Err(AdapterError::MalformedResponse(m)) if m.starts_with("image 2") && m.contains(why)),
                "{base64}"
            );
        }
    }
}
