//! Fault injection and latency: what the emulator should do wrong, and how slowly. Owns the
//! [`Behaviour`] settings (serialisable, so the control endpoint can read and replace them) and
//! the shared cell that hands out counted faults. Invariants: a stored behaviour has passed
//! [`Behaviour::validate`], so every value is bounded (a delay by [`MAX_DELAY_MS`], a padded
//! stream by [`MAX_LONG_STREAM_CHUNKS`], a huge reply by [`HugeReply::MAX_BYTES`]) and no
//! request can hold the server for ever or make it allocate what was asked; a counted fault is
//! removed once its count reaches zero, so `count: N` affects exactly the next N eligible
//! requests.

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::eventstream::{HUGE_CHUNK_MIN_PAYLOAD, HugeChunkFrame};
use crate::long_stream::{LongStream, MAX_LONG_STREAM_CHUNKS};

/// The longest `first_byte_delay_ms` or `chunk_delay_ms`: ten minutes, longer than any client
/// timeout worth testing.
pub const MAX_DELAY_MS: u64 = 600_000;

/// Everything the emulator can be told to do besides answering normally.
///
/// JSON form (all fields optional; see [`crate::control`]):
/// ```json
/// {
///   "fail_requests": {"count": 2, "status": 429, "error_type": "ThrottlingException",
///                     "message": "Too many requests, please wait before trying again."},
///   "stream_fault": {"count": 1, "after_chunks": 3,
///                    "action": {"kind": "exception", "exception_type": "modelStreamErrorException",
///                               "message": "The system encountered an unexpected error during processing. Try your request again."}},
///   "huge_reply": {"count": 1, "bytes": 1073741824, "declare_length": false},
///   "first_byte_delay_ms": 0,
///   "chunk_delay_ms": 0,
///   "long_stream": {"chunks": 100000}
/// }
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Behaviour {
    /// Answer the next `count` model invocations (after authentication) with this error.
    pub fail_requests: Option<InjectedError>,
    /// Break the next `count` response streams after some chunks.
    pub stream_fault: Option<StreamFault>,
    /// Answer the next `count` `InvokeModel` calls (once they pass every check) with a body far
    /// larger than any real one.
    pub huge_reply: Option<HugeReply>,
    /// Wait this long before sending the response head of every model invocation (at most
    /// [`MAX_DELAY_MS`]).
    pub first_byte_delay_ms: u64,
    /// Wait this long between consecutive frames of every response stream (at most
    /// [`MAX_DELAY_MS`]).
    pub chunk_delay_ms: u64,
    /// Pad every response stream to this many chunks (see [`crate::long_stream`]).
    pub long_stream: Option<LongStream>,
}

/// An HTTP error response to send instead of invoking the model.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InjectedError {
    /// How many upcoming requests get this error (at least 1).
    #[serde(default = "one")]
    pub count: u32,
    /// HTTP status, 400 to 599 (e.g. 429 for `ThrottlingException`).
    pub status: u16,
    /// The error name sent in `x-amzn-ErrorType`, e.g. `ThrottlingException`.
    pub error_type: String,
    /// The `message` of the JSON body.
    pub message: String,
}

/// A `200` `InvokeModel` answer of `{"p":"aaa..."}` padded to `bytes` bytes, generated as it is
/// sent so that its size costs the emulator nothing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HugeReply {
    /// How many upcoming invocations get this answer (at least 1).
    #[serde(default = "one")]
    pub count: u32,
    /// The body's size in bytes, [`HugeReply::MIN_BYTES`] to [`HugeReply::MAX_BYTES`].
    pub bytes: u64,
    /// Send a `Content-Length` header announcing the size (as Bedrock does), or else a chunked
    /// body whose size shows only as it arrives.
    #[serde(default)]
    pub declare_length: bool,
}

impl HugeReply {
    /// The smallest body: `{"p":""}`.
    pub const MIN_BYTES: u64 = 8;
    /// The largest body: 16 GiB, far past any client's limit, yet sent in bounded time.
    pub const MAX_BYTES: u64 = 16 << 30;
}

