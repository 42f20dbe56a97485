// The polite rest of a misfit: every export but `describe` answers simply.
// Included by each misfit crate after its `wit_bindgen::generate!`; the
// crate defines `fn describe() -> PluginInfo`, where its misbehaviour is.

use bedrock::adapter::types::{AdapterError, Body, Event, Output, PluginInfo, Request, Response};
use exports::bedrock::adapter::adapter::{Guest, GuestStreamDecoder};

struct Misfit;

impl Guest for Misfit {
    type StreamDecoder = PoliteDecoder;

    fn describe() -> PluginInfo {
        describe()
    }

    /// A body that says which plugin built it, for the routing tests.
    fn build_request(request: Request) -> Result<Body, AdapterError> {
        Ok(Body {
            bytes: format!("served by {} for {}", describe().name, request.model_id).into_bytes(),
            content_type: "application/json".into(),
            accept: "application/json".into(),
        })
    }

    fn parse_response(_model_id: String, _body: Vec<u8>) -> Result<Response, AdapterError> {
        Ok(Response {
            outputs: vec![Output::Text(describe().name)],
            stop: None,
            usage: None,
        })
    }
}

struct PoliteDecoder;

impl GuestStreamDecoder for PoliteDecoder {
    fn new(_model_id: String) -> Self {
        Self
    }

    fn feed(&self, _chunk: Vec<u8>) -> Result<Vec<Event>, AdapterError> {
        Ok(Vec::new())
    }

    fn finish(&self) -> Result<Vec<Event>, AdapterError> {
        Ok(Vec::new())
    }
}

export!(Misfit);
