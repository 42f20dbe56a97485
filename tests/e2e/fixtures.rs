//! Recorded Bedrock traffic through the real plugins. Every 200 response and
//! stream in the shared fixtures (`tests/fixtures/bedrock`, see its
//! README) whose model id routes to an installed plugin is run through that
//! plugin's `.wasm`, fed as the host feeds it (the body as recorded; for a
//! stream, each frame's base64 `bytes` decoded), and what the plugin made of
//! it is compared with what the raw recorded JSON says, worked out here by
//! the plugin family's own expectation function in `FAMILIES`.
//!
//! Invariant: nothing that routes to a plugin goes unchecked. An exchange
//! whose plugin has no entry in `FAMILIES` fails the test, and each entry
//! states how many exchanges of each kind it must check, so the test cannot
//! pass by finding nothing. Exchanges no installed plugin serves are skipped
//! and counted.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use bedrock_host::model_id::ModelId;
use bedrock_host::plugin::{
    CompileCache, Event, LoadedPlugin, Output, PluginRegistry, PluginRuntime, PluginSources,
    Response, RouteError, SandboxLimits, StopReason,
};
use serde::Deserialize;
use serde_json::Value;

use crate::support::plugins_dir;

/// Overrides where the recorded traffic is read from.
const FIXTURES_ENV: &str = "BEDROCK_HOST_FIXTURES";

/// The folders of VCR cassettes holding non-streamed exchanges.
const CASSETTE_DIRS: &[&str] = &["otel-python-contrib", "openllmetry", "dd-trace-py"];

/// New Relic's response bodies and streams, as JSON.
const NEW_RELIC: &str =
    "newrelic-python-agent/_mock_external_bedrock_server_invoke_model.extracted.json";

/// The recent non-streamed langchaingo responses, as JSON.
const LANGCHAINGO: &str = "langchaingo/TestAmazonOutputLegacyAPI.selected-records.json";

/// The list of every recorded invocation, streams with their decoded frames.
const STREAM_INDEX: &str = "decoded/INDEX.json";

// ---------------------------------------------------------------------------
// What a plugin made of an exchange, in one comparable shape.

/// A stop reason with the raw value beside it.
#[derive(Debug, PartialEq)]
struct Ending {
    reason: StopReason,
    raw: Option<String>,
}

/// Input and output token counts.
#[derive(Debug, PartialEq)]
struct Counts {
    input: u32,
    output: u32,
}

/// An answer: all its text joined in order, how many images, why it
/// stopped and what it cost. Both the plugin's result and the expectation
/// are put in this shape.
#[derive(Debug, PartialEq)]
struct Answer {
    text: String,
    images: usize,
    stop: Option<Ending>,
    usage: Option<Counts>,
}

impl Answer {
    fn of_response(response: Response) -> Self {
        let mut answer = Self::empty();
        for output in response.outputs {
            match output {
                Output::Text(text) => answer.text.push_str(&text),
                Output::Image(_) => answer.images += 1,
            }
        }
        answer.stop = response.stop.map(|stop| Ending {
            reason: stop.reason,
            raw: stop.raw,
        });
        answer.usage = response.usage.map(|usage| Counts {
            input: usage.input_tokens,
            output: usage.output_tokens,
        });
        answer
    }

    /// The answer a stream's events add up to; a stream ends once, so a
    /// second stop or usage event is an error.
    fn of_events(events: Vec<Event>) -> Result<Self, String> {
        let mut answer = Self::empty();
        for event in events {
            match event {
                Event::Text(text) => answer.text.push_str(&text),
                Event::Stop(stop) => {
                    let ending = Ending {
                        reason: stop.reason,
                        raw: stop.raw,
                    };
                    if let Some(first) = answer.stop.replace(ending) {
                        return Err(format!("a second stop event, after {first:?}"));
                    }
                }
                Event::Usage(usage) => {
                    let counts = Counts {
                        input: usage.input_tokens,
                        output: usage.output_tokens,
                    };
                    if let Some(first) = answer.usage.replace(counts) {
                        return Err(format!("a second usage event, after {first:?}"));
                    }
                }
            }
        }
        Ok(answer)
    }

    fn empty() -> Self {
        Self {
            text: String::new(),
            images: 0,
            stop: None,
            usage: None,
        }
    }
}

// ---------------------------------------------------------------------------
// The expectation functions, one entry per plugin family.

