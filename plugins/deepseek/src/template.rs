//! Renders a conversation into the one `prompt` string DeepSeek-R1 reads:
//! DeepSeek's chat template, as AWS's example writes it
//! (`<｜begin▁of▁sentence｜><｜User｜>{prompt}<｜Assistant｜><think>\n`) and
//! as the model's own template (DeepSeek-R1's `tokenizer_config.json`)
//! writes a conversation: the system prompt right after the
//! beginning-of-sentence token, each user turn after `<｜User｜>`, each
//! answer after `<｜Assistant｜>` and closed by `<｜end▁of▁sentence｜>`.
//!
//! Invariants: message text is copied byte for byte; a conversation that
//! ends with the user's turn ends with `<｜Assistant｜><think>\n`, so the
//! model starts by thinking, as DeepSeek advises; one that ends with an
//! assistant message leaves that message open, so the model continues it.
//! Earlier answers carry no thinking (the template drops it, and the caller
//! leaves reasoning out of history).

use bedrock_adapter_kit::request::Turn;
use bedrock_adapter_kit::types::Role;

/// The token that begins the prompt.
pub const BEGIN: &str = "<｜begin▁of▁sentence｜>";
/// The marker before a user turn.
pub const USER: &str = "<｜User｜>";
/// The marker before an answer.
pub const ASSISTANT: &str = "<｜Assistant｜>";
/// The token that closes an answer.
pub const END: &str = "<｜end▁of▁sentence｜>";
/// What opens the model's thinking in a new answer.
pub const THINK: &str = "<think>\n";

/// Renders `turns` (at least one) with the optional `system` prompt.
pub fn render(system: Option<&str>, turns: &[Turn]) -> String {
    let mut prompt = String::from(BEGIN);
    prompt.push_str(system.unwrap_or_default());
    for (index, turn) in turns.iter().enumerate() {
        let last = index + 1 == turns.len();
        match turn.role {
            Role::User => {
                prompt.push_str(USER);
                prompt.push_str(&turn.text);
                if last {
                    prompt.push_str(ASSISTANT);
                    prompt.push_str(THINK);
                }
            }
            Role::Assistant => {
                prompt.push_str(ASSISTANT);
                prompt.push_str(&turn.text);
                if !last {
                    prompt.push_str(END);
                }
            }
        }
    }
    prompt
}

#[cfg(test)]
mod tests {
    use super::*;
    use bedrock_adapter_kit::testing::turn;

    #[test]
    fn aws_example() {
        // AWS's DeepSeek-R1 example, without the newlines its triple-quoted
        // string adds around the prompt.
        let prompt = "Describe the purpose of a 'hello world' program in one line.";
        assert_eq!(
            render(None, &[turn(Role::User, prompt)]),
            format!("<｜begin▁of▁sentence｜><｜User｜>{prompt}<｜Assistant｜><think>\n")
        );
    }

    #[test]
    fn conversation_with_system_prompt_and_prefill() {
        let turns = [
            turn(Role::User, "Name a river."),
            turn(Role::Assistant, "The Nile."),
            turn(Role::User, "And a sea?"),
        ];
        assert_eq!(
            render(Some("Be brief."), &turns),
            "<｜begin▁of▁sentence｜>Be brief.<｜User｜>Name a river.<｜Assistant｜>The Nile.\
             <｜end▁of▁sentence｜><｜User｜>And a sea?<｜Assistant｜><think>\n"
        );
        let prefill = [turn(Role::User, "Hi"), turn(Role::Assistant, "Hello")];
        assert_eq!(
            render(None, &prefill),
            "<｜begin▁of▁sentence｜><｜User｜>Hi<｜Assistant｜>Hello"
        );
    }
}
