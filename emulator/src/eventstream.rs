//! Event-stream frames for `InvokeModelWithResponseStream`, encoded with `aws-smithy-eventstream`
//! so prelude and message CRCs are right by construction. Chunk frames carry, in the recorded
//! order, the string headers `:event-type`=`chunk`, `:content-type`=`application/json`,
//! `:message-type`=`event`, and the payload `{"bytes":"<base64 of model JSON>","p":"<padding>"}`
//! where the padding is a random-length prefix of `abc...XYZ0123456789`, as in every 2025
//! recording. Exception frames carry `:message-type`=`exception`, `:exception-type` and
//! `:content-type`, with a `{"message":...}` payload.
//!
//! For fault injection it also makes frames that are wrong on purpose: a valid frame with one of
//! its two CRCs spoiled, and a valid chunk frame of any size up to the format's 4 GiB, produced
//! piece by piece so that announcing an enormous frame costs the emulator no memory.

use aws_smithy_eventstream::error::Error as FrameError;
use aws_smithy_eventstream::frame::{write_headers_to, write_message_to};
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
    let message = chunk_headers()
        .into_iter()
        .fold(Message::new(payload), Message::add_header);
    encode(&message)
}

/// The headers of every chunk frame, in the recorded order.
fn chunk_headers() -> [Header; 3] {
    [
        string_header(":event-type", "chunk"),
        string_header(":content-type", "application/json"),
        string_header(":message-type", "event"),
    ]
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

/// Which of a frame's two checksums to spoil.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Checksum {
    /// The CRC of the 8-byte prelude (total and header lengths), bytes 8 to 11.
    Prelude,
    /// The CRC of the whole message, its last 4 bytes.
    Message,
}

/// Bytes in a prelude: total length, headers length, prelude CRC.
const PRELUDE_LENGTH: usize = 12;
/// Bytes in the trailing message CRC.
const MESSAGE_CRC_LENGTH: usize = 4;

/// `frame` (a whole encoded frame) with every bit of one of its CRCs flipped, so that it is
/// certainly wrong while the lengths and the rest stay intact.
pub(crate) fn with_bad_checksum(frame: &[u8], checksum: Checksum) -> Bytes {
    let mut spoiled = frame.to_vec();
    let crc = match checksum {
        Checksum::Prelude => PRELUDE_LENGTH - 4..PRELUDE_LENGTH,
        Checksum::Message => spoiled.len().saturating_sub(MESSAGE_CRC_LENGTH)..spoiled.len(),
    };
    for byte in spoiled.get_mut(crc).into_iter().flatten() {
        *byte = !*byte;
    }
    Bytes::from(spoiled)
}

/// The start of a huge chunk's payload, before its padding; the payload carries no model JSON.
const HUGE_PAYLOAD_START: &[u8] = br#"{"bytes":"","p":""#;
/// The end of a huge chunk's payload, after its padding.
const HUGE_PAYLOAD_END: &[u8] = br#""}"#;
/// The most padding one piece of a huge chunk carries.
const HUGE_PIECE: usize = 64 * 1024;

/// A valid chunk frame whose payload is `{"bytes":"","p":"aaa..."}` of a chosen length, written
/// piece by piece: the prelude and headers first, then the padding at most 64 KiB at a time,
/// then the end of the payload and the message CRC, computed as the pieces go.
#[derive(Debug)]
pub(crate) struct HugeChunkFrame {
    /// The prelude, headers and payload start, until sent.
    head: Option<Bytes>,
    padding_left: u64,
    crc: crc32fast::Hasher,
    done: bool,
}

/// The fewest payload bytes a huge chunk can have: its JSON without padding.
pub const HUGE_CHUNK_MIN_PAYLOAD: u32 = (HUGE_PAYLOAD_START.len() + HUGE_PAYLOAD_END.len()) as u32;