/// How to check one plugin against recorded traffic.
struct Family {
    /// The plugin's name, as it describes itself.
    plugin: &'static str,
    /// The answer a non-streamed body holds.
    body: fn(&Value) -> Result<Answer, String>,
    /// The answer a stream's chunks (model JSON, in order) add up to.
    stream: fn(&[Value]) -> Result<Answer, String>,
    /// How many recorded bodies and streams must be checked at least: the
    /// numbers in the fixtures when the entry was written.
    min_bodies: usize,
    min_streams: usize,
}

const FAMILIES: &[Family] = &[
    Family {
        plugin: "anthropic",
        body: anthropic::body,
        stream: anthropic::stream,
        min_bodies: 23,
        min_streams: 16,
    },
    Family {
        plugin: "amazon",
        body: amazon::body,
        stream: amazon::stream,
        min_bodies: 21,
        min_streams: 19,
    },
    Family {
        plugin: "cohere",
        body: cohere::body,
        stream: cohere::stream,
        min_bodies: 8,
        min_streams: 4,
    },
    Family {
        plugin: "meta",
        body: meta::body,
        stream: meta::stream,
        min_bodies: 9,
        min_streams: 3,
    },
    Family {
        plugin: "mistral",
        body: mistral::body,
        stream: mistral::stream,
        min_bodies: 3,
        min_streams: 1,
    },
    Family {
        plugin: "ai21",
        body: ai21::body,
        stream: ai21::stream,
        min_bodies: 3,
        min_streams: 0,
    },
];

fn family(plugin: &str) -> Option<&'static Family> {
    FAMILIES.iter().find(|family| family.plugin == plugin)
}

/// Claude on Bedrock, in both shapes (Messages API and text completions),
/// as `plugins/anthropic/README.md` says the plugin reads them.
mod anthropic {
    use serde_json::Value;

    use super::{Answer, Counts, Ending, StopReason, field_str, field_u32};

    /// The stop sequence text completions end a turn with.
    const HUMAN_TURN: &str = "\n\nHuman:";

