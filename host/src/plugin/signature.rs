//! Publisher signatures over a plugin component: wasmsign2's embedded
//! signature (an Ed25519 signature over every section, kept in a `signature`
//! custom section at the front of the file), made with `plugins sign` and
//! checked by `plugins install`.
//!
//! Invariants: a signature is valid only if it verifies, with a key of the
//! trust file, over every other byte of the component (any change after
//! signing fails it); a file without a signature is `Unsigned`, never an
//! error here (the caller decides whether that is allowed); a signature that
//! verifies with no trusted key is an error naming the key id it carries,
//! so the user can tell an unknown signer from bytes changed after signing.
//! Signing adds only the custom section: the signed file is the same
//! component (wasmsign2 handles component headers as module ones).

use std::io::Cursor;

use sha2::{Digest, Sha256};
use wasmsign2::{KeyPair, Module, PublicKey, SecretKey, Section};

/// Why a component could not be signed, or its signature checked.
#[derive(Debug, thiserror::Error)]
pub enum SignatureError {
    /// The signature section is there but cannot be read.
    #[error("its signature section cannot be read ({0}); the file is corrupt")]
    Unreadable(String),
    /// A signature by a key the trust file does not hold.
    #[error(
        "it is signed by key {key_id}, which is not in the trust file {trust_file}; if you trust that publisher, add its public key there (see docs/plugins/publishing.md)"
    )]
    UnknownKey { key_id: String, trust_file: String },
    /// A signature that does not verify with the key it names.
    #[error(
        "its signature does not verify with the key of publisher `{publisher}` (key {key_id}): the file was changed after it was signed, or the signature is forged"
    )]
    BadSignature { publisher: String, key_id: String },
    /// A key that is not an Ed25519 key wasmsign2 reads.
    #[error("{0} is not an Ed25519 key in a form bedrock-host reads (OpenSSH or PEM)")]
    BadKey(String),
    /// The component could not be parsed or written as sections.
    #[error("cannot sign it: {0}")]
    Sign(String),
}

/// What the signature of a component says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signer {
    /// No signature section.
    Unsigned,
    /// Signed by this trusted publisher's key.
    Publisher {
        /// The publisher's name in the trust file.
        name: String,
        /// The key's id (see `key_id`).
        key_id: String,
    },
}

/// A publisher's public key, with the name the trust file gives it.
#[derive(Debug, Clone)]
pub struct TrustedKey {
    /// The publisher's name.
    pub publisher: String,
    /// The key.
    pub key: PublicKey,
}

/// The id of a public key: the first 8 bytes of the sha256 of its raw
/// Ed25519 bytes, in hex. It is stored beside each signature and shown to
/// users; it names a key, it does not prove anything.
pub fn key_id(key: &PublicKey) -> String {
    hex::encode(&Sha256::digest(&key.pk[..])[..8])
}

/// Reads a public key: an OpenSSH `ssh-ed25519 ...` line or PEM.
pub fn parse_public_key(text: &str) -> Result<PublicKey, SignatureError> {
    PublicKey::from_any(text.trim().as_bytes())
        .map_err(|_| SignatureError::BadKey(format!("`{}`", text.trim())))
}

/// Reads a secret key: an unencrypted OpenSSH private key or PEM.
pub fn parse_secret_key(bytes: &[u8], shown_as: &str) -> Result<SecretKey, SignatureError> {
    SecretKey::from_any(bytes).map_err(|_| SignatureError::BadKey(shown_as.to_owned()))
}

/// A new key pair: the secret key as PEM, the public key as an OpenSSH line.
pub fn generate_key_pair(comment: &str) -> (String, String) {
    let pair = KeyPair::generate();
    (pair.sk.to_pem(), openssh_public_key(&pair.pk, comment))
}

/// The public key of `secret`, as an OpenSSH line.
pub fn public_key_of(secret: &SecretKey, comment: &str) -> String {
    let public = PublicKey {
        pk: secret.sk.public_key(),
        key_id: None,
    };
    openssh_public_key(&public, comment)
}

/// `ssh-ed25519 BASE64 comment`, as OpenSSH writes a public key.
fn openssh_public_key(key: &PublicKey, comment: &str) -> String {
    use base64::Engine as _;
    const KIND: &[u8] = b"ssh-ed25519";
    let raw: &[u8] = &key.pk[..];
    let mut blob = Vec::with_capacity(4 + KIND.len() + 4 + raw.len());
    for part in [KIND, raw] {
        blob.extend_from_slice(&u32::try_from(part.len()).unwrap_or(0).to_be_bytes());
        blob.extend_from_slice(part);
    }
    let encoded = base64::engine::general_purpose::STANDARD.encode(blob);
    format!("ssh-ed25519 {encoded} {comment}")
        .trim_end()
        .to_owned()
}

/// `component` signed with `secret`: any earlier signature is replaced.
pub fn sign(component: &[u8], secret: &SecretKey) -> Result<Vec<u8>, SignatureError> {
    let failed = |error: wasmsign2::WSError| SignatureError::Sign(error.to_string());
    let module = Module::deserialize(&mut Cursor::new(component)).map_err(failed)?;
    let public = PublicKey {
        pk: secret.sk.public_key(),
        key_id: None,
    };
    let id = key_id(&public).into_bytes();
    let signed = secret.sign(module, Some(&id)).map_err(failed)?;
    let mut out = Vec::with_capacity(component.len() + 256);
    signed.serialize(&mut out).map_err(failed)?;
    Ok(out)
}

