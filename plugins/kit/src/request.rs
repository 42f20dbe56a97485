//! The checks and pieces every `build-request` repeats: common settings and
//! features a family does not have, settings that are not numbers, the text
//! of messages, the one user prompt of `--raw`, role names, and the JSON
//! body.
//!
//! Invariants: a refused setting is an `unsupported` error whose message
//! starts with its flag (`--seed: ...`), a refused feature one that names
//! it and the model (`tools are not supported by <model id>`), and a
//! malformed request an `invalid-request` error; the checks run in the order
//! of their arguments, so the first problem is the one reported; message
//! text is copied byte for byte (joined, never trimmed or escaped). What a
//! family without reasoning or caching cannot use in history (reasoning
//! blocks, redacted reasoning, cache points) is left out, not refused: a
//! conversation begun on another model still continues.

use serde::Serialize;

use crate::types::{
    AdapterError, AttachmentLimits, Body, Capabilities, Content, Message, ModelSupport, Params,
    Request, Role,
};

/// A common setting, as the user gives it on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setting {
    /// `--max-tokens`.
    MaxTokens,
    /// `--temperature`.
    Temperature,
    /// `--top-p`.
    TopP,
    /// `--top-k`.
    TopK,
    /// `--stop` (repeatable).
    Stop,
    /// `--seed`.
    Seed,
    /// `--raw`.
    Raw,
}

impl Setting {
    /// The flag that sets it (`--top-k`).
    pub fn flag(self) -> &'static str {
        match self {
            Setting::MaxTokens => "--max-tokens",
            Setting::Temperature => "--temperature",
            Setting::TopP => "--top-p",
            Setting::TopK => "--top-k",
            Setting::Stop => "--stop",
            Setting::Seed => "--seed",
            Setting::Raw => "--raw",
        }
    }

    /// Whether the user gave it.
    pub fn is_given(self, params: &Params) -> bool {
        match self {
            Setting::MaxTokens => params.max_tokens.is_some(),
            Setting::Temperature => params.temperature.is_some(),
            Setting::TopP => params.top_p.is_some(),
            Setting::TopK => params.top_k.is_some(),
            Setting::Stop => !params.stop_sequences.is_empty(),
            Setting::Seed => params.seed.is_some(),
            Setting::Raw => params.raw,
        }
    }
}

/// Refuses the first of `settings` the user gave, as `unsupported`:
/// `<flag>: <why>`. A setting the family does not have is never dropped.
///
/// ```
/// use bedrock_adapter_kit::request::{self, Setting};
/// use bedrock_adapter_kit::types::{AdapterError, Params};
///
/// let params = Params {
///     max_tokens: None, temperature: None, top_p: None, top_k: None,
///     stop_sequences: Vec::new(), seed: Some(1), extra: Vec::new(), raw: false,
/// };
/// let refused = request::refuse(&params, &[Setting::TopK, Setting::Seed], "no sampling knobs");
/// let why = "--seed: no sampling knobs";
/// assert_eq!(refused, Err(AdapterError::Unsupported(why.to_owned())));
/// assert_eq!(request::refuse(&params, &[Setting::TopK], "never"), Ok(()));
/// ```
pub fn refuse(params: &Params, settings: &[Setting], why: &str) -> Result<(), AdapterError> {
    match settings.iter().find(|setting| setting.is_given(params)) {
        Some(setting) => Err(AdapterError::Unsupported(format!(
            "{}: {why}",
            setting.flag()
        ))),
        None => Ok(()),
    }
}

/// Refuses a `--temperature` or `--top-p` that is not a number (NaN or
/// infinite), which JSON cannot carry: `<flag>: <value> is not a number`.
pub fn check_finite(params: &Params) -> Result<(), AdapterError> {
    for (setting, value) in [
        (Setting::Temperature, params.temperature),
        (Setting::TopP, params.top_p),
    ] {
        if let Some(value) = value.filter(|value| !value.is_finite()) {
            return Err(AdapterError::InvalidRequest(format!(
                "{}: {value} is not a number",
                setting.flag()
            )));
        }
    }
    Ok(())
}

