//! Deterministic stand-in for a model: turns a prompt into reply text. Invariants: the same
//! seed text always yields the same reply (the seed is hashed with SHA-256, not with a
//! per-process hasher); a reply starts by restating the last user turn, so a caller can pick a
//! stop sequence from its own prompt and be sure it appears; a token is one whitespace-separated
//! word of output; an uninterrupted reply is 30 to 120 words long.

use sha2::{Digest, Sha256};

/// Fewest words in a reply that ends naturally.
const MIN_NATURAL_WORDS: usize = 30;
/// Most words in a reply that ends naturally.
const MAX_NATURAL_WORDS: usize = 120;
/// Most words of the last user turn restated at the start of a reply.
const MAX_ECHOED_WORDS: usize = 40;
/// Shortest and longest filler sentence, in words.
const SENTENCE_WORDS: (usize, usize) = (5, 12);

/// Words the filler sentences are made of.
const VOCABULARY: &[&str] = &[
    "the",
    "local",
    "model",
    "answers",
    "every",
    "question",
    "with",
    "care",
    "and",
    "a",
    "steady",
    "voice",
    "while",
    "each",
    "token",
    "arrives",
    "in",
    "order",
    "from",
    "stream",
    "that",
    "keeps",
    "its",
    "promise",
    "to",
    "be",
    "repeatable",
    "so",
    "tests",
    "can",
    "rely",
    "on",
    "what",
    "they",
    "see",
    "here",
    "is",
    "some",
    "more",
    "text",
    "about",
    "nothing",
    "much",
    "but",
    "it",
    "reads",
    "well",
    "enough",
    "for",
    "purpose",
    "of",
    "checking",
    "how",
    "replies",
    "flow",
    "through",
    "host",
    "plugins",
    "between",
    "requests",
    "responses",
    "quiet",
    "bright",
    "simple",
];

/// What a reply is generated from.
#[derive(Debug, Clone, Copy)]
pub(crate) struct GenerationRequest<'a> {
    /// Everything that identifies the prompt; equal seeds give equal replies.
    pub seed_text: &'a str,
    /// The last user turn, restated at the start of the reply.
    pub echo_text: &'a str,
    /// The most words the reply may have.
    pub max_tokens: u32,
    /// Strings that end the reply, which is cut just before the earliest one.
    pub stop_sequences: &'a [String],
}

/// Why a reply ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Finish {
    /// The generator reached the natural end of its reply.
    Natural,
    /// The reply was cut at `max_tokens` words.
    MaxTokens,
    /// The reply was cut before this stop sequence.
    StopSequence(String),
}

/// A generated reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Generation {
    /// The pieces a stream sends, one per word: each after the first starts with the whitespace
    /// that precedes its word. Concatenated, they are the whole reply text.
    pub pieces: Vec<String>,
    /// Words in the reply.
    pub output_tokens: u32,
    /// Why the reply ended.
    pub finish: Finish,
}

impl Generation {
    /// The whole reply text.
    pub fn text(&self) -> String {
        self.pieces.concat()
    }
}

/// Generates the reply to `request`.
pub(crate) fn generate(request: &GenerationRequest<'_>) -> Generation {
    let mut random = SplitMix64::from_seed_text(request.seed_text);
    let words = natural_reply(&mut random, request.echo_text);

    let limit = usize::try_from(request.max_tokens).unwrap_or(usize::MAX);
    let cut_by_limit = words.len() > limit;
    let mut text = words[..words.len().min(limit)].join(" ");

    let finish = match earliest_stop_sequence(&text, request.stop_sequences) {
        Some((position, stop_sequence)) => {
            text.truncate(position);
            Finish::StopSequence(stop_sequence.to_owned())
        }
        None if cut_by_limit => Finish::MaxTokens,
        None => Finish::Natural,
    };
    let output_tokens = u32::try_from(text.split_whitespace().count()).unwrap_or(u32::MAX);
    Generation {
        pieces: split_into_pieces(&text),
        output_tokens,
        finish,
    }
}

/// The reply as it would be with no limits: the echoed user words, then filler sentences.
fn natural_reply(random: &mut SplitMix64, echo_text: &str) -> Vec<String> {
    let mut words: Vec<String> = echo_text
        .split_whitespace()
        .take(MAX_ECHOED_WORDS)
        .map(str::to_owned)
        .collect();
    let natural_length = (MIN_NATURAL_WORDS
        + random.below(MAX_NATURAL_WORDS - MIN_NATURAL_WORDS + 1))
    .max(words.len() + 1);

    while words.len() < natural_length {
        let sentence_length =
            SENTENCE_WORDS.0 + random.below(SENTENCE_WORDS.1 - SENTENCE_WORDS.0 + 1);
        let sentence_length = sentence_length.min(natural_length - words.len());
        for position in 0..sentence_length {
            let word = VOCABULARY[random.below(VOCABULARY.len())];
            let mut word = if position == 0 {
                capitalised(word)
            } else {
                word.to_owned()
            };
            if position + 1 == sentence_length {
                word.push('.');
            }
            words.push(word);
        }
    }
    words
}

