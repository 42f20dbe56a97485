//! The size of what a plugin returns (and of the request it is given), and
//! the check of it against the output limit: pure functions over the
//! contract's types, so that the sandbox and the fuzz targets apply the very
//! same rule.
//!
//! Invariant: every byte of plugin-chosen data that the host will keep or
//! print (strings, image bytes, body bytes) is counted; a fixed-size value
//! (a usage record) counts as the 8 bytes of its two `u32`s.

use super::bindings::{Body, Content, Event, Output, PluginInfo, Request, Response};
use super::error::{Limit, PluginError};

/// The bytes `describe` returned: names, version, description, patterns and
/// option names.
pub fn describe_size(info: &PluginInfo) -> usize {
    info.name.len()
        + info.version.len()
        + info.description.len()
        + info
            .models
            .iter()
            .chain(&info.options)
            .map(String::len)
            .sum::<usize>()
}

/// The bytes of a request handed to `build-request`: model id, system
/// prompt, every text and image, stop sequences and options.
pub fn request_size(request: &Request) -> usize {
    let content: usize = request
        .messages
        .iter()
        .flat_map(|message| &message.content)
        .map(|content| match content {
            Content::Text(text) => text.len(),
            Content::Image(image) => image.data.len() + image.media_type.len(),
        })
        .sum();
    let params = &request.params;
    request.model_id.len()
        + request.system.as_ref().map_or(0, String::len)
        + content
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

/// The bytes `parse-response` returned: every text and image.
pub fn response_size(response: &Response) -> usize {
    response
        .outputs
        .iter()
        .map(|output| match output {
            Output::Text(text) => text.len(),
            Output::Image(image) => image.data.len() + image.media_type.len(),
        })
        .sum()
}

/// The bytes one `feed` or `finish` returned.
pub fn events_size(events: &[Event]) -> usize {
    events
        .iter()
        .map(|event| match event {
            Event::Text(text) => text.len(),
            Event::Stop(stop) => stop.raw.as_ref().map_or(0, String::len),
            Event::Usage(_) => 8,
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
            }),
        ];
        assert_eq!(events_size(&events), 6 + 8 + 8);
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
