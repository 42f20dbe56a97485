//! What the Mistral plugin must make of each recorded Mistral AI exchange,
//! worked out from Bedrock's JSON alone, as `plugins/mistral/README.md`
//! says the plugin reads it: text completion `outputs` (the recorded
//! Mistral 7B traffic, which has no token counts, so no usage) or chat
//! completion `choices`.
//!
//! Written once: this plugin's native test (`tests/recorded.rs`) compiles
//! this file as its `expected` module, and `bedrock-recorded` compiles it
//! too, so the end-to-end suite holds the `.wasm` component to the same
//! answers. Invariant: [`FAMILY`]'s counts are the numbers of recordings
//! the plugin serves; both suites check exactly these many.

use bedrock_recorded::json::field_str;
use bedrock_recorded::shapes::{chat_completion, chat_completion_stream};
use bedrock_recorded::{Answer, Ending, Family, StopReason};
use serde_json::Value;

/// The Mistral family.
pub const FAMILY: Family = Family {
    plugin: "mistral",
    provider: "mistral.",
    body,
    stream,
    recorded_bodies: 3,
    recorded_streams: 1,
};

/// Where a chat completion's choice holds its stop value.
const REASON_KEYS: &[&str] = &["finish_reason", "stop_reason"];

fn body(body: &Value) -> Result<Answer, String> {
    let Some(outputs) = body["outputs"].as_array() else {
        return chat_completion(body, REASON_KEYS, stop);
    };
    let mut answer = Answer::default();
    for output in outputs {
        answer.text.push_str(field_str(output, "/text")?);
    }
    answer.stop = body
        .pointer("/outputs/0/stop_reason")
        .and_then(Value::as_str)
        .map(stop);
    Ok(answer)
}

fn stream(chunks: &[Value]) -> Result<Answer, String> {
    if chunks.iter().any(|chunk| chunk.get("choices").is_some()) {
        return chat_completion_stream(chunks, REASON_KEYS, stop);
    }
    let mut answer = Answer::default();
    for chunk in chunks {
        if chunk.pointer("/outputs/0").is_some() {
            answer.text.push_str(field_str(chunk, "/outputs/0/text")?);
        }
        if let Some(raw) = chunk
            .pointer("/outputs/0/stop_reason")
            .and_then(Value::as_str)
        {
            answer.stop = Some(stop(raw));
        }
    }
    Ok(answer)
}

fn stop(raw: &str) -> Ending {
    let reason = match raw {
        "stop" => StopReason::EndTurn,
        "length" | "model_length" => StopReason::MaxTokens,
        "tool_calls" => StopReason::ToolUse,
        _ => StopReason::Other,
    };
    Ending::sent(reason, raw)
}
