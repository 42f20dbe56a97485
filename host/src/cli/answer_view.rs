//! How `invoke` shows an answer in text mode: answer text on stdout (or on
//! stderr when stdout carries image bytes), each tool call as one line
//! after the text, and reasoning apart on stderr, dimmed on a terminal.
//!
//! Invariants: the answer's own text is never mixed with its reasoning:
//! stdout holds only text and tool-call lines. A tool-call line starts at
//! the beginning of a line and is `tool call ID NAME INPUT`, INPUT being
//! the call's input as compact JSON on one line, so a script can split it
//! on its first three spaces. What reaches a terminal has its control
//! characters (but newline and tab) escaped unless `--raw-output`; piped,
//! text is written byte for byte. With `--output json` nothing is shown
//! here: the one JSON object carries it all.

use std::io::{self, IsTerminal as _, Write};

use serde_json::Value;

use crate::invocation::Shown;
use crate::plugin::{Content, ToolCall, printable, terminal_text};

/// Starts and ends dim text on a terminal (SGR 2 and 22).
const DIM: &str = "\x1b[2m";
const UNDIM: &str = "\x1b[22m";

/// The text-mode view of one answer, fed piece by piece.
pub struct AnswerView {
    /// `--output json`: show nothing.
    json: bool,
    /// Text and tool calls go to stderr (stdout carries image bytes).
    to_stderr: bool,
    /// `--raw-output`: control characters reach a terminal as they are.
    raw: bool,
    /// Whether the answer's stream is a terminal (asked once, not per piece).
    text_on_terminal: bool,
    /// Whether stderr, where reasoning goes, is a terminal.
    stderr_on_terminal: bool,
    /// Whether the answer's stream (stdout or stderr) is mid-line.
    text_mid_line: bool,
    /// Whether reasoning on stderr is mid-line.
    reasoning_mid_line: bool,
}

impl AnswerView {
    /// A view; `json` shows nothing, `to_stderr` moves the answer to stderr,
    /// `raw` writes control characters to a terminal unescaped.
    pub fn new(json: bool, to_stderr: bool, raw: bool) -> Self {
        let stderr_on_terminal = io::stderr().is_terminal();
        Self {
            json,
            to_stderr,
            raw,
            text_on_terminal: if to_stderr {
                stderr_on_terminal
            } else {
                io::stdout().is_terminal()
            },
            stderr_on_terminal,
            text_mid_line: false,
            reasoning_mid_line: false,
        }
    }

    /// Shows one piece of the answer as it arrives.
    pub fn show(&mut self, shown: Shown<'_>) -> io::Result<()> {
        if self.json {
            return Ok(());
        }
        match shown {
            Shown::Text(text) => {
                self.end_reasoning()?;
                self.write_answer(text)?;
                self.text_mid_line = !text.ends_with('\n');
            }
            Shown::Reasoning(text) => self.write_reasoning(text)?,
            Shown::ToolCall(call) => {
                self.end_reasoning()?;
                if self.text_mid_line {
                    self.write_answer("\n")?;
                }
                self.write_answer(&format!("{}\n", tool_call_line(call)))?;
                self.text_mid_line = false;
            }
        }
        Ok(())
    }

    /// Shows a whole answer (one not streamed), in the model's order.
    pub fn show_all(&mut self, content: &[Content]) -> io::Result<()> {
        for piece in content {
            match piece {
                Content::Text(text) if !text.is_empty() => self.show(Shown::Text(text))?,
                Content::Reasoning(reasoning) if !reasoning.text.is_empty() => {
                    self.show(Shown::Reasoning(&reasoning.text))?;
                }
                Content::ToolCall(call) => self.show(Shown::ToolCall(call))?,
                _ => {}
            }
        }
        Ok(())
    }

    /// Ends the answer: its last line and its reasoning's get their newline.
    pub fn finish(&mut self) -> io::Result<()> {
        if self.json {
            return Ok(());
        }
        self.end_reasoning()?;
        if self.text_mid_line {
            self.write_answer("\n")?;
            self.text_mid_line = false;
        }
        Ok(())
    }

    /// Writes answer text and flushes it, so each piece is seen as it
    /// arrives (the stream loop hands over a whole burst as one piece).
    fn write_answer(&self, text: &str) -> io::Result<()> {
        let escaped;
        let bytes = if self.text_on_terminal && !self.raw {
            escaped = terminal_text(text);
            escaped.as_bytes()
        } else {
            text.as_bytes()
        };
        if self.to_stderr {
            let mut err = io::stderr().lock();
            err.write_all(bytes)?;
            err.flush()
        } else {
            let mut out = io::stdout().lock();
            out.write_all(bytes)?;
            out.flush()
        }
    }

    fn write_reasoning(&mut self, text: &str) -> io::Result<()> {
        let mut err = io::stderr().lock();
        if self.stderr_on_terminal {
            let text = if self.raw {
                text.into()
            } else {
                terminal_text(text)
            };
            write!(err, "{DIM}{text}{UNDIM}")?;
        } else {
            err.write_all(text.as_bytes())?;
        }
        self.reasoning_mid_line = !text.ends_with('\n');
        err.flush()
    }

    fn end_reasoning(&mut self) -> io::Result<()> {
        if self.reasoning_mid_line {
            self.reasoning_mid_line = false;
            let mut err = io::stderr().lock();
            err.write_all(b"\n")?;
            err.flush()?;
        }
        Ok(())
    }
}

/// `tool call ID NAME INPUT`: the id and name as the plugin gave them,
/// made printable, and the input as compact JSON on one line.
pub fn tool_call_line(call: &ToolCall) -> String {
    let input = match serde_json::from_str::<Value>(&call.input) {
        Ok(input) => input.to_string(),
        Err(_) => Value::String(call.input.clone()).to_string(),
    };
    format!(
        "tool call {} {} {input}",
        printable(&call.id).replace(' ', "\\u{20}"),
        printable(&call.name).replace(' ', "\\u{20}")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tool_call_line_splits_into_id_name_and_json_input() {
        let call = ToolCall {
            id: "toolu_01".into(),
            name: "get_weather".into(),
            input: "{\n  \"city\": \"Paris Texas\"\n}".into(),
        };
        let line = tool_call_line(&call);
        assert_eq!(
            line,
            r#"tool call toolu_01 get_weather {"city":"Paris Texas"}"#
        );
        let mut fields = line.strip_prefix("tool call ").unwrap().splitn(3, ' ');
        assert_eq!(fields.next(), Some("toolu_01"));
        assert_eq!(fields.next(), Some("get_weather"));
        let input: Value = serde_json::from_str(fields.next().unwrap()).unwrap();
        assert_eq!(input["city"], "Paris Texas");
    }

    #[test]
    fn a_hostile_id_cannot_break_the_line() {
        let call = ToolCall {
            id: "a b\nc".into(),
            name: "n".into(),
            input: "not json".into(),
        };
        let line = tool_call_line(&call);
        assert!(!line.contains('\n'), "{line}");
        let fields: Vec<&str> = line.splitn(5, ' ').collect();
        assert_eq!(fields[2], r"a\u{20}b\nc", "{line}");
        assert_eq!(fields[3], "n", "{line}");
        assert_eq!(fields[4], r#""not json""#, "{line}");
    }
}