/// A stream that goes wrong after `after_chunks` chunk frames (or after all of them, if the
/// reply has fewer).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StreamFault {
    /// How many upcoming streams break this way (at least 1).
    #[serde(default = "one")]
    pub count: u32,
    /// Chunk frames sent intact before the fault.
    pub after_chunks: u32,
    /// What happens at the fault.
    pub action: StreamFaultAction,
}

/// What a [`StreamFault`] does once its chunks are out.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum StreamFaultAction {
    /// Send an exception frame (`:message-type` = `exception`) and end the stream.
    Exception {
        /// The `:exception-type` header, a lower-camel member name such as
        /// `modelStreamErrorException`, `throttlingException` or `internalServerException`.
        exception_type: String,
        /// The `message` of the frame's JSON payload.
        message: String,
    },
    /// Drop the connection without finishing the chunked body.
    Disconnect,
    /// Send the first half of the next chunk frame, then end the body cleanly: the stream stops
    /// in the middle of a frame.
    TruncatedFrame,
    /// Send the next chunk frame with a wrong prelude CRC, then end the body.
    BadPreludeCrc,
    /// Send the next chunk frame with a wrong message CRC, then end the body.
    BadMessageCrc,
    /// Send one valid chunk frame whose payload is `payload_bytes` long (up to about 4 GiB, the
    /// format's limit), generated as it is sent, then end the body.
    HugeChunk {
        /// The payload's size, at least [`crate::HUGE_CHUNK_MIN_PAYLOAD`].
        payload_bytes: u32,
    },
    /// Send the last of the `after_chunks` chunks again and again, without end (`after_chunks`
    /// must be at least 1).
    Endless,
}

/// Why a [`Behaviour`] was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid emulator behaviour: {0}")]
pub struct InvalidBehaviour(String);

fn one() -> u32 {
    1
}

impl Behaviour {
    /// Checks that every fault can actually be produced: counts are positive, statuses are
    /// error statuses, names are non-empty and usable as header values, and sizes, lengths and
    /// delays are within their bounds.
    pub fn validate(&self) -> Result<(), InvalidBehaviour> {
        for (field, delay) in [
            ("first_byte_delay_ms", self.first_byte_delay_ms),
            ("chunk_delay_ms", self.chunk_delay_ms),
        ] {
            if delay > MAX_DELAY_MS {
                return Err(InvalidBehaviour(format!(
                    "{field} must be at most {MAX_DELAY_MS}, not {delay}"
                )));
            }
        }
        if let Some(long) = self.long_stream
            && long.chunks > MAX_LONG_STREAM_CHUNKS
        {
            return Err(InvalidBehaviour(format!(
                "long_stream.chunks must be at most {MAX_LONG_STREAM_CHUNKS}, not {}",
                long.chunks
            )));
        }
        if let Some(error) = &self.fail_requests {
            if error.count == 0 {
                return Err(InvalidBehaviour(
                    "fail_requests.count must be at least 1".into(),
                ));
            }
            if !(400..=599).contains(&error.status) {
                return Err(InvalidBehaviour(format!(
                    "fail_requests.status must be 400 to 599, not {}",
                    error.status
                )));
            }
            check_name("fail_requests.error_type", &error.error_type)?;
        }
        if let Some(fault) = &self.stream_fault {
            if fault.count == 0 {
                return Err(InvalidBehaviour(
                    "stream_fault.count must be at least 1".into(),
                ));
            }
            match &fault.action {
                StreamFaultAction::Exception { exception_type, .. } => {
                    check_name("stream_fault.action.exception_type", exception_type)?;
                }
                StreamFaultAction::HugeChunk { payload_bytes } => {
                    HugeChunkFrame::new(*payload_bytes).map_err(|_| {
                        InvalidBehaviour(format!(
                            "stream_fault.action.payload_bytes must be {} to about 4 GiB, not {payload_bytes}",
                            HUGE_CHUNK_MIN_PAYLOAD
                        ))
                    })?;
                }
                StreamFaultAction::Endless if fault.after_chunks == 0 => {
                    return Err(InvalidBehaviour(
                        "an endless stream repeats its last chunk: stream_fault.after_chunks must be at least 1".into(),
                    ));
                }
                _ => {}
            }
        }
        if let Some(reply) = &self.huge_reply {
            if reply.count == 0 {
                return Err(InvalidBehaviour(
                    "huge_reply.count must be at least 1".into(),
                ));
            }
            if !(HugeReply::MIN_BYTES..=HugeReply::MAX_BYTES).contains(&reply.bytes) {
                return Err(InvalidBehaviour(format!(
                    "huge_reply.bytes must be {} to {}, not {}",
                    HugeReply::MIN_BYTES,
                    HugeReply::MAX_BYTES,
                    reply.bytes
                )));
            }
        }
        Ok(())
    }
}

