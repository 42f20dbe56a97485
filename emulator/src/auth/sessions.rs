//! Temporary credentials issued by the emulator's STS `AssumeRole`: each is an `ASIA...` access
//! key id, a secret and a session token, valid until its expiration. The store remembers every
//! set it issued, so a later request signed with one is accepted exactly when it carries that
//! set's session token and the set has not expired. Invariant: the secrets and tokens come from
//! the operating system's random source (through `uuid` v4), and never appear in `Debug` output.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// The prefix AWS gives temporary access key ids.
const TEMPORARY_KEY_PREFIX: &str = "ASIA";
/// The characters of the random part of an access key id.
const KEY_ID_ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// One issued set of temporary credentials.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct TemporaryCredentials {
    /// `ASIA` and 16 more characters, like AWS's.
    pub access_key_id: String,
    /// The secret the requests are signed with.
    pub secret_access_key: String,
    /// The token sent as `X-Amz-Security-Token`.
    pub session_token: String,
    /// When the credentials stop being accepted.
    pub expiration: SystemTime,
}

impl fmt::Debug for TemporaryCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TemporaryCredentials")
            .field("access_key_id", &self.access_key_id)
            .field("expiration", &self.expiration)
            .finish_non_exhaustive()
    }
}

/// Every set of temporary credentials issued so far, by access key id.
#[derive(Default)]
pub(crate) struct SessionStore(Mutex<HashMap<String, TemporaryCredentials>>);

impl SessionStore {
    /// Issues a fresh set valid for `duration` from `now`, forgetting sets that have expired.
    pub fn issue(&self, now: SystemTime, duration: Duration) -> TemporaryCredentials {
        let credentials = TemporaryCredentials {
            access_key_id: format!(
                "{TEMPORARY_KEY_PREFIX}{}",
                random_bytes(16)
                    .iter()
                    .map(|byte| char::from(KEY_ID_ALPHABET[usize::from(byte % 32)]))
                    .collect::<String>()
            ),
            secret_access_key: STANDARD.encode(random_bytes(30)),
            session_token: STANDARD.encode(random_bytes(96)),
            expiration: now + duration,
        };
        let mut sessions = self.lock();
        sessions.retain(|_, session| session.expiration > now);
        sessions.insert(credentials.access_key_id.clone(), credentials.clone());
        credentials
    }

    /// The set issued with this access key id, if any (expired or not).
    pub fn get(&self, access_key_id: &str) -> Option<TemporaryCredentials> {
        self.lock().get(access_key_id).cloned()
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, TemporaryCredentials>> {
        // The map is never left half-updated, so a poisoned lock still guards a usable map.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// `count` random bytes (rounded up to whole v4 UUIDs, each 122 random bits; the version and
/// variant bits make a few values more likely, which does not matter for test credentials).
fn random_bytes(count: usize) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(count + 16);
    while bytes.len() < count {
        bytes.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
    }
    bytes.truncate(count);
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_credentials_look_like_aws_ones_and_differ_each_time() {
        let store = SessionStore::default();
        let now = SystemTime::now();
        let first = store.issue(now, Duration::from_secs(900));
        let second = store.issue(now, Duration::from_secs(900));
        assert_eq!(first.access_key_id.len(), 20);
        assert!(first.access_key_id.starts_with("ASIA"));
        assert!(
            first
                .access_key_id
                .bytes()
                .all(|byte| byte.is_ascii_uppercase() || byte.is_ascii_digit())
        );
        assert_eq!(first.secret_access_key.len(), 40);
        assert!(first.session_token.len() > 100);
        assert_eq!(first.expiration, now + Duration::from_secs(900));
        assert_ne!(first.access_key_id, second.access_key_id);
        assert_ne!(first.secret_access_key, second.secret_access_key);
        assert_ne!(first.session_token, second.session_token);
        assert_eq!(store.get(&first.access_key_id), Some(first.clone()));
        assert_eq!(store.get("ASIANOTISSUED0000000"), None);
        assert!(!format!("{first:?}").contains(&first.secret_access_key));
        assert!(!format!("{first:?}").contains(&first.session_token));
    }

    #[test]
    fn expired_sets_are_forgotten_when_new_ones_are_issued() {
        let store = SessionStore::default();
        let start = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let old = store.issue(start, Duration::from_secs(900));
        assert!(store.get(&old.access_key_id).is_some());
        store.issue(start + Duration::from_secs(901), Duration::from_secs(900));
        assert_eq!(store.get(&old.access_key_id), None);
    }
}
