//! Streams of any length, for throughput benchmarks: a [`LongStream`] behaviour pads every
//! response stream to a fixed number of chunk frames without generating that much text.
//! Invariants: padding repeats the reply's middle chunk, which in every streaming family is a
//! piece of generated text (a reply has at least 30 words, so the middle chunk is never the
//! first or last one, which carry the start and the stop reason and metrics); the first and
//! last chunks stay where they were, so a client still sees a well-formed stream. The
//! invocation metrics keep counting the words actually generated. Padding is lazy: a stream is
//! planned as runs of one chunk repeated, so its length costs no memory, and at most
//! [`MAX_LONG_STREAM_CHUNKS`] chunks may be asked for, so one stream ends in bounded time.

use serde::{Deserialize, Serialize};

/// The most chunks a [`LongStream`] may ask for: far beyond any benchmark's needs (a million
/// chunks already take seconds), small enough that a stream ends.
pub const MAX_LONG_STREAM_CHUNKS: u32 = 10_000_000;

/// Pad every response stream to `chunks` chunk frames (a stream that already has as many is
/// sent unchanged); at most [`MAX_LONG_STREAM_CHUNKS`]. JSON form, as the `long_stream` field
/// of the behaviour: `{"long_stream": {"chunks": 100000}}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LongStream {
    /// How many chunk frames each stream carries.
    pub chunks: u32,
}

/// One chunk's model JSON, sent `times` times in a row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ChunkRun {
    /// The model JSON of the chunk.
    pub model_json: Vec<u8>,
    /// How many times in a row it is sent (at least 1).
    pub times: u64,
}

/// `chunks` padded to `long.chunks` by repeating the middle one, as runs.
pub(crate) fn lengthen(chunks: Vec<Vec<u8>>, long: Option<LongStream>) -> Vec<ChunkRun> {
    let target = long.map_or(0, |long| u64::from(long.chunks));
    let count = chunks.len() as u64;
    let middle = chunks.len() / 2;
    let repeats = if chunks.len() < 3 || target <= count {
        0
    } else {
        target - count
    };
    chunks
        .into_iter()
        .enumerate()
        .map(|(index, model_json)| ChunkRun {
            model_json,
            times: if index == middle { 1 + repeats } else { 1 },
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunks(count: u8) -> Vec<Vec<u8>> {
        (0..count).map(|index| vec![index]).collect()
    }

    fn flattened(runs: &[ChunkRun]) -> Vec<Vec<u8>> {
        runs.iter()
            .flat_map(|run| {
                std::iter::repeat_n(
                    run.model_json.clone(),
                    usize::try_from(run.times).expect("small"),
                )
            })
            .collect()
    }

    #[test]
    fn the_middle_chunk_is_repeated_between_the_first_and_last() {
        let padded = flattened(&lengthen(chunks(5), Some(LongStream { chunks: 9 })));
        assert_eq!(padded.len(), 9);
        assert_eq!(padded.first(), Some(&vec![0]));
        assert_eq!(padded.last(), Some(&vec![4]));
        assert_eq!(padded[1..7].iter().filter(|c| **c == vec![2]).count(), 5);
        assert_eq!(padded[7], vec![3]);
    }

    #[test]
    fn short_targets_and_no_setting_leave_the_stream_alone() {
        assert_eq!(flattened(&lengthen(chunks(5), None)), chunks(5));
        assert_eq!(
            flattened(&lengthen(chunks(5), Some(LongStream { chunks: 3 }))),
            chunks(5)
        );
        assert_eq!(
            flattened(&lengthen(chunks(2), Some(LongStream { chunks: 10 }))),
            chunks(2)
        );
    }

    #[test]
    fn the_longest_stream_is_planned_without_its_length_in_memory() {
        let runs = lengthen(chunks(5), Some(LongStream { chunks: u32::MAX }));
        assert_eq!(runs.len(), 5);
        assert_eq!(
            runs.iter().map(|run| run.times).sum::<u64>(),
            u64::from(u32::MAX)
        );
    }
}
