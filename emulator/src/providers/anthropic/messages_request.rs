//! What a Claude Messages body may hold on Bedrock, checked the way Bedrock and Anthropic check
//! it, following AWS's "Anthropic Claude Messages API" request page and Anthropic's Messages,
//! tool use, vision, PDF, extended thinking and prompt caching documentation: Bedrock's schema
//! check first (every violation in one everit-style message, see [`schema`]), then Anthropic's
//! own checks, which stop at the first problem and quote its path (`messages.1.content.0...`).
//! Invariant: a request that parses is one the reply can be generated from without further
//! checks: every tool result answers a tool use of the previous assistant turn, attachments
//! decode to what their media type says, a thinking budget fits under `max_tokens`, and at most
//! [`MAX_CACHE_POINTS`] blocks carry `cache_control`.
//!
//! Accepted blocks: in user turns `text`, `image` (base64 PNG, JPEG, GIF or WebP, at most
//! [`MAX_IMAGE_BYTES`]), `document` (base64 PDF or plain text) and `tool_result`; in assistant
//! turns `text`, `tool_use`, `thinking` (with its `signature`) and `redacted_thinking`.

use serde_json::{Map, Value};

use crate::api_error::ApiError;
use crate::providers::count_words;
use crate::providers::media::{Sniffed, decode_base64, decoded_len};
use crate::providers::prompt_cache::PrefixHasher;
use crate::providers::schema::{self, Violations};
use crate::providers::tools::{ToolChoice, ToolDefinition};

/// Top-level keys Bedrock is recorded rejecting in Messages bodies (AnthropicSwiftSDK#19:
/// `#: extraneous key [stream] is not permitted#: extraneous key [model] is not permitted`).
const REJECTED_KEYS: &[&str] = &["stream", "model"];
/// Anthropic's own check after Bedrock's schema check, as reported in anomalyco/opencode#15715.
pub(super) const EMPTY_TEXT_BLOCK: &str = "messages: text content blocks must be non-empty";
/// Most blocks that may carry `cache_control` (Anthropic's prompt caching documentation).
pub(super) const MAX_CACHE_POINTS: usize = 4;
/// Largest decoded image Bedrock takes in a Claude message (3.75 MB, AWS's Claude vision limit).
pub(super) const MAX_IMAGE_BYTES: usize = 3_932_160;
/// Smallest extended-thinking budget.
pub(super) const MIN_THINKING_BUDGET: i64 = 1024;
/// Media types an image source may declare.
const IMAGE_MEDIA_TYPES: &[&str] = &["image/jpeg", "image/png", "image/gif", "image/webp"];
/// Tool choice types.
const TOOL_CHOICE_TYPES: &[&str] = &["auto", "any", "tool", "none"];
/// Thinking configuration types (`adaptive` is the newer models' budgetless form).
const THINKING_TYPES: &[&str] = &["enabled", "disabled", "adaptive"];
/// Bytes of attachment counted as one input token.
const ATTACHMENT_BYTES_PER_TOKEN: usize = 1024;

/// A Messages body that passed every check.
#[derive(Debug)]
pub(super) struct MessagesRequest {
    pub max_tokens: u32,
    pub stop_sequences: Vec<String>,
    pub tools: Vec<ToolDefinition>,
    pub tool_choice: ToolChoice,
    /// The thinking budget when thinking is on (`adaptive` thinking gets `max_tokens` - 1).
    pub thinking_budget: Option<u32>,
    /// The system prompt and every turn, as text, in order: what identifies the prompt.
    pub seed_text: String,
    /// The text (and tool results) of the last user turn, which the reply restates.
    pub echo_text: String,
    /// The text blocks alone of the last user turn, where a tool may be named.
    pub last_user_words: String,
    /// The prompt walked in cache order, cache points marked.
    pub prefix: PrefixHasher,
    /// Whether any block carries `cache_control`.
    pub has_cache_points: bool,
}

/// A check of Anthropic's, after the schema: its message.
fn refused(message: impl Into<String>) -> ApiError {
    ApiError::validation(message.into())
}

