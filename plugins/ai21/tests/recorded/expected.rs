//! What the AI21 plugin must make of each recorded exchange, worked out
//! from Bedrock's JSON alone, as `plugins/ai21/README.md` says the plugin
//! reads it: Jamba's `choices` (no recording exists; the shape tests in
//! `src/response.rs` and `src/stream.rs` cite AI21's documents), and
//! Jurassic-2's `completions`, whose token counts are the lengths of its
//! token lists (equal to Bedrock's token-count headers in the recordings
//! that kept them, which `bedrock-recorded` checks).
//!
//! Written once: this plugin's native test (`tests/recorded.rs`) compiles
//! this file as its `expected` module, and `bedrock-recorded` compiles it
//! too, so the end-to-end suite holds the `.wasm` component to the same
//! answers. Invariant: [`FAMILY`]'s counts are the numbers of recordings
//! the plugin serves (Jurassic-2 never streamed); both suites check
//! exactly these many.

use bedrock_recorded::json::field_str;
use bedrock_recorded::shapes::{chat_completion, chat_completion_stream};
use bedrock_recorded::{Answer, Counts, Ending, Family, StopReason};
use serde_json::Value;

/// The AI21 family.
pub const FAMILY: Family = Family {
    plugin: "ai21",
    provider: "ai21.",
    body,
    stream,
    recorded_bodies: 3,
    recorded_streams: 0,
};

/// Where a Jamba choice holds its stop value.
const REASON_KEYS: &[&str] = &["finish_reason"];

fn body(body: &Value) -> Result<Answer, String> {
    let Some(completions) = body["completions"].as_array() else {
        return chat_completion(body, REASON_KEYS, jamba_stop);
    };
    let mut answer = Answer::default();
    let mut output = Some(0);
    for completion in completions {
        answer.text.push_str(field_str(completion, "/data/text")?);
        let tokens = completion.pointer("/data/tokens").and_then(Value::as_array);
        output = output.zip(tokens).map(|(sum, tokens)| sum + tokens.len());
    }
    answer.stop = body
        .pointer("/completions/0/finishReason/reason")
        .and_then(Value::as_str)
        .map(jurassic2_stop);
    let input = body.pointer("/prompt/tokens").and_then(Value::as_array);
    if let (Some(input), Some(output)) = (input, output) {
        answer.usage = Some(Counts {
            input: u32::try_from(input.len()).map_err(|err| err.to_string())?,
            output: u32::try_from(output).map_err(|err| err.to_string())?,
        });
    }
    Ok(answer)
}

fn stream(chunks: &[Value]) -> Result<Answer, String> {
    chat_completion_stream(chunks, REASON_KEYS, jamba_stop)
}

fn jamba_stop(raw: &str) -> Ending {
    let reason = match raw {
        "stop" => StopReason::EndTurn,
        "length" => StopReason::MaxTokens,
        "tool_calls" => StopReason::ToolUse,
        _ => StopReason::Other,
    };
    Ending::sent(reason, raw)
}

fn jurassic2_stop(raw: &str) -> Ending {
    let reason = match raw {
        "endoftext" => StopReason::EndTurn,
        "length" => StopReason::MaxTokens,
        "stop" => StopReason::StopSequence,
        _ => StopReason::Other,
    };
    Ending::sent(reason, raw)
}
