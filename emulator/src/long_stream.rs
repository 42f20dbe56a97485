//! Streams of any length, for throughput benchmarks: a [`LongStream`] behaviour pads every
//! response stream to a fixed number of chunk frames without generating that much text.
//! Invariant: padding repeats the reply's middle chunk, which in every streaming family is a
//! piece of generated text (a reply has at least 30 words, so the middle chunk is never the
//! first or last one, which carry the start and the stop reason and metrics); the first and
//! last chunks stay where they were, so a client still sees a well-formed stream. The
//! invocation metrics keep counting the words actually generated.

use serde::{Deserialize, Serialize};

/// Pad every response stream to `chunks` chunk frames (a stream that already has as many is
/// sent unchanged). JSON form, as the `long_stream` field of the behaviour:
/// `{"long_stream": {"chunks": 100000}}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LongStream {
    /// How many chunk frames each stream carries.
    pub chunks: u32,
}

/// `chunks` padded to `long.chunks` by repeating the middle one.
pub(crate) fn lengthen(chunks: Vec<Vec<u8>>, long: Option<LongStream>) -> Vec<Vec<u8>> {
    let target = long.map_or(0, |long| usize::try_from(long.chunks).unwrap_or(usize::MAX));
    if chunks.len() < 3 || target <= chunks.len() {
        return chunks;
    }
    let middle = chunks.len() / 2;
    let repeats = target - chunks.len();
    let mut padded = Vec::with_capacity(target);
    let mut original = chunks.into_iter();
    padded.extend(original.by_ref().take(middle + 1));
    let repeated = padded[middle].clone();
    padded.extend(std::iter::repeat_n(repeated, repeats));
    padded.extend(original);
    padded
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunks(count: u8) -> Vec<Vec<u8>> {
        (0..count).map(|index| vec![index]).collect()
    }

    #[test]
    fn the_middle_chunk_is_repeated_between_the_first_and_last() {
        let padded = lengthen(chunks(5), Some(LongStream { chunks: 9 }));
        assert_eq!(padded.len(), 9);
        assert_eq!(padded.first(), Some(&vec![0]));
        assert_eq!(padded.last(), Some(&vec![4]));
        assert_eq!(padded[1..7].iter().filter(|c| **c == vec![2]).count(), 5);
        assert_eq!(padded[7], vec![3]);
    }

    #[test]
    fn short_targets_and_no_setting_leave_the_stream_alone() {
        assert_eq!(lengthen(chunks(5), None), chunks(5));
        assert_eq!(
            lengthen(chunks(5), Some(LongStream { chunks: 3 })),
            chunks(5)
        );
        assert_eq!(
            lengthen(chunks(2), Some(LongStream { chunks: 10 })),
            chunks(2)
        );
    }
}
