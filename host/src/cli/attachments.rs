//! `invoke --attach PATH`: reading a file the user attaches, finding its type
//! from its bytes, and checking it against what the routed model takes.
//!
//! Invariants: the media type never comes from the name alone. Images, PDF,
//! Office Open XML and legacy Office files are known by their bytes (magic
//! numbers, the zip's part names, the compound file's stream names); only
//! text types (csv, txt, md, html) are known by their extension, and only
//! when the bytes are valid UTF-8 without NUL. A file that is none of these
//! is refused, as is one the model cannot take or that is over its limits:
//! before anything is sent, naming the file, its type, the model and the
//! limit.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::plugin::{AttachmentSort, Content, Document, Image, Subject, Unsupported};

/// Whether an attachment goes to the model as an image or a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttachmentKind {
    /// A picture (`image/png`, `image/jpeg`, `image/gif`, `image/webp`).
    Image,
    /// Anything else the model reads (PDF, Office, text).
    Document,
}

impl fmt::Display for AttachmentKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AttachmentKind::Image => "image",
            AttachmentKind::Document => "document",
        })
    }
}

/// A file read for `--attach`, with the type its bytes show.
#[derive(Debug, Clone)]
pub struct Attachment {
    /// The path as the user gave it.
    pub path: PathBuf,
    /// The file's name without its folder.
    pub name: String,
    /// Image or document.
    pub kind: AttachmentKind,
    /// The media type found from the bytes (and, for text, the extension).
    pub media_type: &'static str,
    /// The file's bytes.
    pub data: Vec<u8>,
}

/// Why an attachment is refused.
#[derive(Debug, thiserror::Error)]
pub enum AttachmentError {
    /// `-` names no file.
    #[error("--attach takes a file, not `-` (stdin carries the prompt)")]
    Stdin,
    /// The file cannot be read.
    #[error("cannot read the attachment {}: {source}", path.display())]
    Unreadable {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The bytes are of no type a model takes.
    #[error(
        "the attachment {} is of no type bedrock-host knows (images: PNG, JPEG, GIF, WebP; documents: PDF, Word, Excel, PowerPoint, and UTF-8 .csv .txt .md .html)",
        path.display()
    )]
    UnknownType { path: PathBuf },
    /// The routed model cannot take it, as its plugin describes the model.
    #[error("cannot attach {} ({media_type}): {refusal}", path.display())]
    NotTaken {
        path: PathBuf,
        media_type: &'static str,
        refusal: Box<Unsupported>,
    },
}

/// Reads the file at `path` and finds its type from its bytes.
pub fn read(path: &Path) -> Result<Attachment, AttachmentError> {
    if path == Path::new("-") {
        return Err(AttachmentError::Stdin);
    }
    let data = std::fs::read(path).map_err(|source| AttachmentError::Unreadable {
        path: path.to_owned(),
        source,
    })?;
    let name = path.file_name().map_or_else(
        || "attachment".to_owned(),
        |n| n.to_string_lossy().into_owned(),
    );
    let extension = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let (kind, media_type) =
        sniff(&data, &extension).ok_or_else(|| AttachmentError::UnknownType {
            path: path.to_owned(),
        })?;
    Ok(Attachment {
        path: path.to_owned(),
        name,
        kind,
        media_type,
        data,
    })
}

/// The kind and media type of `bytes`; `extension` (lowercase, without the
/// dot) is consulted only for text, which has no magic number.
pub fn sniff(bytes: &[u8], extension: &str) -> Option<(AttachmentKind, &'static str)> {
    use AttachmentKind::{Document, Image};
    let image = |media_type| Some((Image, media_type));
    let document = |media_type| Some((Document, media_type));
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return image("image/png");
    }
    if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
        return image("image/jpeg");
    }
    if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        return image("image/gif");
    }
    if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP" {
        return image("image/webp");
    }
    if bytes.starts_with(b"%PDF-") {
        return document("application/pdf");
    }
    if bytes.starts_with(b"PK\x03\x04") {
        return office_open_xml(bytes).and_then(document);
    }
    if bytes.starts_with(&[0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]) {
        return legacy_office(bytes).and_then(document);
    }
    let text_type = match extension {
        "csv" => "text/csv",
        "txt" | "text" => "text/plain",
        "md" | "markdown" => "text/markdown",
        "html" | "htm" => "text/html",
        _ => return None,
    };
    (std::str::from_utf8(bytes).is_ok() && !bytes.contains(&0)).then_some((Document, text_type))
}