fn check_name(field: &str, name: &str) -> Result<(), InvalidBehaviour> {
    if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric()) {
        Ok(())
    } else {
        Err(InvalidBehaviour(format!(
            "{field} must be a non-empty ASCII alphanumeric name, not {name:?}"
        )))
    }
}

/// The latencies to simulate, read once per request.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Delays {
    pub first_byte: Duration,
    pub between_chunks: Duration,
}

/// The live behaviour shared by all requests.
#[derive(Debug)]
pub(crate) struct BehaviourCell(Mutex<Behaviour>);

impl BehaviourCell {
    /// Wraps an already validated behaviour.
    pub fn new(behaviour: Behaviour) -> Self {
        Self(Mutex::new(behaviour))
    }

    fn lock(&self) -> MutexGuard<'_, Behaviour> {
        // A panic while holding this lock cannot leave a Behaviour half-written in a way that
        // matters, so a poisoned lock is still used.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A copy of the current behaviour.
    pub fn current(&self) -> Behaviour {
        self.lock().clone()
    }

    /// Validates and installs a new behaviour, discarding the old one and its counts.
    pub fn replace(&self, behaviour: Behaviour) -> Result<(), InvalidBehaviour> {
        behaviour.validate()?;
        *self.lock() = behaviour;
        Ok(())
    }

    /// Uses up one count of the injected error, if any.
    pub fn take_injected_error(&self) -> Option<InjectedError> {
        take_counted(&mut self.lock().fail_requests, |error| &mut error.count)
    }

    /// Uses up one count of the stream fault, if any.
    pub fn take_stream_fault(&self) -> Option<StreamFault> {
        take_counted(&mut self.lock().stream_fault, |fault| &mut fault.count)
    }

    /// Uses up one count of the huge reply, if any.
    pub fn take_huge_reply(&self) -> Option<HugeReply> {
        take_counted(&mut self.lock().huge_reply, |reply| &mut reply.count)
    }

    /// The latencies currently in force.
    pub fn delays(&self) -> Delays {
        let behaviour = self.lock();
        Delays {
            first_byte: Duration::from_millis(behaviour.first_byte_delay_ms),
            between_chunks: Duration::from_millis(behaviour.chunk_delay_ms),
        }
    }
}

