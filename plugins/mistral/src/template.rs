//! Renders a conversation into the `[INST]` prompt that Mistral's text
//! completion models read, in the form of AWS's example ("Mistral AI text
//! completion": `<s>[INST] What is your favourite condiment? [/INST] Well,
//! ...!</s> [INST] Do you have mayonnaise recipes? [/INST]`).
//!
//! These models have no system role; as in Mistral's own chat templates, a
//! system prompt is written at the start of the first user turn, followed
//! by a blank line. Invariants: message text is copied byte for byte; the
//! turns alternate user, assistant, ... starting with the user's (the only
//! order the format can write); a conversation that ends with an assistant
//! message leaves that message open (no `</s>`), so the model continues it.

use bedrock_adapter_kit::request::{self, Turn};
use bedrock_adapter_kit::types::{AdapterError, Role};

/// Renders `turns` (at least one) with the optional `system` prompt.
pub fn render(system: Option<&str>, turns: &[Turn]) -> Result<String, AdapterError> {
    request::require_alternating(turns, "Mistral's [INST] format")?;
    let mut prompt = "<s>".to_owned();
    for (index, turn) in turns.iter().enumerate() {
        match turn.role {
            Role::User => {
                if index > 0 {
                    prompt.push(' ');
                }
                prompt.push_str("[INST] ");
                if let (0, Some(system)) = (index, system) {
                    prompt.push_str(system);
                    prompt.push_str("\n\n");
                }
                prompt.push_str(&turn.text);
                prompt.push_str(" [/INST]");
            }
            Role::Assistant => {
                prompt.push(' ');
                prompt.push_str(&turn.text);
                if index + 1 < turns.len() {
                    prompt.push_str("</s>");
                }
            }
        }
    }
    Ok(prompt)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bedrock_adapter_kit::testing::turn;

    #[test]
    fn aws_example() {
        let turns = [
            turn(Role::User, "What is your favourite condiment?"),
            turn(
                Role::Assistant,
                "Well, I'm quite partial to a good squeeze of fresh lemon juice.",
            ),
            turn(Role::User, "Do you have mayonnaise recipes?"),
        ];
        assert_eq!(
            render(None, &turns),
            Ok(
                "<s>[INST] What is your favourite condiment? [/INST] Well, I'm quite partial \
                to a good squeeze of fresh lemon juice.</s> [INST] Do you have mayonnaise \
                recipes? [/INST]"
                    .to_owned()
            )
        );
    }

    #[test]
    fn recorded_prompt() {
        // New Relic's recorded Mistral 7B request.
        assert_eq!(
            render(
                None,
                &[turn(
                    Role::User,
                    "What is 212 degrees Fahrenheit converted to Celsius?"
                )]
            ),
            Ok("<s>[INST] What is 212 degrees Fahrenheit converted to Celsius? [/INST]".to_owned())
        );
    }

    #[test]
    fn system_and_prefill() {
        let turns = [turn(Role::User, "Hi"), turn(Role::Assistant, "Well,")];
        assert_eq!(
            render(Some("Be brief."), &turns),
            Ok("<s>[INST] Be brief.\n\nHi [/INST] Well,".to_owned())
        );
    }

    #[test]
    fn needs_alternation() {
        for turns in [
            vec![turn(Role::Assistant, "Hello")],
            vec![turn(Role::User, "a"), turn(Role::User, "b")],
        ] {
            assert!(matches!(
                render(None, &turns),
                Err(AdapterError::InvalidRequest(_))
            ));
        }
    }
}