/// An Office Open XML package: a zip holding `[Content_Types].xml` and the
/// main part of a Word, Excel or PowerPoint file. Part names are stored
/// uncompressed in the zip's headers, so they are read without unzipping.
fn office_open_xml(bytes: &[u8]) -> Option<&'static str> {
    if !contains(bytes, b"[Content_Types].xml") {
        return None;
    }
    [
        (
            &b"word/document.xml"[..],
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        (
            b"xl/workbook.xml",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        (
            b"ppt/presentation.xml",
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        ),
    ]
    .into_iter()
    .find(|(part, _)| contains(bytes, part))
    .map(|(_, media_type)| media_type)
}

/// A legacy Office file: a compound file whose directory names its main
/// stream (in UTF-16LE): `WordDocument`, `Workbook`/`Book`, or `PowerPoint
/// Document`.
fn legacy_office(bytes: &[u8]) -> Option<&'static str> {
    let utf16 =
        |name: &str| -> Vec<u8> { name.encode_utf16().flat_map(u16::to_le_bytes).collect() };
    [
        ("WordDocument", "application/msword"),
        ("Workbook", "application/vnd.ms-excel"),
        ("Book", "application/vnd.ms-excel"),
        ("PowerPoint Document", "application/vnd.ms-powerpoint"),
    ]
    .into_iter()
    .find(|(stream, _)| contains(bytes, &utf16(stream)))
    .map(|(_, media_type)| media_type)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

/// Checks each attachment against what `subject` (the routed model, as its
/// plugin describes it) takes: its kind, media type and size. (The count of
/// each kind is checked with the whole request.)
pub fn check(attachments: &[Attachment], subject: &Subject<'_>) -> Result<(), AttachmentError> {
    for attachment in attachments {
        let sort = match attachment.kind {
            AttachmentKind::Image => AttachmentSort::Image,
            AttachmentKind::Document => AttachmentSort::Document,
        };
        let name = attachment.path.display().to_string();
        let size = u64::try_from(attachment.data.len()).unwrap_or(u64::MAX);
        subject
            .check_attachment(sort, &name, attachment.media_type, size)
            .map_err(|refusal| AttachmentError::NotTaken {
                path: attachment.path.clone(),
                media_type: attachment.media_type,
                refusal: Box::new(refusal),
            })?;
    }
    Ok(())
}

/// The message content of attachments, in the order given; documents get
/// names unique within the request (`a.txt`, `a-2.txt`, ...).
pub fn contents(attachments: Vec<Attachment>) -> Vec<Content> {
    let mut names: Vec<String> = Vec::new();
    attachments
        .into_iter()
        .map(|attachment| match attachment.kind {
            AttachmentKind::Image => Content::Image(Image {
                media_type: attachment.media_type.to_owned(),
                data: attachment.data,
            }),
            AttachmentKind::Document => {
                let name = unique_name(&attachment.name, &names);
                names.push(name.clone());
                Content::Document(Document {
                    name,
                    media_type: attachment.media_type.to_owned(),
                    data: attachment.data,
                })
            }
        })
        .collect()
}

/// `name`, or `stem-N.ext` with the smallest N ≥ 2 not in `taken`.
fn unique_name(name: &str, taken: &[String]) -> String {
    if !taken.iter().any(|t| t == name) {
        return name.to_owned();
    }
    let (stem, extension) = match name.rsplit_once('.') {
        Some((stem, extension)) if !stem.is_empty() => (stem, format!(".{extension}")),
        _ => (name, String::new()),
    };
    (2..)
        .map(|n| format!("{stem}-{n}{extension}"))
        .find(|candidate| !taken.iter().any(|t| t == candidate))
        .unwrap_or_else(|| name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::{AttachmentLimits, Capabilities};

    fn limits(media_types: &[&str], max_bytes: u64, max_count: u32) -> AttachmentLimits {
        AttachmentLimits {
            media_types: media_types.iter().map(|t| (*t).to_owned()).collect(),
            max_bytes,
            max_count,
        }
    }

    fn capabilities(
        images: Option<AttachmentLimits>,
        documents: Option<AttachmentLimits>,
    ) -> Capabilities {
        Capabilities {
            system: true,
            tools: false,
            images,
            documents,
            reasoning: false,
            caching: false,
            streaming: true,
        }
    }

    fn attachment(name: &str, bytes: &[u8]) -> Attachment {
        let extension = name.rsplit_once('.').map_or("", |(_, e)| e);
        let (kind, media_type) = sniff(bytes, extension).expect("a known type");
        Attachment {
            path: PathBuf::from(name),
            name: name.to_owned(),
            kind,
            media_type,
            data: bytes.to_vec(),
        }
    }

    #[test]
    fn images_and_pdf_are_known_by_their_magic_numbers_whatever_the_name() {
        use AttachmentKind::{Document, Image};
        assert_eq!(
            sniff(b"\x89PNG\r\n\x1a\n....", "txt"),
            Some((Image, "image/png"))
        );
        assert_eq!(
            sniff(&[0xff, 0xd8, 0xff, 0xe0], ""),
            Some((Image, "image/jpeg"))
        );
        assert_eq!(sniff(b"GIF89a..", "png"), Some((Image, "image/gif")));
        assert_eq!(
            sniff(b"RIFF\0\0\0\0WEBPVP8 ", ""),
            Some((Image, "image/webp"))
        );
        assert_eq!(
            sniff(b"%PDF-1.7\n", "md"),
            Some((Document, "application/pdf"))
        );
        assert_eq!(sniff(b"RIFF\0\0\0\0WAVEfmt ", "png"), None);
    }

    #[test]
    fn office_files_are_known_by_their_parts_and_streams() {
        let docx = b"PK\x03\x04....[Content_Types].xml....PK\x03\x04word/document.xml...";
        assert_eq!(
            sniff(docx, "zip").map(|(_, t)| t),
            Some("application/vnd.openxmlformats-officedocument.wordprocessingml.document")
        );
        let xlsx = b"PK\x03\x04[Content_Types].xml xl/workbook.xml";
        assert_eq!(
            sniff(xlsx, "").map(|(_, t)| t),
            Some("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        );
        assert_eq!(
            sniff(b"PK\x03\x04 a plain zip word/document.xml", "docx"),
            None
        );
        let mut doc = vec![0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1];
        doc.extend("WordDocument".encode_utf16().flat_map(u16::to_le_bytes));
        assert_eq!(sniff(&doc, "").map(|(_, t)| t), Some("application/msword"));
    }

    #[test]
    fn text_is_known_by_its_extension_only_when_it_is_utf8() {
        use AttachmentKind::Document;
        assert_eq!(sniff(b"a,b\n1,2\n", "csv"), Some((Document, "text/csv")));
        assert_eq!(
            sniff("# Titre é".as_bytes(), "md"),
            Some((Document, "text/markdown"))
        );
        assert_eq!(sniff(b"<p>hi</p>", "html"), Some((Document, "text/html")));
        assert_eq!(sniff(b"plain", "txt"), Some((Document, "text/plain")));
        assert_eq!(sniff(b"\xff\xfe not utf-8", "txt"), None);
        assert_eq!(sniff(b"nul\0inside", "txt"), None);
        assert_eq!(sniff(b"fn main() {}", "rs"), None);
    }

    #[test]
    fn a_refusal_names_the_file_its_type_the_model_and_the_limit() {
        let png = attachment("a.png", b"\x89PNG\r\n\x1a\n0123456789");
        let pdf = attachment("b.pdf", b"%PDF-1.7");
        let check_with = |capabilities: &Capabilities, attachments: &[Attachment]| {
            let subject = Subject {
                model: "m",
                plugin: "p",
                capabilities,
            };
            check(attachments, &subject).map_err(|error| error.to_string())
        };
        let text_only = capabilities(None, None);
        let refusal = check_with(&text_only, std::slice::from_ref(&png)).unwrap_err();
        assert!(
            refusal.contains("a.png") && refusal.contains("image/png") && refusal.contains("m "),
            "{refusal}"
        );
        let small = capabilities(Some(limits(&["image/png"], 5, 1)), None);
        let refusal = check_with(&small, std::slice::from_ref(&png)).unwrap_err();
        assert!(
            refusal.contains("a.png") && refusal.contains("5 bytes"),
            "{refusal}"
        );
        let both = capabilities(
            Some(limits(&["image/png"], 100, 1)),
            Some(limits(&["application/pdf"], 100, 5)),
        );
        assert!(check_with(&both, &[png, pdf]).is_ok());
    }

    #[test]
    fn documents_get_unique_names_in_order() {
        let a = attachment("notes.txt", b"one");
        let b = attachment("notes.txt", b"two");
        let c = attachment("notes-2.txt", b"three");
        let names: Vec<String> = contents(vec![a, b, c])
            .into_iter()
            .map(|content| match content {
                Content::Document(document) => document.name,
                _ => String::new(),
            })
            .collect();
        assert_eq!(names, ["notes.txt", "notes-2.txt", "notes-2-2.txt"]);
    }

    #[test]
    fn stdin_and_missing_files_are_refused_by_name() {
        assert!(matches!(read(Path::new("-")), Err(AttachmentError::Stdin)));
        let missing = read(Path::new("/nonexistent/x.png"))
            .unwrap_err()
            .to_string();
        assert!(missing.contains("/nonexistent/x.png"), "{missing}");
    }
}