fn capitalised(word: &str) -> String {
    let mut characters = word.chars();
    characters
        .next()
        .map(|first| first.to_uppercase().chain(characters).collect())
        .unwrap_or_default()
}

/// The byte position and text of the stop sequence that occurs first in `text`.
fn earliest_stop_sequence<'a>(
    text: &str,
    stop_sequences: &'a [String],
) -> Option<(usize, &'a str)> {
    stop_sequences
        .iter()
        .filter(|sequence| !sequence.is_empty())
        .filter_map(|sequence| {
            text.find(sequence.as_str())
                .map(|at| (at, sequence.as_str()))
        })
        .min_by_key(|(at, _)| *at)
}

/// Splits text into per-word pieces: every piece but the first starts with the whitespace
/// before its word, and trailing whitespace stays with the last word.
fn split_into_pieces(text: &str) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut piece_start = 0;
    let mut seen_word = false;
    let mut whitespace_start = None;
    for (index, character) in text.char_indices() {
        if character.is_whitespace() {
            whitespace_start.get_or_insert(index);
            continue;
        }
        if let Some(boundary) = whitespace_start.take()
            && seen_word
        {
            pieces.push(text[piece_start..boundary].to_owned());
            piece_start = boundary;
        }
        seen_word = true;
    }
    if piece_start < text.len() {
        pieces.push(text[piece_start..].to_owned());
    }
    pieces
}

/// A small, fast pseudo-random sequence (SplitMix64), seeded from a SHA-256 of the prompt.
struct SplitMix64(u64);

impl SplitMix64 {
    fn from_seed_text(seed_text: &str) -> Self {
        let digest = Sha256::digest(seed_text.as_bytes());
        let mut seed = [0u8; 8];
        seed.copy_from_slice(&digest[..8]);
        Self(u64::from_be_bytes(seed))
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..bound` (`bound` > 0).
    fn below(&mut self, bound: usize) -> usize {
        let bound = u64::try_from(bound).unwrap_or(u64::MAX).max(1);
        usize::try_from(self.next() % bound).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request<'a>(echo: &'a str, max_tokens: u32, stops: &'a [String]) -> GenerationRequest<'a> {
        GenerationRequest {
            seed_text: echo,
            echo_text: echo,
            max_tokens,
            stop_sequences: stops,
        }
    }

    #[test]
    fn equal_requests_give_equal_replies_and_different_ones_differ() {
        let first = generate(&request("tell me about rivers", 1000, &[]));
        let again = generate(&request("tell me about rivers", 1000, &[]));
        let other = generate(&request("tell me about mountains", 1000, &[]));
        assert_eq!(first, again);
        assert_ne!(first.text(), other.text());
    }

    #[test]
    fn a_natural_reply_restates_the_prompt_and_has_a_bounded_length() {
        for prompt in ["hello", "what is the capital of France?", "a b c d e f g"] {
            let reply = generate(&request(prompt, 1000, &[]));
            assert!(reply.text().starts_with(prompt), "{}", reply.text());
            assert_eq!(reply.finish, Finish::Natural);
            assert!(
                (30..=120).contains(&reply.output_tokens),
                "{}",
                reply.output_tokens
            );
            assert_eq!(reply.output_tokens as usize, reply.pieces.len());
        }
    }

    #[test]
    fn max_tokens_cuts_the_reply_to_a_prefix() {
        let full = generate(&request("count the stars tonight", 1000, &[]));
        let cut = generate(&request("count the stars tonight", 5, &[]));
        assert_eq!(cut.finish, Finish::MaxTokens);
        assert_eq!(cut.output_tokens, 5);
        assert!(full.text().starts_with(&cut.text()));
    }

    #[test]
    fn a_stop_sequence_cuts_before_its_first_occurrence() {
        let stops = vec!["zebra".to_owned(), "stars".to_owned()];
        let reply = generate(&request("count the stars tonight", 1000, &stops));
        assert_eq!(reply.text(), "count the ");
        assert_eq!(reply.finish, Finish::StopSequence("stars".into()));
        assert_eq!(reply.output_tokens, 2);
        assert_eq!(reply.pieces, vec!["count", " the "]);
    }

    #[test]
    fn a_stop_sequence_beyond_max_tokens_does_not_fire() {
        let stops = vec!["tonight".to_owned()];
        let reply = generate(&request("count the stars tonight", 2, &stops));
        assert_eq!(reply.finish, Finish::MaxTokens);
        assert_eq!(reply.text(), "count the");
    }
}