impl MessagesRequest {
    /// Checks `object` as a Messages body for the model reported as `model`.
    pub fn parse(model: &str, object: &Map<String, Value>) -> Result<Self, ApiError> {
        let mut violations = Violations::default();
        match object.get("anthropic_version") {
            None => violations.required_key("#", "anthropic_version"),
            Some(Value::String(_)) => {}
            Some(other) => violations.wrong_type("#/anthropic_version", "String", other),
        }
        let max_tokens = schema::positive_integer(object, "max_tokens", &mut violations);
        let messages = parse_messages_shape(object.get("messages"), &mut violations);
        let stop_sequences = schema::stop_sequences(object, &mut violations);
        let tools = object
            .get("tools")
            .map(|tools| array_of(tools, "#/tools", &mut violations));
        let tool_choice = schema::optional_object(object, "#", "tool_choice", &mut violations);
        let thinking = schema::optional_object(object, "#", "thinking", &mut violations);
        if let Some(choice) = tool_choice {
            schema::optional_enum(
                choice,
                "#/tool_choice",
                "type",
                TOOL_CHOICE_TYPES,
                &mut violations,
            );
        }
        if let Some(thinking) = thinking {
            schema::optional_enum(
                thinking,
                "#/thinking",
                "type",
                THINKING_TYPES,
                &mut violations,
            );
        }
        for key in REJECTED_KEYS {
            if object.contains_key(*key) {
                violations.extraneous_key("#", key);
            }
        }
        violations.into_result()?;
        // A missing or invalid max_tokens was reported as a violation above.
        let Some(max_tokens) = max_tokens else {
            return Err(ApiError::internal(
                "validated Messages body has no max_tokens",
            ));
        };

        let mut walk = Walk::new(model);
        let tools = match tools.flatten() {
            Some(tools) => walk.tools(tools)?,
            None => Vec::new(),
        };
        let tool_choice = parse_tool_choice(tool_choice, &tools)?;
        let thinking_budget = parse_thinking(thinking, max_tokens)?;
        if thinking_budget.is_some()
            && matches!(tool_choice, ToolChoice::Any | ToolChoice::Named(_))
        {
            return Err(refused(
                "Thinking may not be enabled when tool_choice forces tool use.",
            ));
        }
        walk.system(object.get("system"))?;
        walk.messages(messages)?;
        if walk.cache_points > MAX_CACHE_POINTS {
            return Err(refused(format!(
                "A maximum of {MAX_CACHE_POINTS} blocks with cache_control may be provided. \
                 Found {}.",
                walk.cache_points
            )));
        }
        Ok(Self {
            max_tokens,
            stop_sequences,
            tools,
            tool_choice,
            thinking_budget,
            seed_text: walk.seed,
            echo_text: walk.echo,
            last_user_words: walk.last_user_words,
            has_cache_points: walk.cache_points > 0,
            prefix: walk.prefix,
        })
    }
}

/// The array `value` at `path`, or a type violation.
fn array_of<'a>(value: &'a Value, path: &str, violations: &mut Violations) -> Option<&'a [Value]> {
    match value {
        Value::Array(items) => Some(items),
        other => {
            violations.wrong_type(path, "JSONArray", other);
            None
        }
    }
}

/// The messages array, each turn's role and content type checked (Bedrock's schema).
fn parse_messages_shape<'a>(
    messages: Option<&'a Value>,
    violations: &mut Violations,
) -> &'a [Value] {
    let items = match messages {
        None => {
            violations.required_key("#", "messages");
            return &[];
        }
        Some(Value::Array(items)) => items,
        Some(other) => {
            violations.wrong_type("#/messages", "JSONArray", other);
            return &[];
        }
    };
    if items.is_empty() {
        violations.too_few_items("#/messages", 1, 0);
    }
    for (index, item) in items.iter().enumerate() {
        let path = format!("#/messages/{index}");
        let Value::Object(message) = item else {
            violations.wrong_type(&path, "JSONObject", item);
            continue;
        };
        match message.get("role") {
            None => violations.required_key(&path, "role"),
            Some(Value::String(role)) if role == "user" || role == "assistant" => {}
            Some(Value::String(role)) => violations.not_in_enum(&format!("{path}/role"), role),
            Some(other) => violations.wrong_type(&format!("{path}/role"), "String", other),
        }
        match message.get("content") {
            None => violations.required_key(&path, "content"),
            Some(Value::String(_) | Value::Array(_)) => {}
            Some(other) => violations.wrong_type(&format!("{path}/content"), "JSONArray", other),
        }
    }
    items
}

