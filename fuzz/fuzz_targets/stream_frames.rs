//! Well-formed event-stream frames built from structured input (chunks,
//! exception frames, error frames, unknown events, arbitrary headers), then
//! optionally cut short, corrupted or followed by junk, so that the fuzzer
//! gets past the frame CRCs into the SDK's unmarshalling and the host's
//! chunk and exception handling.
//!
//! Checked beyond "no panic": an intact stream of chunks arrives exactly as
//! sent, in order, with Bedrock's invocation metrics read from the chunk
//! that carried them, and ends at the first exception or error frame with
//! an error that names it.
#![no_main]

use arbitrary::Arbitrary;
use aws_smithy_types::event_stream::{Header, HeaderValue, Message};
use bedrock_host::aws::StreamChunk;

/// The exception frames Bedrock sends mid-stream, and one it does not.
const EXCEPTIONS: [&str; 7] = [
    "modelStreamErrorException",
    "throttlingException",
    "internalServerException",
    "serviceUnavailableException",
    "validationException",
    "modelTimeoutException",
    "someFutureException",
];

#[derive(Debug, Arbitrary)]
enum Frame {
    /// A `chunk` event carrying `json` (base64 in `{"bytes": ...}`), with
    /// Bedrock's invocation metrics added when `metrics` is set.
    Chunk {
        json: String,
        metrics: Option<(u64, u64)>,
    },
    /// A `chunk` event whose payload is not the usual JSON wrapper.
    ChunkPayload(Vec<u8>),
    /// An exception frame, by index into `EXCEPTIONS`.
    Exception { kind: u8, message: String },
    /// An `error` frame.
    Error { code: String, message: String },
    /// An event type the SDK does not know.
    Unknown {
        event_type: String,
        payload: Vec<u8>,
    },
    /// Any headers at all.
    Custom {
        headers: Vec<(String, FuzzHeaderValue)>,
        payload: Vec<u8>,
    },
}

#[derive(Debug, Arbitrary)]
enum FuzzHeaderValue {
    Bool(bool),
    Byte(i8),
    Int16(i16),
    Int32(i32),
    Int64(i64),
    Bytes(Vec<u8>),
    String(String),
    Uuid(u128),
}

#[derive(Debug, Arbitrary)]
struct Input {
    frames: Vec<Frame>,
    /// Keep only this many bytes of the body.
    cut: Option<u16>,
    /// XOR the byte at this position with this mask.
    corrupt: Option<(u16, u8)>,
    /// Bytes appended after the last frame.
    tail: Vec<u8>,
}

fn event(event_type: &str, payload: Vec<u8>) -> Message {
    Message::new(payload)
        .add_header(Header::new(
            ":message-type",
            HeaderValue::String("event".into()),
        ))
        .add_header(Header::new(
            ":event-type",
            HeaderValue::String(event_type.to_owned().into()),
        ))
        .add_header(Header::new(
            ":content-type",
            HeaderValue::String("application/json".into()),
        ))
}

fn chunk_json(json: &str, metrics: Option<(u64, u64)>) -> Vec<u8> {
    match metrics {
        None => json.as_bytes().to_vec(),
        Some((input, output)) => format!(
            r#"{{"text":{},"amazon-bedrock-invocationMetrics":{{"inputTokenCount":{input},"outputTokenCount":{output}}}}}"#,
            serde_json::Value::from(json)
        )
        .into_bytes(),
    }
}

