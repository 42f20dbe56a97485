//! Plugin-chosen text made safe to print on one terminal line.
//!
//! Invariant: the result holds no control character (no newline, no escape
//! sequence); every control character of the input is shown escaped
//! (`\n`, `\u{1b}`), every other character is kept.

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

#[cfg(test)]
mod tests {
    use super::printable;

    #[test]
    fn control_characters_are_escaped_and_the_rest_kept() {
        assert_eq!(printable("image/png"), "image/png");
        assert_eq!(printable("a\nb\u{1b}[2Jé"), "a\\nb\\u{1b}[2Jé");
        assert_eq!(printable("\0"), "\\u{0}");
    }
}