    pub fn body(body: &Value) -> Result<Answer, String> {
        if body.get("completion").is_some() {
            return Ok(Answer {
                text: field_str(body, "/completion")?.to_owned(),
                images: 0,
                stop: completion_stop(body)?,
                usage: None,
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

    pub fn stream(chunks: &[Value]) -> Result<Answer, String> {
        let mut answer = Answer::empty();
        let mut input = None;
        for chunk in chunks {
            if chunk.get("completion").is_some() {
                answer.text.push_str(field_str(chunk, "/completion")?);
                answer.stop = completion_stop(chunk)?.or(answer.stop);
                continue;
            }
            match chunk["type"].as_str() {
                Some("message_start") => {
                    input = Some(field_u32(chunk, "/message/usage/input_tokens")?)
                }
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
        let Some(metrics) = chunks
            .last()
            .and_then(|last| last.get("amazon-bedrock-invocationMetrics"))
        else {
            return Ok(());
        };
        let input = field_u32(metrics, "/inputTokenCount")?;
        let output = field_u32(metrics, "/outputTokenCount")?;
        let calls_tools = chunks.iter().any(|chunk| {
            chunk.pointer("/content_block/type").and_then(Value::as_str) == Some("tool_use")
        });
        if usage.input != input || (usage.output != output && !calls_tools) {
            return Err(format!(
                "the body's usage {usage:?} disagrees with the invocation metrics {metrics}"
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
        Ending {
            reason,
            raw: Some(raw.to_owned()),
        }
    }

    /// A text completion stopped by the built-in `"\n\nHuman:"` ended its
    /// turn; otherwise its stop reason reads as a Messages one.
    fn completion_stop(chunk: &Value) -> Result<Option<Ending>, String> {
        let Some(raw) = chunk["stop_reason"].as_str() else {
            return Ok(None);
        };
        if raw == "stop_sequence" && chunk["stop"] == HUMAN_TURN {
            return Ok(Some(Ending {
                reason: StopReason::EndTurn,
                raw: Some(raw.to_owned()),
            }));
        }
        Ok(Some(messages_stop(raw)))
    }
}

/// Nova and Titan Text on Bedrock, as `plugins/amazon/README.md` says the
/// plugin reads them. The two shapes are told apart by their keys: Titan's
/// bodies have `results` and its chunks `outputText`.
mod amazon {
    use serde_json::Value;

    use super::{Answer, Counts, Ending, StopReason, field_str};

    pub fn body(body: &Value) -> Result<Answer, String> {
        if let Some(results) = body.get("results") {
            let results = results.as_array().ok_or("`results` is not a list")?;
            let mut text = String::new();
            let mut output = Some(0);
            for result in results {
                text.push_str(field_str(result, "/outputText")?);
                output = output
                    .zip(count(result, "/tokenCount")?)
                    .map(|(sum, tokens)| sum + tokens);
            }
            return Ok(Answer {
                text,
                images: 0,
                stop: results
                    .first()
                    .and_then(|result| result["completionReason"].as_str())
                    .map(titan_stop),
                usage: counts(count(body, "/inputTextTokenCount")?, output),
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
                count(body, "/usage/inputTokens")?,
                count(body, "/usage/outputTokens")?,
            ),
        })
    }

    pub fn stream(chunks: &[Value]) -> Result<Answer, String> {
        let mut answer = Answer::empty();
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
                input = count(chunk, "/inputTextTokenCount")?.or(input);
                output = count(chunk, "/totalOutputTextTokenCount")?.or(output);
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
                        count(chunk, "/metadata/usage/inputTokens")?,
                        count(chunk, "/metadata/usage/outputTokens")?,
                    );
                }
            }
        }
        if let (Some(usage), Some(metrics)) = (&answer.usage, metrics(chunks)?)
            && *usage != metrics
        {
            return Err(format!(
                "the body's usage {usage:?} disagrees with the invocation metrics {metrics:?}"
            ));
        }
        Ok(answer)
    }

    /// A token count; Titan writes some as floats (`28.0`).
    fn count(value: &Value, pointer: &str) -> Result<Option<u32>, String> {
        let Some(number) = value.pointer(pointer).filter(|n| !n.is_null()) else {
            return Ok(None);
        };
        number
            .as_f64()
            .filter(|n| n.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(n))
            .map(|n| Some(n as u32))
            .ok_or_else(|| format!("no token count at `{pointer}` in {value}"))
    }

    fn counts(input: Option<u32>, output: Option<u32>) -> Option<Counts> {
        input
            .zip(output)
            .map(|(input, output)| Counts { input, output })
    }

    /// Bedrock's own counts in the last chunk: the body's must equal them.
    fn metrics(chunks: &[Value]) -> Result<Option<Counts>, String> {
        let Some(metrics) = chunks
            .last()
            .and_then(|last| last.get("amazon-bedrock-invocationMetrics"))
        else {
            return Ok(None);
        };
        Ok(counts(
            count(metrics, "/inputTokenCount")?,
            count(metrics, "/outputTokenCount")?,
        ))
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
        Ending {
            reason,
            raw: Some(raw.to_owned()),
        }
    }

    fn titan_stop(raw: &str) -> Ending {
        let reason = match raw {
            "FINISH" | "FINISHED" => StopReason::EndTurn,
            "LENGTH" => StopReason::MaxTokens,
            "STOP_CRITERIA_MET" => StopReason::StopSequence,
            "CONTENT_FILTERED" => StopReason::ContentFiltered,
            _ => StopReason::Other,
        };
        Ending {
            reason,
            raw: Some(raw.to_owned()),
        }
    }
}

/// Command and Command R on Bedrock, as `plugins/cohere/README.md` says the
/// plugin reads them: no usage (no Cohere body carries counts), and a
/// stream's generations each whole, in generation order.
mod cohere {
    use std::collections::BTreeMap;

    use serde_json::Value;

    use super::{Answer, Ending, StopReason, field_str};

    pub fn body(body: &Value) -> Result<Answer, String> {
        if let Some(generations) = body.get("generations") {
            return generations_answer(generations);
        }
        Ok(Answer {
            text: field_str(body, "/text")?.to_owned(),
            images: 0,
            stop: body["finish_reason"].as_str().map(stop),
            usage: None,
        })
    }

    pub fn stream(chunks: &[Value]) -> Result<Answer, String> {
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
            images: 0,
            stop: ending,
            usage: None,
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
            images: 0,
            stop: generations
                .first()
                .and_then(|generation| generation["finish_reason"].as_str())
                .map(stop),
            usage: None,
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
        Ending {
            reason,
            raw: Some(raw.to_owned()),
        }
    }
}

/// Meta Llama on Bedrock, as `plugins/meta/README.md` says the plugin reads
/// it: `generation`, `stop_reason`, and the counts, which a stream sends as
/// the input count in its first chunk and a running output count.
mod meta {
    use serde_json::Value;

    use super::{Answer, Counts, Ending, StopReason, field_str, field_u32};

    pub fn body(body: &Value) -> Result<Answer, String> {
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

    pub fn stream(chunks: &[Value]) -> Result<Answer, String> {
        let mut answer = Answer::empty();
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
        super::metrics::agree(answer.usage.as_ref(), chunks)?;
        Ok(answer)
    }

    fn stop(raw: &str) -> Ending {
        let reason = match raw {
            "stop" => StopReason::EndTurn,
            "length" => StopReason::MaxTokens,
            _ => StopReason::Other,
        };
        Ending {
            reason,
            raw: Some(raw.to_owned()),
        }
    }
}

/// Mistral AI on Bedrock, as `plugins/mistral/README.md` says the plugin
/// reads it: text completion `outputs` (the recorded Mistral 7B traffic,
/// which has no token counts) or chat completion `choices`.
mod mistral {
    use serde_json::Value;

    use super::{Answer, Ending, StopReason, chat_completions, field_str};

    pub fn body(body: &Value) -> Result<Answer, String> {
        let Some(outputs) = body["outputs"].as_array() else {
            return chat_completions::answer(body, &["finish_reason", "stop_reason"], stop);
        };
        let mut answer = Answer::empty();
        for output in outputs {
            answer.text.push_str(field_str(output, "/text")?);
        }
        answer.stop = body
            .pointer("/outputs/0/stop_reason")
            .and_then(Value::as_str)
            .map(stop);
        Ok(answer)
    }

    pub fn stream(chunks: &[Value]) -> Result<Answer, String> {
        if chunks.iter().any(|chunk| chunk.get("choices").is_some()) {
            return chat_completions::stream(chunks, &["finish_reason", "stop_reason"], stop);
        }
        let mut answer = Answer::empty();
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
        Ending {
            reason,
            raw: Some(raw.to_owned()),
        }
    }
}

/// AI21 on Bedrock, as `plugins/ai21/README.md` says the plugin reads it:
/// Jamba's `choices` (no recording exists), and Jurassic-2's `completions`,
/// whose token counts are the lengths of its token lists (equal to
/// Bedrock's token-count headers in the recordings that kept them).
mod ai21 {
    use serde_json::Value;

    use super::{Answer, Counts, Ending, StopReason, chat_completions, field_str};

    pub fn body(body: &Value) -> Result<Answer, String> {
        let Some(completions) = body["completions"].as_array() else {
            return chat_completions::answer(body, &["finish_reason"], jamba_stop);
        };
        let mut answer = Answer::empty();
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
                input: u32::try_from(input.len()).map_err(|e| e.to_string())?,
                output: u32::try_from(output).map_err(|e| e.to_string())?,
            });
        }
        Ok(answer)
    }

    pub fn stream(chunks: &[Value]) -> Result<Answer, String> {
        chat_completions::stream(chunks, &["finish_reason"], jamba_stop)
    }

    fn jamba_stop(raw: &str) -> Ending {
        let reason = match raw {
            "stop" => StopReason::EndTurn,
            "length" => StopReason::MaxTokens,
            "tool_calls" => StopReason::ToolUse,
            _ => StopReason::Other,
        };
        Ending {
            reason,
            raw: Some(raw.to_owned()),
        }
    }

    fn jurassic2_stop(raw: &str) -> Ending {
        let reason = match raw {
            "endoftext" => StopReason::EndTurn,
            "length" => StopReason::MaxTokens,
            "stop" => StopReason::StopSequence,
            _ => StopReason::Other,
        };
        Ending {
            reason,
            raw: Some(raw.to_owned()),
        }
    }
}

/// The chat-completion shape that Mistral Large 2 and later and Jamba
/// share, read as their plugins' READMEs say.
mod chat_completions {
    use serde_json::Value;

    use super::{Answer, Counts, Ending, field_u32, metrics};

    /// A body: the text of every choice's message, the first choice's stop
    /// reason under the first of `reason_keys` it has, and
    /// `usage.prompt_tokens` / `usage.completion_tokens`.
    pub fn answer(
        body: &Value,
        reason_keys: &[&str],
        stop: fn(&str) -> Ending,
    ) -> Result<Answer, String> {
        let choices = body["choices"]
            .as_array()
            .ok_or("neither a prompt-completion nor a chat-completion body")?;
        let mut answer = Answer::empty();
        for choice in choices {
            if let Some(text) = choice.pointer("/message/content").and_then(Value::as_str) {
                answer.text.push_str(text);
            }
        }
        answer.stop = choices
            .first()
            .and_then(|choice| reason_keys.iter().find_map(|key| choice[*key].as_str()))
            .map(stop);
        answer.usage = usage(body)?;
        Ok(answer)
    }

    /// A stream: the first choice's `delta` (or `message`) text and stop
    /// reason, and the last `usage` sent.
    pub fn stream(
        chunks: &[Value],
        reason_keys: &[&str],
        stop: fn(&str) -> Ending,
    ) -> Result<Answer, String> {
        let mut answer = Answer::empty();
        for chunk in chunks {
            if let Some(counts) = usage(chunk)? {
                answer.usage = Some(counts);
            }
            let Some(choice) = chunk["choices"].as_array().and_then(|choices| {
                choices
                    .iter()
                    .find(|choice| choice["index"].as_u64().unwrap_or(0) == 0)
            }) else {
                continue;
            };
            let text = ["/delta/content", "/message/content"]
                .iter()
                .find_map(|pointer| choice.pointer(pointer).and_then(Value::as_str));
            answer.text.push_str(text.unwrap_or_default());
            if let Some(raw) = reason_keys.iter().find_map(|key| choice[*key].as_str()) {
                answer.stop = Some(stop(raw));
            }
        }
        metrics::agree(answer.usage.as_ref(), chunks)?;
        Ok(answer)
    }

    fn usage(value: &Value) -> Result<Option<Counts>, String> {
        match (
            value.pointer("/usage/prompt_tokens"),
            value.pointer("/usage/completion_tokens"),
        ) {
            (Some(_), Some(_)) => Ok(Some(Counts {
                input: field_u32(value, "/usage/prompt_tokens")?,
                output: field_u32(value, "/usage/completion_tokens")?,
            })),
            _ => Ok(None),
        }
    }
}

/// Bedrock's own count of a stream, for families whose chunks carry usage.
mod metrics {
    use serde_json::Value;

    use super::{Counts, field_u32};

    /// Usage read from a stream's chunks must equal the last chunk's
    /// `amazon-bedrock-invocationMetrics`, when both are there.
    pub fn agree(usage: Option<&Counts>, chunks: &[Value]) -> Result<(), String> {
        let metrics = chunks
            .last()
            .and_then(|last| last.get("amazon-bedrock-invocationMetrics"));
        let (Some(usage), Some(metrics)) = (usage, metrics) else {
            return Ok(());
        };
        let bedrock = Counts {
            input: field_u32(metrics, "/inputTokenCount")?,
            output: field_u32(metrics, "/outputTokenCount")?,
        };
        if *usage == bedrock {
            Ok(())
        } else {
            Err(format!(
                "the chunks' usage {usage:?} disagrees with the invocation metrics {metrics}"
            ))
        }
    }
}

/// The string at `pointer`, or why there is none.
fn field_str<'a>(value: &'a Value, pointer: &str) -> Result<&'a str, String> {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("no string at `{pointer}` in {value}"))
}

/// The token count at `pointer`, or why there is none.
fn field_u32(value: &Value, pointer: &str) -> Result<u32, String> {
    value
        .pointer(pointer)
        .and_then(Value::as_u64)
        .and_then(|n| u32::try_from(n).ok())
        .ok_or_else(|| format!("no token count at `{pointer}` in {value}"))
}

// ---------------------------------------------------------------------------
// Reading the recordings.

/// One recorded 200 exchange.
struct Exchange<T> {
    /// The fixture file and the interaction in it, for failure messages.
    origin: String,
    /// The model id as it was in the request path, percent-decoded.
    model_id: String,
    /// The body bytes, or the stream's chunks of model JSON.
    recorded: T,
}

fn fixtures_dir() -> PathBuf {
    let dir = std::env::var_os(FIXTURES_ENV)
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/bedrock")
        });
    assert!(
        dir.join(STREAM_INDEX).is_file(),
        "no recorded Bedrock traffic at {} (set {FIXTURES_ENV} to the fixtures folder)",
        dir.display()
    );
    dir
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: not JSON: {e}", path.display()))
}