fn parse_tool_choice(
    choice: Option<&Map<String, Value>>,
    tools: &[ToolDefinition],
) -> Result<ToolChoice, ApiError> {
    let Some(choice) = choice else {
        return Ok(ToolChoice::Auto);
    };
    if tools.is_empty() {
        return Err(refused(
            "tool_choice may only be specified while providing tools.",
        ));
    }
    Ok(match choice.get("type").and_then(Value::as_str) {
        Some("any") => ToolChoice::Any,
        Some("none") => ToolChoice::None,
        Some("tool") => {
            let Some(name) = choice.get("name").and_then(Value::as_str) else {
                return Err(refused("tool_choice.tool.name: Field required"));
            };
            if !tools.iter().any(|tool| tool.name == name) {
                return Err(refused(format!(
                    "Tool '{name}' not found in provided tools"
                )));
            }
            ToolChoice::Named(name.to_owned())
        }
        _ => ToolChoice::Auto,
    })
}

fn parse_thinking(
    thinking: Option<&Map<String, Value>>,
    max_tokens: u32,
) -> Result<Option<u32>, ApiError> {
    let Some(thinking) = thinking else {
        return Ok(None);
    };
    match thinking.get("type").and_then(Value::as_str) {
        Some("enabled") => {}
        Some("adaptive") => return Ok(Some(max_tokens.saturating_sub(1).max(1))),
        _ => return Ok(None),
    }
    let budget = match thinking.get("budget_tokens") {
        None => return Err(refused("thinking.enabled.budget_tokens: Field required")),
        Some(value) => value.as_i64().ok_or_else(|| {
            refused("thinking.enabled.budget_tokens: Input should be a valid integer")
        })?,
    };
    if budget < MIN_THINKING_BUDGET {
        return Err(refused(format!(
            "thinking.enabled.budget_tokens: Input should be greater than or equal to \
             {MIN_THINKING_BUDGET}"
        )));
    }
    if budget >= i64::from(max_tokens) {
        return Err(refused(
            "`max_tokens` must be greater than `thinking.budget_tokens`. Please consult our \
             documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking#max-tokens-and-context-window-size",
        ));
    }
    Ok(Some(u32::try_from(budget).unwrap_or(u32::MAX)))
}

/// One pass over tools, system and messages in cache order, checking each block and recording
/// what the reply needs.
struct Walk {
    prefix: PrefixHasher,
    cache_points: usize,
    seed: String,
    echo: String,
    last_user_words: String,
    /// Tool use ids of the previous assistant turn, not yet answered.
    pending_tool_uses: Vec<String>,
    /// Index of the assistant turn `pending_tool_uses` came from.
    pending_from: usize,
}

impl Walk {
    fn new(model: &str) -> Self {
        Self {
            prefix: PrefixHasher::new(model),
            cache_points: 0,
            seed: String::new(),
            echo: String::new(),
            last_user_words: String::new(),
            pending_tool_uses: Vec::new(),
            pending_from: 0,
        }
    }

    /// Adds `block` (without its `cache_control`) to the prefix, and marks a cache point
    /// after it when it has a valid `cache_control`.
    fn add(&mut self, block: &Value, tokens: u32, path: &str) -> Result<(), ApiError> {
        let mut canonical = block.clone();
        let cache_control = canonical
            .as_object_mut()
            .and_then(|object| object.remove("cache_control"));
        self.prefix.add(&canonical.to_string(), tokens);
        if let Some(cache_control) = cache_control {
            check_cache_control(&cache_control, path)?;
            self.prefix.mark();
            self.cache_points += 1;
        }
        Ok(())
    }

    fn tools(&mut self, tools: &[Value]) -> Result<Vec<ToolDefinition>, ApiError> {
        let mut definitions: Vec<ToolDefinition> = Vec::with_capacity(tools.len());
        for (index, tool) in tools.iter().enumerate() {
            let path = format!("tools.{index}");
            let Some(object) = tool.as_object() else {
                return Err(refused(format!(
                    "{path}: Input should be a valid dictionary"
                )));
            };
            let custom = object
                .get("type")
                .and_then(Value::as_str)
                .is_none_or(|kind| kind == "custom");
            let Some(name) = object.get("name").and_then(Value::as_str) else {
                return Err(refused(format!("{path}.custom.name: Field required")));
            };
            if !is_tool_name(name) {
                return Err(refused(format!(
                    "{path}.custom.name: String should match pattern '^[a-zA-Z0-9_-]{{1,64}}$'"
                )));
            }
            if definitions.iter().any(|defined| defined.name == name) {
                return Err(refused("tools: Tool names must be unique."));
            }
            if let Some(description) = object.get("description")
                && !description.is_string()
            {
                return Err(refused(format!(
                    "{path}.custom.description: Input should be a valid string"
                )));
            }
            let input_schema = match object.get("input_schema") {
                Some(Value::Object(schema)) => Value::Object(schema.clone()),
                Some(_) => {
                    return Err(refused(format!(
                        "{path}.custom.input_schema: Input should be a valid dictionary"
                    )));
                }
                None if custom => {
                    return Err(refused(format!(
                        "{path}.custom.input_schema: Field required"
                    )));
                }
                None => Value::Object(Map::new()),
            };
            let tokens = count_words(name)
                .saturating_add(
                    object
                        .get("description")
                        .and_then(Value::as_str)
                        .map_or(0, count_words),
                )
                .saturating_add(count_words(&input_schema.to_string()));
            self.add(tool, tokens, &path)?;
            self.seed.push_str(name);
            self.seed.push('\n');
            definitions.push(ToolDefinition {
                name: name.to_owned(),
                input_schema,
            });
        }
        Ok(definitions)
    }

