//! `parse-response`: reads a non-streamed Command or Command R body, the
//! family chosen by model id.
//!
//! Invariants: a Command answer is one text output per generation, in the
//! order of `generations` (several with `-o num_generations=N`); a Command
//! R answer is one text output, then its tool calls, and with calls the
//! stop is tool use (Command R says `COMPLETE`, kept as the raw value). An empty text is no output. The stop reason
//! keeps the raw value; with several generations it is the first one's.
//! Usage is never given: Cohere's bodies on Bedrock carry no token counts,
//! and the host reads Bedrock's headers.

use bedrock_adapter_kit::stop::sent;
use bedrock_adapter_kit::types::{AdapterError, Output, Response, StopReason};
use bedrock_adapter_kit::wire::{json, read, text_outputs};

use crate::models::{self, Family};
use crate::stop;
use crate::tools;
use crate::wire::{ChatResponse, CommandResponse, Generation};

/// Parses the body of a successful `InvokeModel` response from `model_id`.
pub fn parse(model_id: &str, body: &[u8]) -> Result<Response, AdapterError> {
    let family = models::family_for(model_id)?;
    let value = json(body, "the body")?;
    match family {
        Family::Command => {
            let response: CommandResponse = read(value, "a Cohere Command response")?;
            Ok(generations(response.generations))
        }
        Family::CommandR => {
            let ChatResponse {
                text,
                finish_reason,
                tool_calls,
            } = read(value, "a Cohere Command R response")?;
            let calls = tools::answered_calls(tool_calls.unwrap_or_default())?;
            let mut outputs = text_outputs([text]);
            outputs.extend(calls.into_iter().map(Output::ToolCall));
            let stop = if outputs
                .iter()
                .any(|output| matches!(output, Output::ToolCall(_)))
            {
                // Command R ends a call with `COMPLETE`; the contract says
                // an answer with calls stops for tool use.
                finish_reason
                    .as_deref()
                    .map(|raw| sent(StopReason::ToolUse, raw))
            } else {
                finish_reason.as_deref().map(stop::from_finish_reason)
            };
            Ok(Response {
                outputs,
                stop,
                usage: None,
            })
        }
    }
}

/// The answer `generations` hold: their texts in order, the first one's
/// stop reason. Also used for a stream chunk holding a whole response.
pub fn generations(generations: Vec<Generation>) -> Response {
    let stop = generations
        .first()
        .and_then(|generation| generation.finish_reason.as_deref())
        .map(stop::from_finish_reason);
    Response {
        outputs: text_outputs(generations.into_iter().map(|generation| generation.text)),
        stop,
        usage: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const COMMAND: &str = "cohere.command-light-text-v14";
    const COMMAND_R: &str = "cohere.command-r-v1:0";

    #[test]
    fn several_generations() {
        // dd-trace-py cohere_invoke_multi_output.yaml.
        let body = br#"{"generations":[{"finish_reason":"MAX_TOKENS","id":"325cf647","text":" A large language model (LLM) chain can"},{"finish_reason":"MAX_TOKENS","id":"0339158b","text":" Sure! A Long Short-Term Memory (L"}],"id":"c158207e","prompt":"\n\nHuman: %s\n\nAssistant: Can you explain what a LLM chain is?"}"#;
        assert_eq!(
            parse(COMMAND, body),
            Ok(Response {
                outputs: vec![
                    Output::Text(" A large language model (LLM) chain can".to_owned()),
                    Output::Text(" Sure! A Long Short-Term Memory (L".to_owned()),
                ],
                stop: Some(sent(StopReason::MaxTokens, "MAX_TOKENS")),
                usage: None,
            })
        );
    }

    #[test]
    fn command_r_stop_sequence() {
        // otel-python-contrib test_invoke_model_no_content[cohere.command-r].
        let body = br#"{"response_id":"379ed018/64bc","text":"This is a test.<","generation_id":"dcf7","chat_history":[{"role":"USER","message":"Say this is a test"},{"role":"CHATBOT","message":"This is a test.<"}],"finish_reason":"STOP_SEQUENCE"}"#;
        assert_eq!(
            parse(COMMAND_R, body),
            Ok(Response {
                outputs: vec![Output::Text("This is a test.<".to_owned())],
                stop: Some(sent(StopReason::StopSequence, "STOP_SEQUENCE")),
                usage: None,
            })
        );
    }

    #[test]
    fn malformed() {
        for (model, body) in [
            (COMMAND, &b"not json"[..]),
            (COMMAND, b"[]"),
            (COMMAND, br#"{"generations":{}}"#),
            (
                COMMAND,
                br#"{"generations":[{"finish_reason":"COMPLETE"}]}"#,
            ),
            (
                COMMAND,
                br#"{"text":"a Command R body","finish_reason":"COMPLETE"}"#,
            ),
            (COMMAND_R, br#"{"generations":[{"text":"a Command body"}]}"#),
            (COMMAND_R, br#"{"text":3}"#),
        ] {
            assert!(
                matches!(parse(model, body), Err(AdapterError::MalformedResponse(_))),
                "{model}: {}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn command_r_tool_calls() {
        // Cohere's single-step tool use answer: empty text, the calls by
        // name and parameters, finish reason COMPLETE.
        let body = br#"{"response_id":"r1","text":"","generation_id":"g1","chat_history":[],"finish_reason":"COMPLETE","tool_calls":[{"name":"query_daily_sales_report","parameters":{"day":"2023-09-29"}},{"name":"query_product_catalog","parameters":{"category":"Electronics"}}]}"#;
        let response = parse(COMMAND_R, body).expect("parse");
        let ids: Vec<(&str, &str)> = response
            .outputs
            .iter()
            .filter_map(|output| match output {
                Output::ToolCall(call) => Some((call.id.as_str(), call.input.as_str())),
                _ => None,
            })
            .collect();
        assert_eq!(
            ids,
            [
                (
                    "cohere-call-0-query_daily_sales_report",
                    r#"{"day":"2023-09-29"}"#
                ),
                (
                    "cohere-call-1-query_product_catalog",
                    r#"{"category":"Electronics"}"#
                ),
            ]
        );
        assert_eq!(response.outputs.len(), 2, "no empty text output");
        assert_eq!(response.stop, Some(sent(StopReason::ToolUse, "COMPLETE")));
    }
}