/// `https://host/model/<id>/<operation>` → the decoded id and the operation.
fn model_in_path(uri: &str) -> Option<(String, &str)> {
    let (_, rest) = uri.split_once("/model/")?;
    let (id, operation) = rest.rsplit_once('/')?;
    let id = percent_encoding::percent_decode_str(id)
        .decode_utf8()
        .ok()?;
    Some((id.into_owned(), operation))
}

/// A VCR cassette, as far as this test reads it.
#[derive(Deserialize)]
struct Cassette {
    interactions: Vec<Interaction>,
}

#[derive(Deserialize)]
struct Interaction {
    request: CassetteRequest,
    response: CassetteResponse,
}

#[derive(Deserialize)]
struct CassetteRequest {
    uri: String,
}

#[derive(Deserialize)]
struct CassetteResponse {
    status: CassetteStatus,
    /// `{string: ...}`; streams hold `!!binary` there, and a few errors none.
    body: Option<serde_norway::Value>,
}

#[derive(Deserialize)]
struct CassetteStatus {
    code: u16,
}

/// Every non-streamed 200 body: the cassettes, New Relic's, langchaingo's.
fn recorded_bodies(root: &Path) -> Vec<Exchange<Vec<u8>>> {
    let mut bodies = Vec::new();
    for dir in CASSETTE_DIRS {
        let mut files: Vec<PathBuf> = std::fs::read_dir(root.join(dir))
            .unwrap_or_else(|e| panic!("{dir}: {e}"))
            .map(|entry| entry.expect("a readable folder entry").path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "yaml"))
            .collect();
        files.sort();
        for file in files {
            bodies.extend(cassette_bodies(root, &file));
        }
    }
    bodies.extend(new_relic_bodies(root));
    bodies.extend(langchaingo_bodies(root));
    bodies
}

