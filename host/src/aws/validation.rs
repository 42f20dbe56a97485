//! Checks of the region and endpoint a user names, made before anything is sent.
//!
//! Invariant: a region that passes [`check_region`] has the shape of an AWS region name
//! (`us-east-1`, `eu-central-2`, `us-gov-west-1`, `cn-north-1`, ...), and an endpoint that passes
//! [`check_endpoint_url`] is an `http` or `https` URL with a host and nothing a Bedrock endpoint
//! cannot have (user info, a query, a fragment). Each refusal is one sentence naming the value.

/// Why a region or endpoint was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidSetting {
    /// The region is not a region name.
    #[error(
        "`{0}` is not an AWS region name (like us-east-1, eu-west-3 or ap-southeast-2); `bedrock-host models --region REGION` works in any region Bedrock serves"
    )]
    Region(String),
    /// The endpoint is not a URL this host can send Bedrock requests to.
    #[error("--endpoint-url `{url}` {reason}")]
    EndpointUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it, as the end of a sentence.
        reason: &'static str,
    },
}

/// Checks that `region` has the shape of an AWS region name: lower-case words joined by `-`,
/// the last a number (`us-east-1`, `us-gov-west-1`).
pub fn check_region(region: &str) -> Result<(), InvalidSetting> {
    let parts: Vec<&str> = region.split('-').collect();
    let shaped = parts.len() >= 3
        && parts.iter().all(|part| !part.is_empty())
        && parts
            .last()
            .is_some_and(|last| last.len() <= 2 && last.bytes().all(|b| b.is_ascii_digit()))
        && parts[..parts.len() - 1]
            .iter()
            .all(|part| part.bytes().all(|b| b.is_ascii_lowercase()));
    if shaped {
        Ok(())
    } else {
        Err(InvalidSetting::Region(region.to_owned()))
    }
}

/// Checks that `url` is an `http` or `https` URL with a host, and no user info, query or
/// fragment. Returns the host and port to connect to.
pub fn check_endpoint_url(url: &str) -> Result<(String, u16), InvalidSetting> {
    let refuse = |reason| InvalidSetting::EndpointUrl {
        url: url.to_owned(),
        reason,
    };
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err(refuse(
            "is not a URL: it needs a scheme, as in https://bedrock-runtime.us-east-1.amazonaws.com or http://127.0.0.1:8080",
        ));
    };
    let default_port = match scheme.to_ascii_lowercase().as_str() {
        "https" => 443,
        "http" => 80,
        _ => {
            return Err(refuse(
                "has an unsupported scheme: only http:// and https:// are supported",
            ));
        }
    };
    if url.contains(['?', '#']) {
        return Err(refuse(
            "has a query or fragment, which a Bedrock endpoint cannot have",
        ));
    }
    let authority = rest.split('/').next().unwrap_or_default();
    if authority.is_empty() {
        return Err(refuse("has no host"));
    }
    if authority.contains('@') {
        return Err(refuse(
            "has user info (user@host): credentials never go in the endpoint URL",
        ));
    }
    let parsed: http::Uri = url.parse().map_err(|_| refuse("is not a valid URL"))?;
    let host = parsed
        .host()
        .map(|host| host.trim_start_matches('[').trim_end_matches(']'))
        .filter(|host| !host.is_empty())
        .ok_or_else(|| refuse("has no host"))?;
    Ok((host.to_owned(), parsed.port_u16().unwrap_or(default_port)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_names_pass_and_other_text_does_not() {
        for region in [
            "us-east-1",
            "eu-central-2",
            "us-gov-west-1",
            "ap-southeast-5",
            "cn-north-1",
        ] {
            assert_eq!(check_region(region), Ok(()), "{region}");
        }
        for region in [
            "",
            "us-east",
            "US-EAST-1",
            "us east 1",
            "us-east-1a",
            "http://us-east-1",
            "us--1",
            "useast1",
        ] {
            assert!(check_region(region).is_err(), "{region}");
        }
    }

    #[test]
    fn endpoints_need_a_supported_scheme_and_a_host() {
        assert_eq!(
            check_endpoint_url("http://127.0.0.1:8080"),
            Ok(("127.0.0.1".to_owned(), 8080))
        );
        assert_eq!(
            check_endpoint_url("https://bedrock-runtime.us-east-1.amazonaws.com/"),
            Ok(("bedrock-runtime.us-east-1.amazonaws.com".to_owned(), 443))
        );
        assert_eq!(
            check_endpoint_url("http://[::1]:9"),
            Ok(("::1".to_owned(), 9))
        );
        for (url, reason) in [
            ("localhost:8080", "scheme"),
            ("ftp://example.com", "unsupported scheme"),
            ("http://", "no host"),
            ("https:///path", "no host"),
            ("http://user:secret@example.com", "user info"),
            ("http://example.com/?x=1", "query"),
            ("http://exa mple.com", "not a valid URL"),
        ] {
            let refused = check_endpoint_url(url).expect_err(url).to_string();
            assert!(refused.contains(reason), "{url}: {refused}");
        }
    }
}