/// Refuses a request without messages: "there is no message to send".
pub fn require_messages<T>(messages: &[T]) -> Result<(), AdapterError> {
    if messages.is_empty() {
        Err(AdapterError::InvalidRequest(
            "there is no message to send".to_owned(),
        ))
    } else {
        Ok(())
    }
}

/// Refuses a message with no content, naming it by its `number` (from 1)
/// and role: "message 2 (assistant) has no content".
pub fn require_content(number: usize, message: &Message) -> Result<(), AdapterError> {
    if message.content.is_empty() {
        Err(AdapterError::InvalidRequest(format!(
            "message {number} ({}) has no content",
            role_name(message.role)
        )))
    } else {
        Ok(())
    }
}

/// The refusal of a feature `model_id` lacks: `<feature> are not supported
/// by <model id>` (`feature` is plural: `tools`, `images`, `documents`).
///
/// ```
/// use bedrock_adapter_kit::request;
/// use bedrock_adapter_kit::types::AdapterError;
///
/// let refused = request::unsupported("tools", "meta.llama3-1-8b-instruct-v1:0");
/// let why = "tools are not supported by meta.llama3-1-8b-instruct-v1:0";
/// assert_eq!(refused, AdapterError::Unsupported(why.to_owned()));
/// ```
pub fn unsupported(feature: &str, model_id: &str) -> AdapterError {
    AdapterError::Unsupported(format!("{feature} are not supported by {model_id}"))
}

/// Refuses, as [`unsupported`], what `request` asks of a model beyond its
/// `capabilities` (the ones its adapter describes): tools or a tool choice,
/// reasoning, a system prompt, images and documents (of a kind, size or
/// number the limits do not take). Cache points are not refused: a family
/// without caching leaves them out ([`history_parts`]). The host refuses
/// all this first; this is the adapter's second line.
pub fn refuse_beyond(request: &Request, capabilities: &Capabilities) -> Result<(), AdapterError> {
    let model_id = &request.model_id;
    let has_tool_parts = request.messages.iter().any(|message| {
        message
            .content
            .iter()
            .any(|part| matches!(part, Content::ToolCall(_) | Content::ToolResult(_)))
    });
    if !capabilities.tools
        && (!request.tools.is_empty() || request.tool_choice.is_some() || has_tool_parts)
    {
        return Err(unsupported("tools", model_id));
    }
    if !capabilities.reasoning && request.reasoning.is_some() {
        return Err(AdapterError::Unsupported(format!(
            "reasoning is not supported by {model_id}"
        )));
    }
    if !capabilities.system && request.system.is_some() {
        return Err(AdapterError::Unsupported(format!(
            "a system prompt is not supported by {model_id}"
        )));
    }
    let parts = || request.messages.iter().flat_map(|message| &message.content);
    let images = parts().filter_map(|part| match part {
        Content::Image(image) => Some((image.media_type.as_str(), image.data.len())),
        _ => None,
    });
    within(images, capabilities.images.as_ref(), "images", model_id)?;
    let documents = parts().filter_map(|part| match part {
        Content::Document(document) => Some((document.media_type.as_str(), document.data.len())),
        _ => None,
    });
    within(
        documents,
        capabilities.documents.as_ref(),
        "documents",
        model_id,
    )
}

/// [`refuse_beyond`] with the capabilities `models` (what the adapter
/// describes) give the request's model; a model no pattern matches is left
/// to the adapter's own routing, which names what it serves.
pub fn refuse_beyond_described(
    request: &Request,
    models: &[ModelSupport],
) -> Result<(), AdapterError> {
    match crate::models::capabilities_of(models, &request.model_id) {
        Some(capabilities) => refuse_beyond(request, capabilities),
        None => Ok(()),
    }
}

