//! Folders and files that must be this user's alone: the compile cache and
//! the secret key that authenticates its entries.
//!
//! Invariant: a path passes only when it is what it should be (a folder, or
//! a regular file; never a symbolic link), is owned by this process's
//! effective user, and cannot be written by group or others (a secret: not
//! read by them either). A file is checked on the handle it is read through,
//! so the answer holds for the bytes read. A folder this module creates is
//! created 0700.

use std::fs::{DirBuilder, File, Metadata, OpenOptions};
use std::io::ErrorKind;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Mode bits that let group or others write.
const WRITABLE_BY_OTHERS: u32 = 0o022;
/// Mode bits that let group or others read, write or search.
const OPEN_TO_OTHERS: u32 = 0o077;
/// The sticky bit: in a folder, only an entry's owner may rename or delete it.
const STICKY: u32 = 0o1000;

/// The effective user id of this process.
pub(crate) fn effective_uid() -> u32 {
    // SAFETY: geteuid takes no arguments, touches no memory and cannot fail.
    unsafe { libc::geteuid() }
}

/// Whether `dir` is a folder anyone may write but only owners may rename in,
/// such as `/tmp`: one that must not hold the cache itself, only a private
/// folder inside it.
pub(crate) fn is_shared_sticky(dir: &Path) -> bool {
    std::fs::metadata(dir).is_ok_and(|meta| {
        let mode = meta.permissions().mode();
        meta.is_dir() && mode & STICKY != 0 && mode & 0o002 != 0
    })
}

/// This user's private folder inside the shared sticky folder `dir`.
pub(crate) fn private_subfolder(dir: &Path) -> PathBuf {
    dir.join(format!("bedrock-host-{}", effective_uid()))
}

/// Creates `dir` 0700 when it is missing (its parents with the default
/// mode), then checks that it is a folder of this user that nobody else can
/// write. The error says why it cannot be used.
pub(crate) fn ensure_private_dir(dir: &Path) -> Result<(), String> {
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|error| format!("cannot create it: {error}"))?;
    }
    match DirBuilder::new().mode(0o700).create(dir) {
        Ok(()) => {}
        Err(error) if error.kind() == ErrorKind::AlreadyExists => {}
        Err(error) => return Err(format!("cannot create it: {error}")),
    }
    let meta =
        std::fs::symlink_metadata(dir).map_err(|error| format!("cannot read it: {error}"))?;
    if meta.file_type().is_symlink() {
        return Err("it is a symbolic link".to_owned());
    }
    if !meta.is_dir() {
        return Err("it is not a folder".to_owned());
    }
    refuse_shared(&meta, WRITABLE_BY_OTHERS)
}

/// Opens the file `path` for reading when it is a regular file of this user
/// that group and others cannot write (with `secret`, cannot even read);
/// `Ok(None)` when there is no such file.
pub(crate) fn open_private_file(path: &Path, secret: bool) -> Result<Option<File>, String> {
    let file = match OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
    {
        Ok(file) => file,
        Err(error) if error.kind() == ErrorKind::NotFound => return Ok(None),
        Err(error) if error.raw_os_error() == Some(libc::ELOOP) => {
            return Err("it is a symbolic link".to_owned());
        }
        Err(error) => return Err(format!("cannot open it: {error}")),
    };
    let meta = file
        .metadata()
        .map_err(|error| format!("cannot read it: {error}"))?;
    if !meta.is_file() {
        return Err("it is not a regular file".to_owned());
    }
    refuse_shared(
        &meta,
        if secret {
            OPEN_TO_OTHERS
        } else {
            WRITABLE_BY_OTHERS
        },
    )?;
    Ok(Some(file))
}

/// Refuses what another user owns, or what has any of the `forbidden` mode
/// bits.
fn refuse_shared(meta: &Metadata, forbidden: u32) -> Result<(), String> {
    let mode = meta.permissions().mode() & 0o7777;
    if meta.uid() != effective_uid() {
        return Err(format!(
            "it is owned by user {}, not by this user ({})",
            meta.uid(),
            effective_uid()
        ));
    }
    if mode & forbidden != 0 {
        let who = if forbidden == OPEN_TO_OTHERS {
            "group or others can read or write it"
        } else {
            "group or others can write it"
        };
        return Err(format!("{who} (mode {mode:04o})"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chmod(path: &Path, mode: u32) {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
    }

    #[test]
    fn a_new_folder_is_private_and_an_open_one_is_refused() {
        let root = tempfile::tempdir().expect("temp dir");
        let dir = root.path().join("a/b/cache");
        ensure_private_dir(&dir).expect("created");
        let mode = std::fs::metadata(&dir).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
        chmod(&dir, 0o775);
        let refused = ensure_private_dir(&dir).expect_err("group-writable");
        assert!(
            refused.contains("group or others can write it"),
            "{refused}"
        );
        chmod(&dir, 0o755);
        ensure_private_dir(&dir).expect("readable by others, writable by nobody else");
        let link = root.path().join("link");
        std::os::unix::fs::symlink(&dir, &link).expect("symlink");
        assert!(ensure_private_dir(&link).is_err(), "a symlink is refused");
    }

    #[test]
    fn a_secret_others_can_read_is_refused_and_a_symlink_is_never_followed() {
        let root = tempfile::tempdir().expect("temp dir");
        let file = root.path().join("key");
        assert!(open_private_file(&file, true).expect("absent").is_none());
        std::fs::write(&file, b"k").expect("write");
        chmod(&file, 0o600);
        assert!(open_private_file(&file, true).expect("private").is_some());
        chmod(&file, 0o644);
        assert!(
            open_private_file(&file, false)
                .expect("not a secret")
                .is_some()
        );
        let refused = open_private_file(&file, true).expect_err("readable by others");
        assert!(refused.contains("can read or write"), "{refused}");
        let link = root.path().join("link");
        std::os::unix::fs::symlink(&file, &link).expect("symlink");
        assert_eq!(
            open_private_file(&link, false).expect_err("symlink"),
            "it is a symbolic link"
        );
    }

    #[test]
    fn a_sticky_folder_anyone_can_write_is_shared() {
        let root = tempfile::tempdir().expect("temp dir");
        assert!(!is_shared_sticky(root.path()));
        chmod(root.path(), 0o1777);
        assert!(is_shared_sticky(root.path()));
        assert!(
            private_subfolder(root.path()).ends_with(format!("bedrock-host-{}", effective_uid()))
        );
    }
}
