//! An SDK interceptor that records the headers of the last HTTP response a client received, for
//! the checks on Bedrock's `X-Amzn-*` response headers that the SDK does not surface. Invariant:
//! it holds the headers of exactly one response, the latest.

use std::sync::{Arc, Mutex};

use aws_sdk_bedrockruntime::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::BeforeDeserializationInterceptorContextRef;

/// Records the headers of the last HTTP response the SDK received.
#[derive(Debug, Clone, Default)]
pub struct ResponseHeaders(Arc<Mutex<Vec<(String, String)>>>);

impl ResponseHeaders {
    /// The value of header `name` (any case) in the last response.
    pub fn get(&self, name: &str) -> Option<String> {
        let headers = self
            .0
            .lock()
            .expect("no test thread panicked holding the lock");
        headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.clone())
    }
}

impl Intercept for ResponseHeaders {
    fn name(&self) -> &'static str {
        "ResponseHeaders"
    }

    fn read_before_deserialization(
        &self,
        context: &BeforeDeserializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let mut recorded = self
            .0
            .lock()
            .expect("no test thread panicked holding the lock");
        *recorded = context
            .response()
            .headers()
            .iter()
            .map(|(name, value)| (name.to_owned(), value.to_owned()))
            .collect();
        Ok(())
    }
}