    fn system(&mut self, system: Option<&Value>) -> Result<(), ApiError> {
        match system {
            None => Ok(()),
            Some(Value::String(text)) => {
                self.prefix.add(text, count_words(text));
                self.seed.push_str(text);
                Ok(())
            }
            Some(Value::Array(blocks)) => {
                for (index, block) in blocks.iter().enumerate() {
                    let path = format!("system.{index}");
                    let text = text_of_block(block, &path)?;
                    self.add(block, count_words(text), &path)?;
                    self.seed.push_str(text);
                }
                Ok(())
            }
            Some(_) => Err(refused("system: Input should be a valid list")),
        }
    }

    fn messages(&mut self, messages: &[Value]) -> Result<(), ApiError> {
        for (index, message) in messages.iter().enumerate() {
            let role = message
                .get("role")
                .and_then(Value::as_str)
                .unwrap_or("user");
            let content = message.get("content").unwrap_or(&Value::Null);
            let is_user = role == "user";
            let mut answered = Vec::new();
            let mut tool_uses = Vec::new();
            let mut echo = String::new();
            let mut words = String::new();
            match content {
                Value::String(text) => {
                    self.prefix.add(text, count_words(text));
                    echo.push_str(text);
                    words.push_str(text);
                }
                Value::Array(blocks) => {
                    for (position, block) in blocks.iter().enumerate() {
                        let path = format!("messages.{index}.content.{position}");
                        let checked = check_block(block, role, &path)?;
                        self.add(block, checked.tokens, &path)?;
                        match checked.kind {
                            Checked::Text(text) => {
                                push_line(&mut echo, text);
                                push_line(&mut words, text);
                            }
                            Checked::ToolResult { id, text } => {
                                if !self.pending_tool_uses.contains(&id) {
                                    return Err(refused(format!(
                                        "{path}: unexpected `tool_use_id` found in \
                                         `tool_result` blocks: {id}. Each `tool_result` block \
                                         must have a corresponding `tool_use` block in the \
                                         previous message."
                                    )));
                                }
                                push_line(&mut echo, &text);
                                answered.push(id);
                            }
                            Checked::ToolUse(id) => tool_uses.push(id),
                            Checked::Other => {}
                        }
                    }
                }
                _ => {}
            }
            if !self.pending_tool_uses.is_empty() {
                let unanswered: Vec<&str> = self
                    .pending_tool_uses
                    .iter()
                    .filter(|id| !answered.contains(id))
                    .map(String::as_str)
                    .collect();
                if !unanswered.is_empty() {
                    return Err(refused(format!(
                        "messages.{}: `tool_use` ids were found without `tool_result` blocks \
                         immediately after: {}. Each `tool_use` block must have a \
                         corresponding `tool_result` block in the next message.",
                        self.pending_from,
                        unanswered.join(", ")
                    )));
                }
            }
            self.pending_tool_uses = tool_uses;
            self.pending_from = index;
            self.seed.push('\n');
            self.seed.push_str(role);
            self.seed.push_str(": ");
            self.seed.push_str(&echo);
            if is_user {
                self.echo = echo;
                self.last_user_words = words;
            }
        }
        Ok(())
    }
}

fn push_line(text: &mut String, line: &str) {
    if !text.is_empty() {
        text.push('\n');
    }
    text.push_str(line);
}

/// Whether `name` matches `^[a-zA-Z0-9_-]{1,64}$`.
fn is_tool_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-')
}

