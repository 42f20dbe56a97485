//! The format of one compile-cache entry and the tag that authenticates it.
//!
//! An entry is `MAGIC`, a 32-byte HMAC-SHA256 tag, then the payload (compiled
//! code, or a cached `describe` answer). The tag is keyed by the user's
//! secret [`EntryKey`] and covers what the entry is for ([`EntryBinding`]:
//! its kind, the plugin's sha256 and the engine's compatibility hash or the
//! contract version) as well as every payload byte.
//!
//! Invariant: [`open`] returns a payload only when its tag verifies, compared
//! in constant time; an entry that was changed, truncated, copied from
//! another plugin's or another kind's entry, or written with another key is
//! refused, so nothing but what this user's host wrote for these bytes ever
//! reaches `Component::deserialize`.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// The length of the secret key, in bytes.
pub(crate) const KEY_LEN: usize = 32;

/// The first bytes of every entry: the format and its version.
const MAGIC: &[u8; 8] = b"bhcache1";

/// The length of the tag, in bytes.
const TAG_LEN: usize = 32;

/// What the tag covers before the binding, so that a tag made for something
/// else with the same key can never match.
const DOMAIN: &[u8] = b"bedrock-host compile-cache entry v1\0";

/// The user's secret key for cache entries.
pub(crate) struct EntryKey([u8; KEY_LEN]);

impl EntryKey {
    /// The key with these bytes.
    pub(crate) fn from_bytes(bytes: [u8; KEY_LEN]) -> Self {
        Self(bytes)
    }
}

impl std::fmt::Debug for EntryKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EntryKey(..)")
    }
}

/// What an entry holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EntryKind {
    /// Precompiled code for `Component::deserialize`.
    Code,
    /// A plugin's cached `describe` answer or refusal.
    Describe,
}

impl EntryKind {
    fn as_bytes(self) -> &'static [u8] {
        match self {
            Self::Code => b"code",
            Self::Describe => b"describe",
        }
    }
}

/// What an entry is for: the tag binds the payload to it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct EntryBinding<'a> {
    /// What the entry holds.
    pub kind: EntryKind,
    /// The sha256 of the plugin's bytes, in hex.
    pub sha256: &'a str,
    /// What else the payload depends on: the engine's compatibility hash for
    /// code, the contract version for a `describe` answer.
    pub context: &'a str,
}

/// Why an entry was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum EntryError {
    /// Shorter than the header.
    #[error("it is truncated ({0} bytes)")]
    Truncated(usize),
    /// It does not start with this format's magic.
    #[error("it is not a bedrock-host cache entry of this version")]
    NotAnEntry,
    /// The tag does not match the payload and binding.
    #[error(
        "its tag does not match: it was changed, truncated, or written for other code or by another key"
    )]
    BadTag,
}

fn mac(key: &EntryKey, binding: &EntryBinding<'_>, payload: &[u8]) -> Hmac<Sha256> {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&key.0)
        .unwrap_or_else(|_| unreachable!("HMAC takes a key of any length"));
    mac.update(DOMAIN);
    for field in [
        binding.kind.as_bytes(),
        binding.sha256.as_bytes(),
        binding.context.as_bytes(),
    ] {
        mac.update(&(field.len() as u64).to_le_bytes());
        mac.update(field);
    }
    mac.update(payload);
    mac
}

/// The entry for `payload`, tagged for `binding`.
pub(crate) fn seal(key: &EntryKey, binding: &EntryBinding<'_>, payload: &[u8]) -> Vec<u8> {
    let tag = mac(key, binding, payload).finalize().into_bytes();
    let mut entry = Vec::with_capacity(MAGIC.len() + TAG_LEN + payload.len());
    entry.extend_from_slice(MAGIC);
    entry.extend_from_slice(&tag);
    entry.extend_from_slice(payload);
    entry
}

