//! Plugin-chosen text made safe to print: on one terminal line
//! ([`printable`]), or as model text on a terminal ([`terminal_text`]).
//!
//! Invariant: the result of `printable` holds no control character (no
//! newline, no escape sequence); that of `terminal_text` none but newline
//! and tab. Every other control character of the input is shown escaped
//! (`\n`, `\u{1b}`), every other character is kept.

use std::borrow::Cow;

/// `text` with its control characters escaped.
pub fn printable(text: &str) -> String {
    let mut shown = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() {
            shown.extend(c.escape_default());
        } else {
            shown.push(c);
        }
    }
    shown
}

/// Model text as it may be shown on a terminal: control characters other
/// than newline and tab escaped, so that no escape sequence, carriage
/// return or bell in the text can move the cursor, rewrite the screen or set
/// the window title. Text without any is returned as it is.
pub fn terminal_text(text: &str) -> Cow<'_, str> {
    let unsafe_char = |c: char| c.is_control() && c != '\n' && c != '\t';
    if !text.chars().any(unsafe_char) {
        return Cow::Borrowed(text);
    }
    let mut shown = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if unsafe_char(c) {
            shown.extend(c.escape_default());
        } else {
            shown.push(c);
        }
    }
    Cow::Owned(shown)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped_and_the_rest_kept() {
        assert_eq!(printable("image/png"), "image/png");
        assert_eq!(printable("a\nb\u{1b}[2Jé"), "a\\nb\\u{1b}[2Jé");
        assert_eq!(printable("\0"), "\\u{0}");
    }

    #[test]
    fn terminal_text_keeps_newlines_and_tabs_and_escapes_the_rest() {
        assert!(matches!(
            terminal_text("a\tb\nc é"),
            Cow::Borrowed("a\tb\nc é")
        ));
        assert_eq!(
            terminal_text("t\u{1b}]0;owned\u{7}\u{1b}[2J\rx\u{9b}31m\ty\n"),
            "t\\u{1b}]0;owned\\u{7}\\u{1b}[2J\\rx\\u{9b}31m\ty\n"
        );
    }
}
