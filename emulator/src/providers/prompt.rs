//! Prompt-text conventions shared by the families whose bodies carry a raw prompt (Llama,
//! Mistral, Cohere Command, Titan): finding the user's own words inside a chat template, so the
//! generator restates them rather than template markers. Invariant: the result is always a
//! substring of the prompt, trimmed; a prompt with no known template is returned whole.

/// Llama 2 / Mistral instruction markers.
const INST_OPEN: &str = "[INST]";
const INST_CLOSE: &str = "[/INST]";
/// The end of a Llama 2 system block inside an instruction.
const SYSTEM_CLOSE: &str = "<</SYS>>";
/// Where a Llama vision prompt places an image, at the start of a user turn.
const IMAGE_MARKER: &str = "<|image|>";
/// Llama 3 user header and end of turn.
const LLAMA3_USER: &str = "<|start_header_id|>user<|end_header_id|>";
const LLAMA3_END_OF_TURN: &str = "<|eot_id|>";

/// The last user instruction in `prompt`: the text of the last `[INST] ... [/INST]` (after any
/// `<</SYS>>` block), or of the last Llama 3 user turn (after its leading `<|image|>` markers),
/// or the whole prompt.
pub(crate) fn last_user_text(prompt: &str) -> &str {
    if let Some(close) = prompt.rfind(INST_CLOSE) {
        let before = &prompt[..close];
        let instruction = before
            .rfind(INST_OPEN)
            .map_or(before, |open| &before[open + INST_OPEN.len()..]);
        let instruction = instruction
            .rfind(SYSTEM_CLOSE)
            .map_or(instruction, |end| &instruction[end + SYSTEM_CLOSE.len()..]);
        return instruction.trim();
    }
    if let Some(header) = prompt.rfind(LLAMA3_USER) {
        let turn = &prompt[header + LLAMA3_USER.len()..];
        let turn = turn
            .find(LLAMA3_END_OF_TURN)
            .map_or(turn, |end| &turn[..end]);
        return turn.trim().trim_start_matches(IMAGE_MARKER).trim();
    }
    prompt.trim()
}

#[cfg(test)]
mod tests {
    use super::last_user_text;

    #[test]
    fn llama2_and_mistral_instructions_lose_their_markers_and_system_block() {
        let prompt = "<s>[INST] <<SYS>>\nBe helpful.\n<</SYS>>\n\nWrite me a blog. [/INST]";
        assert_eq!(last_user_text(prompt), "Write me a blog.");
        assert_eq!(
            last_user_text("<s>[INST] first [/INST] ok</s>[INST] second [/INST]"),
            "second"
        );
    }

    #[test]
    fn llama3_turns_and_plain_prompts() {
        let prompt = "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi there<|eot_id|>\
                      <|start_header_id|>assistant<|end_header_id|>";
        assert_eq!(last_user_text(prompt), "Hi there");
        assert_eq!(last_user_text("  plain words \n"), "plain words");
        let vision =
            "<|start_header_id|>user<|end_header_id|>\n\n<|image|><|image|>What is it?<|eot_id|>";
        assert_eq!(last_user_text(vision), "What is it?");
    }
}
