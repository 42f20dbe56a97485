//! The `stream-decoder` resource, which this adapter has only because the
//! contract requires the type: Stability's image models answer in one body,
//! and `describe` says `streaming: false`, so the host never streams them.
//! Invariant: a decoder can be created, but every chunk it is fed, and the
//! end of a stream, are `unsupported`, so a stream can never pass for an
//! answer with no image.

use bedrock_adapter_kit::types::{AdapterError, Event};

use crate::exports::bedrock::adapter::adapter::GuestStreamDecoder;

/// A decoder that refuses every stream; it holds nothing.
pub struct Decoder;

impl GuestStreamDecoder for Decoder {
    fn new(_model_id: String) -> Self {
        Decoder
    }

    fn feed(&self, _chunk: Vec<u8>) -> Result<Vec<Event>, AdapterError> {
        Err(refusal())
    }

    fn finish(&self) -> Result<Vec<Event>, AdapterError> {
        Err(refusal())
    }
}

fn refusal() -> AdapterError {
    AdapterError::Unsupported(
        "streaming: Stability image models answer with whole images, not a stream; \
         invoke them without streaming"
            .to_owned(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_refused() {
        let decoder = Decoder::new("stability.stable-diffusion-xl-v1".to_owned());
        assert!(matches!(
            decoder.feed(b"{}".to_vec()),
            Err(AdapterError::Unsupported(m)) if m.starts_with("streaming")
        ));
        assert!(matches!(
            decoder.finish(),
            Err(AdapterError::Unsupported(_))
        ));
    }
}