fn cassette_bodies(root: &Path, file: &Path) -> Vec<Exchange<Vec<u8>>> {
    let name = file
        .strip_prefix(root)
        .unwrap_or(file)
        .display()
        .to_string();
    let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{name}: {e}"));
    let cassette: Cassette =
        serde_norway::from_str(&text).unwrap_or_else(|e| panic!("{name}: not a cassette: {e}"));
    let mut bodies = Vec::new();
    for (index, interaction) in cassette.interactions.into_iter().enumerate() {
        let origin = format!("{name}, interaction {index}");
        let Some((model_id, "invoke")) = model_in_path(&interaction.request.uri) else {
            continue;
        };
        if interaction.response.status.code != 200 {
            continue;
        }
        let body = interaction
            .response
            .body
            .as_ref()
            .and_then(|body| body.get("string"))
            .and_then(serde_norway::Value::as_str)
            .unwrap_or_else(|| panic!("{origin}: the 200 body is not text"));
        bodies.push(Exchange {
            origin,
            model_id,
            recorded: body.as_bytes().to_vec(),
        });
    }
    bodies
}

/// New Relic's `RESPONSES`: `"<model id in path>::<prompt>"` →
/// `[headers, status, body as JSON]`. Its `Malformed Body` entries are
/// New Relic's own deliberately broken test inputs, not recordings.
fn new_relic_bodies(root: &Path) -> Vec<Exchange<Vec<u8>>> {
    let all = read_json(&root.join(NEW_RELIC));
    let responses = all["RESPONSES"]
        .as_object()
        .expect("New Relic's RESPONSES is an object");
    let mut bodies = Vec::new();
    for (key, entry) in responses {
        let origin = format!("{NEW_RELIC}, RESPONSES[{key:?}]");
        let (encoded, prompt) = key
            .split_once("::")
            .unwrap_or_else(|| panic!("{origin}: no `::`"));
        if entry[1] != 200 || prompt.starts_with("Malformed") {
            continue;
        }
        let model_id = percent_encoding::percent_decode_str(encoded)
            .decode_utf8()
            .unwrap_or_else(|e| panic!("{origin}: {e}"))
            .into_owned();
        let body = serde_json::to_vec(&entry[2]).expect("JSON serialises");
        bodies.push(Exchange {
            origin,
            model_id,
            recorded: body,
        });
    }
    bodies
}