fn message(frame: &Frame) -> Message {
    match frame {
        Frame::Chunk { json, metrics } => {
            let encoded = aws_smithy_types::base64::encode(chunk_json(json, *metrics));
            event("chunk", format!(r#"{{"bytes":"{encoded}"}}"#).into_bytes())
        }
        Frame::ChunkPayload(payload) => event("chunk", payload.clone()),
        Frame::Exception { kind, message } => {
            let name = EXCEPTIONS[usize::from(*kind) % EXCEPTIONS.len()];
            let body = format!(
                r#"{{"message":{}}}"#,
                serde_json::Value::from(message.as_str())
            );
            Message::new(body.into_bytes())
                .add_header(Header::new(
                    ":message-type",
                    HeaderValue::String("exception".into()),
                ))
                .add_header(Header::new(
                    ":exception-type",
                    HeaderValue::String(name.into()),
                ))
                .add_header(Header::new(
                    ":content-type",
                    HeaderValue::String("application/json".into()),
                ))
        }
        Frame::Error { code, message } => Message::new(Vec::new())
            .add_header(Header::new(
                ":message-type",
                HeaderValue::String("error".into()),
            ))
            .add_header(Header::new(
                ":error-code",
                HeaderValue::String(code.clone().into()),
            ))
            .add_header(Header::new(
                ":error-message",
                HeaderValue::String(message.clone().into()),
            )),
        Frame::Unknown {
            event_type,
            payload,
        } => event(event_type, payload.clone()),
        Frame::Custom { headers, payload } => {
            headers
                .iter()
                .fold(Message::new(payload.clone()), |message, (name, value)| {
                    let value = match value {
                        FuzzHeaderValue::Bool(v) => HeaderValue::Bool(*v),
                        FuzzHeaderValue::Byte(v) => HeaderValue::Byte(*v),
                        FuzzHeaderValue::Int16(v) => HeaderValue::Int16(*v),
                        FuzzHeaderValue::Int32(v) => HeaderValue::Int32(*v),
                        FuzzHeaderValue::Int64(v) => HeaderValue::Int64(*v),
                        FuzzHeaderValue::Bytes(v) => HeaderValue::ByteArray(v.clone().into()),
                        FuzzHeaderValue::String(v) => HeaderValue::String(v.clone().into()),
                        FuzzHeaderValue::Uuid(v) => HeaderValue::Uuid(*v),
                    };
                    message.add_header(Header::new(name.clone(), value))
                })
        }
    }
}

libfuzzer_sys::fuzz_target!(|input: Input| {
    let mut body = Vec::new();
    for frame in &input.frames {
        // A frame the encoder refuses (a header name over 255 bytes, ...)
        // is left out, as no server could send it either.
        let mut encoded = Vec::new();
        if aws_smithy_eventstream::frame::write_message_to(&message(frame), &mut encoded).is_ok() {
            body.extend_from_slice(&encoded);
        }
    }
    let intact = input.cut.is_none() && input.corrupt.is_none() && input.tail.is_empty();
    if let Some(cut) = input.cut {
        body.truncate(usize::from(cut));
    }
    if let Some((at, mask)) = input.corrupt
        && let Some(byte) = body.get_mut(usize::from(at))
    {
        *byte ^= mask;
    }
    body.extend_from_slice(&input.tail);

    let outcome = bedrock_fuzz::read_stream(&body);

    let predictable = input.frames.iter().all(|frame| {
        matches!(
            frame,
            Frame::Chunk { .. } | Frame::Exception { .. } | Frame::Error { .. }
        )
    });
    if !(intact && predictable) {
        return;
    }
    let mut expected = Vec::new();
    let mut ends_in_error = false;
    for frame in &input.frames {
        match frame {
            Frame::Chunk { json, metrics } => expected.push((chunk_json(json, *metrics), *metrics)),
            _ => {
                ends_in_error = true;
                break;
            }
        }
    }
    assert_eq!(outcome.chunks.len(), expected.len(), "{outcome:?}");
    for (chunk, (sent, metrics)) in outcome.chunks.iter().zip(&expected) {
        let StreamChunk::Data { json, counts } = chunk else {
            panic!("not a data chunk: {chunk:?}");
        };
        assert_eq!(json, sent);
        if let Some((input, output)) = metrics {
            let counts = counts.expect("the metrics are read");
            assert_eq!(counts.input_tokens, u32::try_from(*input).ok());
            assert_eq!(counts.output_tokens, u32::try_from(*output).ok());
        }
    }
    assert_eq!(outcome.error.is_some(), ends_in_error, "{outcome:?}");
});
