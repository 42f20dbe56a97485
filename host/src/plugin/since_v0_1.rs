//! Serving plugins built against `bedrock:adapter@0.1` (`wit/since_v0.1.0`):
//! their bindings, and the conversions between their types and the current
//! line's, which are the host's own.
//!
//! Invariants: a 0.1 plugin is given a plain text conversation. Text and
//! images pass as they are; a document, tool call or tool result in the
//! history becomes a line of text saying what it was; reasoning and cache
//! points are left out. `capabilities` of a 0.1 plugin claim only what 0.1
//! could carry (a system prompt, images, streaming as it said), so the host
//! refuses tools, documents, reasoning and caching before such a plugin is
//! called. What it returns maps one to one, with no cache token counts.

use super::bindings as current;

wasmtime::component::bindgen!({
    world: "provider",
    path: "../wit/since_v0.1.0",
    exports: { default: async },
});

pub use bedrock::adapter::types as v0_1;

/// The media types a 0.1 plugin may be given images in: 0.1 had no way to
/// say which it takes, so the plugin's own refusal decides within these.
const IMAGE_TYPES: [&str; 4] = ["image/png", "image/jpeg", "image/gif", "image/webp"];

/// What a 0.1 plugin said of itself, in the current line's terms.
pub fn plugin_info(info: v0_1::PluginInfo) -> current::PluginInfo {
    let capabilities = current::Capabilities {
        system: true,
        tools: false,
        images: Some(current::AttachmentLimits {
            media_types: IMAGE_TYPES.iter().map(|&t| t.to_owned()).collect(),
            max_bytes: u64::MAX,
            max_count: u32::MAX,
        }),
        documents: None,
        reasoning: false,
        caching: false,
        streaming: info.streaming,
    };
    current::PluginInfo {
        name: info.name,
        version: info.version,
        description: info.description,
        models: info
            .models
            .into_iter()
            .map(|pattern| current::ModelSupport {
                pattern,
                capabilities: capabilities.clone(),
            })
            .collect(),
        options: info.options,
    }
}

/// A current request as a 0.1 plugin can take it: a plain text
/// conversation (see the module's invariants).
pub fn request(request: &current::Request) -> v0_1::Request {
    let p = &request.params;
    v0_1::Request {
        model_id: request.model_id.clone(),
        system: request.system.clone(),
        messages: request
            .messages
            .iter()
            .map(|message| v0_1::Message {
                role: match message.role {
                    current::Role::User => v0_1::Role::User,
                    current::Role::Assistant => v0_1::Role::Assistant,
                },
                content: message.content.iter().filter_map(content).collect(),
            })
            .collect(),
        params: v0_1::Params {
            max_tokens: p.max_tokens,
            temperature: p.temperature,
            top_p: p.top_p,
            top_k: p.top_k,
            stop_sequences: p.stop_sequences.clone(),
            seed: p.seed,
            extra: p.extra.clone(),
            raw: p.raw,
        },
    }
}

/// One part of a message as 0.1 content; `None` for what is left out.
fn content(content: &current::Content) -> Option<v0_1::Content> {
    use current::Content as C;
    Some(match content {
        C::Text(text) => v0_1::Content::Text(text.clone()),
        C::Image(image) => v0_1::Content::Image(v0_1::Image {
            media_type: image.media_type.clone(),
            data: image.data.clone(),
        }),
        C::Document(document) => v0_1::Content::Text(format!(
            "[document {} ({}, {} bytes) left out]",
            document.name,
            document.media_type,
            document.data.len()
        )),
        C::ToolCall(call) => v0_1::Content::Text(format!(
            "[called tool {} (id {}) with {}]",
            call.name, call.id, call.input
        )),
        C::ToolResult(result) => v0_1::Content::Text(format!(
            "[{} of tool call {}: {}]",
            if result.is_error { "error" } else { "result" },
            result.call_id,
            result
                .content
                .iter()
                .map(|part| match part {
                    current::ToolResultPart::Text(text) | current::ToolResultPart::Json(text) => {
                        text.clone()
                    }
                    current::ToolResultPart::Image(image) =>
                        format!("[image {}]", image.media_type),
                })
                .collect::<Vec<_>>()
                .join(" ")
        )),
        C::Reasoning(_) | C::RedactedReasoning(_) | C::CachePoint => return None,
    })
}

/// A 0.1 body, unchanged.
pub fn body(body: v0_1::Body) -> current::Body {
    current::Body {
        bytes: body.bytes,
        content_type: body.content_type,
        accept: body.accept,
    }
}

