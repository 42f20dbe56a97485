//! Splits DeepSeek-R1's text into its thinking and its answer, whether the
//! text comes whole (a response body) or in pieces (a stream).
//!
//! The model writes its thinking first and ends it with `</think>`; the
//! answer follows. The prompt the template writes already opens the
//! thinking (`<think>\n`), so the text usually starts inside it; a text
//! that opens with `<think>` itself (a `--raw` prompt that did not) has
//! that tag dropped. Invariants: text before the first `</think>` is
//! reasoning and text after it is answer, wherever the pieces are cut (a
//! piece that may be the start of a tag is held back until the next piece
//! says, and given out by [`Splitter::finish`] if none comes); a text with
//! no `</think>` is all reasoning (the model was stopped while thinking);
//! the tags themselves, the whitespace that ends the thinking and the
//! whitespace that starts the answer are never given out; every other
//! character is given out exactly once, in order.

use std::cell::{Cell, RefCell};

/// What opens the thinking, when the text itself opens it.
const OPEN: &str = "<think>";
/// What ends the thinking.
const CLOSE: &str = "</think>";

/// A run of text, and which side of `</think>` it is on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// The model's thinking.
    Reasoning(String),
    /// The model's answer.
    Answer(String),
}

/// Where the text given so far has reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Nothing but whitespace or the start of `<think>` yet.
    Start,
    /// Past `<think>`, before the first character of the thinking that is
    /// not whitespace.
    ThinkingStart,
    /// Inside the thinking.
    Thinking,
    /// Past `</think>`, before the first character of the answer that is
    /// not whitespace.
    AnswerStart,
    /// Inside the answer.
    Answering,
}

/// Splits one text, piece by piece. All through `&self`, as a stream
/// decoder's `feed` is.
#[derive(Debug)]
pub struct Splitter {
    phase: Cell<Phase>,
    /// Text given but not yet given out: a possible start of a tag, or
    /// whitespace that may end the thinking.
    held: RefCell<String>,
}

impl Default for Splitter {
    fn default() -> Self {
        Splitter {
            phase: Cell::new(Phase::Start),
            held: RefCell::new(String::new()),
        }
    }
}

impl Splitter {
    /// The pieces of `text` that can be given out now.
    pub fn push(&self, text: &str) -> Vec<Piece> {
        let mut buffer = self.held.take();
        buffer.push_str(text);
        let mut pieces = Vec::new();
        loop {
            match self.phase.get() {
                Phase::Start => {
                    let trimmed = buffer.trim_start();
                    if let Some(rest) = trimmed.strip_prefix(OPEN) {
                        buffer = rest.to_owned();
                        self.phase.set(Phase::ThinkingStart);
                    } else if trimmed.is_empty() || OPEN.starts_with(trimmed) {
                        *self.held.borrow_mut() = buffer;
                        return pieces;
                    } else {
                        buffer = trimmed.to_owned();
                        self.phase.set(Phase::Thinking);
                    }
                }
                Phase::ThinkingStart => {
                    let thinking = buffer.trim_start();
                    if thinking.is_empty() {
                        return pieces;
                    }
                    buffer = thinking.to_owned();
                    self.phase.set(Phase::Thinking);
                }
                Phase::Thinking => {
                    if let Some(at) = buffer.find(CLOSE) {
                        push_reasoning(&mut pieces, buffer[..at].trim_end());
                        buffer = buffer[at + CLOSE.len()..].to_owned();
                        self.phase.set(Phase::AnswerStart);
                    } else {
                        let keep = buffer.len() - partial_tag(&buffer);
                        let keep = buffer[..keep].trim_end().len();
                        push_reasoning(&mut pieces, &buffer[..keep]);
                        *self.held.borrow_mut() = buffer[keep..].to_owned();
                        return pieces;
                    }
                }
                Phase::AnswerStart => {
                    let answer = buffer.trim_start();
                    if !answer.is_empty() {
                        pieces.push(Piece::Answer(answer.to_owned()));
                        self.phase.set(Phase::Answering);
                    }
                    return pieces;
                }
                Phase::Answering => {
                    if !buffer.is_empty() {
                        pieces.push(Piece::Answer(buffer));
                    }
                    return pieces;
                }
            }
        }
    }

    /// What is still held once the text has ended: a held start of a tag
    /// that never completed is thinking (whitespace that ends the thinking
    /// is dropped).
    pub fn finish(&self) -> Vec<Piece> {
        let held = self.held.take();
        let mut pieces = Vec::new();
        match self.phase.get() {
            Phase::Start => push_reasoning(&mut pieces, held.trim()),
            Phase::Thinking => push_reasoning(&mut pieces, held.trim_end()),
            Phase::ThinkingStart | Phase::AnswerStart | Phase::Answering => {}
        }
        pieces
    }