/// Who signed `component`, among `trusted`; `trust_file` is named in the
/// refusal of an unknown key.
pub fn verify(
    component: &[u8],
    trusted: &[TrustedKey],
    trust_file: &str,
) -> Result<Signer, SignatureError> {
    let key_ids = signature_key_ids(component)?;
    let Some(key_ids) = key_ids else {
        return Ok(Signer::Unsigned);
    };
    for trusted_key in trusted {
        let id = key_id(&trusted_key.key);
        if trusted_key
            .key
            .verify(&mut Cursor::new(component), None)
            .is_ok()
        {
            return Ok(Signer::Publisher {
                name: trusted_key.publisher.clone(),
                key_id: id,
            });
        }
        if key_ids.contains(&id) {
            return Err(SignatureError::BadSignature {
                publisher: trusted_key.publisher.clone(),
                key_id: id,
            });
        }
    }
    Err(SignatureError::UnknownKey {
        key_id: if key_ids.is_empty() {
            "(unnamed)".to_owned()
        } else {
            key_ids.join(", ")
        },
        trust_file: trust_file.to_owned(),
    })
}

/// The key ids the signatures of `component` carry; `None` when it has no
/// signature section.
fn signature_key_ids(component: &[u8]) -> Result<Option<Vec<String>>, SignatureError> {
    let unreadable = |error: wasmsign2::WSError| SignatureError::Unreadable(error.to_string());
    let mut reader = Cursor::new(component);
    let stream = Module::init_from_reader(&mut reader).map_err(unreadable)?;
    let mut sections = Module::iterate(stream).map_err(unreadable)?;
    let Some(first) = sections.next() else {
        return Ok(None);
    };
    let header = match first.map_err(unreadable)? {
        Section::Custom(custom) if custom.is_signature_header() => custom,
        _ => return Ok(None),
    };
    let data = header.signature_data().map_err(unreadable)?;
    let ids = data
        .signed_hashes_set
        .iter()
        .flat_map(|set| &set.signatures)
        .filter_map(|signature| signature.key_id.as_ref())
        .map(|id| String::from_utf8_lossy(id).into_owned())
        .collect();
    Ok(Some(ids))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The smallest component: its header alone.
    const EMPTY_COMPONENT: &[u8] = &[0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00];

    fn component_with_custom_section() -> Vec<u8> {
        let mut bytes = EMPTY_COMPONENT.to_vec();
        // A custom section named `x` holding `hello`.
        bytes.extend_from_slice(&[0x00, 0x07, 0x01, b'x', b'h', b'e', b'l', b'l', b'o']);
        bytes
    }

    fn trusted(name: &str) -> (SecretKey, TrustedKey) {
        let (secret, public) = generate_key_pair(name);
        let secret = parse_secret_key(secret.as_bytes(), "test key").expect("secret key");
        let key = parse_public_key(&public).expect("public key");
        (
            secret,
            TrustedKey {
                publisher: name.to_owned(),
                key,
            },
        )
    }

    #[test]
    fn a_signed_component_verifies_and_names_its_publisher() {
        let (secret, key) = trusted("vendor");
        let signed = sign(&component_with_custom_section(), &secret).expect("sign");
        assert!(wasmparser::Parser::is_component(&signed));
        let signer = verify(&signed, std::slice::from_ref(&key), "trust.toml").expect("verify");
        assert_eq!(
            signer,
            Signer::Publisher {
                name: "vendor".into(),
                key_id: key_id(&key.key)
            }
        );
    }

    #[test]
    fn an_unsigned_component_is_unsigned() {
        let (_, key) = trusted("vendor");
        let signer = verify(&component_with_custom_section(), &[key], "t").expect("verify");
        assert_eq!(signer, Signer::Unsigned);
    }

    #[test]
    fn a_changed_byte_or_an_unknown_key_is_refused_by_name() {
        let (secret, key) = trusted("vendor");
        let (_, stranger) = trusted("stranger");
        let mut signed = sign(&component_with_custom_section(), &secret).expect("sign");
        let error = verify(&signed, std::slice::from_ref(&stranger), "trust.toml")
            .expect_err("unknown key");
        assert!(
            error.to_string().contains(&key_id(&key.key))
                && error.to_string().contains("trust.toml"),
            "{error}"
        );
        let last = signed.len() - 1;
        signed[last] ^= 1;
        let error = verify(&signed, &[stranger, key], "trust.toml").expect_err("changed");
        assert!(
            error.to_string().contains("changed after it was signed"),
            "{error}"
        );
    }

    #[test]
    fn the_public_key_line_reads_back_as_the_same_key() {
        let (secret, public) = generate_key_pair("me@example");
        let secret = parse_secret_key(secret.as_bytes(), "k").expect("secret");
        assert_eq!(public_key_of(&secret, "me@example"), public);
        assert!(public.starts_with("ssh-ed25519 ") && public.ends_with(" me@example"));
        parse_public_key(&public).expect("reads back");
    }
}
