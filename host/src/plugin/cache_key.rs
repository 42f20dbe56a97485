//! The per-user secret that authenticates compile-cache entries, kept
//! outside the cache (by default `~/.local/share/bedrock-host/private/cache.key`).
//!
//! Invariant: the key is 32 random bytes in a file of this user that nobody
//! else can read or write, in a folder of this user that nobody else can
//! write. It is created once, 0600, with `O_EXCL` (a new temporary file
//! linked into place only if no key exists yet, so two hosts starting at once
//! agree on one key and neither reads a half-written one). A key that fails
//! any check is never used: the cache is then off.

use std::io::{ErrorKind, Read, Write};
use std::path::Path;

use super::cache_entry::{EntryKey, KEY_LEN};
use super::private_fs::{ensure_private_dir, open_private_file};

/// Reads the key in `path`, creating it (and its folder, 0700) when there is
/// none. The error says why it cannot be used.
pub(crate) fn load_or_create(path: &Path) -> Result<EntryKey, String> {
    let dir = path
        .parent()
        .filter(|dir| !dir.as_os_str().is_empty())
        .ok_or_else(|| format!("{} has no folder", path.display()))?;
    ensure_private_dir(dir).map_err(|why| format!("the key's folder {}: {why}", dir.display()))?;
    for _ in 0..2 {
        if let Some(key) = read(path)? {
            return Ok(key);
        }
        create(dir, path)?;
    }
    Err(format!(
        "the key {} vanished as it was created",
        path.display()
    ))
}

fn read(path: &Path) -> Result<Option<EntryKey>, String> {
    let refuse = |why: String| format!("the key {}: {why}", path.display());
    let Some(file) = open_private_file(path, true).map_err(refuse)? else {
        return Ok(None);
    };
    let mut bytes = Vec::with_capacity(KEY_LEN + 1);
    file.take(KEY_LEN as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|error| refuse(format!("cannot read it: {error}")))?;
    let key: [u8; KEY_LEN] = bytes.try_into().map_err(|bytes: Vec<u8>| {
        refuse(format!(
            "it holds {} bytes, not {KEY_LEN}; delete it to make a new one",
            bytes.len()
        ))
    })?;
    Ok(Some(EntryKey::from_bytes(key)))
}

/// Writes a new random key to `path` unless one appeared meanwhile.
fn create(dir: &Path, path: &Path) -> Result<(), String> {
    let fail = |error: std::io::Error| format!("cannot create the key {}: {error}", path.display());
    let mut key = [0u8; KEY_LEN];
    getrandom::fill(&mut key)
        .map_err(|error| format!("no randomness for the cache key: {error}"))?;
    // A temporary file is created 0600 with O_EXCL.
    let mut file = tempfile::NamedTempFile::new_in(dir).map_err(fail)?;
    file.write_all(&key).map_err(fail)?;
    file.as_file().sync_all().map_err(fail)?;
    match file.persist_noclobber(path) {
        Ok(_) => Ok(()),
        Err(error) if error.error.kind() == ErrorKind::AlreadyExists => Ok(()),
        Err(error) => Err(fail(error.error)),
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;
    use crate::plugin::cache_entry::{EntryBinding, EntryKind, seal};

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).expect("meta").permissions().mode() & 0o777
    }

    #[test]
    fn a_key_is_created_private_once_and_then_read() {
        let root = tempfile::tempdir().expect("temp dir");
        let path = root.path().join("private/cache.key");
        let first = load_or_create(&path).expect("created");
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(path.parent().expect("folder")), 0o700);
        assert_eq!(std::fs::read(&path).expect("read").len(), KEY_LEN);
        let again = load_or_create(&path).expect("read");
        let binding = EntryBinding {
            kind: EntryKind::Code,
            sha256: "aa",
            context: "engine",
        };
        let tag = |key: &EntryKey| seal(key, &binding, b"payload");
        assert_eq!(tag(&first), tag(&again), "the same key");
        let other = load_or_create(&root.path().join("other/cache.key")).expect("another");
        assert_ne!(tag(&first), tag(&other), "random");
    }

    #[test]
    fn a_key_others_can_read_or_of_the_wrong_length_is_refused() {
        let root = tempfile::tempdir().expect("temp dir");
        let path = root.path().join("private/cache.key");
        load_or_create(&path).expect("created");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let refused = load_or_create(&path).expect_err("readable by others");
        assert!(refused.contains("can read or write"), "{refused}");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        std::fs::write(&path, b"short").expect("write");
        let refused = load_or_create(&path).expect_err("short");
        assert!(refused.contains("holds 5 bytes"), "{refused}");
    }
}
