//! Event-stream frames for `InvokeModelWithResponseStream`, encoded with `aws-smithy-eventstream`
//! so prelude and message CRCs are right by construction. Chunk frames carry, in the recorded
//! order, the string headers `:event-type`=`chunk`, `:content-type`=`application/json`,
//! `:message-type`=`event`, and the payload `{"bytes":"<base64 of model JSON>","p":"<padding>"}`
//! where the padding is a random-length prefix of `abc...XYZ0123456789`, as in every 2025
//! recording. Exception frames carry `:message-type`=`exception`, `:exception-type` and
//! `:content-type`, with a `{"message":...}` payload.

use aws_smithy_eventstream::error::Error as FrameError;
use aws_smithy_eventstream::frame::write_message_to;
use aws_smithy_types::event_stream::{Header, HeaderValue, Message};
use aws_smithy_types::str_bytes::StrBytes;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;
use serde::Serialize;

/// The characters padding is cut from, in the recorded order.
const PADDING_ALPHABET: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

#[derive(Serialize)]
struct ChunkPayload<'a> {
    bytes: String,
    p: &'a str,
}

#[derive(Serialize)]
struct ExceptionPayload<'a> {
    message: &'a str,
}

fn string_header(name: &'static str, value: impl Into<StrBytes>) -> Header {
    Header::new(name, HeaderValue::String(value.into()))
}

/// A chunk frame carrying one piece of model JSON.
pub(crate) fn chunk_frame(model_json: &[u8]) -> Result<Bytes, FrameError> {
    let payload = serde_json::to_vec(&ChunkPayload {
        bytes: BASE64.encode(model_json),
        p: random_padding(),
    })
    .map_err(|error| FrameError::marshalling(error.to_string()))?;
    let message = Message::new(payload)
        .add_header(string_header(":event-type", "chunk"))
        .add_header(string_header(":content-type", "application/json"))
        .add_header(string_header(":message-type", "event"));
    encode(&message)
}

/// An exception frame: `exception_type` is the lower-camel member name the SDKs match on,
/// such as `modelStreamErrorException`.
pub(crate) fn exception_frame(exception_type: &str, message: &str) -> Result<Bytes, FrameError> {
    let payload = serde_json::to_vec(&ExceptionPayload { message })
        .map_err(|error| FrameError::marshalling(error.to_string()))?;
    let message = Message::new(payload)
        .add_header(string_header(":message-type", "exception"))
        .add_header(string_header(
            ":exception-type",
            StrBytes::from(exception_type.to_owned()),
        ))
        .add_header(string_header(":content-type", "application/json"));
    encode(&message)
}

fn encode(message: &Message) -> Result<Bytes, FrameError> {
    let mut frame = Vec::new();
    write_message_to(message, &mut frame)?;
    Ok(Bytes::from(frame))
}

/// A prefix of [`PADDING_ALPHABET`] of random length (1 to its full length), so frame sizes do
/// not reveal the size of the text they carry.
fn random_padding() -> &'static str {
    let random = uuid::Uuid::new_v4().as_u128();
    let length = 1 + (random % PADDING_ALPHABET.len() as u128) as usize;
    &PADDING_ALPHABET[..length]
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_smithy_eventstream::frame::{DecodedFrame, MessageFrameDecoder, read_message_from};
    use aws_smithy_eventstream::smithy::parse_response_headers;
    use serde_json::Value;

    /// Frame 1 (`content_block_start`) of the recorded stream
    /// `decoded/otel-python-contrib__test_invoke_model_with_response_stream_with_content_anthropic.claude__0.eventstream`
    /// (open-telemetry/opentelemetry-python-contrib @ 466ae4c0, Apache-2.0).
    const RECORDED_CHUNK_FRAME: &str = "000000f40000004b3998b1ec0b3a6576656e742d747970650700056368756e6b0d3a636f6e74656e742d747970650700106170706c69636174696f6e2f6a736f6e0d3a6d6573736167652d747970650700056576656e747b226279746573223a2265794a306558426c496a6f695932397564475675644639696247396a6131397a6447467964434973496d6c755a475634496a6f774c434a6a623235305a57353058324a7362324e72496a7037496e5235634755694f694a305a58683049697769644756346443493649694a3966513d3d222c2270223a226162636465666768696a6b6c6d6e6f70717273747576227d9f917fdc";

    fn decode(frame: &[u8]) -> Message {
        let mut decoder = MessageFrameDecoder::new();
        match decoder.decode_frame(frame) {
            Ok(DecodedFrame::Complete(message)) => message,
            other => panic!("frame did not decode: {other:?}"),
        }
    }

    fn payload_json(message: &Message) -> Value {
        serde_json::from_slice(message.payload()).expect("payload is JSON")
    }

    fn decoded_bytes(payload: &Value) -> Vec<u8> {
        let encoded = payload["bytes"].as_str().expect("bytes is a string");
        BASE64.decode(encoded).expect("bytes is base64")
    }

    #[test]
    fn a_chunk_frame_decodes_to_the_recorded_shape() {
        let recorded_bytes = hex::decode(RECORDED_CHUNK_FRAME).expect("hex");
        let recorded = read_message_from(&recorded_bytes[..]).expect("recorded frame is valid");
        let recorded_payload = payload_json(&recorded);
        let model_json = decoded_bytes(&recorded_payload);

        let frame = chunk_frame(&model_json).expect("encodes");
        let ours = decode(&frame);
        assert_eq!(ours.headers(), recorded.headers());
        // Same header block, byte for byte: 75 bytes in every recorded chunk frame.
        assert_eq!(frame[4..8], recorded_bytes[4..8]);

        let payload = payload_json(&ours);
        let keys: Vec<&String> = payload.as_object().expect("object").keys().collect();
        assert_eq!(keys, ["bytes", "p"]);
        assert_eq!(decoded_bytes(&payload), model_json);
        let padding = payload["p"].as_str().expect("p is a string");
        assert!(!padding.is_empty() && PADDING_ALPHABET.starts_with(padding));

        let headers = parse_response_headers(&ours).expect("SDK header rules hold");
        assert_eq!(headers.message_type.as_str(), "event");
        assert_eq!(headers.smithy_type.as_str(), "chunk");
    }

    #[test]
    fn an_exception_frame_is_read_as_an_exception_by_the_sdk_rules() {
        let frame = exception_frame(
            "modelStreamErrorException",
            "Bedrock is unable to process your request.",
        )
        .expect("encodes");
        let message = decode(&frame);
        let headers = parse_response_headers(&message).expect("SDK header rules hold");
        assert_eq!(headers.message_type.as_str(), "exception");
        assert_eq!(headers.smithy_type.as_str(), "modelStreamErrorException");
        assert_eq!(
            payload_json(&message),
            serde_json::json!({"message": "Bedrock is unable to process your request."})
        );
    }

    #[test]
    fn padding_lengths_vary() {
        let lengths: std::collections::HashSet<usize> =
            (0..64).map(|_| random_padding().len()).collect();
        assert!(lengths.len() > 1);
    }
}
