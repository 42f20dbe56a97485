//! Where an adapter to install comes from, and fetching its bytes: a local
//! file, an `http(s)` URL, or an OCI reference
//! (`oci://registry/namespace/name:tag` or `...@sha256:...`) to a CNCF Wasm
//! OCI artifact (config `application/vnd.wasm.config.v0+json`, one layer
//! `application/wasm`), pulled with `oci-client`.
//!
//! Invariants: at most `max_bytes` are ever held (a larger body or layer is
//! refused before or while it is read, never buffered whole); plain `http`
//! is used only for loopback hosts (127.0.0.0/8, `localhost`, `[::1]`), for
//! URLs and registries alike; an OCI layer's bytes are checked against the
//! digest its manifest gives, and the artifact's media types against the
//! Wasm OCI ones; the resolved source (the manifest's digest for a tag) is
//! returned so an install records exactly what it took.

use std::path::PathBuf;

use oci_client::client::{ClientConfig, ClientProtocol};
use oci_client::secrets::RegistryAuth;
use oci_client::{Client, Reference};

use super::lock::sha256_hex;

/// The config media type of a Wasm OCI artifact (CNCF TAG Runtime).
pub const WASM_CONFIG_MEDIA_TYPE: &str = "application/vnd.wasm.config.v0+json";
/// The layer media type of a Wasm OCI artifact.
pub const WASM_LAYER_MEDIA_TYPE: &str = "application/wasm";

/// Why an adapter's bytes could not be fetched.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The source is not a file, URL or OCI reference this host takes.
    #[error("{0}")]
    Invalid(String),
    /// The server, registry or file could not be read.
    #[error("cannot fetch {source_name}: {reason}")]
    Unreachable { source_name: String, reason: String },
    /// What was fetched is not a Wasm OCI artifact, or is too large.
    #[error("{source_name} is not an adapter this host installs: {reason}")]
    NotAnAdapter { source_name: String, reason: String },
}

impl SourceError {
    /// Whether it is the user's input that is wrong (exit 2).
    pub fn is_usage(&self) -> bool {
        matches!(self, Self::Invalid(_))
    }

    /// Whether a network or server failed (exit 7).
    pub fn is_network(&self) -> bool {
        matches!(self, Self::Unreachable { .. })
    }
}

/// A parsed install source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A local file.
    File(PathBuf),
    /// An `http://` (loopback only) or `https://` URL.
    Url(String),
    /// An OCI reference, without its `oci://`.
    Oci(String),
}

/// The bytes of an adapter, and exactly where they came from.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The component's bytes.
    pub bytes: Vec<u8>,
    /// The source as given, made absolute for a file.
    pub source: String,
    /// What was taken: the file or URL, or `oci://...@sha256:<manifest>`.
    pub resolved: String,
}

impl Source {
    /// Reads a SOURCE argument.
    pub fn parse(text: &str) -> Result<Self, SourceError> {
        if let Some(reference) = text.strip_prefix("oci://") {
            let parsed: Reference = reference.parse().map_err(|error| {
                SourceError::Invalid(format!(
                    "`{text}` is not an OCI reference (oci://registry/namespace/name:tag or @sha256:...): {error}"
                ))
            })?;
            check_plain_http_is_loopback("oci", parsed.registry(), text)?;
            return Ok(Self::Oci(reference.to_owned()));
        }
        if text.starts_with("https://") {
            return Ok(Self::Url(text.to_owned()));
        }
        if let Some(rest) = text.strip_prefix("http://") {
            let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
            check_plain_http_is_loopback("http", host, text)?;
            return Ok(Self::Url(text.to_owned()));
        }
        if text.contains("://") {
            return Err(SourceError::Invalid(format!(
                "`{text}`: a source is a file, an http(s):// URL or an oci:// reference"
            )));
        }
        let path = PathBuf::from(text);
        let absolute = std::path::absolute(&path).unwrap_or(path);
        Ok(Self::File(absolute))
    }