fn take_counted<T: Clone>(slot: &mut Option<T>, count: impl Fn(&mut T) -> &mut u32) -> Option<T> {
    let fault = slot.as_mut()?;
    let taken = fault.clone();
    let remaining = count(fault);
    *remaining = remaining.saturating_sub(1);
    if *remaining == 0 {
        *slot = None;
    }
    Some(taken)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn throttling(count: u32) -> InjectedError {
        InjectedError {
            count,
            status: 429,
            error_type: "ThrottlingException".into(),
            message: "Too many requests, please wait before trying again.".into(),
        }
    }

    #[test]
    fn a_counted_error_is_handed_out_exactly_count_times() {
        let cell = BehaviourCell::new(Behaviour {
            fail_requests: Some(throttling(2)),
            ..Behaviour::default()
        });
        assert!(cell.take_injected_error().is_some());
        assert!(cell.take_injected_error().is_some());
        assert_eq!(cell.take_injected_error(), None);
        assert_eq!(cell.current(), Behaviour::default());
    }

    #[test]
    fn the_documented_json_form_parses() {
        let json = r#"{
            "fail_requests": {"status": 503, "error_type": "ServiceUnavailableException",
                              "message": "Bedrock is unable to process your request."},
            "stream_fault": {"after_chunks": 3, "action": {"kind": "disconnect"}},
            "chunk_delay_ms": 5
        }"#;
        let behaviour: Behaviour = serde_json::from_str(json).expect("documented JSON parses");
        assert_eq!(behaviour.fail_requests.map(|error| error.count), Some(1));
        assert_eq!(
            behaviour.stream_fault.map(|fault| fault.action),
            Some(StreamFaultAction::Disconnect)
        );
        assert_eq!(behaviour.chunk_delay_ms, 5);
    }

    #[test]
    fn the_new_stream_faults_parse_from_their_json_names() {
        for (json, action) in [
            (
                r#"{"kind": "truncated_frame"}"#,
                StreamFaultAction::TruncatedFrame,
            ),
            (
                r#"{"kind": "bad_prelude_crc"}"#,
                StreamFaultAction::BadPreludeCrc,
            ),
            (
                r#"{"kind": "bad_message_crc"}"#,
                StreamFaultAction::BadMessageCrc,
            ),
            (
                r#"{"kind": "huge_chunk", "payload_bytes": 4000000000}"#,
                StreamFaultAction::HugeChunk {
                    payload_bytes: 4_000_000_000,
                },
            ),
            (r#"{"kind": "endless"}"#, StreamFaultAction::Endless),
        ] {
            let parsed: StreamFaultAction = serde_json::from_str(json).expect(json);
            assert_eq!(parsed, action);
        }
        let reply: Behaviour =
            serde_json::from_str(r#"{"huge_reply": {"bytes": 1000}}"#).expect("parses");
        assert_eq!(
            reply.huge_reply,
            Some(HugeReply {
                count: 1,
                bytes: 1000,
                declare_length: false
            })
        );
        assert!(reply.validate().is_ok());
    }

    #[test]
    fn faults_that_cannot_be_produced_are_refused() {
        let stream = |after_chunks, action| Behaviour {
            stream_fault: Some(StreamFault {
                count: 1,
                after_chunks,
                action,
            }),
            ..Behaviour::default()
        };
        assert!(stream(0, StreamFaultAction::Endless).validate().is_err());
        assert!(stream(1, StreamFaultAction::Endless).validate().is_ok());
        let huge = |payload_bytes| stream(0, StreamFaultAction::HugeChunk { payload_bytes });
        assert!(huge(1).validate().is_err());
        assert!(huge(u32::MAX).validate().is_err());
        assert!(huge(4_000_000_000).validate().is_ok());
        let reply = |count, bytes| Behaviour {
            huge_reply: Some(HugeReply {
                count,
                bytes,
                declare_length: true,
            }),
            ..Behaviour::default()
        };
        assert!(reply(0, 100).validate().is_err());
        assert!(reply(1, 7).validate().is_err());
        assert!(reply(1, 8).validate().is_ok());
        assert!(reply(1, HugeReply::MAX_BYTES + 1).validate().is_err());
    }

    #[test]
    fn delays_and_stream_lengths_are_bounded() {
        let delayed = |first_byte_delay_ms, chunk_delay_ms| Behaviour {
            first_byte_delay_ms,
            chunk_delay_ms,
            ..Behaviour::default()
        };
        assert!(delayed(MAX_DELAY_MS, MAX_DELAY_MS).validate().is_ok());
        assert!(delayed(MAX_DELAY_MS + 1, 0).validate().is_err());
        assert!(delayed(0, u64::MAX).validate().is_err());
        let long = |chunks| Behaviour {
            long_stream: Some(LongStream { chunks }),
            ..Behaviour::default()
        };
        assert!(long(MAX_LONG_STREAM_CHUNKS).validate().is_ok());
        assert!(long(MAX_LONG_STREAM_CHUNKS + 1).validate().is_err());
        assert!(long(u32::MAX).validate().is_err());
    }

    #[test]
    fn unusable_faults_are_refused() {
        let mut behaviour = Behaviour {
            fail_requests: Some(throttling(1)),
            ..Behaviour::default()
        };
        assert!(behaviour.validate().is_ok());
        if let Some(error) = behaviour.fail_requests.as_mut() {
            error.status = 200;
        }
        assert!(behaviour.validate().is_err());
        let cell = BehaviourCell::new(Behaviour::default());
        assert!(cell.replace(behaviour).is_err());
        assert_eq!(cell.current(), Behaviour::default());
    }
}
