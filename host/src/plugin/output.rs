//! The size of what a plugin returns (and of the request it is given), and
//! the check of it against the output limit: pure functions over the
//! contract's types, so that the sandbox and the fuzz targets apply the very
//! same rule.
//!
//! Invariant: every byte of plugin-chosen data that the host will keep or
//! print (strings, image bytes, body bytes) is counted; a fixed-size value
//! (a usage record) counts as the 16 bytes of its four `u32`s, and an event
//! or output that carries nothing as 1 byte.

use super::bindings::{
    Body, Content, Event, Image, Output, PluginInfo, Request, Response, ToolCall, ToolResultPart,
};

/// The bytes a usage record counts for.
const USAGE_BYTES: usize = 16;
use super::error::{Limit, PluginError};

/// The bytes `describe` returned: names, version, description, patterns,
/// the media types of their capabilities, and option names.
pub fn describe_size(info: &PluginInfo) -> usize {
    let models: usize = info
        .models
        .iter()
        .map(|model| {
            let c = &model.capabilities;
            let types = [&c.images, &c.documents]
                .into_iter()
                .flatten()
                .flat_map(|limits| &limits.media_types)
                .map(String::len)
                .sum::<usize>();
            model.pattern.len() + types
        })
        .sum();
    info.name.len()
        + info.version.len()
        + info.description.len()
        + models
        + info.options.iter().map(String::len).sum::<usize>()
}

fn image_size(image: &Image) -> usize {
    image.data.len() + image.media_type.len()
}

fn call_size(call: &ToolCall) -> usize {
    call.id.len() + call.name.len() + call.input.len()
}

/// The bytes of a request handed to `build-request`: model id, system
/// prompt, every text and image, stop sequences and options.
pub fn request_size(request: &Request) -> usize {
    let content: usize = request
        .messages
        .iter()
        .flat_map(|message| &message.content)
        .map(|content| match content {
            Content::Text(text) | Content::RedactedReasoning(text) => text.len(),
            Content::Image(image) => image_size(image),
            Content::Document(document) => {
                document.name.len() + document.media_type.len() + document.data.len()
            }
            Content::ToolCall(call) => call_size(call),
            Content::ToolResult(result) => {
                result.call_id.len()
                    + result
                        .content
                        .iter()
                        .map(|part| match part {
                            ToolResultPart::Text(text) | ToolResultPart::Json(text) => text.len(),
                            ToolResultPart::Image(image) => image_size(image),
                        })
                        .sum::<usize>()
            }
            Content::Reasoning(reasoning) => {
                reasoning.text.len() + reasoning.signature.as_ref().map_or(0, String::len)
            }
            Content::CachePoint => 1,
        })
        .sum();
    let tools: usize = request
        .tools
        .iter()
        .map(|tool| tool.name.len() + tool.description.len() + tool.input_schema.len())
        .sum();
    let params = &request.params;
    request.model_id.len()
        + request.system.as_ref().map_or(0, String::len)
        + content
        + tools
        + params.stop_sequences.iter().map(String::len).sum::<usize>()
        + params
            .extra
            .iter()
            .map(|(key, value)| key.len() + value.len())
            .sum::<usize>()
}

/// The bytes `build-request` returned: the body and its two media types.
pub fn body_size(body: &Body) -> usize {
    body.bytes.len() + body.content_type.len() + body.accept.len()
}

/// The bytes `parse-response` returned: every text, image, tool call and
/// reasoning block, and the raw stop reason.
pub fn response_size(response: &Response) -> usize {
    let outputs: usize = response
        .outputs
        .iter()
        .map(|output| match output {
            Output::Text(text) | Output::RedactedReasoning(text) => text.len(),
            Output::Image(image) => image_size(image),
            Output::ToolCall(call) => call_size(call),
            Output::Reasoning(reasoning) => {
                reasoning.text.len() + reasoning.signature.as_ref().map_or(0, String::len)
            }
        })
        .sum();
    outputs
        + response
            .stop
            .as_ref()
            .and_then(|stop| stop.raw.as_ref())
            .map_or(0, String::len)
        + response.usage.as_ref().map_or(0, |_| USAGE_BYTES)
}

/// The bytes one `feed` or `finish` returned.
pub fn events_size(events: &[Event]) -> usize {
    events
        .iter()
        .map(|event| match event {
            Event::Text(text)
            | Event::Reasoning(text)
            | Event::ReasoningSignature(text)
            | Event::RedactedReasoning(text)
            | Event::ToolCallInput(text) => text.len(),
            Event::ToolCallStart(start) => start.id.len() + start.name.len(),
            Event::ToolCallEnd => 1,
            Event::Stop(stop) => stop.raw.as_ref().map_or(0, String::len),
            Event::Usage(_) => USAGE_BYTES,
        })
        .sum()
}

/// Refuses an output of `size` bytes when it is more than `max`, naming the
/// plugin, the call and both numbers.
pub fn check_output_size(
    plugin: &str,
    call: &'static str,
    size: usize,
    max: usize,
) -> Result<(), PluginError> {
    if size > max {
        return Err(PluginError::Limit {
            plugin: plugin.to_owned(),
            call,
            limit: Limit::Output { size, max },
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::{Stop, StopReason, Usage};

    #[test]
    fn every_plugin_chosen_byte_is_counted() {
        let events = [
            Event::Text("héllo".into()),
            Event::Stop(Stop {
                reason: StopReason::EndTurn,
                raw: Some("end_turn".into()),
            }),
            Event::Usage(Usage {
                input_tokens: 1,
                output_tokens: 2,
                cache_read_tokens: None,
                cache_write_tokens: None,
            }),
            Event::ToolCallEnd,
        ];
        assert_eq!(events_size(&events), 6 + 8 + 16 + 1);
    }

    #[test]
    fn an_output_over_the_limit_is_refused_and_at_the_limit_is_not() {
        assert!(check_output_size("p", "feed", 10, 10).is_ok());
        let error = check_output_size("p", "feed", 11, 10).unwrap_err();
        assert_eq!(
            error.to_string(),
            "plugin `p` stopped in feed: returned 11 bytes, more than the limit of 10"
        );
    }
}
