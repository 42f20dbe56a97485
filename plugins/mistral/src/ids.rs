//! Tool call ids as Mistral takes them. Mistral's chat API checks that a
//! call's id, and the `tool_call_id` of the result answering it, are made
//! of ASCII letters and digits (Mistral's own API asks for 9 of them; the
//! ids Bedrock's Mistral Large returns, like AWS's example
//! `v6RMMiRlT7ygYkT4uULjtg`, are 22). A conversation begun with another
//! family carries ids such as `toolu_01A...` or `tooluse_...`.
//!
//! Invariant: the mapping is a pure function of the id, so a call and the
//! result answering it map to the same id in every request: an id already
//! made only of letters and digits (Mistral's own) is kept as it is, so the
//! ids the model gave come back to it unchanged; any other id becomes 9
//! letters and digits drawn from a 64-bit FNV-1a hash of it.

/// The letters and digits a mapped id is written with.
const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// The length of a mapped id, as Mistral's API asks.
const MAPPED_LENGTH: usize = 9;

/// The id Mistral is sent for the call id `id`.
pub fn to_mistral(id: &str) -> String {
    if !id.is_empty() && id.bytes().all(|byte| byte.is_ascii_alphanumeric()) {
        return id.to_owned();
    }
    let mut hash = fnv1a(id.as_bytes());
    let mut mapped = String::with_capacity(MAPPED_LENGTH);
    for _ in 0..MAPPED_LENGTH {
        let digit = usize::try_from(hash % 62).unwrap_or_default();
        mapped.push(char::from(ALPHABET[digit]));
        hash /= 62;
    }
    mapped
}

/// The 64-bit FNV-1a hash of `bytes`.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mistral_ids_are_kept() {
        for id in ["v6RMMiRlT7ygYkT4uULjtg", "D681PevKs"] {
            assert_eq!(to_mistral(id), id);
        }
    }

    #[test]
    fn other_ids_become_nine_letters_and_digits() {
        let claude = "toolu_01A09q90qw90lq917835lq9";
        let mapped = to_mistral(claude);
        assert_eq!(mapped.len(), 9);
        assert!(mapped.bytes().all(|byte| byte.is_ascii_alphanumeric()));
        assert_eq!(to_mistral(claude), mapped, "the same id every time");
        assert_ne!(to_mistral("tooluse_kZJMlvQmRJ6eAyJE5GIl7Q"), mapped);
        assert_eq!(to_mistral("").len(), 9);
    }
}