fn langchaingo_bodies(root: &Path) -> Vec<Exchange<Vec<u8>>> {
    let all = read_json(&root.join(LANGCHAINGO));
    let records = all["records"]
        .as_array()
        .expect("langchaingo's records are a list");
    let mut bodies = Vec::new();
    for (index, record) in records.iter().enumerate() {
        let origin = format!("{LANGCHAINGO}, records[{index}]");
        let url = field_str(record, "/request/url").unwrap_or_else(|e| panic!("{origin}: {e}"));
        let Some((model_id, "invoke")) = model_in_path(url) else {
            continue;
        };
        if record["response"]["status"] != 200 {
            continue;
        }
        let body = field_str(record, "/response/body").unwrap_or_else(|e| panic!("{origin}: {e}"));
        bodies.push(Exchange {
            origin,
            model_id,
            recorded: body.as_bytes().to_vec(),
        });
    }
    bodies
}

/// What reading the stream index found.
struct Streams {
    streams: Vec<Exchange<Vec<Vec<u8>>>>,
    /// Recorded streams whose bytes do not decode (New Relic's deliberately
    /// corrupted `Malformed Streaming Chunk`): nothing to feed a plugin.
    undecodable: Vec<String>,
}

/// Every 200 stream in `decoded/INDEX.json`, as the chunks the host feeds.
fn recorded_streams(root: &Path) -> Streams {
    let index = read_json(&root.join(STREAM_INDEX));
    let mut found = Streams {
        streams: Vec::new(),
        undecodable: Vec::new(),
    };
    for entry in index.as_array().expect("the index is a list") {
        if entry["operation"] != "invoke-with-response-stream" || entry["status"] != 200 {
            continue;
        }
        let file = entry["source_file"].as_str().unwrap_or("an unnamed source");
        let source = match (entry.get("interaction"), entry.get("key")) {
            (Some(interaction), _) => format!("{file}, interaction {interaction}"),
            (None, Some(key)) => format!("{file}, {key}"),
            (None, None) => file.to_owned(),
        };
        let frames = entry["files"].as_array().and_then(|files| {
            files
                .iter()
                .filter_map(Value::as_str)
                .find(|f| f.ends_with(".frames.json"))
        });
        let Some(frames) = frames else {
            assert!(
                entry.get("decode_error").is_some(),
                "{source}: a 200 stream without frames"
            );
            found.undecodable.push(source);
            continue;
        };
        let origin = format!("{frames} (from {source})");
        let encoded =
            field_str(entry, "/model_id_in_path").unwrap_or_else(|e| panic!("{origin}: {e}"));
        let model_id = percent_encoding::percent_decode_str(encoded)
            .decode_utf8()
            .unwrap_or_else(|e| panic!("{origin}: {e}"))
            .into_owned();
        let chunks = stream_chunks(&root.join(frames)).unwrap_or_else(|e| panic!("{origin}: {e}"));
        found.streams.push(Exchange {
            origin,
            model_id,
            recorded: chunks,
        });
    }
    found
}