/// Refuses attachments (media type, size) of the sort `feature` beyond
/// `limits`, or any when there are none.
fn within<'a>(
    attachments: impl Iterator<Item = (&'a str, usize)>,
    limits: Option<&AttachmentLimits>,
    feature: &str,
    model_id: &str,
) -> Result<(), AdapterError> {
    let mut count = 0_u32;
    for (media_type, size) in attachments {
        let Some(limits) = limits else {
            return Err(unsupported(feature, model_id));
        };
        count = count.saturating_add(1);
        if !limits.media_types.iter().any(|kind| kind == media_type) {
            return Err(AdapterError::Unsupported(format!(
                "{feature} of type {media_type} are not supported by {model_id}: it takes {}",
                limits.media_types.join(", ")
            )));
        }
        if u64::try_from(size).unwrap_or(u64::MAX) > limits.max_bytes {
            return Err(AdapterError::InvalidRequest(format!(
                "{feature}: one of {size} bytes is over the {} bytes {model_id} takes",
                limits.max_bytes
            )));
        }
        if count > limits.max_count {
            return Err(AdapterError::InvalidRequest(format!(
                "{feature}: {model_id} takes at most {} in one request",
                limits.max_count
            )));
        }
    }
    Ok(())
}

/// The parts of a message a family can use in history: reasoning and
/// redacted reasoning are left out unless the family has `reasoning`, cache
/// points unless it has `caching`; every other part is kept, in order.
pub fn history_parts(content: Vec<Content>, reasoning: bool, caching: bool) -> Vec<Content> {
    content
        .into_iter()
        .filter(|part| match part {
            Content::Reasoning(_) | Content::RedactedReasoning(_) => reasoning,
            Content::CachePoint => caching,
            _ => true,
        })
        .collect()
}

/// The text parts of a message, joined as they are, for a family that
/// reads text only. Reasoning, redacted reasoning and cache points are left
/// out (see [`history_parts`]); an image, a document, a tool call or a tool
/// result is refused as [`unsupported`] by `model_id` (`images`,
/// `documents`, `tools`).
pub fn text_only(content: Vec<Content>, model_id: &str) -> Result<String, AdapterError> {
    let mut text = String::new();
    for part in content {
        match part {
            Content::Text(part) => text.push_str(&part),
            Content::Image(_) => return Err(unsupported("images", model_id)),
            Content::Document(_) => return Err(unsupported("documents", model_id)),
            Content::ToolCall(_) | Content::ToolResult(_) => {
                return Err(unsupported("tools", model_id));
            }
            Content::Reasoning(_) | Content::RedactedReasoning(_) | Content::CachePoint => {}
        }
    }
    Ok(text)
}

/// The text of message `number` (from 1): refuses a message with no
/// content ("message 1 has no content"), then joins its text parts as
/// [`text_only`] does.
pub fn message_text(
    number: usize,
    content: Vec<Content>,
    model_id: &str,
) -> Result<String, AdapterError> {
    if content.is_empty() {
        return Err(AdapterError::InvalidRequest(format!(
            "message {number} has no content"
        )));
    }
    text_only(content, model_id)
}

/// One turn of a text-only conversation: a message with its text parts
/// joined.
#[derive(Debug, Clone, PartialEq)]
pub struct Turn {
    /// Who said it.
    pub role: Role,
    /// What was said.
    pub text: String,
}

/// The messages as turns of text, for a family that reads text only:
/// refuses no messages ([`require_messages`]), then each message as
/// [`message_text`] does, naming `model_id` in a refusal.
pub fn text_turns(messages: Vec<Message>, model_id: &str) -> Result<Vec<Turn>, AdapterError> {
    require_messages(&messages)?;
    (1..)
        .zip(messages)
        .map(|(number, Message { role, content })| {
            message_text(number, content, model_id).map(|text| Turn { role, text })
        })
        .collect()
}

/// One message of a chat body in the common `{"role", "content"}` form.
#[derive(Debug, PartialEq, Serialize)]
pub struct ChatMessage {
    /// `system`, `user` or `assistant`.
    pub role: &'static str,
    /// The message's text.
    pub content: String,
}

