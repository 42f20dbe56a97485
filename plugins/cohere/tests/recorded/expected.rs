//! What the Cohere plugin must make of each recorded Command and Command R
//! exchange, worked out from Bedrock's JSON alone, as
//! `plugins/cohere/README.md` says the plugin reads them: no usage (no
//! recorded Cohere body carries token counts), and a stream's generations
//! each kept whole, in generation order.
//!
//! Written once: this plugin's native test (`tests/recorded.rs`) compiles
//! this file as its `expected` module, and `bedrock-recorded` compiles it
//! too, so the end-to-end suite holds the `.wasm` component to the same
//! answers. Invariant: [`FAMILY`]'s counts are the numbers of recordings
//! the plugin serves; both suites check exactly these many.

use std::collections::BTreeMap;

use bedrock_recorded::json::field_str;
use bedrock_recorded::{Answer, Ending, Family, StopReason};
use serde_json::Value;

/// The Cohere family.
pub const FAMILY: Family = Family {
    plugin: "cohere",
    provider: "cohere.",
    body,
    stream,
    recorded_bodies: 8,
    recorded_streams: 4,
};

fn body(body: &Value) -> Result<Answer, String> {
    if let Some(generations) = body.get("generations") {
        return generations_answer(generations);
    }
    Ok(Answer {
        text: field_str(body, "/text")?.to_owned(),
        stop: body["finish_reason"].as_str().map(stop),
        ..Answer::default()
    })
}

fn stream(chunks: &[Value]) -> Result<Answer, String> {
    let mut by_generation: BTreeMap<u64, String> = BTreeMap::new();
    let mut ending = None;
    for chunk in chunks {
        if let Some(generations) = chunk.get("generations") {
            // A whole response as one chunk (no `stream: true` asked).
            let whole = generations_answer(generations)?;
            by_generation.entry(0).or_default().push_str(&whole.text);
            ending = ending.or(whole.stop);
        } else if let Some(event_type) = chunk["event_type"].as_str() {
            match event_type {
                "text-generation" => by_generation
                    .entry(0)
                    .or_default()
                    .push_str(field_str(chunk, "/text")?),
                "stream-end" => {
                    ending = ending.or_else(|| chunk["finish_reason"].as_str().map(stop));
                }
                _ => {}
            }
        } else if chunk["is_finished"] == true {
            ending = ending.or_else(|| chunk["finish_reason"].as_str().map(stop));
        } else {
            let index = chunk["index"].as_u64().unwrap_or(0);
            by_generation
                .entry(index)
                .or_default()
                .push_str(field_str(chunk, "/text")?);
        }
    }
    Ok(Answer {
        text: by_generation.into_values().collect(),
        stop: ending,
        ..Answer::default()
    })
}

/// Every generation's text in order; the first one's finish reason.
fn generations_answer(generations: &Value) -> Result<Answer, String> {
    let generations = generations
        .as_array()
        .ok_or("`generations` is not a list")?;
    let mut text = String::new();
    for generation in generations {
        text.push_str(field_str(generation, "/text")?);
    }
    Ok(Answer {
        text,
        stop: generations
            .first()
            .and_then(|generation| generation["finish_reason"].as_str())
            .map(stop),
        ..Answer::default()
    })
}

fn stop(raw: &str) -> Ending {
    let reason = match raw {
        "COMPLETE" => StopReason::EndTurn,
        "MAX_TOKENS" | "ERROR_LIMIT" => StopReason::MaxTokens,
        "STOP_SEQUENCE" => StopReason::StopSequence,
        "TOOL_CALL" => StopReason::ToolUse,
        "ERROR_TOXIC" => StopReason::ContentFiltered,
        _ => StopReason::Other,
    };
    Ending::sent(reason, raw)
}
