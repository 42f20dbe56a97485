//! Renders a conversation into the one `prompt` string Llama reads, in the
//! chat format of the model's generation ([`Template`]): Meta's Llama 2 chat
//! format, and the header-token formats of Llama 3 and Llama 4, as Meta's
//! model cards give them.
//!
//! Invariants: message text is copied byte for byte (never trimmed or
//! escaped); the system prompt, when given, comes first in the form the
//! format has for it; a conversation that ends with the user's turn ends
//! with an open assistant turn for the model to write, and one that ends
//! with an assistant message leaves that message open, so the model
//! continues it (a prefill).

use bedrock_adapter_kit::request::{self, Turn};
use bedrock_adapter_kit::types::{AdapterError, Role};

use crate::models::Template;

/// Renders `turns` (at least one) with the optional `system` prompt.
pub fn render(
    template: Template,
    system: Option<&str>,
    turns: &[Turn],
) -> Result<String, AdapterError> {
    match template {
        Template::Llama2 => llama2(system, turns),
        Template::Llama3 => Ok(headers(&LLAMA3, system, turns)),
        Template::Llama4 => Ok(headers(&LLAMA4, system, turns)),
    }
}

/// Llama 2 chat: each user turn is `<s>[INST] ... [/INST]`, each answer
/// follows it and is closed by ` </s>`; the system prompt goes inside the
/// first `[INST]` between `<<SYS>>` markers. The format has no way to write
/// two turns of one role in a row, or an answer before a question.
fn llama2(system: Option<&str>, turns: &[Turn]) -> Result<String, AdapterError> {
    request::require_alternating(turns, "Llama 2's chat format")?;
    let mut prompt = String::new();
    for (index, turn) in turns.iter().enumerate() {
        match turn.role {
            Role::User => {
                prompt.push_str("<s>[INST] ");
                if let (0, Some(system)) = (index, system) {
                    prompt.push_str("<<SYS>>\n");
                    prompt.push_str(system);
                    prompt.push_str("\n<</SYS>>\n\n");
                }
                prompt.push_str(&turn.text);
                prompt.push_str(" [/INST]");
            }
            Role::Assistant => {
                prompt.push(' ');
                prompt.push_str(&turn.text);
                if index + 1 < turns.len() {
                    prompt.push_str(" </s>");
                }
            }
        }
    }
    Ok(prompt)
}

/// The special tokens of a header-based format.
struct Headers {
    begin: &'static str,
    start: &'static str,
    end: &'static str,
    eot: &'static str,
}

/// Llama 3, 3.1, 3.2 and 3.3.
const LLAMA3: Headers = Headers {
    begin: "<|begin_of_text|>",
    start: "<|start_header_id|>",
    end: "<|end_header_id|>",
    eot: "<|eot_id|>",
};

/// Llama 4.
const LLAMA4: Headers = Headers {
    begin: "<|begin_of_text|>",
    start: "<|header_start|>",
    end: "<|header_end|>",
    eot: "<|eot|>",
};

/// `<|begin_of_text|>`, then each turn (the system prompt first) as a role
/// header, a blank line, the text and the end-of-turn token.
fn headers(tokens: &Headers, system: Option<&str>, turns: &[Turn]) -> String {
    let open = |prompt: &mut String, role: &str| {
        prompt.push_str(tokens.start);
        prompt.push_str(role);
        prompt.push_str(tokens.end);
        prompt.push_str("\n\n");
    };
    let mut prompt = tokens.begin.to_owned();
    if let Some(system) = system {
        open(&mut prompt, "system");
        prompt.push_str(system);
        prompt.push_str(tokens.eot);
    }
    for (index, turn) in turns.iter().enumerate() {
        open(&mut prompt, request::role_name(turn.role));
        prompt.push_str(&turn.text);
        let prefill = turn.role == Role::Assistant && index + 1 == turns.len();
        if !prefill {
            prompt.push_str(tokens.eot);
        }
    }
    if turns.last().is_some_and(|turn| turn.role == Role::User) {
        open(&mut prompt, "assistant");
    }
    prompt
}

#[cfg(test)]
mod tests {
    use super::*;
    use bedrock_adapter_kit::testing::turn;

    fn conversation() -> Vec<Turn> {
        vec![
            turn(Role::User, "Hi"),
            turn(Role::Assistant, "Hello!"),
            turn(Role::User, "Name a colour."),
        ]
    }

    #[test]
    fn llama3() {
        assert_eq!(
            render(Template::Llama3, Some("Be brief."), &conversation()),
            Ok("<|begin_of_text|>\
                <|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>\
                <|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>\
                <|start_header_id|>assistant<|end_header_id|>\n\nHello!<|eot_id|>\
                <|start_header_id|>user<|end_header_id|>\n\nName a colour.<|eot_id|>\
                <|start_header_id|>assistant<|end_header_id|>\n\n"
                .to_owned())
        );
    }

    #[test]
    fn llama4() {
        assert_eq!(
            render(Template::Llama4, None, &[turn(Role::User, "Hi")]),
            Ok(
                "<|begin_of_text|><|header_start|>user<|header_end|>\n\nHi<|eot|>\
                <|header_start|>assistant<|header_end|>\n\n"
                    .to_owned()
            )
        );
    }

    #[test]
    fn llama2() {
        assert_eq!(
            render(Template::Llama2, Some("Be brief."), &conversation()),
            Ok(
                "<s>[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHi [/INST] Hello! </s>\
                <s>[INST] Name a colour. [/INST]"
                    .to_owned()
            )
        );
        assert_eq!(
            render(Template::Llama2, None, &[turn(Role::User, "Hi")]),
            Ok("<s>[INST] Hi [/INST]".to_owned())
        );
    }

    #[test]
    fn prefill_is_left_open() {
        let turns = [turn(Role::User, "Hi"), turn(Role::Assistant, "Well,")];
        assert_eq!(
            render(Template::Llama3, None, &turns),
            Ok(
                "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>\
                <|start_header_id|>assistant<|end_header_id|>\n\nWell,"
                    .to_owned()
            )
        );
        assert_eq!(
            render(Template::Llama2, None, &turns),
            Ok("<s>[INST] Hi [/INST] Well,".to_owned())
        );
    }

    #[test]
    fn text_is_copied_as_is() {
        let text = "  <|eot_id|> [INST] \"quoted\"\n";
        let prompt = render(Template::Llama3, None, &[turn(Role::User, text)]);
        assert!(prompt.is_ok_and(|p| p.contains(text)));
    }

    #[test]
    fn llama2_needs_alternation() {
        for turns in [
            vec![turn(Role::Assistant, "Hello")],
            vec![turn(Role::User, "a"), turn(Role::User, "b")],
        ] {
            assert!(matches!(
                render(Template::Llama2, None, &turns),
                Err(AdapterError::InvalidRequest(_))
            ));
        }
    }
}