/// The system prompt and the turns as chat messages: the system prompt, when
/// there is one, first, with the role `system`.
///
/// ```
/// use bedrock_adapter_kit::request::{self, Turn};
/// use bedrock_adapter_kit::types::Role;
///
/// let turns = vec![Turn { role: Role::User, text: "Hi".to_owned() }];
/// let body = serde_json::to_string(&request::chat_messages(Some("Be brief.".to_owned()), turns));
/// let expected = r#"[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"}]"#;
/// assert_eq!(body.ok().as_deref(), Some(expected));
/// ```
pub fn chat_messages(system: Option<String>, turns: Vec<Turn>) -> Vec<ChatMessage> {
    let system = system.map(|content| ChatMessage {
        role: "system",
        content,
    });
    let turns = turns.into_iter().map(|Turn { role, text }| ChatMessage {
        role: role_name(role),
        content: text,
    });
    system.into_iter().chain(turns).collect()
}

/// What has a speaker: a [`Message`] or a [`Turn`].
pub trait Spoken {
    /// Who said it.
    fn role(&self) -> Role;
}

impl Spoken for Message {
    fn role(&self) -> Role {
        self.role
    }
}

impl Spoken for Turn {
    fn role(&self) -> Role {
        self.role
    }
}

/// `--raw`: the one user message, whose text is sent as is. Refuses, in
/// this order, a system prompt (there is nowhere to put it), a conversation
/// (of any other number of messages), and a message that is not the
/// user's.
///
/// ```
/// use bedrock_adapter_kit::request::{self, Turn};
/// use bedrock_adapter_kit::types::Role;
///
/// let prompt = Turn { role: Role::User, text: "[INST] Hi [/INST]".to_owned() };
/// let raw = request::raw_prompt(false, vec![prompt.clone()]);
/// assert_eq!(raw.map(|turn| turn.text), Ok(prompt.text.clone()));
/// assert!(request::raw_prompt(true, vec![prompt]).is_err());
/// ```
pub fn raw_prompt<T: Spoken>(has_system: bool, messages: Vec<T>) -> Result<T, AdapterError> {
    if has_system {
        return Err(AdapterError::InvalidRequest(
            "--raw sends the prompt as is, with no system prompt; write it into the prompt"
                .to_owned(),
        ));
    }
    let [message] = <[T; 1]>::try_from(messages).map_err(|messages| {
        AdapterError::InvalidRequest(format!(
            "--raw sends one prompt as is, not a conversation of {} messages",
            messages.len()
        ))
    })?;
    if message.role() != Role::User {
        return Err(AdapterError::InvalidRequest(
            "--raw sends the user's prompt; the message is not the user's".to_owned(),
        ));
    }
    Ok(message)
}

/// Refuses turns that do not alternate user, assistant, user, ... starting
/// with the user's, the only order a prompt `format` such as Llama 2's
/// `[INST]` can write: `<format> needs turns that alternate ...`.
pub fn require_alternating(turns: &[Turn], format: &str) -> Result<(), AdapterError> {
    let expected = [Role::User, Role::Assistant].into_iter().cycle();
    match (1..)
        .zip(expected)
        .zip(turns)
        .find(|((_, expected), turn)| turn.role != *expected)
    {
        Some(((number, expected), _)) => Err(AdapterError::InvalidRequest(format!(
            "{format} needs turns that alternate user, assistant, user, ... starting with \
             the user's; message {number} is not the {}'s",
            role_name(expected)
        ))),
        None => Ok(()),
    }
}

/// The role as chat bodies and templates name it: `user`, `assistant`.
pub fn role_name(role: Role) -> &'static str {
    match role {
        Role::User => "user",
        Role::Assistant => "assistant",
    }
}

