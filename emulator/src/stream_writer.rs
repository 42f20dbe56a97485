//! The body of an `InvokeModelWithResponseStream` answer: the reply's chunks as event-stream
//! frames, each encoded and sent as soon as its turn comes, with the configured pause between
//! frames and, under a [`StreamFault`], the fault in place of the rest. Invariant: the frames a
//! client receives are exactly the planned ones, in order, and a fault is the last thing it
//! receives (an endless stream has no last thing); nothing is buffered beyond the frame being
//! sent, and a chunk repeated by a [`crate::LongStream`] is planned once with its count, so a
//! huge, long or endless stream costs the emulator no memory.

use std::collections::VecDeque;
use std::time::Duration;

use axum::body::{Body, Bytes};
use futures_util::stream;

use crate::behaviour::{StreamFault, StreamFaultAction};
use crate::eventstream::{self, Checksum, HugeChunkFrame};
use crate::long_stream::ChunkRun;

/// How long a stream pauses before an injected disconnect, so the frames before it leave hyper's
/// write buffer and reach the client first (without the pause they could be dropped unsent).
const DISCONNECT_FLUSH_PAUSE: Duration = Duration::from_millis(20);

/// One frame of a response stream, not yet encoded.
#[derive(Debug, Clone, PartialEq, Eq)]
enum PlannedFrame {
    /// A chunk carrying this model JSON.
    Chunk(Vec<u8>),
    /// The chunk carrying this model JSON, this many times in a row (at least 2).
    Repeated(Vec<u8>, u64),
    /// An exception frame, after which the stream ends.
    Exception {
        exception_type: String,
        message: String,
    },
    /// Abort the connection mid-body.
    Disconnect,
    /// The first half of the chunk frame carrying this model JSON; the body ends after it.
    Truncated(Vec<u8>),
    /// The chunk frame carrying this model JSON with one checksum wrong; the body ends after it.
    BadChecksum(Vec<u8>, Checksum),
    /// A valid chunk frame with a payload of this many bytes, written piece by piece.
    Huge(u32),
    /// The chunk frame carrying this model JSON, over and over.
    Endless(Vec<u8>),
}

/// The frames of a stream: every chunk, or, under a fault, the first `after_chunks` chunks and
/// then the fault. A fault that spoils "the next chunk" spoils the chunk that would have come
/// next (the last one when none is left); an endless stream repeats the last chunk sent.
fn planned_frames(runs: Vec<ChunkRun>, fault: Option<StreamFault>) -> VecDeque<PlannedFrame> {
    let Some(fault) = fault else {
        return runs.into_iter().map(PlannedFrame::from_run).collect();
    };
    let kept = u64::from(fault.after_chunks);
    let total: u64 = runs.iter().map(|run| run.times).sum();
    let next_chunk = || {
        chunk_at(&runs, kept)
            .or_else(|| chunk_at(&runs, total.saturating_sub(1)))
            .unwrap_or_default()
    };
    let last_sent = || chunk_at(&runs, kept.min(total).saturating_sub(1)).unwrap_or_default();
    let last = match fault.action {
        StreamFaultAction::Exception {
            exception_type,
            message,
        } => PlannedFrame::Exception {
            exception_type,
            message,
        },
        StreamFaultAction::Disconnect => PlannedFrame::Disconnect,
        StreamFaultAction::TruncatedFrame => PlannedFrame::Truncated(next_chunk()),
        StreamFaultAction::BadPreludeCrc => {
            PlannedFrame::BadChecksum(next_chunk(), Checksum::Prelude)
        }
        StreamFaultAction::BadMessageCrc => {
            PlannedFrame::BadChecksum(next_chunk(), Checksum::Message)
        }
        StreamFaultAction::HugeChunk { payload_bytes } => PlannedFrame::Huge(payload_bytes),
        StreamFaultAction::Endless => PlannedFrame::Endless(last_sent()),
    };
    let mut frames = VecDeque::new();
    let mut left = kept;
    for run in runs {
        if left == 0 {
            break;
        }
        let times = run.times.min(left);
        left -= times;
        frames.push_back(PlannedFrame::from_run(ChunkRun {
            model_json: run.model_json,
            times,
        }));
    }
    frames.push_back(last);
    frames
}

