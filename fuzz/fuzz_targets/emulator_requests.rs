//! Any request through the local Bedrock's router, in process: method,
//! route, model id, extra headers and body chosen by the fuzzer, sent
//! unsigned or signed with SigV4 for the emulator's test keys, so that
//! signed requests get past authentication into the providers' body
//! validation.
//!
//! Input layout (so that seeds are easy to write by hand):
//! byte 0 flags: bit 0 signs the request; bits 1-2 pick the method (POST,
//! GET, PUT, DELETE); bits 3-5 pick the route (invoke, invoke with response
//! stream, foundation models, inference profiles, one inference profile,
//! the behaviour control path, STS, a fuzzer-chosen path);
//! byte 1 picks the model id from `MODELS` (past the end: a fuzzer-chosen
//! one); then a list of extra headers and, for route 7, the path; the rest
//! is the body.
//!
//! Checked beyond "no panic": no request is answered with a 5xx (no fault
//! is injected, so a 5xx means validation let through a body the provider
//! cannot serve), every answer carries a request id, and every answer body
//! ends, within a bound.
#![no_main]

use std::time::SystemTime;

use arbitrary::Unstructured;
use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use bedrock_emulator::{
    DEFAULT_REGION, Emulator, EmulatorConfig, TEST_ACCESS_KEY_ID, TEST_SECRET_ACCESS_KEY,
};
use http::{HeaderName, HeaderValue, Method, Request};
use http_body_util::{BodyExt, Limited};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use tower::ServiceExt;

/// Model ids of every family the emulator serves.
const MODELS: [&str; 16] = [
    "anthropic.claude-3-haiku-20240307-v1:0",
    "anthropic.claude-v2",
    "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
    "amazon.nova-lite-v1:0",
    "amazon.titan-text-lite-v1",
    "meta.llama3-8b-instruct-v1:0",
    "meta.llama2-13b-chat-v1",
    "mistral.mistral-7b-instruct-v0:2",
    "mistral.mistral-large-2407-v1:0",
    "cohere.command-text-v14",
    "cohere.command-r-v1:0",
    "ai21.jamba-1-5-large-v1:0",
    "stability.stable-diffusion-xl-v1",
    "stability.stable-image-core-v1:1",
    "stability.sd3-5-large-v1:0",
    "anthropic.claude-sonnet-4-5-20250929-v1:0",
];

/// What the SDK percent-encodes in a path segment.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The most an answer may hold: far more than any real one.
const MAX_ANSWER_BYTES: usize = 64 << 20;

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a tokio runtime")
    })
}

fn request(data: &[u8]) -> arbitrary::Result<Option<Request<axum::body::Body>>> {
    let mut u = Unstructured::new(data);
    let flags: u8 = u.arbitrary()?;
    let model_index: u8 = u.arbitrary()?;
    let headers: Vec<(String, String)> = u.arbitrary()?;
    let signed = flags & 1 == 1;
    let method = [Method::POST, Method::GET, Method::PUT, Method::DELETE]
        [usize::from(flags >> 1 & 3)]
    .clone();
    let model = match MODELS.get(usize::from(model_index)) {
        Some(model) => (*model).to_owned(),
        None => u.arbitrary()?,
    };
    let model = utf8_percent_encode(&model, SEGMENT).to_string();
    let path = match flags >> 3 & 7 {
        0 => format!("/model/{model}/invoke"),
        1 => format!("/model/{model}/invoke-with-response-stream"),
        2 => "/foundation-models".to_owned(),
        3 => "/inference-profiles".to_owned(),
        4 => format!("/inference-profiles/{model}"),
        5 => bedrock_emulator::CONTROL_PATH.to_owned(),
        6 => "/".to_owned(),
        _ => u.arbitrary()?,
    };
    let body = u.take_rest().to_vec();
    let url = format!("http://localhost{path}");
    let mut sent: Vec<(String, String)> = vec![
        ("host".into(), "localhost".into()),
        ("content-type".into(), "application/json".into()),
        ("accept".into(), "application/json".into()),
    ];
    sent.extend(headers.into_iter().filter(|(name, value)| {
        HeaderName::from_bytes(name.as_bytes()).is_ok() && HeaderValue::from_str(value).is_ok()
    }));
    if signed {
        let identity = Credentials::new(
            TEST_ACCESS_KEY_ID,
            TEST_SECRET_ACCESS_KEY,
            None,
            None,
            "fuzz",
        )
        .into();
        let service = if path == "/" { "sts" } else { "bedrock" };
        let Ok(params) = v4::SigningParams::builder()
            .identity(&identity)
            .region(DEFAULT_REGION)
            .name(service)
            .time(SystemTime::now())
            .settings(SigningSettings::default())
            .build()
        else {
            return Ok(None);
        };
        let Ok(signable) = SignableRequest::new(
            method.as_str(),
            url.as_str(),
            sent.iter()
                .map(|(name, value)| (name.as_str(), value.as_str())),
            SignableBody::Bytes(&body),
        ) else {
            return Ok(None);
        };
        let Ok(signed) = sign(signable, &params.into()) else {
            return Ok(None);
        };
        let (instructions, _) = signed.into_parts();
        sent.extend(
            instructions
                .headers()
                .map(|(name, value)| (name.to_owned(), value.to_owned())),
        );
    }
    let mut builder = Request::builder().method(method).uri(url);
    for (name, value) in &sent {
        builder = builder.header(name.as_str(), value.as_str());
    }
    Ok(builder.body(axum::body::Body::from(body)).ok())
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(Some(request)) = request(data) else {
        return;
    };
    let router = Emulator::router(EmulatorConfig::default()).expect("the default config is valid");
    runtime().block_on(async {
        let response = router
            .oneshot(request)
            .await
            .expect("the router is infallible");
        let status = response.status();
        assert!(
            response.headers().contains_key("x-amzn-requestid"),
            "an answer without a request id"
        );
        let body = Limited::new(response.into_body(), MAX_ANSWER_BYTES)
            .collect()
            .await
            .expect("the answer body ends within the bound")
            .to_bytes();
        assert!(
            !status.is_server_error(),
            "{status}: {}",
            String::from_utf8_lossy(&body)
        );
    });
});
