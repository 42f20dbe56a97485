//! What the Amazon plugin must make of each recorded Nova and Titan Text
//! exchange, worked out from Bedrock's JSON alone, as
//! `plugins/amazon/README.md` says the plugin reads them. The two shapes
//! are told apart by their keys: Titan's bodies have `results` and its
//! chunks `outputText`.
//!
//! Written once: this plugin's native test (`tests/recorded.rs`) compiles
//! this file as its `expected` module, and `bedrock-recorded` compiles it
//! too, so the end-to-end suite holds the `.wasm` component to the same
//! answers. Invariant: [`FAMILY`]'s counts are the numbers of recordings
//! the plugin serves; both suites check exactly these many.

use bedrock_recorded::json::{field_str, optional_count};
use bedrock_recorded::shapes::agrees_with_metrics;
use bedrock_recorded::{Answer, Counts, Ending, Family, StopReason};
use serde_json::Value;

/// The Amazon family.
pub const FAMILY: Family = Family {
    plugin: "amazon",
    provider: "amazon.",
    body,
    stream,
    recorded_bodies: 21,
    recorded_streams: 19,
};

fn body(body: &Value) -> Result<Answer, String> {
    if let Some(results) = body.get("results") {
        let results = results.as_array().ok_or("`results` is not a list")?;
        let mut text = String::new();
        let mut output = Some(0);
        for result in results {
            text.push_str(field_str(result, "/outputText")?);
            output = output
                .zip(optional_count(result, "/tokenCount")?)
                .map(|(sum, tokens)| sum + tokens);
        }
        return Ok(Answer {
            text,
            images: 0,
            stop: results
                .first()
                .and_then(|result| result["completionReason"].as_str())
                .map(titan_stop),
            usage: counts(optional_count(body, "/inputTextTokenCount")?, output),
        });
    }
    let blocks = body
        .pointer("/output/message/content")
        .and_then(Value::as_array)
        .ok_or("a Nova body without `output.message.content`")?;
    Ok(Answer {
        text: blocks
            .iter()
            .filter_map(|block| block["text"].as_str())
            .collect(),
        images: 0,
        stop: body["stopReason"].as_str().map(nova_stop),
        usage: counts(
            optional_count(body, "/usage/inputTokens")?,
            optional_count(body, "/usage/outputTokens")?,
        ),
    })
}

fn stream(chunks: &[Value]) -> Result<Answer, String> {
    let mut answer = Answer::default();
    if chunks.iter().any(|chunk| chunk.get("outputText").is_some()) {
        // Titan: the input count comes on one chunk, the running output
        // count on another; the first completion reason ends it.
        let (mut input, mut output) = (None, None);
        for chunk in chunks {
            answer
                .text
                .push_str(chunk["outputText"].as_str().unwrap_or_default());
            if answer.stop.is_none() {
                answer.stop = chunk["completionReason"].as_str().map(titan_stop);
            }
            input = optional_count(chunk, "/inputTextTokenCount")?.or(input);
            output = optional_count(chunk, "/totalOutputTextTokenCount")?.or(output);
        }
        answer.usage = counts(input, output);
    } else {
        for chunk in chunks {
            if let Some(text) = chunk.pointer("/contentBlockDelta/delta/text") {
                answer
                    .text
                    .push_str(text.as_str().ok_or("a delta text that is not text")?);
            }
            if let Some(raw) = chunk
                .pointer("/messageStop/stopReason")
                .and_then(Value::as_str)
            {
                answer.stop = Some(nova_stop(raw));
            }
            if chunk.get("metadata").is_some() {
                answer.usage = counts(
                    optional_count(chunk, "/metadata/usage/inputTokens")?,
                    optional_count(chunk, "/metadata/usage/outputTokens")?,
                );
            }
        }
    }
    agrees_with_metrics(answer.usage.as_ref(), chunks)?;
    Ok(answer)
}

fn counts(input: Option<u32>, output: Option<u32>) -> Option<Counts> {
    input
        .zip(output)
        .map(|(input, output)| Counts { input, output })
}

fn nova_stop(raw: &str) -> Ending {
    let reason = match raw {
        "end_turn" => StopReason::EndTurn,
        "max_tokens" | "model_context_window_exceeded" => StopReason::MaxTokens,
        "stop_sequence" => StopReason::StopSequence,
        "tool_use" => StopReason::ToolUse,
        "content_filtered" | "guardrail_intervened" => StopReason::ContentFiltered,
        _ => StopReason::Other,
    };
    Ending::sent(reason, raw)
}

fn titan_stop(raw: &str) -> Ending {
    let reason = match raw {
        "FINISH" | "FINISHED" => StopReason::EndTurn,
        "LENGTH" => StopReason::MaxTokens,
        "STOP_CRITERIA_MET" => StopReason::StopSequence,
        "CONTENT_FILTERED" => StopReason::ContentFiltered,
        _ => StopReason::Other,
    };
    Ending::sent(reason, raw)
}

/// The tool calls a recorded Nova body holds, in order: each `toolUse`
/// block's name and input.
pub fn body_tool_calls(body: &Value) -> Vec<(String, Value)> {
    body.pointer("/output/message/content")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|block| block.get("toolUse"))
        .map(|call| {
            let name = call["name"].as_str().unwrap_or_default().to_owned();
            (name, call["input"].clone())
        })
        .collect()
}

/// The tool calls a recorded Nova stream holds, in order: each tool call's
/// name from its `contentBlockStart`, its input from the `toolUse` deltas of
/// its block, joined (none is `{}`).
pub fn stream_tool_calls(chunks: &[Value]) -> Vec<(String, Value)> {
    let mut calls: Vec<(Value, String, String)> = Vec::new();
    for chunk in chunks {
        let start = chunk.get("contentBlockStart");
        let name = start.and_then(|start| start.pointer("/start/toolUse/name"));
        if let (Some(start), Some(name)) = (start, name.and_then(Value::as_str)) {
            calls.push((
                start["contentBlockIndex"].clone(),
                name.to_owned(),
                String::new(),
            ));
        }
        if let Some(delta) = chunk.get("contentBlockDelta") {
            let fragment = delta
                .pointer("/delta/toolUse/input")
                .and_then(Value::as_str);
            let call = calls
                .iter_mut()
                .find(|(index, _, _)| *index == delta["contentBlockIndex"]);
            if let (Some(fragment), Some((_, _, input))) = (fragment, call) {
                input.push_str(fragment);
            }
        }
    }
    calls
        .into_iter()
        .map(|(_, name, input)| {
            let input = if input.is_empty() {
                Value::Object(serde_json::Map::new())
            } else {
                serde_json::from_str(&input).unwrap_or(Value::Null)
            };
            (name, input)
        })
        .collect()
}