fn check_cache_control(cache_control: &Value, path: &str) -> Result<(), ApiError> {
    let kind = cache_control.get("type").and_then(Value::as_str);
    if kind != Some("ephemeral") {
        return Err(refused(format!(
            "{path}.cache_control.ephemeral.type: Input should be 'ephemeral'"
        )));
    }
    match cache_control.get("ttl") {
        None => Ok(()),
        Some(Value::String(ttl)) if ttl == "5m" || ttl == "1h" => Ok(()),
        Some(_) => Err(refused(format!(
            "{path}.cache_control.ephemeral.ttl: Input should be '5m' or '1h'"
        ))),
    }
}

/// The text of a `{"type": "text", "text": ...}` block, which must be non-empty.
fn text_of_block<'a>(block: &'a Value, path: &str) -> Result<&'a str, ApiError> {
    if block.get("type").and_then(Value::as_str) != Some("text") {
        return Err(refused(format!("{path}.type: Input should be 'text'")));
    }
    match block.get("text") {
        Some(Value::String(text)) if !text.is_empty() => Ok(text),
        Some(Value::String(_)) => Err(refused(EMPTY_TEXT_BLOCK)),
        Some(_) => Err(refused(format!(
            "{path}.text: Input should be a valid string"
        ))),
        None => Err(refused(format!("{path}.text: Field required"))),
    }
}

/// What one checked content block contributes.
struct CheckedBlock<'a> {
    tokens: u32,
    kind: Checked<'a>,
}

enum Checked<'a> {
    Text(&'a str),
    ToolUse(String),
    ToolResult { id: String, text: String },
    Other,
}

/// Checks one content block of a `role` turn.
fn check_block<'a>(block: &'a Value, role: &str, path: &str) -> Result<CheckedBlock<'a>, ApiError> {
    let Some(kind) = block.get("type").and_then(Value::as_str) else {
        return Err(refused(format!("{path}.type: Field required")));
    };
    let allowed: &[&str] = if role == "user" {
        &["text", "image", "document", "tool_result"]
    } else {
        &["text", "tool_use", "thinking", "redacted_thinking"]
    };
    if !allowed.contains(&kind) {
        return Err(refused(format!(
            "{path}.type: `{kind}` blocks are not allowed in `{role}` messages; expected one of \
             {}",
            allowed.join(", ")
        )));
    }
    let field = |key: &str| -> Result<&'a str, ApiError> {
        match block.get(key) {
            Some(Value::String(text)) => Ok(text),
            Some(_) => Err(refused(format!(
                "{path}.{kind}.{key}: Input should be a valid string"
            ))),
            None => Err(refused(format!("{path}.{kind}.{key}: Field required"))),
        }
    };
    Ok(match kind {
        "text" => {
            let text = text_of_block(block, path)?;
            CheckedBlock {
                tokens: count_words(text),
                kind: Checked::Text(text),
            }
        }
        "image" => CheckedBlock {
            tokens: check_image(block.get("source"), &format!("{path}.image.source"))?,
            kind: Checked::Other,
        },
        "document" => CheckedBlock {
            tokens: check_document(block.get("source"), &format!("{path}.document.source"))?,
            kind: Checked::Other,
        },
        "tool_use" => {
            let id = field("id")?;
            let name = field("name")?;
            let Some(input) = block.get("input").filter(|input| input.is_object()) else {
                return Err(refused(format!(
                    "{path}.tool_use.input: Input should be a valid dictionary"
                )));
            };
            CheckedBlock {
                tokens: count_words(name).saturating_add(count_words(&input.to_string())),
                kind: Checked::ToolUse(id.to_owned()),
            }
        }
        "tool_result" => {
            let id = field("tool_use_id")?;
            if let Some(is_error) = block.get("is_error")
                && !is_error.is_boolean()
            {
                return Err(refused(format!(
                    "{path}.tool_result.is_error: Input should be a valid boolean"
                )));
            }
            let text = tool_result_text(block.get("content"), &format!("{path}.tool_result"))?;
            CheckedBlock {
                tokens: count_words(&text),
                kind: Checked::ToolResult {
                    id: id.to_owned(),
                    text,
                },
            }
        }
        "thinking" => {
            let thinking = field("thinking")?;
            field("signature")?;
            CheckedBlock {
                tokens: count_words(thinking),
                kind: Checked::Other,
            }
        }
        _ => {
            field("data")?;
            CheckedBlock {
                tokens: 1,
                kind: Checked::Other,
            }
        }
    })
}