/// The model JSON of the chunk at `index` of the stream `runs` make.
fn chunk_at(runs: &[ChunkRun], index: u64) -> Option<Vec<u8>> {
    let mut before = 0u64;
    runs.iter()
        .find(|run| {
            before = before.saturating_add(run.times);
            index < before
        })
        .map(|run| run.model_json.clone())
}

impl PlannedFrame {
    /// The frame that sends `run`.
    fn from_run(run: ChunkRun) -> Self {
        if run.times > 1 {
            Self::Repeated(run.model_json, run.times)
        } else {
            Self::Chunk(run.model_json)
        }
    }
}

/// Why a response stream stopped early; hyper aborts the connection when it sees one.
#[derive(Debug, thiserror::Error)]
enum StreamAbort {
    #[error("the stream was cut by fault injection")]
    Injected,
    #[error("cannot encode an event-stream frame: {0}")]
    Encoding(#[from] aws_smithy_eventstream::error::Error),
}

/// Where a stream body is: the frames still to send, the huge frame being sent, and whether
/// any frame has gone out yet (the pause comes between frames, not before the first).
struct Writer {
    frames: VecDeque<PlannedFrame>,
    huge: Option<HugeChunkFrame>,
    started: bool,
}

impl Writer {
    /// The bytes of `frame`, and what must follow it.
    async fn write(&mut self, frame: PlannedFrame) -> Result<Bytes, StreamAbort> {
        Ok(match frame {
            PlannedFrame::Chunk(model_json) => eventstream::chunk_frame(&model_json)?,
            PlannedFrame::Repeated(model_json, times) => {
                let frame = eventstream::chunk_frame(&model_json)?;
                self.frames.push_front(PlannedFrame::from_run(ChunkRun {
                    model_json,
                    times: times - 1,
                }));
                frame
            }
            PlannedFrame::Exception {
                exception_type,
                message,
            } => eventstream::exception_frame(&exception_type, &message)?,
            PlannedFrame::Disconnect => {
                tokio::time::sleep(DISCONNECT_FLUSH_PAUSE).await;
                self.frames.clear();
                return Err(StreamAbort::Injected);
            }
            PlannedFrame::Truncated(model_json) => {
                let frame = eventstream::chunk_frame(&model_json)?;
                frame.slice(..frame.len() / 2)
            }
            PlannedFrame::BadChecksum(model_json, checksum) => {
                eventstream::with_bad_checksum(&eventstream::chunk_frame(&model_json)?, checksum)
            }
            PlannedFrame::Huge(payload_len) => {
                let mut frame = HugeChunkFrame::new(payload_len)?;
                let head = frame.next_piece().unwrap_or_default();
                self.huge = Some(frame);
                head
            }
            PlannedFrame::Endless(model_json) => {
                let frame = eventstream::chunk_frame(&model_json)?;
                self.frames.push_front(PlannedFrame::Endless(model_json));
                frame
            }
        })
    }
}

/// The stream body for `chunks` under `fault`, pausing `between_frames` between consecutive
/// frames.
pub(crate) fn stream_body(
    chunks: Vec<ChunkRun>,
    fault: Option<StreamFault>,
    between_frames: Duration,
) -> Body {
    let writer = Writer {
        frames: planned_frames(chunks, fault),
        huge: None,
        started: false,
    };
    let pieces = stream::unfold(writer, move |mut writer| async move {
        if let Some(huge) = writer.huge.as_mut() {
            match huge.next_piece() {
                Some(piece) => return Some((Ok(piece), writer)),
                None => writer.huge = None,
            }
        }
        let frame = writer.frames.pop_front()?;
        if writer.started && !between_frames.is_zero() {
            tokio::time::sleep(between_frames).await;
        }
        writer.started = true;
        let piece = writer.write(frame).await;
        Some((piece, writer))
    });
    Body::from_stream(pieces)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunks(count: u8) -> Vec<ChunkRun> {
        (0..count)
            .map(|index| ChunkRun {
                model_json: vec![index],
                times: 1,
            })
            .collect()
    }

    fn fault(after_chunks: u32, action: StreamFaultAction) -> Option<StreamFault> {
        Some(StreamFault {
            count: 1,
            after_chunks,
            action,
        })
    }

    #[test]
    fn without_a_fault_every_chunk_is_planned() {
        assert_eq!(
            planned_frames(chunks(3), None),
            [
                PlannedFrame::Chunk(vec![0]),
                PlannedFrame::Chunk(vec![1]),
                PlannedFrame::Chunk(vec![2])
            ]
        );
    }

    #[test]
    fn a_fault_follows_its_chunks_or_all_of_them() {
        let exception = StreamFaultAction::Exception {
            exception_type: "throttlingException".into(),
            message: "slow down".into(),
        };
        assert_eq!(
            planned_frames(chunks(3), fault(1, exception)),
            [
                PlannedFrame::Chunk(vec![0]),
                PlannedFrame::Exception {
                    exception_type: "throttlingException".into(),
                    message: "slow down".into()
                }
            ]
        );
        let frames = planned_frames(chunks(2), fault(10, StreamFaultAction::Disconnect));
        assert_eq!(frames.len(), 3);
        assert_eq!(frames.back(), Some(&PlannedFrame::Disconnect));
    }

    #[test]
    fn spoiled_frames_carry_the_next_chunk_and_endless_repeats_the_last_sent() {
        let planned = |after, action| {
            planned_frames(chunks(3), fault(after, action))
                .pop_back()
                .expect("a fault is planned")
        };
        assert_eq!(
            planned(1, StreamFaultAction::TruncatedFrame),
            PlannedFrame::Truncated(vec![1])
        );
        assert_eq!(
            planned(5, StreamFaultAction::BadPreludeCrc),
            PlannedFrame::BadChecksum(vec![2], Checksum::Prelude)
        );
        assert_eq!(
            planned(0, StreamFaultAction::BadMessageCrc),
            PlannedFrame::BadChecksum(vec![0], Checksum::Message)
        );
        assert_eq!(
            planned(2, StreamFaultAction::Endless),
            PlannedFrame::Endless(vec![1])
        );
        assert_eq!(
            planned(9, StreamFaultAction::Endless),
            PlannedFrame::Endless(vec![2])
        );
        assert_eq!(
            planned(1, StreamFaultAction::HugeChunk { payload_bytes: 100 }),
            PlannedFrame::Huge(100)
        );
    }

    #[test]
    fn a_fault_counts_repeated_chunks_one_by_one() {
        let runs = vec![
            ChunkRun {
                model_json: vec![0],
                times: 1,
            },
            ChunkRun {
                model_json: vec![1],
                times: 1_000_000,
            },
            ChunkRun {
                model_json: vec![2],
                times: 1,
            },
        ];
        assert_eq!(
            planned_frames(runs.clone(), fault(5, StreamFaultAction::TruncatedFrame)),
            [
                PlannedFrame::Chunk(vec![0]),
                PlannedFrame::Repeated(vec![1], 4),
                PlannedFrame::Truncated(vec![1])
            ]
        );
        assert_eq!(
            planned_frames(runs, fault(2, StreamFaultAction::Endless)),
            [
                PlannedFrame::Chunk(vec![0]),
                PlannedFrame::Chunk(vec![1]),
                PlannedFrame::Endless(vec![1])
            ]
        );
    }
}
