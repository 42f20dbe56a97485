//! Whether a request asks a model for something its plugin says the model
//! cannot take (the `capabilities` of `describe`, per pattern), checked
//! before the plugin builds a body and before anything is sent.
//!
//! Invariant: every feature of a request that a capability covers is
//! checked here: the system prompt, tools (definitions, choice, calls and
//! results in the history), reasoning asked for, cache points, and each
//! image and document against the accepted media types, the size limit and
//! the count limit of its sort. Reasoning and cache points already in the
//! history are not requests for the feature and pass (a plugin leaves out
//! what its family cannot take back). The refusal names the model, the
//! plugin and the feature, and for an attachment its name or position.

use super::bindings::{AttachmentLimits, Capabilities, Content, Request};

/// A feature of the request the model cannot take.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unsupported {
    /// A feature the model does not have at all.
    #[error("{model} does not take {feature} (so says plugin `{plugin}`)")]
    Feature {
        model: String,
        plugin: String,
        feature: &'static str,
    },
    /// An attachment of a media type the model does not take.
    #[error(
        "{model} does not take {attachment} of type {media_type} (plugin `{plugin}` accepts {accepted})"
    )]
    MediaType {
        model: String,
        plugin: String,
        attachment: String,
        media_type: String,
        accepted: String,
    },
    /// An attachment over the size limit of its sort.
    #[error(
        "{attachment} is {bytes} bytes, over the {max} bytes {model} takes in one {sort} (plugin `{plugin}`)"
    )]
    TooLarge {
        model: String,
        plugin: String,
        attachment: String,
        sort: &'static str,
        bytes: u64,
        max: u64,
    },
    /// More attachments of one sort than the model takes in a request.
    #[error(
        "{count} {sort}s in one request, more than the {max} {model} takes (plugin `{plugin}`)"
    )]
    TooMany {
        model: String,
        plugin: String,
        sort: &'static str,
        count: usize,
        max: u32,
    },
}

/// Which sort of attachment, for the limits that apply to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttachmentSort {
    /// An image (`content::image`, or an image in a tool result).
    Image,
    /// A document (`content::document`).
    Document,
}

impl AttachmentSort {
    fn name(self) -> &'static str {
        match self {
            Self::Image => "image",
            Self::Document => "document",
        }
    }

    fn limits(self, capabilities: &Capabilities) -> Option<&AttachmentLimits> {
        match self {
            Self::Image => capabilities.images.as_ref(),
            Self::Document => capabilities.documents.as_ref(),
        }
    }
}

/// The model a check is about, for the refusal.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    /// The model id, as the user gave it.
    pub model: &'a str,
    /// The plugin serving it.
    pub plugin: &'a str,
    /// What the plugin says the model can take.
    pub capabilities: &'a Capabilities,
}

