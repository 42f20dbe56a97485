//! Writing the images a model returned, and saying where they went.
//!
//! Invariants: images are written to regular files only. A destination that
//! exists and is not a regular file (a symlink, FIFO, device or folder) is
//! refused, both before the call (`check_destination`) and again when the
//! image is written; an image is written to a temporary file beside its
//! target and renamed into place, so a failure never leaves half an image
//! and a symlink planted in between is replaced, never followed. A name the
//! user did not choose never replaces anything. An image that cannot be
//! written where it was meant to go is kept in a fallback file (in the
//! current folder, else the temporary folder) that the error names: an
//! image that was paid for is never dropped. `--out -` writes the first
//! image's bytes to stdout.

use std::fs::FileType;
use std::io;
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

use super::stdout;
use crate::plugin::{Image, printable};

/// The `--out` value that means stdout.
pub const STDOUT: &str = "-";

/// Where one image was written (`-` for stdout); the media type is the
/// plugin's, with control characters escaped, as it is printed.
#[derive(Debug)]
pub struct WrittenImage {
    /// The file it is in, or `-`.
    pub path: PathBuf,
    /// Its media type, printable.
    pub media_type: String,
    /// Its size.
    pub bytes: usize,
}

/// A destination `--out` may not write to.
#[derive(Debug, thiserror::Error)]
pub enum DestinationError {
    /// Something other than a regular file is there.
    #[error("refusing to write an image to {}: it is {kind}, not a regular file", path.display())]
    NotARegularFile { path: PathBuf, kind: &'static str },
    /// The folder it would go in cannot be written.
    #[error("cannot write an image into {}: {source}", folder.display())]
    Folder { folder: PathBuf, source: io::Error },
}

/// Some images were not written where they were meant to go. Every one of
/// them is in `written`, at a fallback path where needed.
#[derive(Debug, thiserror::Error)]
#[error("{}", problems.join("; "))]
pub struct ImagesNotWritten {
    /// Where each image is now, in order.
    pub written: Vec<WrittenImage>,
    /// One sentence per image that went elsewhere, naming where it is.
    pub problems: Vec<String>,
}

/// Checks, before any call is made, that `out` (a `--out` value) can take
/// an image: `-`, a new file in a folder that can be written, or an
/// existing regular file.
pub fn check_destination(out: &Path) -> Result<(), DestinationError> {
    if out == Path::new(STDOUT) {
        return Ok(());
    }
    refuse_unless_regular(out)?;
    let folder = folder_of(out);
    NamedTempFile::new_in(&folder)
        .map(drop)
        .map_err(|source| DestinationError::Folder { folder, source })
}

/// Writes `images` to `out` (numbered `-2`, `-3`, ... after the first when
/// there are several; `-` writes the first to stdout), or to new names in
/// the current folder. Images that cannot go there are kept in fallback
/// files, named in the error.
pub fn write_images(
    images: &[Image],
    out: Option<&Path>,
    stem: &str,
) -> Result<Vec<WrittenImage>, ImagesNotWritten> {
    write_images_keeping_in(
        images,
        out,
        stem,
        &[PathBuf::from("."), std::env::temp_dir()],
    )
}

/// `write_images`, with the fallback folders to try in order.
fn write_images_keeping_in(
    images: &[Image],
    out: Option<&Path>,
    stem: &str,
    fallback_folders: &[PathBuf],
) -> Result<Vec<WrittenImage>, ImagesNotWritten> {
    let mut written = Vec::with_capacity(images.len());
    let mut problems = Vec::new();
    for (index, image) in images.iter().enumerate() {
        let number = index + 1;
        let extension = extension_for(&image.media_type);
        let placed = match out {
            Some(out) if out == Path::new(STDOUT) && index == 0 => stdout::bytes(&image.data)
                .map(|()| PathBuf::from(STDOUT))
                .map_err(|error| format!("cannot write image 1 to stdout ({error})")),
            Some(out) if out == Path::new(STDOUT) => Err(format!(
                "image {number} cannot go to stdout too (`--out -` takes one image)"
            )),
            Some(out) => {
                let path = if index == 0 {
                    out.to_owned()
                } else {
                    numbered(out, number, extension)
                };
                replace_regular_file(&path, &image.data)
                    .map(|()| path)
                    .map_err(|error| format!("image {number}: {error}"))
            }
            None => write_new_file(Path::new("."), stem, number, extension, &image.data)
                .map_err(|error| format!("image {number}: {error}")),
        };
        let path = match placed {
            Ok(path) => path,
            Err(problem) => {
                match keep_in_fallback(fallback_folders, stem, number, extension, &image.data) {
                    Ok(fallback) => {
                        problems.push(format!("{problem}; kept it in {}", fallback.display()));
                        fallback
                    }
                    Err(error) => {
                        problems.push(format!(
                            "{problem}; and no fallback file could be written ({error})"
                        ));
                        continue;
                    }
                }
            }
        };
        written.push(WrittenImage {
            path,
            media_type: printable(&image.media_type),
            bytes: image.data.len(),
        });
    }
    if problems.is_empty() {
        Ok(written)
    } else {
        Err(ImagesNotWritten { written, problems })
    }
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

/// The folder a file goes in (`.` for a bare name).
fn folder_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_owned(),
        _ => PathBuf::from("."),
    }
}

