//! What more than one family's expectation reads alike: the chat-completion
//! shape that Mistral Large 2 and later and AI21's Jamba share, and
//! Bedrock's own token counts in a stream's last chunk
//! (`amazon-bedrock-invocationMetrics`), which a stream's usage must equal.
//!
//! Invariant: these read the recorded JSON only, as the families' READMEs
//! describe it; a family's own quirks stay in its expectation file.

use serde_json::Value;

use crate::answer::{Answer, Counts, Ending};
use crate::json::{field_u32, optional_count};

/// A chat-completion body: the text of every choice's message, the first
/// choice's stop reason under the first of `reason_keys` it has, and
/// `usage.prompt_tokens` / `usage.completion_tokens`.
pub fn chat_completion(
    body: &Value,
    reason_keys: &[&str],
    stop: fn(&str) -> Ending,
) -> Result<Answer, String> {
    let choices = body["choices"]
        .as_array()
        .ok_or("neither a prompt-completion nor a chat-completion body")?;
    let mut answer = Answer::default();
    for choice in choices {
        if let Some(text) = choice.pointer("/message/content").and_then(Value::as_str) {
            answer.text.push_str(text);
        }
    }
    answer.stop = choices
        .first()
        .and_then(|choice| reason_keys.iter().find_map(|key| choice[*key].as_str()))
        .map(stop);
    answer.usage = chat_usage(body)?;
    Ok(answer)
}

/// A chat-completion stream: the first choice's `delta` (or `message`) text
/// and stop reason, and the last `usage` sent, which must equal Bedrock's
/// invocation metrics.
pub fn chat_completion_stream(
    chunks: &[Value],
    reason_keys: &[&str],
    stop: fn(&str) -> Ending,
) -> Result<Answer, String> {
    let mut answer = Answer::default();
    for chunk in chunks {
        if let Some(counts) = chat_usage(chunk)? {
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
    agrees_with_metrics(answer.usage.as_ref(), chunks)?;
    Ok(answer)
}

fn chat_usage(value: &Value) -> Result<Option<Counts>, String> {
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

/// Bedrock's own counts in a stream's last chunk, when it has them.
pub fn invocation_metrics(chunks: &[Value]) -> Result<Option<Counts>, String> {
    let Some(metrics) = chunks
        .last()
        .and_then(|last| last.get("amazon-bedrock-invocationMetrics"))
    else {
        return Ok(None);
    };
    let count = |pointer: &str| {
        optional_count(metrics, pointer)?.ok_or_else(|| format!("no `{pointer}` in {metrics}"))
    };
    Ok(Some(Counts {
        input: count("/inputTokenCount")?,
        output: count("/outputTokenCount")?,
    }))
}

/// Usage read from a stream's chunks must equal the last chunk's
/// invocation metrics, when both are there.
pub fn agrees_with_metrics(usage: Option<&Counts>, chunks: &[Value]) -> Result<(), String> {
    match (usage, invocation_metrics(chunks)?) {
        (Some(usage), Some(bedrock)) if *usage != bedrock => Err(format!(
            "the chunks' usage {usage:?} disagrees with the invocation metrics {bedrock:?}"
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::answer::StopReason;

    fn stop(raw: &str) -> Ending {
        Ending::sent(StopReason::Other, raw)
    }

    #[test]
    fn a_stream_whose_usage_disagrees_with_bedrock_is_refused() {
        let chunks = [
            json!({"choices": [{"index": 0, "delta": {"content": "Hi"}, "finish_reason": "stop"}]}),
            json!({"usage": {"prompt_tokens": 3, "completion_tokens": 1},
                   "amazon-bedrock-invocationMetrics": {"inputTokenCount": 3, "outputTokenCount": 2}}),
        ];
        assert!(chat_completion_stream(&chunks, &["finish_reason"], stop).is_err());
        let agreeing = json!({"usage": {"prompt_tokens": 3, "completion_tokens": 2},
               "amazon-bedrock-invocationMetrics": {"inputTokenCount": 3, "outputTokenCount": 2}});
        let answer =
            chat_completion_stream(&[chunks[0].clone(), agreeing], &["finish_reason"], stop);
        assert_eq!(
            answer,
            Ok(Answer {
                text: "Hi".to_owned(),
                images: 0,
                stop: Some(stop("stop")),
                usage: Some(Counts {
                    input: 3,
                    output: 2
                }),
            })
        );
    }
}
