//! What the Anthropic plugin must make of each recorded Claude exchange,
//! worked out from Bedrock's JSON alone, in both shapes (Messages API and
//! text completions), as `plugins/anthropic/README.md` says the plugin
//! reads them.
//!
//! Written once: this plugin's native test (`tests/recorded.rs`) compiles
//! this file as its `expected` module, and `bedrock-recorded` compiles it
//! too, so the end-to-end suite holds the `.wasm` component to the same
//! answers. Invariant: [`FAMILY`]'s counts are the numbers of recordings
//! the plugin serves; both suites check exactly these many.

use bedrock_recorded::json::{field_str, field_u32};
use bedrock_recorded::{Answer, Counts, Ending, Family, StopReason};
use serde_json::Value;

/// The Anthropic family.
pub const FAMILY: Family = Family {
    plugin: "anthropic",
    provider: "anthropic.",
    body,
    stream,
    recorded_bodies: 23,
    recorded_streams: 16,
};

/// The stop sequence text completions end a turn with.
const HUMAN_TURN: &str = "\n\nHuman:";

fn body(body: &Value) -> Result<Answer, String> {
    if body.get("completion").is_some() {
        return Ok(Answer {
            text: field_str(body, "/completion")?.to_owned(),
            stop: completion_stop(body),
            ..Answer::default()
        });
    }
    let blocks = body["content"]
        .as_array()
        .ok_or("a message without a `content` list")?;
    let mut text = String::new();
    for block in blocks.iter().filter(|block| block["type"] == "text") {
        text.push_str(field_str(block, "/text")?);
    }
    let usage = match (
        body.pointer("/usage/input_tokens"),
        body.pointer("/usage/output_tokens"),
    ) {
        (Some(_), Some(_)) => Some(Counts {
            input: field_u32(body, "/usage/input_tokens")?,
            output: field_u32(body, "/usage/output_tokens")?,
        }),
        _ => None,
    };
    Ok(Answer {
        text,
        images: 0,
        stop: body["stop_reason"].as_str().map(messages_stop),
        usage,
    })
}

fn stream(chunks: &[Value]) -> Result<Answer, String> {
    let mut answer = Answer::default();
    let mut input = None;
    for chunk in chunks {
        if chunk.get("completion").is_some() {
            answer.text.push_str(field_str(chunk, "/completion")?);
            answer.stop = completion_stop(chunk).or(answer.stop);
            continue;
        }
        match chunk["type"].as_str() {
            Some("message_start") => input = Some(field_u32(chunk, "/message/usage/input_tokens")?),
            Some("content_block_start") if chunk["content_block"]["type"] == "text" => {
                answer
                    .text
                    .push_str(field_str(chunk, "/content_block/text")?);
            }
            Some("content_block_delta") if chunk["delta"]["type"] == "text_delta" => {
                answer.text.push_str(field_str(chunk, "/delta/text")?);
            }
            Some("message_delta") => {
                answer.stop = chunk["delta"]["stop_reason"].as_str().map(messages_stop);
                if chunk.pointer("/usage/output_tokens").is_some() {
                    let output = field_u32(chunk, "/usage/output_tokens")?;
                    let input = input.ok_or("`message_delta` before `message_start`")?;
                    answer.usage = Some(Counts { input, output });
                }
            }
            _ => {}
        }
    }
    if let Some(usage) = &answer.usage {
        agrees_with_metrics(usage, chunks)?;
    }
    Ok(answer)
}

/// The plugin's usage comes from the body. Its input count is Bedrock's
/// own (the README: cache tokens are not added), so it must equal the
/// last chunk's `amazon-bedrock-invocationMetrics`. The output counts
/// agree too, except in streams with a tool call, where Bedrock's metrics
/// were recorded lower than the body's count and the body wins.
fn agrees_with_metrics(usage: &Counts, chunks: &[Value]) -> Result<(), String> {
    let Some(metrics) = bedrock_recorded::shapes::invocation_metrics(chunks)? else {
        return Ok(());
    };
    let calls_tools = chunks.iter().any(|chunk| {
        chunk.pointer("/content_block/type").and_then(Value::as_str) == Some("tool_use")
    });
    if usage.input != metrics.input || (usage.output != metrics.output && !calls_tools) {
        return Err(format!(
            "the body's usage {usage:?} disagrees with the invocation metrics {metrics:?}"
        ));
    }
    Ok(())
}

fn messages_stop(raw: &str) -> Ending {
    let reason = match raw {
        "end_turn" => StopReason::EndTurn,
        "max_tokens" | "model_context_window_exceeded" => StopReason::MaxTokens,
        "stop_sequence" => StopReason::StopSequence,
        "tool_use" => StopReason::ToolUse,
        "refusal" => StopReason::ContentFiltered,
        _ => StopReason::Other,
    };
    Ending::sent(reason, raw)
}

/// A text completion stopped by the built-in `"\n\nHuman:"` ended its
/// turn; otherwise its stop reason reads as a Messages one.
fn completion_stop(chunk: &Value) -> Option<Ending> {
    let raw = chunk["stop_reason"].as_str()?;
    if raw == "stop_sequence" && chunk["stop"] == HUMAN_TURN {
        return Some(Ending::sent(StopReason::EndTurn, raw));
    }
    Some(messages_stop(raw))
}

/// The tool calls a recorded Messages API body holds, in order: each
/// `tool_use` block's name and input.
pub fn body_tool_calls(body: &Value) -> Vec<(String, Value)> {
    body["content"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|block| block["type"] == "tool_use")
        .map(|block| {
            let name = block["name"].as_str().unwrap_or_default().to_owned();
            (name, block["input"].clone())
        })
        .collect()
}

/// The tool calls a recorded Messages API stream holds, in order: each
/// `tool_use` block's name from its `content_block_start`, and its input
/// from the `input_json_delta` fragments of its index, joined (none is
/// `{}`).
pub fn stream_tool_calls(chunks: &[Value]) -> Vec<(String, Value)> {
    let mut calls: Vec<(Value, String, String)> = Vec::new();
    for chunk in chunks {
        match chunk["type"].as_str() {
            Some("content_block_start") if chunk["content_block"]["type"] == "tool_use" => {
                let name = chunk["content_block"]["name"].as_str().unwrap_or_default();
                calls.push((chunk["index"].clone(), name.to_owned(), String::new()));
            }
            Some("content_block_delta") if chunk["delta"]["type"] == "input_json_delta" => {
                let fragment = chunk["delta"]["partial_json"].as_str().unwrap_or_default();
                if let Some((_, _, input)) = calls
                    .iter_mut()
                    .find(|(index, _, _)| *index == chunk["index"])
                {
                    input.push_str(fragment);
                }
            }
            _ => {}
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