    /// The source as a user would type it again (`plugins update` does).
    pub fn text(&self) -> String {
        match self {
            Self::File(path) => path.display().to_string(),
            Self::Url(url) => url.clone(),
            Self::Oci(reference) => format!("oci://{reference}"),
        }
    }

    /// Fetches the bytes, holding at most `max_bytes`.
    pub async fn fetch(&self, max_bytes: u64) -> Result<Fetched, SourceError> {
        let source_name = self.text();
        let unreachable = |reason: String| SourceError::Unreachable {
            source_name: source_name.clone(),
            reason,
        };
        let too_large = || SourceError::NotAnAdapter {
            source_name: source_name.clone(),
            reason: format!(
                "it is larger than the {} MiB a plugin file may be",
                max_bytes >> 20
            ),
        };
        match self {
            Self::File(path) => {
                let size = std::fs::metadata(path)
                    .map_err(|error| {
                        SourceError::Invalid(format!("cannot read {}: {error}", path.display()))
                    })?
                    .len();
                if size > max_bytes {
                    return Err(too_large());
                }
                let bytes = std::fs::read(path).map_err(|error| {
                    SourceError::Invalid(format!("cannot read {}: {error}", path.display()))
                })?;
                Ok(Fetched {
                    bytes,
                    source: source_name.clone(),
                    resolved: source_name,
                })
            }
            Self::Url(url) => {
                let client = reqwest::Client::builder()
                    .https_only(!url.starts_with("http://"))
                    .build()
                    .map_err(|error| unreachable(error.to_string()))?;
                let mut response = client
                    .get(url)
                    .send()
                    .await
                    .map_err(|error| unreachable(error.to_string()))?;
                if !response.status().is_success() {
                    return Err(unreachable(format!(
                        "the server answered {}",
                        response.status()
                    )));
                }
                if response
                    .content_length()
                    .is_some_and(|length| length > max_bytes)
                {
                    return Err(too_large());
                }
                let mut bytes = Vec::new();
                while let Some(chunk) = response
                    .chunk()
                    .await
                    .map_err(|error| unreachable(error.to_string()))?
                {
                    if (bytes.len() + chunk.len()) as u64 > max_bytes {
                        return Err(too_large());
                    }
                    bytes.extend_from_slice(&chunk);
                }
                Ok(Fetched {
                    bytes,
                    source: source_name.clone(),
                    resolved: source_name,
                })
            }
            Self::Oci(reference) => self.pull_oci(reference, max_bytes).await,
        }
    }

    async fn pull_oci(&self, text: &str, max_bytes: u64) -> Result<Fetched, SourceError> {
        let source_name = self.text();
        let unreachable = |reason: String| SourceError::Unreachable {
            source_name: source_name.clone(),
            reason,
        };
        let not_adapter = |reason: String| SourceError::NotAnAdapter {
            source_name: source_name.clone(),
            reason,
        };
        let reference: Reference = text
            .parse()
            .map_err(|error| SourceError::Invalid(format!("`{source_name}`: {error}")))?;
        let client = oci_client(reference.registry());
        let auth = RegistryAuth::Anonymous;
        let (manifest, digest) = client
            .pull_image_manifest(&reference, &auth)
            .await
            .map_err(|error| unreachable(error.to_string()))?;
        if manifest.config.media_type != WASM_CONFIG_MEDIA_TYPE {
            return Err(not_adapter(format!(
                "its config is `{}`, not a Wasm artifact's `{WASM_CONFIG_MEDIA_TYPE}`",
                manifest.config.media_type
            )));
        }
        let [layer] = manifest.layers.as_slice() else {
            return Err(not_adapter(format!(
                "it has {} layers; a Wasm artifact has one `{WASM_LAYER_MEDIA_TYPE}` layer",
                manifest.layers.len()
            )));
        };
        if layer.media_type != WASM_LAYER_MEDIA_TYPE {
            return Err(not_adapter(format!(
                "its layer is `{}`, not `{WASM_LAYER_MEDIA_TYPE}`",
                layer.media_type
            )));
        }
        if u64::try_from(layer.size).unwrap_or(u64::MAX) > max_bytes {
            return Err(not_adapter(format!(
                "its layer is larger than the {} MiB a plugin file may be",
                max_bytes >> 20
            )));
        }
        let mut bytes = Vec::new();
        client
            .pull_blob(&reference, layer, &mut bytes)
            .await
            .map_err(|error| unreachable(error.to_string()))?;
        let got = format!("sha256:{}", sha256_hex(&bytes));
        if got != layer.digest {
            return Err(not_adapter(format!(
                "its layer's bytes have digest {got}, but its manifest says {}",
                layer.digest
            )));
        }
        let repository = format!(
            "{}/{}",
            reference.resolve_registry(),
            reference.repository()
        );
        Ok(Fetched {
            bytes,
            source: source_name.clone(),
            resolved: format!("oci://{repository}@{digest}"),
        })
    }
}

