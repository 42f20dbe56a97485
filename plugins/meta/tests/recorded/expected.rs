//! What the Meta plugin must make of each recorded Llama exchange, worked
//! out from Bedrock's JSON alone, as `plugins/meta/README.md` says the
//! plugin reads it: `generation`, `stop_reason`, and the counts, which a
//! stream sends as the input count in its first chunk and a running output
//! count (and which must equal Bedrock's invocation metrics).
//!
//! Written once: this plugin's native test (`tests/recorded.rs`) compiles
//! this file as its `expected` module, and `bedrock-recorded` compiles it
//! too, so the end-to-end suite holds the `.wasm` component to the same
//! answers. Invariant: [`FAMILY`]'s counts are the numbers of recordings
//! the plugin serves; both suites check exactly these many.

use bedrock_recorded::json::{field_str, field_u32};
use bedrock_recorded::shapes::agrees_with_metrics;
use bedrock_recorded::{Answer, Counts, Ending, Family, StopReason};
use serde_json::Value;

/// The Meta family.
pub const FAMILY: Family = Family {
    plugin: "meta",
    provider: "meta.",
    body,
    stream,
    recorded_bodies: 9,
    recorded_streams: 3,
};

fn body(body: &Value) -> Result<Answer, String> {
    let usage = match (
        body["prompt_token_count"].is_null(),
        body["generation_token_count"].is_null(),
    ) {
        (false, false) => Some(Counts {
            input: field_u32(body, "/prompt_token_count")?,
            output: field_u32(body, "/generation_token_count")?,
        }),
        _ => None,
    };
    Ok(Answer {
        text: field_str(body, "/generation")?.to_owned(),
        images: 0,
        stop: body["stop_reason"].as_str().map(stop),
        usage,
    })
}

fn stream(chunks: &[Value]) -> Result<Answer, String> {
    let mut answer = Answer::default();
    let (mut input, mut output) = (None, None);
    for chunk in chunks {
        if !chunk["generation"].is_null() {
            answer.text.push_str(field_str(chunk, "/generation")?);
        }
        if !chunk["prompt_token_count"].is_null() {
            input = Some(field_u32(chunk, "/prompt_token_count")?);
        }
        if !chunk["generation_token_count"].is_null() {
            output = Some(field_u32(chunk, "/generation_token_count")?);
        }
        if let Some(raw) = chunk["stop_reason"].as_str() {
            answer.stop = Some(stop(raw));
        }
    }
    if let (Some(input), Some(output)) = (input, output) {
        answer.usage = Some(Counts { input, output });
    }
    agrees_with_metrics(answer.usage.as_ref(), chunks)?;
    Ok(answer)
}

fn stop(raw: &str) -> Ending {
    let reason = match raw {
        "stop" => StopReason::EndTurn,
        "length" => StopReason::MaxTokens,
        _ => StopReason::Other,
    };
    Ending::sent(reason, raw)
}