/// The text of a tool result's content: a string, or text and image blocks.
fn tool_result_text(content: Option<&Value>, path: &str) -> Result<String, ApiError> {
    match content {
        None => Ok(String::new()),
        Some(Value::String(text)) => Ok(text.clone()),
        Some(Value::Array(blocks)) => {
            let mut text = String::new();
            for (index, block) in blocks.iter().enumerate() {
                let path = format!("{path}.content.{index}");
                match block.get("type").and_then(Value::as_str) {
                    Some("text") => push_line(&mut text, text_of_block(block, &path)?),
                    Some("image") => {
                        check_image(block.get("source"), &format!("{path}.image.source"))?;
                    }
                    Some("document") => {
                        check_document(block.get("source"), &format!("{path}.document.source"))?;
                    }
                    _ => {
                        return Err(refused(format!(
                            "{path}.type: Input should be 'text', 'image' or 'document'"
                        )));
                    }
                }
            }
            Ok(text)
        }
        Some(_) => Err(refused(format!(
            "{path}.content: Input should be a valid list"
        ))),
    }
}

/// Checks an image source; its input tokens.
fn check_image(source: Option<&Value>, path: &str) -> Result<u32, ApiError> {
    let (media_type, data) = base64_source(source, path)?;
    if !IMAGE_MEDIA_TYPES.contains(&media_type) {
        return Err(refused(format!(
            "{path}.base64.media_type: Input should be 'image/jpeg', 'image/png', 'image/gif' \
             or 'image/webp'"
        )));
    }
    let size = decoded_len(data);
    if size > MAX_IMAGE_BYTES {
        return Err(refused(format!(
            "{path}.base64: image exceeds 3.75 MB maximum: {size} bytes > {MAX_IMAGE_BYTES} bytes"
        )));
    }
    let bytes = decode_base64(data)
        .ok_or_else(|| refused(format!("{path}.base64.data: Could not process image")))?;
    match Sniffed::of(&bytes) {
        Some(found) if found.media_type() == media_type => Ok(attachment_tokens(bytes.len())),
        _ => Err(refused(format!(
            "{path}.base64.data: Image does not match the provided media type {media_type}"
        ))),
    }
}

/// Checks a document source (base64 PDF or plain text); its input tokens.
fn check_document(source: Option<&Value>, path: &str) -> Result<u32, ApiError> {
    match source
        .and_then(|source| source.get("type"))
        .and_then(Value::as_str)
    {
        Some("text") => {
            let media_type = source
                .and_then(|source| source.get("media_type"))
                .and_then(Value::as_str);
            if media_type != Some("text/plain") {
                return Err(refused(format!(
                    "{path}.text.media_type: Input should be 'text/plain'"
                )));
            }
            match source.and_then(|source| source.get("data")) {
                Some(Value::String(text)) => Ok(count_words(text)),
                _ => Err(refused(format!("{path}.text.data: Field required"))),
            }
        }
        _ => {
            let (media_type, data) = base64_source(source, path)?;
            if media_type != "application/pdf" {
                return Err(refused(format!(
                    "{path}.base64.media_type: Input should be 'application/pdf'"
                )));
            }
            match decode_base64(data) {
                Some(bytes) if Sniffed::of(&bytes) == Some(Sniffed::Pdf) => {
                    Ok(attachment_tokens(bytes.len()))
                }
                _ => Err(refused(format!(
                    "{path}.base64.data: The PDF specified was not valid."
                ))),
            }
        }
    }
}

/// The media type and data of a `{"type": "base64", "media_type", "data"}` source.
fn base64_source<'a>(
    source: Option<&'a Value>,
    path: &str,
) -> Result<(&'a str, &'a str), ApiError> {
    let Some(source) = source.and_then(Value::as_object) else {
        return Err(refused(format!("{path}: Field required")));
    };
    if source.get("type").and_then(Value::as_str) != Some("base64") {
        return Err(refused(format!("{path}.type: Input should be 'base64'")));
    }
    let media_type = source
        .get("media_type")
        .and_then(Value::as_str)
        .ok_or_else(|| refused(format!("{path}.base64.media_type: Field required")))?;
    let data = source
        .get("data")
        .and_then(Value::as_str)
        .ok_or_else(|| refused(format!("{path}.base64.data: Field required")))?;
    Ok((media_type, data))
}

/// The input tokens an attachment of `bytes` counts for: one per started KiB.
fn attachment_tokens(bytes: usize) -> u32 {
    u32::try_from(bytes.div_ceil(ATTACHMENT_BYTES_PER_TOKEN).max(1)).unwrap_or(u32::MAX)
}