/// The model JSON of each chunk frame: what the host hands `feed`.
fn stream_chunks(path: &Path) -> Result<Vec<Vec<u8>>, String> {
    let frames = read_json(path);
    let frames = frames["frames"].as_array().ok_or("no `frames` list")?;
    frames
        .iter()
        .enumerate()
        .map(|(index, frame)| {
            let kind = (
                frame["headers"][":message-type"].as_str(),
                frame["headers"][":event-type"].as_str(),
            );
            if kind != (Some("event"), Some("chunk")) {
                return Err(format!(
                    "frame {index} is not a chunk event: {}",
                    frame["headers"]
                ));
            }
            let bytes = field_str(frame, "/payload_json/bytes")?;
            base64::engine::general_purpose::STANDARD
                .decode(bytes)
                .map_err(|e| format!("frame {index}: `bytes` is not base64: {e}"))
        })
        .collect()
}

// ---------------------------------------------------------------------------
// Running the plugins.

async fn registry() -> PluginRegistry {
    let runtime =
        PluginRuntime::new(SandboxLimits::default(), CompileCache::disabled()).expect("engine");
    let registry = PluginRegistry::load(&PluginSources::only(vec![plugins_dir()]), &runtime).await;
    assert!(
        registry.failures().is_empty(),
        "plugins failed to load: {:?}",
        registry.failures()
    );
    registry
}

async fn parse_body(plugin: &LoadedPlugin, model: &str, body: &[u8]) -> Result<Answer, String> {
    let mut sandbox = plugin.sandbox().await.map_err(|e| e.to_string())?;
    let response = sandbox
        .parse_response(model, body)
        .await
        .map_err(|e| e.to_string())?;
    Ok(Answer::of_response(response))
}

async fn decode_stream(
    plugin: &LoadedPlugin,
    model: &str,
    chunks: &[Vec<u8>],
) -> Result<Answer, String> {
    let mut sandbox = plugin.sandbox().await.map_err(|e| e.to_string())?;
    sandbox
        .start_stream(model)
        .await
        .map_err(|e| e.to_string())?;
    let mut events = Vec::new();
    for (index, chunk) in chunks.iter().enumerate() {
        events.extend(
            sandbox
                .feed(chunk)
                .await
                .map_err(|e| format!("chunk {index}: {e}"))?,
        );
    }
    events.extend(sandbox.finish().await.map_err(|e| e.to_string())?);
    Answer::of_events(events)
}

fn as_json(bytes: &[u8]) -> Result<Value, String> {
    serde_json::from_slice(bytes).map_err(|e| format!("the recorded JSON does not parse: {e}"))
}

/// What a run found: checks per plugin, skips, and what went wrong.
#[derive(Default)]
struct Tally {
    checked: BTreeMap<String, usize>,
    skipped: Vec<String>,
    failures: Vec<String>,
}