    /// Splits a whole text.
    pub fn whole(text: &str) -> Vec<Piece> {
        let splitter = Splitter::default();
        let mut pieces = splitter.push(text);
        pieces.extend(splitter.finish());
        pieces
    }
}

/// Adds `text` as reasoning, unless it is empty.
fn push_reasoning(pieces: &mut Vec<Piece>, text: &str) {
    if !text.is_empty() {
        pieces.push(Piece::Reasoning(text.to_owned()));
    }
}

/// The length of the longest end of `text` that is a start of `</think>`
/// (shorter than the whole tag, which the caller has already looked for).
fn partial_tag(text: &str) -> usize {
    (1..CLOSE.len())
        .rev()
        .find(|&length| text.ends_with(&CLOSE[..length]))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reasoning(text: &str) -> Piece {
        Piece::Reasoning(text.to_owned())
    }

    fn answer(text: &str) -> Piece {
        Piece::Answer(text.to_owned())
    }

    /// The pieces of `chunks`, with adjacent pieces of one side joined.
    fn split(chunks: &[&str]) -> Vec<Piece> {
        let splitter = Splitter::default();
        let mut pieces: Vec<Piece> = chunks.iter().flat_map(|c| splitter.push(c)).collect();
        pieces.extend(splitter.finish());
        let mut joined: Vec<Piece> = Vec::new();
        for piece in pieces {
            match (joined.last_mut(), piece) {
                (Some(Piece::Reasoning(a)), Piece::Reasoning(b))
                | (Some(Piece::Answer(a)), Piece::Answer(b)) => a.push_str(&b),
                (_, piece) => joined.push(piece),
            }
        }
        joined
    }

    #[test]
    fn whole_texts() {
        let text = "The user wants a greeting.\n</think>\n\nHello there.";
        let expected = [
            reasoning("The user wants a greeting."),
            answer("Hello there."),
        ];
        assert_eq!(Splitter::whole(text), expected);
        let opened = "<think>\nThe user wants a greeting.\n</think>\n\nHello there.";
        assert_eq!(Splitter::whole(opened), expected);
        assert_eq!(
            Splitter::whole("Still thinking when stopped"),
            [reasoning("Still thinking when stopped")]
        );
        assert_eq!(
            Splitter::whole("</think>Only an answer"),
            [answer("Only an answer")]
        );
        assert_eq!(Splitter::whole(""), []);
    }

    #[test]
    fn a_tag_cut_across_chunks() {
        let text = "<think>\nHmm, a < b.\n</think>\n\nYes: a < b </th is not a tag.";
        let expected = [
            reasoning("Hmm, a < b."),
            answer("Yes: a < b </th is not a tag."),
        ];
        // Every way of cutting the text in two, and in single characters.
        for cut in (0..=text.len()).filter(|&cut| text.is_char_boundary(cut)) {
            assert_eq!(
                split(&[&text[..cut], &text[cut..]]),
                expected,
                "cut at {cut}"
            );
        }
        let characters: Vec<String> = text.chars().map(String::from).collect();
        let characters: Vec<&str> = characters.iter().map(String::as_str).collect();
        assert_eq!(split(&characters), expected);
    }

    #[test]
    fn text_is_given_out_as_soon_as_it_is_known() {
        let splitter = Splitter::default();
        assert_eq!(splitter.push("<thi"), []);
        assert_eq!(splitter.push("nk>\nStep one"), [reasoning("Step one")]);
        assert_eq!(splitter.push(", step two\n</"), [reasoning(", step two")]);
        assert_eq!(splitter.push("think>\n\n"), []);
        assert_eq!(splitter.push("Done"), [answer("Done")]);
        assert_eq!(splitter.push(" here.</think>"), [answer(" here.</think>")]);
        assert_eq!(splitter.finish(), []);
    }

    #[test]
    fn a_held_start_of_a_tag_that_never_completes_is_thinking() {
        let splitter = Splitter::default();
        assert_eq!(splitter.push("Let x </thi"), [reasoning("Let x")]);
        assert_eq!(splitter.finish(), [reasoning(" </thi")]);
        let opening = Splitter::default();
        assert_eq!(opening.push("<th"), []);
        assert_eq!(opening.finish(), [reasoning("<th")]);
    }
}