/// `body` written as JSON, to be sent as `application/json` with an
/// `application/json` answer asked for.
pub fn json_body(body: &impl Serialize) -> Result<Body, AdapterError> {
    let bytes = serde_json::to_vec(body)
        .map_err(|err| AdapterError::InvalidRequest(format!("cannot write the body: {err}")))?;
    Ok(Body {
        bytes,
        content_type: "application/json".to_owned(),
        accept: "application/json".to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{document, image, message, params, request, text, tool_call};

    fn invalid(result: Result<impl std::fmt::Debug, AdapterError>) -> String {
        match result {
            Err(AdapterError::InvalidRequest(message)) => message,
            other => panic!("not an invalid-request error: {other:?}"),
        }
    }

    #[test]
    fn refusals_name_the_first_flag_given() {
        let given = Params {
            top_k: Some(1),
            stop_sequences: vec!["x".to_owned()],
            raw: true,
            ..params()
        };
        assert_eq!(
            refuse(&given, &[Setting::Seed, Setting::Stop, Setting::Raw], "why"),
            Err(AdapterError::Unsupported("--stop: why".to_owned()))
        );
        for setting in [
            Setting::MaxTokens,
            Setting::Temperature,
            Setting::TopP,
            Setting::TopK,
            Setting::Stop,
            Setting::Seed,
            Setting::Raw,
        ] {
            assert!(!setting.is_given(&params()), "{setting:?}");
            assert!(setting.flag().starts_with("--"));
        }
    }

    #[test]
    fn numbers_must_be_finite() {
        let nan = Params {
            top_p: Some(f32::NAN),
            temperature: Some(f32::INFINITY),
            ..params()
        };
        assert_eq!(
            invalid(check_finite(&nan)),
            "--temperature: inf is not a number"
        );
        let top_p = Params {
            top_p: Some(f32::NAN),
            ..params()
        };
        assert_eq!(
            invalid(check_finite(&top_p)),
            "--top-p: NaN is not a number"
        );
        assert_eq!(check_finite(&params()), Ok(()));
    }

    #[test]
    fn turns_of_text() {
        let model = "m.text-v1";
        let turns = text_turns(
            vec![
                message(
                    Role::User,
                    vec![
                        Content::Text("a ".to_owned()),
                        Content::CachePoint,
                        Content::Text("b".to_owned()),
                    ],
                ),
                message(
                    Role::Assistant,
                    vec![
                        Content::Reasoning(crate::types::Reasoning {
                            text: "hm".to_owned(),
                            signature: None,
                        }),
                        Content::RedactedReasoning("x".to_owned()),
                        Content::Text("c".to_owned()),
                    ],
                ),
            ],
            model,
        );
        assert_eq!(
            turns,
            Ok(vec![
                Turn {
                    role: Role::User,
                    text: "a b".to_owned()
                },
                Turn {
                    role: Role::Assistant,
                    text: "c".to_owned()
                },
            ])
        );
        assert_eq!(
            invalid(text_turns(Vec::new(), model)),
            "there is no message to send"
        );
        let empty = message(Role::Assistant, Vec::new());
        assert_eq!(
            invalid(text_turns(
                vec![text(Role::User, "a"), empty.clone()],
                model
            )),
            "message 2 has no content"
        );
        assert_eq!(
            invalid(require_content(2, &empty)),
            "message 2 (assistant) has no content"
        );
        for (part, feature) in [
            (image("image/png"), "images"),
            (document("text/plain"), "documents"),
            (tool_call("f", "{}"), "tools"),
        ] {
            assert_eq!(
                text_turns(vec![message(Role::User, vec![part])], model),
                Err(AdapterError::Unsupported(format!(
                    "{feature} are not supported by m.text-v1"
                )))
            );
        }
    }

    #[test]
    fn history_keeps_what_the_family_uses() {
        let reasoning = Content::RedactedReasoning("x".to_owned());
        let parts = || {
            vec![
                reasoning.clone(),
                Content::Text("a".to_owned()),
                Content::CachePoint,
            ]
        };
        assert_eq!(
            history_parts(parts(), false, false),
            [Content::Text("a".to_owned())]
        );
        assert_eq!(history_parts(parts(), true, true), parts());
        assert_eq!(
            history_parts(parts(), false, true),
            [Content::Text("a".to_owned()), Content::CachePoint]
        );
    }

    #[test]
    fn requests_beyond_the_capabilities_are_refused() {
        let model = "m.text-v1";
        let hi = || vec![text(Role::User, "Hi")];
        let text_model = crate::models::text_only();
        let refused = |req: Request, caps: &Capabilities| match refuse_beyond(&req, caps) {
            Err(AdapterError::Unsupported(message) | AdapterError::InvalidRequest(message)) => {
                message
            }
            other => panic!("not refused: {other:?}"),
        };
        assert_eq!(
            refuse_beyond(&request(model, hi(), params()), &text_model),
            Ok(())
        );
        let tools = Request {
            tool_choice: Some(crate::types::ToolChoice::Auto),
            ..request(model, hi(), params())
        };
        assert_eq!(
            refused(tools, &text_model),
            "tools are not supported by m.text-v1"
        );
        let reasoning = Request {
            reasoning: Some(crate::types::ReasoningConfig::BudgetTokens(1024)),
            ..request(model, hi(), params())
        };
        assert_eq!(
            refused(reasoning, &text_model),
            "reasoning is not supported by m.text-v1"
        );
        let system = Request {
            system: Some("s".to_owned()),
            ..request(model, hi(), params())
        };
        let no_system = Capabilities {
            system: false,
            ..text_model.clone()
        };
        assert!(refused(system, &no_system).starts_with("a system prompt"));
        let images = Capabilities {
            images: Some(crate::models::limits(&["image/png"], 1, 1)),
            ..text_model.clone()
        };
        let with = |parts: Vec<Content>| request(model, vec![message(Role::User, parts)], params());
        assert_eq!(
            refuse_beyond(&with(vec![image("image/png")]), &images),
            Ok(())
        );
        assert!(refused(with(vec![image("image/bmp")]), &images).contains("image/bmp"));
        assert!(refused(with(vec![image("image/png"); 2]), &images).contains("at most 1"));
        let big = Content::Image(crate::types::Image {
            media_type: "image/png".to_owned(),
            data: vec![0, 0],
        });
        assert!(refused(with(vec![big]), &images).contains("over the 1 bytes"));
        assert_eq!(
            refused(with(vec![document("application/pdf")]), &images),
            "documents are not supported by m.text-v1"
        );
    }

    #[test]
    fn raw_prompts() {
        let user = || text(Role::User, "p");
        assert_eq!(raw_prompt(false, vec![user()]), Ok(user()));
        assert!(invalid(raw_prompt(true, vec![user()])).contains("no system prompt"));
        assert!(invalid(raw_prompt(false, vec![user(), user()])).contains("of 2 messages"));
        assert!(invalid(raw_prompt(false, Vec::<Message>::new())).contains("of 0 messages"));
        assert!(
            invalid(raw_prompt(false, vec![text(Role::Assistant, "p")])).contains("not the user's")
        );
    }

    #[test]
    fn alternation() {
        let turn = |role| Turn {
            role,
            text: String::new(),
        };
        let good = [turn(Role::User), turn(Role::Assistant), turn(Role::User)];
        assert_eq!(require_alternating(&good, "F"), Ok(()));
        assert_eq!(
            invalid(require_alternating(
                &[turn(Role::User), turn(Role::User)],
                "F"
            )),
            "F needs turns that alternate user, assistant, user, ... starting with the \
             user's; message 2 is not the assistant's"
        );
        assert!(
            invalid(require_alternating(&[turn(Role::Assistant)], "F"))
                .ends_with("message 1 is not the user's")
        );
    }

    #[test]
    fn bodies_are_json() {
        let body = json_body(&serde_json::json!({"b": 1, "a": [0.5]})).expect("JSON");
        assert_eq!(body.bytes, br#"{"a":[0.5],"b":1}"#);
        assert_eq!(body.content_type, "application/json");
        assert_eq!(body.accept, "application/json");
    }
}
