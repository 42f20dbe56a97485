//! Helpers the families' unit tests share: a catalogued model's reply to a JSON body, request
//! bodies as the JSON objects the families' body-shape modules take, replies and stream chunks
//! decoded back to JSON, invocation metrics,
//! and the check every family's model catalogue must pass. Compiled for tests only; what a family
//! knows about its own JSON stays in that family's tests.

use serde_json::{Map, Value};

use crate::api_error::ApiError;
use crate::providers::prompt_cache::PromptCache;
use crate::providers::{InvocationMetrics, KnownModel, Reply};

/// A test's request body, which must be a JSON object.
pub(crate) fn object(body: Value) -> Map<String, Value> {
    match body {
        Value::Object(object) => object,
        other => panic!("a request body is a JSON object, not {other}"),
    }
}

/// The reply of the catalogued model `model_id` to `body`, as the HTTP layer gets it.
pub(crate) fn reply(model_id: &str, body: &Value) -> Result<Box<dyn Reply>, ApiError> {
    let model = KnownModel::lookup(model_id).unwrap_or_else(|| panic!("{model_id} is catalogued"));
    model.invoke(
        &serde_json::to_vec(body).expect("JSON"),
        &PromptCache::default(),
    )
}

/// The `InvokeModel` response body of `reply`, decoded.
pub(crate) fn response_json(reply: &dyn Reply) -> Value {
    serde_json::from_slice(&reply.response_body().expect("renders")).expect("JSON")
}

/// Invocation metrics: token counts in and out, then the latencies in milliseconds.
pub(crate) fn metrics(
    input_token_count: u32,
    output_token_count: u32,
    invocation_latency: u64,
    first_byte_latency: u64,
) -> InvocationMetrics {
    InvocationMetrics {
        input_token_count,
        output_token_count,
        invocation_latency,
        first_byte_latency,
    }
}

/// Every stream chunk of `reply` ending with `metrics`, decoded.
pub(crate) fn chunks_json(reply: &dyn Reply, metrics: &InvocationMetrics) -> Vec<Value> {
    reply
        .stream_chunks(metrics)
        .expect("renders")
        .iter()
        .map(|chunk| serde_json::from_slice(chunk).expect("JSON"))
        .collect()
}

/// Checks a family's catalogue: every id starts with `prefix` and none is listed twice.
pub(crate) fn assert_catalogue<'a>(ids: impl IntoIterator<Item = &'a str>, prefix: &str) {
    let ids: Vec<&str> = ids.into_iter().collect();
    for (index, id) in ids.iter().enumerate() {
        assert!(id.starts_with(prefix), "{id}");
        assert!(!ids[index + 1..].contains(id), "duplicate {id}");
    }
}