/// A 0.1 adapter error, unchanged.
pub fn adapter_error(error: v0_1::AdapterError) -> current::AdapterError {
    match error {
        v0_1::AdapterError::InvalidRequest(m) => current::AdapterError::InvalidRequest(m),
        v0_1::AdapterError::Unsupported(m) => current::AdapterError::Unsupported(m),
        v0_1::AdapterError::MalformedResponse(m) => current::AdapterError::MalformedResponse(m),
    }
}

fn image(image: v0_1::Image) -> current::Image {
    current::Image {
        media_type: image.media_type,
        data: image.data,
    }
}

fn stop(stop: v0_1::Stop) -> current::Stop {
    current::Stop {
        reason: match stop.reason {
            v0_1::StopReason::EndTurn => current::StopReason::EndTurn,
            v0_1::StopReason::MaxTokens => current::StopReason::MaxTokens,
            v0_1::StopReason::StopSequence => current::StopReason::StopSequence,
            v0_1::StopReason::ToolUse => current::StopReason::ToolUse,
            v0_1::StopReason::ContentFiltered => current::StopReason::ContentFiltered,
            v0_1::StopReason::Other => current::StopReason::Other,
        },
        raw: stop.raw,
    }
}

fn usage(usage: v0_1::Usage) -> current::Usage {
    current::Usage {
        input_tokens: usage.input_tokens,
        output_tokens: usage.output_tokens,
        cache_read_tokens: None,
        cache_write_tokens: None,
    }
}

/// A 0.1 answer in current terms.
pub fn response(response: v0_1::Response) -> current::Response {
    current::Response {
        outputs: response
            .outputs
            .into_iter()
            .map(|output| match output {
                v0_1::Output::Text(text) => current::Output::Text(text),
                v0_1::Output::Image(i) => current::Output::Image(image(i)),
            })
            .collect(),
        stop: response.stop.map(stop),
        usage: response.usage.map(usage),
    }
}

/// 0.1 stream events in current terms.
pub fn events(events: Vec<v0_1::Event>) -> Vec<current::Event> {
    events
        .into_iter()
        .map(|event| match event {
            v0_1::Event::Text(text) => current::Event::Text(text),
            v0_1::Event::Stop(s) => current::Event::Stop(stop(s)),
            v0_1::Event::Usage(u) => current::Event::Usage(usage(u)),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request_with(content: Vec<current::Content>) -> current::Request {
        current::Request {
            model_id: "m".into(),
            system: Some("s".into()),
            messages: vec![current::Message {
                role: current::Role::User,
                content,
            }],
            params: current::Params {
                max_tokens: Some(5),
                temperature: None,
                top_p: None,
                top_k: None,
                stop_sequences: vec!["x".into()],
                seed: None,
                extra: vec![("k".into(), "1".into())],
                raw: true,
            },
            tools: Vec::new(),
            tool_choice: None,
            reasoning: None,
            cache: current::CachePoints {
                system: false,
                tools: false,
            },
            streamed: true,
        }
    }

    #[test]
    fn a_0_1_plugin_gets_a_plain_text_conversation() {
        let old = request(&request_with(vec![
            current::Content::Text("hi".into()),
            current::Content::CachePoint,
            current::Content::ToolCall(current::ToolCall {
                id: "t1".into(),
                name: "weather".into(),
                input: "{\"city\":\"Oslo\"}".into(),
            }),
            current::Content::ToolResult(current::ToolResult {
                call_id: "t1".into(),
                content: vec![current::ToolResultPart::Json("{\"c\":3}".into())],
                is_error: false,
            }),
            current::Content::Reasoning(current::Reasoning {
                text: "hmm".into(),
                signature: Some("sig".into()),
            }),
        ]));
        let texts: Vec<String> = old.messages[0]
            .content
            .iter()
            .map(|c| match c {
                v0_1::Content::Text(text) => text.clone(),
                v0_1::Content::Image(_) => "image".into(),
            })
            .collect();
        assert_eq!(
            texts,
            [
                "hi",
                "[called tool weather (id t1) with {\"city\":\"Oslo\"}]",
                "[result of tool call t1: {\"c\":3}]"
            ]
        );
        assert!(old.params.raw && old.params.max_tokens == Some(5));
        assert_eq!(old.params.extra, [("k".to_owned(), "1".to_owned())]);
    }

    #[test]
    fn a_0_1_plugin_claims_only_what_0_1_could_carry() {
        let info = plugin_info(v0_1::PluginInfo {
            name: "p".into(),
            version: "1".into(),
            description: "d".into(),
            models: vec!["a.*".into(), "b".into()],
            streaming: false,
            options: vec!["o".into()],
        });
        assert_eq!(info.patterns().collect::<Vec<_>>(), ["a.*", "b"]);
        for model in &info.models {
            let c = &model.capabilities;
            assert!(c.system && c.images.is_some() && !c.streaming);
            assert!(!c.tools && c.documents.is_none() && !c.reasoning && !c.caching);
        }
    }
}
