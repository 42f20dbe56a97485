//! Attachments as the families carry them: base64 text decoded to bytes, and what the bytes say
//! they are. Invariant: a format is recognised from the bytes' own signature only, never from a
//! name or a declared type, so a family can check a declared type against the bytes.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// An attachment format the emulator recognises from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sniffed {
    Png,
    Jpeg,
    Gif,
    Webp,
    Pdf,
}

impl Sniffed {
    /// The format whose signature `bytes` start with, if any.
    pub fn of(bytes: &[u8]) -> Option<Self> {
        if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(Self::Png)
        } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(Self::Jpeg)
        } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
            Some(Self::Gif)
        } else if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP" {
            Some(Self::Webp)
        } else if bytes.starts_with(b"%PDF-") {
            Some(Self::Pdf)
        } else {
            None
        }
    }

    /// The format's media type.
    pub fn media_type(self) -> &'static str {
        match self {
            Self::Png => "image/png",
            Self::Jpeg => "image/jpeg",
            Self::Gif => "image/gif",
            Self::Webp => "image/webp",
            Self::Pdf => "application/pdf",
        }
    }

    /// The format's short name, as Nova's `format` fields spell it.
    pub fn short_name(self) -> &'static str {
        match self {
            Self::Png => "png",
            Self::Jpeg => "jpeg",
            Self::Gif => "gif",
            Self::Webp => "webp",
            Self::Pdf => "pdf",
        }
    }
}

/// The bytes of standard base64 `text`, or `None` when it is not base64.
pub(crate) fn decode_base64(text: &str) -> Option<Vec<u8>> {
    STANDARD.decode(text).ok()
}

/// Decoded size in bytes of base64 `text` (without decoding it), for limits checked before
/// the work of decoding.
pub(crate) fn decoded_len(text: &str) -> usize {
    let padding = text.bytes().rev().take_while(|byte| *byte == b'=').count();
    (text.len() / 4 * 3).saturating_sub(padding)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_known_by_their_signatures() {
        assert_eq!(Sniffed::of(b"\x89PNG\r\n\x1a\nrest"), Some(Sniffed::Png));
        assert_eq!(Sniffed::of(&[0xFF, 0xD8, 0xFF, 0xE0]), Some(Sniffed::Jpeg));
        assert_eq!(Sniffed::of(b"GIF89a.."), Some(Sniffed::Gif));
        assert_eq!(Sniffed::of(b"RIFF\0\0\0\0WEBPVP8 "), Some(Sniffed::Webp));
        assert_eq!(Sniffed::of(b"%PDF-1.7"), Some(Sniffed::Pdf));
        assert_eq!(Sniffed::of(b"plain text"), None);
    }

    #[test]
    fn base64_is_decoded_and_measured() {
        assert_eq!(decode_base64("aGVsbG8="), Some(b"hello".to_vec()));
        assert_eq!(decode_base64("not base64!"), None);
        assert_eq!(decoded_len("aGVsbG8="), 5);
        assert_eq!(decoded_len("aGVsbG8h"), 6);
    }
}