impl Subject<'_> {
    fn feature(&self, feature: &'static str) -> Unsupported {
        Unsupported::Feature {
            model: self.model.to_owned(),
            plugin: self.plugin.to_owned(),
            feature,
        }
    }

    /// Checks one attachment of `sort`, called `attachment` in a refusal
    /// (a file name, or "image 2"), of `media_type` and `bytes` long.
    pub fn check_attachment(
        &self,
        sort: AttachmentSort,
        attachment: &str,
        media_type: &str,
        bytes: u64,
    ) -> Result<(), Unsupported> {
        let Some(limits) = sort.limits(self.capabilities) else {
            return Err(self.feature(match sort {
                AttachmentSort::Image => "images",
                AttachmentSort::Document => "documents",
            }));
        };
        if !limits.media_types.iter().any(|t| t == media_type) {
            return Err(Unsupported::MediaType {
                model: self.model.to_owned(),
                plugin: self.plugin.to_owned(),
                attachment: attachment.to_owned(),
                media_type: media_type.to_owned(),
                accepted: limits.media_types.join(", "),
            });
        }
        if bytes > limits.max_bytes {
            return Err(Unsupported::TooLarge {
                model: self.model.to_owned(),
                plugin: self.plugin.to_owned(),
                attachment: attachment.to_owned(),
                sort: sort.name(),
                bytes,
                max: limits.max_bytes,
            });
        }
        Ok(())
    }

    /// Checks a whole request (see the module's invariant).
    pub fn check_request(&self, request: &Request) -> Result<(), Unsupported> {
        let c = self.capabilities;
        if request.system.is_some() && !c.system {
            return Err(self.feature("a system prompt"));
        }
        let has_tool_content = request.messages.iter().any(|message| {
            message
                .content
                .iter()
                .any(|part| matches!(part, Content::ToolCall(_) | Content::ToolResult(_)))
        });
        if !c.tools
            && (!request.tools.is_empty() || request.tool_choice.is_some() || has_tool_content)
        {
            return Err(self.feature("tools"));
        }
        if request.reasoning.is_some() && !c.reasoning {
            return Err(self.feature("reasoning"));
        }
        let cache_points = request.cache.system
            || request.cache.tools
            || request
                .messages
                .iter()
                .flat_map(|message| &message.content)
                .any(|part| matches!(part, Content::CachePoint));
        if cache_points && !c.caching {
            return Err(self.feature("prompt caching (cache points)"));
        }
        let mut counts = [0usize; 2];
        for part in request.messages.iter().flat_map(|message| &message.content) {
            let (sort, name, media_type, bytes) = match part {
                Content::Image(image) => (
                    AttachmentSort::Image,
                    format!("image {}", counts[0] + 1),
                    &image.media_type,
                    image.data.len(),
                ),
                Content::Document(document) => (
                    AttachmentSort::Document,
                    format!("document {}", document.name),
                    &document.media_type,
                    document.data.len(),
                ),
                _ => continue,
            };
            counts[sort as usize] += 1;
            self.check_attachment(
                sort,
                &name,
                media_type,
                u64::try_from(bytes).unwrap_or(u64::MAX),
            )?;
        }
        for (sort, count) in [AttachmentSort::Image, AttachmentSort::Document]
            .into_iter()
            .zip(counts)
        {
            if let Some(limits) = sort.limits(c)
                && count > usize::try_from(limits.max_count).unwrap_or(usize::MAX)
            {
                return Err(Unsupported::TooMany {
                    model: self.model.to_owned(),
                    plugin: self.plugin.to_owned(),
                    sort: sort.name(),
                    count,
                    max: limits.max_count,
                });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::{
        CachePoints, Document, Image, Message, Params, ReasoningConfig, ReasoningEffort, Role, Tool,
    };

    fn text_only() -> Capabilities {
        Capabilities {
            system: false,
            tools: false,
            images: None,
            documents: None,
            reasoning: false,
            caching: false,
            streaming: true,
        }
    }

    fn request(content: Vec<Content>) -> Request {
        Request {
            model_id: "m".into(),
            system: None,
            messages: vec![Message {
                role: Role::User,
                content,
            }],
            params: Params {
                max_tokens: None,
                temperature: None,
                top_p: None,
                top_k: None,
                stop_sequences: Vec::new(),
                seed: None,
                extra: Vec::new(),
                raw: false,
            },
            tools: Vec::new(),
            tool_choice: None,
            reasoning: None,
            cache: CachePoints {
                system: false,
                tools: false,
            },
            streamed: false,
        }
    }

    fn check(capabilities: &Capabilities, request: &Request) -> Result<(), String> {
        Subject {
            model: "us.m",
            plugin: "p",
            capabilities,
        }
        .check_request(request)
        .map_err(|refusal| refusal.to_string())
    }

    #[test]
    fn each_feature_a_model_lacks_is_refused_by_name() {
        let caps = text_only();
        let plain = request(vec![Content::Text("hi".into())]);
        assert_eq!(check(&caps, &plain), Ok(()));
        let mut system = plain.clone();
        system.system = Some("s".into());
        let mut tools = plain.clone();
        tools.tools.push(Tool {
            name: "t".into(),
            description: String::new(),
            input_schema: "{}".into(),
        });
        let mut reasoning = plain.clone();
        reasoning.reasoning = Some(ReasoningConfig::Effort(ReasoningEffort::High));
        let mut cached = plain.clone();
        cached.messages[0].content.push(Content::CachePoint);
        for (spoiled, feature) in [
            (system, "a system prompt"),
            (tools, "tools"),
            (reasoning, "reasoning"),
            (cached, "prompt caching"),
        ] {
            let refusal = check(&caps, &spoiled).expect_err(feature);
            assert!(
                refusal.starts_with(&format!("us.m does not take {feature}")),
                "{refusal}"
            );
            assert!(refusal.contains("plugin `p`"), "{refusal}");
        }
    }

    #[test]
    fn attachments_are_held_to_type_size_and_count() {
        let mut caps = text_only();
        let png = |size: usize| {
            Content::Image(Image {
                media_type: "image/png".into(),
                data: vec![0; size],
            })
        };
        let pdf = Content::Document(Document {
            name: "report.pdf".into(),
            media_type: "application/pdf".into(),
            data: vec![0; 3],
        });
        assert_eq!(
            check(&caps, &request(vec![pdf.clone()])),
            Err("us.m does not take documents (so says plugin `p`)".into())
        );
        caps.images = Some(AttachmentLimits {
            media_types: vec!["image/png".into(), "image/jpeg".into()],
            max_bytes: 10,
            max_count: 2,
        });
        caps.documents = Some(AttachmentLimits {
            media_types: vec!["text/plain".into()],
            max_bytes: 10,
            max_count: 1,
        });
        assert_eq!(check(&caps, &request(vec![png(10), png(1)])), Ok(()));
        assert_eq!(
            check(&caps, &request(vec![png(1), png(11)])),
            Err(
                "image 2 is 11 bytes, over the 10 bytes us.m takes in one image (plugin `p`)"
                    .into()
            )
        );
        assert_eq!(
            check(&caps, &request(vec![png(1), png(1), png(1)])),
            Err("3 images in one request, more than the 2 us.m takes (plugin `p`)".into())
        );
        assert_eq!(
            check(&caps, &request(vec![pdf])),
            Err("us.m does not take document report.pdf of type application/pdf (plugin `p` accepts text/plain)".into())
        );
    }
}