impl HugeChunkFrame {
    /// A frame with `payload_len` payload bytes; fails when that is below [`HUGE_CHUNK_MIN_PAYLOAD`]
    /// or the frame would not fit the format's 32-bit length.
    pub fn new(payload_len: u32) -> Result<Self, FrameError> {
        let mut headers = Vec::new();
        write_headers_to(&chunk_headers(), &mut headers)?;
        let too_large = || FrameError::marshalling("the huge chunk does not fit in a frame");
        let headers_len = u32::try_from(headers.len()).map_err(|_| too_large())?;
        let total_len = (PRELUDE_LENGTH as u32 + MESSAGE_CRC_LENGTH as u32)
            .checked_add(headers_len)
            .and_then(|len| len.checked_add(payload_len))
            .ok_or_else(too_large)?;
        let padding_left = payload_len
            .checked_sub(HUGE_CHUNK_MIN_PAYLOAD)
            .ok_or_else(|| {
                FrameError::marshalling("a huge chunk's payload is at least its JSON")
            })?;
        let mut head =
            Vec::with_capacity(PRELUDE_LENGTH + headers.len() + HUGE_PAYLOAD_START.len());
        head.extend_from_slice(&total_len.to_be_bytes());
        head.extend_from_slice(&headers_len.to_be_bytes());
        let prelude_crc = crc32fast::hash(&head);
        head.extend_from_slice(&prelude_crc.to_be_bytes());
        head.extend_from_slice(&headers);
        head.extend_from_slice(HUGE_PAYLOAD_START);
        let mut crc = crc32fast::Hasher::new();
        crc.update(&head);
        Ok(Self {
            head: Some(Bytes::from(head)),
            padding_left: u64::from(padding_left),
            crc,
            done: false,
        })
    }

    /// The next piece of the frame, or `None` once the whole frame is out.
    pub fn next_piece(&mut self) -> Option<Bytes> {
        if let Some(head) = self.head.take() {
            return Some(head);
        }
        if self.padding_left > 0 {
            let length =
                usize::try_from(self.padding_left).map_or(HUGE_PIECE, |left| left.min(HUGE_PIECE));
            let padding = vec![b'a'; length];
            self.crc.update(&padding);
            self.padding_left -= length as u64;
            return Some(Bytes::from(padding));
        }
        if self.done {
            return None;
        }
        self.done = true;
        self.crc.update(HUGE_PAYLOAD_END);
        let mut tail = HUGE_PAYLOAD_END.to_vec();
        tail.extend_from_slice(&self.crc.clone().finalize().to_be_bytes());
        Some(Bytes::from(tail))
    }
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
    fn a_spoiled_checksum_is_refused_for_what_it_is() {
        let frame = chunk_frame(br#"{"type":"message_stop"}"#).expect("encodes");
        let prelude = with_bad_checksum(&frame, Checksum::Prelude);
        let message = with_bad_checksum(&frame, Checksum::Message);
        assert_eq!(prelude.len(), frame.len());
        assert_eq!(prelude[..8], frame[..8], "lengths are kept");
        assert_eq!(message[..frame.len() - 4], frame[..frame.len() - 4]);
        let error = |bytes: &[u8]| {
            MessageFrameDecoder::new()
                .decode_frame(bytes)
                .expect_err("a spoiled frame does not decode")
                .to_string()
        };
        assert!(
            error(&prelude).contains("prelude checksum"),
            "{}",
            error(&prelude)
        );
        assert!(
            error(&message).contains("message checksum"),
            "{}",
            error(&message)
        );
    }

    fn whole_huge_chunk(payload_len: u32) -> Vec<u8> {
        let mut frame = HugeChunkFrame::new(payload_len).expect("fits");
        let mut bytes = Vec::new();
        let mut pieces = 0;
        while let Some(piece) = frame.next_piece() {
            assert!(piece.len() <= 64 * 1024 + 100, "pieces stay small");
            bytes.extend_from_slice(&piece);
            pieces += 1;
        }
        assert!(pieces >= 2, "the head and the tail at least");
        bytes
    }

    #[test]
    fn a_huge_chunk_is_one_valid_frame_of_the_announced_size() {
        for payload_len in [HUGE_CHUNK_MIN_PAYLOAD, 1000, 200_000] {
            let bytes = whole_huge_chunk(payload_len);
            let announced = u32::from_be_bytes(bytes[..4].try_into().expect("4 bytes"));
            assert_eq!(announced as usize, bytes.len());
            let message = decode(&bytes);
            assert_eq!(message.payload().len(), payload_len as usize);
            let payload = payload_json(&message);
            assert_eq!(payload["bytes"], "");
            let recorded = decode(&chunk_frame(b"{}").expect("encodes"));
            assert_eq!(message.headers(), recorded.headers());
        }
        assert!(HugeChunkFrame::new(HUGE_CHUNK_MIN_PAYLOAD - 1).is_err());
        assert!(HugeChunkFrame::new(u32::MAX).is_err());
    }

    #[test]
    fn padding_lengths_vary() {
        let lengths: std::collections::HashSet<usize> =
            (0..64).map(|_| random_padding().len()).collect();
        assert!(lengths.len() > 1);
    }
}