/// The payload of `entry`, when its tag verifies for `binding`.
pub(crate) fn open<'e>(
    key: &EntryKey,
    binding: &EntryBinding<'_>,
    entry: &'e [u8],
) -> Result<&'e [u8], EntryError> {
    if entry.len() < MAGIC.len() + TAG_LEN {
        return Err(EntryError::Truncated(entry.len()));
    }
    let (magic, rest) = entry.split_at(MAGIC.len());
    if magic != MAGIC {
        return Err(EntryError::NotAnEntry);
    }
    let (tag, payload) = rest.split_at(TAG_LEN);
    mac(key, binding, payload)
        .verify_slice(tag)
        .map_err(|_| EntryError::BadTag)?;
    Ok(payload)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA_A: &str = "aaaa";
    const SHA_B: &str = "bbbb";

    fn key(byte: u8) -> EntryKey {
        EntryKey::from_bytes([byte; KEY_LEN])
    }

    fn code(sha256: &str) -> EntryBinding<'_> {
        EntryBinding {
            kind: EntryKind::Code,
            sha256,
            context: "engine-1",
        }
    }

    #[test]
    fn a_sealed_entry_opens_to_its_payload() {
        let entry = seal(&key(1), &code(SHA_A), b"compiled code");
        assert!(entry.starts_with(MAGIC));
        assert_eq!(entry.len(), MAGIC.len() + TAG_LEN + b"compiled code".len());
        assert_eq!(
            open(&key(1), &code(SHA_A), &entry),
            Ok(&b"compiled code"[..])
        );
        let empty = seal(&key(1), &code(SHA_A), b"");
        assert_eq!(open(&key(1), &code(SHA_A), &empty), Ok(&b""[..]));
    }

    #[test]
    fn every_flipped_bit_is_refused() {
        let entry = seal(&key(1), &code(SHA_A), b"compiled code");
        for at in 0..entry.len() {
            for bit in 0..8 {
                let mut flipped = entry.clone();
                flipped[at] ^= 1 << bit;
                assert!(
                    open(&key(1), &code(SHA_A), &flipped).is_err(),
                    "byte {at} bit {bit}"
                );
            }
        }
    }

    #[test]
    fn a_truncated_or_extended_entry_is_refused() {
        let entry = seal(&key(1), &code(SHA_A), b"compiled code");
        for len in 0..entry.len() {
            assert!(open(&key(1), &code(SHA_A), &entry[..len]).is_err(), "{len}");
        }
        assert_eq!(
            open(&key(1), &code(SHA_A), &entry[..10]),
            Err(EntryError::Truncated(10))
        );
        let mut longer = entry.clone();
        longer.push(0);
        assert_eq!(
            open(&key(1), &code(SHA_A), &longer),
            Err(EntryError::BadTag)
        );
    }

    #[test]
    fn an_entry_is_bound_to_its_plugin_kind_context_and_key() {
        let entry = seal(&key(1), &code(SHA_A), b"compiled code");
        assert_eq!(
            open(&key(1), &code(SHA_B), &entry),
            Err(EntryError::BadTag),
            "another plugin's entry copied over this one"
        );
        let describe = EntryBinding {
            kind: EntryKind::Describe,
            ..code(SHA_A)
        };
        assert_eq!(open(&key(1), &describe, &entry), Err(EntryError::BadTag));
        let other_engine = EntryBinding {
            context: "engine-2",
            ..code(SHA_A)
        };
        assert_eq!(
            open(&key(1), &other_engine, &entry),
            Err(EntryError::BadTag)
        );
        assert_eq!(open(&key(2), &code(SHA_A), &entry), Err(EntryError::BadTag));
    }

    #[test]
    fn fields_cannot_slide_into_each_other() {
        let a = EntryBinding {
            kind: EntryKind::Code,
            sha256: "ab",
            context: "c",
        };
        let b = EntryBinding {
            kind: EntryKind::Code,
            sha256: "a",
            context: "bc",
        };
        let entry = seal(&key(1), &a, b"x");
        assert_eq!(open(&key(1), &b, &entry), Err(EntryError::BadTag));
    }

    #[test]
    fn the_tag_is_hmac_sha256_over_the_documented_fields() {
        let mut expected = <Hmac<Sha256> as KeyInit>::new_from_slice(&[1; KEY_LEN]).expect("key");
        expected.update(b"bedrock-host compile-cache entry v1\0");
        expected.update(&4u64.to_le_bytes());
        expected.update(b"code");
        expected.update(&4u64.to_le_bytes());
        expected.update(SHA_A.as_bytes());
        expected.update(&8u64.to_le_bytes());
        expected.update(b"engine-1");
        expected.update(b"payload");
        let entry = seal(&key(1), &code(SHA_A), b"payload");
        assert_eq!(
            &entry[MAGIC.len()..MAGIC.len() + TAG_LEN],
            &expected.finalize().into_bytes()[..]
        );
    }
}
