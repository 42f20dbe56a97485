//! Writing the images a model returned to files, and saying where.
//!
//! Invariants: an image is written to a temporary file beside its target
//! and renamed into place, so a failure never leaves half an image; a name
//! the user did not choose never replaces an existing file.

use std::path::{Path, PathBuf};

use anyhow::Context as _;

use crate::plugin::{Image, printable};

/// Where one image was written; the media type is the plugin's, with
/// control characters escaped, as it is printed.
#[derive(Debug)]
pub struct WrittenImage {
    pub path: PathBuf,
    pub media_type: String,
    pub bytes: usize,
}

/// Writes `images` to `out` (numbered `-2`, `-3`, ... after the first when
/// there are several), or to fresh names in the current folder.
pub fn write_images(
    images: &[Image],
    out: Option<&Path>,
    stem: &str,
) -> anyhow::Result<Vec<WrittenImage>> {
    let mut written = Vec::with_capacity(images.len());
    for (index, image) in images.iter().enumerate() {
        let extension = extension_for(&image.media_type);
        let path = match out {
            Some(out) if index == 0 => out.to_owned(),
            Some(out) => numbered(out, index + 1, extension),
            None => fresh_name(stem, index + 1, extension),
        };
        write_atomically(&path, &image.data)?;
        written.push(WrittenImage {
            path,
            media_type: printable(&image.media_type),
            bytes: image.data.len(),
        });
    }
    Ok(written)
}

fn extension_for(media_type: &str) -> &'static str {
    match media_type {
        "image/png" => "png",
        "image/jpeg" => "jpg",
        "image/webp" => "webp",
        "image/gif" => "gif",
        _ => "bin",
    }
}

/// `out.png` → `out-2.png`.
fn numbered(out: &Path, number: usize, extension: &str) -> PathBuf {
    let stem = out
        .file_stem()
        .map_or_else(|| "image".into(), |s| s.to_string_lossy().into_owned());
    let extension = out.extension().map_or_else(
        || extension.to_owned(),
        |e| e.to_string_lossy().into_owned(),
    );
    out.with_file_name(format!("{stem}-{number}.{extension}"))
}

/// `STEM-N.EXT` in the current folder, or `STEM-N-K.EXT` for the first K
/// that does not exist yet.
fn fresh_name(stem: &str, number: usize, extension: &str) -> PathBuf {
    let first = PathBuf::from(format!("{stem}-{number}.{extension}"));
    if !first.exists() {
        return first;
    }
    (2..)
        .map(|k| PathBuf::from(format!("{stem}-{number}-{k}.{extension}")))
        .find(|candidate| !candidate.exists())
        .unwrap_or(first)
}

fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_owned(),
        _ => PathBuf::from("."),
    };
    let mut file = tempfile::NamedTempFile::new_in(&dir)
        .with_context(|| format!("cannot write an image into {}", dir.display()))?;
    std::io::Write::write_all(&mut file, bytes)
        .with_context(|| format!("cannot write {}", path.display()))?;
    file.persist(path)
        .map_err(|error| error.error)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn several_images_are_numbered_after_the_first() {
        assert_eq!(
            numbered(Path::new("dir/land.png"), 2, "png"),
            PathBuf::from("dir/land-2.png")
        );
        assert_eq!(
            numbered(Path::new("land"), 3, "jpg"),
            PathBuf::from("land-3.jpg")
        );
    }

    /// Found by the `plugin_output` fuzz target: a media type of `"\0"`
    /// was printed on stderr as it was, in the `wrote ...` line.
    #[test]
    fn a_media_type_is_described_without_control_characters() {
        let folder = tempfile::tempdir().unwrap();
        let image = Image {
            media_type: "\0".into(),
            data: vec![0],
        };
        let out = folder.path().join("image");
        let written = write_images(&[image], Some(&out), "unused").unwrap();
        assert_eq!(written[0].media_type, "\\u{0}");
        assert_eq!(std::fs::read(&out).unwrap(), [0]);
    }

    #[test]
    fn media_types_choose_the_extension() {
        assert_eq!(extension_for("image/png"), "png");
        assert_eq!(extension_for("image/jpeg"), "jpg");
        assert_eq!(extension_for("application/octet-stream"), "bin");
    }
}