/// Refuses `path` when something other than a regular file is there; a
/// path with nothing there is fine.
fn refuse_unless_regular(path: &Path) -> Result<(), DestinationError> {
    match std::fs::symlink_metadata(path) {
        Ok(metadata) if metadata.is_file() => Ok(()),
        Ok(metadata) => Err(DestinationError::NotARegularFile {
            path: path.to_owned(),
            kind: kind_of(metadata.file_type()),
        }),
        Err(_) => Ok(()),
    }
}

/// What a file that is not a regular file is, in words.
fn kind_of(file_type: FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        if file_type.is_fifo() {
            return "a FIFO";
        }
        if file_type.is_char_device() || file_type.is_block_device() {
            return "a device";
        }
        if file_type.is_socket() {
            return "a socket";
        }
    }
    if file_type.is_symlink() {
        "a symlink"
    } else if file_type.is_dir() {
        "a folder"
    } else {
        "not a regular file"
    }
}

/// Writes `bytes` to `path`, which may be new or an existing regular file
/// (replaced). The bytes go to a temporary file beside it that is renamed
/// over it: a rename replaces a symlink planted in between instead of
/// following it, and fails on a folder.
fn replace_regular_file(path: &Path, bytes: &[u8]) -> Result<(), String> {
    refuse_unless_regular(path).map_err(|error| error.to_string())?;
    let file = filled_temp_file(&folder_of(path), bytes)?;
    file.persist(path)
        .map(drop)
        .map_err(|error| format!("cannot write {}: {}", path.display(), error.error))
}

/// Writes `bytes` to `STEM-N.EXT` in `folder`, or `STEM-N-K.EXT` for the
/// first K whose name is free; an existing file is never replaced (the
/// final link fails if the name was taken in between, and the next K is
/// tried).
fn write_new_file(
    folder: &Path,
    stem: &str,
    number: usize,
    extension: &str,
    bytes: &[u8],
) -> Result<PathBuf, String> {
    const MOST_TRIES: usize = 1000;
    let mut file = filled_temp_file(folder, bytes)?;
    for attempt in 1..=MOST_TRIES {
        let name = if attempt == 1 {
            format!("{stem}-{number}.{extension}")
        } else {
            format!("{stem}-{number}-{attempt}.{extension}")
        };
        let path = folder.join(name);
        match file.persist_noclobber(&path) {
            Ok(_) => return Ok(path.strip_prefix(".").map_or(path.clone(), Path::to_owned)),
            Err(error) if error.error.kind() == io::ErrorKind::AlreadyExists => {
                file = error.file;
            }
            Err(error) => {
                return Err(format!("cannot write {}: {}", path.display(), error.error));
            }
        }
    }
    Err(format!(
        "cannot write into {}: {MOST_TRIES} names taken",
        folder.display()
    ))
}