impl Tally {
    /// The plugin, base model id and family to check an exchange with; `None`
    /// when it is skipped (no installed plugin serves it, or its id names no
    /// model by itself) or has failed already (ambiguous, or no family).
    fn route<'r, T>(
        &mut self,
        registry: &'r PluginRegistry,
        exchange: &Exchange<T>,
    ) -> Option<(&'r LoadedPlugin, String, &'static Family)> {
        let Ok(id) = ModelId::parse(&exchange.model_id) else {
            self.skipped
                .push(format!("{} ({})", exchange.origin, exchange.model_id));
            return None;
        };
        let plugin = match registry.route(id.base()) {
            Ok(plugin) => plugin,
            Err(RouteError::NoMatch { .. }) => {
                self.skipped
                    .push(format!("{} ({})", exchange.origin, exchange.model_id));
                return None;
            }
            Err(ambiguous) => {
                self.failures
                    .push(format!("{}: {ambiguous}", exchange.origin));
                return None;
            }
        };
        let Some(family) = family(plugin.name()) else {
            self.outcome(
                plugin.name(),
                &exchange.origin,
                Err(format!(
                    "routes to plugin `{}`, which has no entry in FAMILIES (tests/e2e/fixtures.rs): \
                     add its expectation function",
                    plugin.name()
                )),
            );
            return None;
        };
        Some((plugin, id.base().to_owned(), family))
    }

    fn outcome(&mut self, plugin: &str, origin: &str, result: Result<(), String>) {
        *self.checked.entry(plugin.to_owned()).or_default() += 1;
        if let Err(failure) = result {
            self.failures
                .push(format!("{origin} [{plugin}]: {failure}"));
        }
    }

    /// Fails on any mismatch, and unless each family checked its minimum.
    fn assert_all_good(&self, kind: &str, minimum: fn(&Family) -> usize) {
        eprintln!(
            "{kind}: checked {:?}; skipped {}: {:#?}",
            self.checked,
            self.skipped.len(),
            self.skipped
        );
        assert!(
            self.failures.is_empty(),
            "{} recorded {kind} did not come out as recorded:\n{}",
            self.failures.len(),
            self.failures.join("\n")
        );
        for family in FAMILIES {
            let checked = self.checked.get(family.plugin).copied().unwrap_or(0);
            assert!(
                checked >= minimum(family),
                "plugin `{}`: only {checked} recorded {kind} checked, expected at least {}",
                family.plugin,
                minimum(family)
            );
        }
    }
}

fn compare(actual: Result<Answer, String>, expected: Result<Answer, String>) -> Result<(), String> {
    let expected = expected.map_err(|e| format!("cannot work out the expected answer: {e}"))?;
    let actual = actual.map_err(|e| format!("the plugin failed: {e}"))?;
    if actual == expected {
        Ok(())
    } else {
        Err(format!(
            "\n  plugin:   {actual:?}\n  recorded: {expected:?}"
        ))
    }
}

#[tokio::test]
async fn every_recorded_response_parses_as_its_body_says() {
    let registry = registry().await;
    let mut tally = Tally::default();
    for exchange in recorded_bodies(&fixtures_dir()) {
        let Some((plugin, model, family)) = tally.route(&registry, &exchange) else {
            continue;
        };
        let expected = as_json(&exchange.recorded).and_then(|body| (family.body)(&body));
        let actual = parse_body(plugin, &model, &exchange.recorded).await;
        tally.outcome(plugin.name(), &exchange.origin, compare(actual, expected));
    }
    tally.assert_all_good("bodies", |family| family.min_bodies);
}

#[tokio::test]
async fn every_recorded_stream_decodes_as_its_chunks_say() {
    let registry = registry().await;
    let mut tally = Tally::default();
    let found = recorded_streams(&fixtures_dir());
    tally.skipped.extend(
        found
            .undecodable
            .iter()
            .map(|source| format!("{source} (undecodable)")),
    );
    for exchange in found.streams {
        let Some((plugin, model, family)) = tally.route(&registry, &exchange) else {
            continue;
        };
        let chunks: Result<Vec<Value>, String> = exchange
            .recorded
            .iter()
            .map(|chunk| as_json(chunk))
            .collect();
        let expected = chunks.and_then(|chunks| (family.stream)(&chunks));
        let actual = decode_stream(plugin, &model, &exchange.recorded).await;
        tally.outcome(plugin.name(), &exchange.origin, compare(actual, expected));
    }
    tally.assert_all_good("streams", |family| family.min_streams);
}