/// An OCI client for `registry`: HTTPS, or plain HTTP for a loopback one.
pub fn oci_client(registry: &str) -> Client {
    let protocol = if is_loopback(registry) {
        ClientProtocol::HttpsExcept(vec![registry.to_owned()])
    } else {
        ClientProtocol::Https
    };
    Client::new(ClientConfig {
        protocol,
        ..ClientConfig::default()
    })
}

/// Refuses plain HTTP to a host that is not loopback (for OCI, a non-loopback
/// registry is always reached over HTTPS, so nothing to refuse).
fn check_plain_http_is_loopback(scheme: &str, host: &str, text: &str) -> Result<(), SourceError> {
    if scheme == "http" && !is_loopback(host) {
        return Err(SourceError::Invalid(format!(
            "`{text}`: plain http is used only on this machine (127.0.0.1, localhost, [::1]); use https"
        )));
    }
    Ok(())
}

/// Whether `host` (with or without a port) is a loopback address.
pub fn is_loopback(host: &str) -> bool {
    let without_port = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or_default()
    } else {
        host.rsplit_once(':').map_or(host, |(name, _)| name)
    };
    if without_port.eq_ignore_ascii_case("localhost") {
        return true;
    }
    without_port
        .parse::<std::net::IpAddr>()
        .is_ok_and(|address| address.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_are_told_apart_and_plain_http_is_loopback_only() {
        assert_eq!(
            Source::parse("https://example.com/a.wasm").expect("url"),
            Source::Url("https://example.com/a.wasm".into())
        );
        assert!(Source::parse("http://127.0.0.1:8080/a.wasm").is_ok());
        assert!(Source::parse("http://[::1]:8080/a.wasm").is_ok());
        let refused = Source::parse("http://example.com/a.wasm").expect_err("plain http");
        assert!(
            refused.is_usage() && refused.to_string().contains("https"),
            "{refused}"
        );
        assert_eq!(
            Source::parse("oci://127.0.0.1:5000/vendor/echo:1.0.0").expect("oci"),
            Source::Oci("127.0.0.1:5000/vendor/echo:1.0.0".into())
        );
        assert!(Source::parse("ftp://x/y").expect_err("scheme").is_usage());
        assert!(
            matches!(Source::parse("a.wasm").expect("file"), Source::File(path) if path.is_absolute())
        );
    }

    #[test]
    fn loopback_hosts_are_recognised() {
        for host in [
            "127.0.0.1:5000",
            "localhost",
            "LOCALHOST:1",
            "[::1]:80",
            "127.5.0.1",
        ] {
            assert!(is_loopback(host), "{host}");
        }
        for host in ["example.com", "10.0.0.1:5000", "ghcr.io", "[2001:db8::1]:5"] {
            assert!(!is_loopback(host), "{host}");
        }
    }
}