/// A temporary file in `folder` holding `bytes`.
fn filled_temp_file(folder: &Path, bytes: &[u8]) -> Result<NamedTempFile, String> {
    let mut file = NamedTempFile::new_in(folder)
        .map_err(|error| format!("cannot write into {}: {error}", folder.display()))?;
    io::Write::write_all(&mut file, bytes)
        .and_then(|()| file.as_file().sync_all())
        .map_err(|error| format!("cannot write into {}: {error}", folder.display()))?;
    Ok(file)
}

/// Keeps an image that could not go where it was meant to in a new file
/// in the first of `folders` that takes it.
fn keep_in_fallback(
    folders: &[PathBuf],
    stem: &str,
    number: usize,
    extension: &str,
    bytes: &[u8],
) -> Result<PathBuf, String> {
    let mut last_error = String::from("no fallback folder");
    for folder in folders {
        match write_new_file(folder, stem, number, extension, bytes) {
            Ok(path) => return Ok(path),
            Err(error) => last_error = error,
        }
    }
    Err(last_error)
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

    #[test]
    fn new_names_never_replace_a_file() {
        let folder = tempfile::tempdir().unwrap();
        std::fs::write(folder.path().join("m-1.png"), b"mine").unwrap();
        let path = write_new_file(folder.path(), "m", 1, "png", b"new").unwrap();
        assert_eq!(path, folder.path().join("m-1-2.png"));
        assert_eq!(
            std::fs::read(folder.path().join("m-1.png")).unwrap(),
            b"mine"
        );
        assert_eq!(std::fs::read(path).unwrap(), b"new");
    }

    #[test]
    fn a_folder_is_refused_before_the_call_and_when_writing() {
        let folder = tempfile::tempdir().unwrap();
        let out = folder.path().join("taken");
        std::fs::create_dir(&out).unwrap();
        assert!(matches!(
            check_destination(&out),
            Err(DestinationError::NotARegularFile {
                kind: "a folder",
                ..
            })
        ));
        let replaced = replace_regular_file(&out, b"x");
        assert!(replaced.unwrap_err().contains("a folder"));
        assert!(out.is_dir());
    }

    #[cfg(unix)]
    #[test]
    fn a_numbered_image_never_follows_a_symlink_and_is_kept_elsewhere() {
        let folder = tempfile::tempdir().unwrap();
        let fallback = tempfile::tempdir().unwrap();
        let precious = folder.path().join("precious");
        std::fs::write(&precious, b"keep").unwrap();
        std::os::unix::fs::symlink(&precious, folder.path().join("art-2.png")).unwrap();
        let image = |byte| Image {
            media_type: "image/png".into(),
            data: vec![byte],
        };
        let out = folder.path().join("art.png");
        let failed = write_images_keeping_in(
            &[image(1), image(2)],
            Some(&out),
            "m",
            &[fallback.path().to_owned()],
        )
        .unwrap_err();
        assert_eq!(std::fs::read(&out).unwrap(), [1]);
        assert_eq!(std::fs::read(&precious).unwrap(), b"keep");
        let kept = fallback.path().join("m-2.png");
        assert_eq!(std::fs::read(&kept).unwrap(), [2]);
        assert_eq!(failed.written[1].path, kept);
        assert_eq!(failed.problems.len(), 1);
        assert!(failed.problems[0].contains("a symlink"), "{failed}");
        assert!(
            failed.problems[0].contains(&kept.display().to_string()),
            "{failed}"
        );
    }
}
