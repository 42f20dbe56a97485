//! Splits gpt-oss's answer text into reasoning and answer. AWS's "OpenAI
//! models" page: with InvokeModel, the model's reasoning, enclosed in
//! `<reasoning>` tags, comes before the text of the answer in `content`.
//! A [`Splitter`] is fed the content as it arrives (one body, or the
//! `delta.content` of each chunk) and says which part is which.
//!
//! Invariants: the text between an opening `<reasoning>` at the start of the
//! content (after any whitespace) and the first `</reasoning>` is reasoning,
//! every other character is answer text, and the tags themselves are
//! neither; a tag split across chunks is recognised, because a tail that
//! could begin one is held back until the next piece (or `finish`) decides
//! it; whitespace between the closing tag and the answer is dropped; content
//! that does not open with the tag is all answer; reasoning never left open
//! is lost: `finish` returns what was held, as what it was.

use std::cell::{Cell, RefCell};

/// The tag that opens the reasoning.
const OPEN: &str = "<reasoning>";
/// The tag that closes it.
const CLOSE: &str = "</reasoning>";

/// A piece of content, told apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// Reasoning text (between the tags).
    Reasoning(String),
    /// Answer text.
    Answer(String),
}

/// Where the content stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Nothing but whitespace yet: the opening tag may still come.
    Start,
    /// Inside the reasoning.
    Reasoning,
    /// After the closing tag, before any answer text: whitespace is dropped.
    AfterReasoning,
    /// In the answer.
    Answer,
}

/// Splits one answer's content; see the module's invariants.
#[derive(Debug)]
pub struct Splitter {
    state: Cell<State>,
    held: RefCell<String>,
}

impl Default for Splitter {
    fn default() -> Self {
        Splitter {
            state: Cell::new(State::Start),
            held: RefCell::new(String::new()),
        }
    }
}

impl Splitter {
    /// The parts `text`, the next piece of content, completes.
    pub fn feed(&self, text: &str) -> Vec<Part> {
        let mut pending = self.held.take();
        pending.push_str(text);
        let mut parts = Vec::new();
        loop {
            match self.state.get() {
                State::Start => {
                    let trimmed = pending.trim_start();
                    if let Some(rest) = trimmed.strip_prefix(OPEN) {
                        pending = rest.to_owned();
                        self.state.set(State::Reasoning);
                    } else if OPEN.starts_with(trimmed) {
                        // Whitespace, or the start of the tag: wait.
                        self.held.replace(pending);
                        return parts;
                    } else {
                        self.state.set(State::Answer);
                    }
                }
                State::Reasoning => match pending.find(CLOSE) {
                    Some(at) => {
                        push(&mut parts, Part::Reasoning(pending[..at].to_owned()));
                        pending = pending[at + CLOSE.len()..].to_owned();
                        self.state.set(State::AfterReasoning);
                    }
                    None => {
                        let keep = tag_start_len(&pending, CLOSE);
                        let tail = pending.split_off(pending.len() - keep);
                        push(&mut parts, Part::Reasoning(pending));
                        self.held.replace(tail);
                        return parts;
                    }
                },
                State::AfterReasoning => {
                    let trimmed = pending.trim_start();
                    if trimmed.is_empty() {
                        return parts;
                    }
                    pending = trimmed.to_owned();
                    self.state.set(State::Answer);
                }
                State::Answer => {
                    push(&mut parts, Part::Answer(pending));
                    return parts;
                }
            }
        }
    }

    /// What is still held, as what it was: the end of the content.
    pub fn finish(&self) -> Vec<Part> {
        let held = self.held.take();
        let mut parts = Vec::new();
        match self.state.get() {
            State::Start | State::Answer => push(&mut parts, Part::Answer(held)),
            State::Reasoning => push(&mut parts, Part::Reasoning(held)),
            State::AfterReasoning => {}
        }
        parts
    }
}

/// Adds `part` unless its text is empty.
fn push(parts: &mut Vec<Part>, part: Part) {
    let empty = match &part {
        Part::Reasoning(text) | Part::Answer(text) => text.is_empty(),
    };
    if !empty {
        parts.push(part);
    }
}

/// The length of the longest tail of `text` that is the start (not the
/// whole) of `tag`; `tag` is ASCII, so the tail starts on a char boundary.
fn tag_start_len(text: &str, tag: &str) -> usize {
    (1..tag.len())
        .rev()
        .find(|&len| text.ends_with(&tag[..len]))
        .unwrap_or(0)
}

/// Splits a whole content at once.
pub fn split(content: &str) -> Vec<Part> {
    let splitter = Splitter::default();
    let mut parts = splitter.feed(content);
    parts.extend(splitter.finish());
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reasoning(text: &str) -> Part {
        Part::Reasoning(text.to_owned())
    }

    fn answer(text: &str) -> Part {
        Part::Answer(text.to_owned())
    }

    #[test]
    fn whole_contents() {
        assert_eq!(
            split("<reasoning>The user greets.</reasoning>Hello!"),
            [reasoning("The user greets."), answer("Hello!")]
        );
        assert_eq!(
            split("\n<reasoning>Think.</reasoning>\n\nHi"),
            [reasoning("Think."), answer("Hi")]
        );
        assert_eq!(split("Plain answer."), [answer("Plain answer.")]);
        assert_eq!(
            split("Talk of <reasoning> later is answer."),
            [answer("Talk of <reasoning> later is answer.")]
        );
        assert_eq!(split("<reasoning>cut off"), [reasoning("cut off")]);
        assert_eq!(split("<reas"), [answer("<reas")]);
        assert!(split("").is_empty());
    }

    /// Feeds `pieces` one by one, joining consecutive parts of a kind.
    fn streamed(pieces: &[&str]) -> Vec<Part> {
        let splitter = Splitter::default();
        let mut joined: Vec<Part> = Vec::new();
        let parts = pieces
            .iter()
            .flat_map(|piece| splitter.feed(piece))
            .chain(splitter.finish());
        for part in parts {
            match (joined.last_mut(), part) {
                (Some(Part::Reasoning(text)), Part::Reasoning(more))
                | (Some(Part::Answer(text)), Part::Answer(more)) => text.push_str(&more),
                (_, part) => joined.push(part),
            }
        }
        joined
    }

    #[test]
    fn tags_split_across_pieces() {
        let expected = [reasoning("Let me think: 2+2."), answer("It is 4, é.")];
        let whole = "<reasoning>Let me think: 2+2.</reasoning>It is 4, é.";
        assert_eq!(split(whole), expected);
        // Every way of cutting the content in two, and in single characters.
        let chars: Vec<String> = whole.chars().map(String::from).collect();
        let pieces: Vec<&str> = chars.iter().map(String::as_str).collect();
        assert_eq!(streamed(&pieces), expected);
        for (at, _) in whole.char_indices().skip(1) {
            let (first, second) = whole.split_at(at);
            assert_eq!(streamed(&[first, second]), expected, "cut at {at}");
        }
    }

    #[test]
    fn held_tail_that_is_not_a_tag_is_reasoning() {
        let splitter = Splitter::default();
        assert_eq!(splitter.feed("<reasoning>a </rea"), [reasoning("a ")]);
        assert_eq!(splitter.feed("d it"), [reasoning("</read it")]);
        assert_eq!(splitter.feed("</reasoning>"), Vec::new());
        assert_eq!(splitter.feed("  "), Vec::new());
        assert_eq!(splitter.feed(" ok"), [answer("ok")]);
        assert_eq!(splitter.finish(), Vec::new());
    }
}
