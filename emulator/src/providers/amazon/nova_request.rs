//! What a Nova `messages-v1` body may hold, checked the way Bedrock checks it, following AWS's
//! Nova "complete request schema" (Nova and Nova 2 user guides): `messages` of `user` /
//! `assistant` turns whose `content` is an array of blocks, optional `system` blocks,
//! `inferenceConfig` with `max_new_tokens` or `maxTokens`, `temperature` and `top_p`/`topP` in
//! 0..=1, `top_k`/`topK`, `stopSequences` (both spellings the recordings use), `toolConfig`
//! (`tools` of `toolSpec` with `inputSchema.json`, and `cachePoint`s; `toolChoice` of `auto`,
//! `any` or `tool`), and for Nova 2 `reasoningConfig` (`type`, `maxReasoningEffort`). Blocks are
//! `text`, `image` (`format` png/jpeg/gif/webp, `source.bytes` base64), `document` (`format`,
//! `name`, `source.bytes`), `toolUse`, `toolResult`, `reasoningContent`, `video` and
//! `cachePoint` (`{"type": "default"}`), in system prompts `text` and `cachePoint`.
//!
//! Invariant: Bedrock's schema check comes first and reports every violation in one message
//! (see [`schema`]); Nova's own checks follow, in the Converse wording where AWS documents one:
//! no empty content, the conversation opens with the user, each `toolResult` answers a
//! `toolUse` of the previous assistant turn, image bytes are of their declared format.

use serde_json::{Map, Value};

use crate::api_error::ApiError;
use crate::providers::count_words;
use crate::providers::media::{Sniffed, decode_base64};
use crate::providers::prompt_cache::PrefixHasher;
use crate::providers::schema::{self, Violations};
use crate::providers::tools::{ToolChoice, ToolDefinition};

const KEYS: &[&str] = &[
    "schemaVersion",
    "system",
    "messages",
    "inferenceConfig",
    "toolConfig",
    "reasoningConfig",
];
const SCHEMA_VERSIONS: &[&str] = &["messages-v1"];
const ROLES: &[&str] = &["user", "assistant"];
const CONTENT_BLOCK_KEYS: &[&str] = &[
    "text",
    "image",
    "video",
    "document",
    "toolUse",
    "toolResult",
    "reasoningContent",
    "cachePoint",
];
const SYSTEM_BLOCK_KEYS: &[&str] = &["text", "cachePoint"];
const CONFIG: &str = "#/inferenceConfig";
const CONFIG_KEYS: &[&str] = &[
    "max_new_tokens",
    "maxTokens",
    "temperature",
    "top_p",
    "topP",
    "top_k",
    "topK",
    "stopSequences",
    "reasoningConfig",
];
const IMAGE_FORMATS: &[&str] = &["png", "jpeg", "gif", "webp"];
const DOCUMENT_FORMATS: &[&str] = &[
    "pdf", "csv", "doc", "docx", "xls", "xlsx", "html", "txt", "md",
];
const TOOL_RESULT_STATUSES: &[&str] = &["success", "error"];
const REASONING_TYPES: &[&str] = &["enabled", "disabled"];
const REASONING_EFFORTS: &[&str] = &["low", "medium", "high"];
/// Output tokens when the request sets no limit.
const DEFAULT_MAX_TOKENS: u32 = 5000;
/// Bytes of attachment counted as one input token.
const ATTACHMENT_BYTES_PER_TOKEN: usize = 1024;
/// Nova's own check that the conversation opens with the user (Converse wording).
pub(super) const FIRST_TURN_NOT_USER: &str = "A conversation must start with a user message. Try \
                                              again with a conversation that starts with a user \
                                              message.";

/// A Nova body that passed every check.
#[derive(Debug)]
pub(super) struct NovaRequest {
    pub max_tokens: u32,
    pub stop_sequences: Vec<String>,
    pub tools: Vec<ToolDefinition>,
    pub tool_choice: ToolChoice,
    /// Whether `reasoningConfig` turns reasoning on.
    pub reasoning: bool,
    /// The system prompt and every turn, as text: what identifies the prompt.
    pub seed_text: String,
    /// The text (and tool results) of the last user turn, which the reply restates.
    pub echo_text: String,
    /// The text blocks alone of the last user turn, where a tool may be named.
    pub last_user_words: String,
    /// The prompt walked in cache order (tools, system, messages), cache points marked.
    pub prefix: PrefixHasher,
    /// Whether any `cachePoint` is present.
    pub has_cache_points: bool,
}

impl NovaRequest {
    /// Checks `object` as a Nova body for the model `model_id` (reasoning is Nova 2's).
    pub fn parse(model_id: &str, object: &Map<String, Value>) -> Result<Self, ApiError> {
        let mut violations = Violations::default();
        schema::reject_unknown_keys(object, "#", KEYS, &mut violations);
        schema::optional_enum(
            object,
            "#",
            "schemaVersion",
            SCHEMA_VERSIONS,
            &mut violations,
        );
        let system = match object.get("system") {
            None => &[][..],
            Some(Value::Array(blocks)) => {
                check_blocks(blocks, "#/system", SYSTEM_BLOCK_KEYS, &mut violations);
                blocks
            }
            Some(other) => {
                violations.wrong_type("#/system", "JSONArray", other);
                &[][..]
            }
        };
        let messages =
            schema::required_array(object, "#", "messages", 1, &mut violations).unwrap_or_default();
        for (index, message) in messages.iter().enumerate() {
            check_turn(index, message, &mut violations);
        }
        let (max_tokens, stop_sequences, nested_reasoning) = parse_config(object, &mut violations);
        let tool_config = schema::optional_object(object, "#", "toolConfig", &mut violations);
        if let Some(config) = tool_config {
            check_tool_config(config, &mut violations);
        }
        let reasoning_config = object
            .get("reasoningConfig")
            .map(|config| ("#/reasoningConfig", config))
            .or(nested_reasoning.map(|config| ("#/inferenceConfig/reasoningConfig", config)));
        let reasoning = match reasoning_config {
            Some((path, config)) => check_reasoning(config, path, &mut violations),
            None => false,
        };
        violations.into_result()?;

        check_contents(messages)?;
        if messages
            .first()
            .and_then(|message| message.get("role"))
            .and_then(Value::as_str)
            .is_some_and(|role| role != "user")
        {
            return Err(ApiError::validation(FIRST_TURN_NOT_USER));
        }
        if reasoning && !model_id.contains("nova-2") {
            return Err(ApiError::validation(format!(
                "The model {model_id} does not support reasoningConfig."
            )));
        }
        let mut walk = Walk::new(model_id);
        let (tools, tool_choice) = match tool_config {
            Some(config) => walk.tools(config)?,
            None => (Vec::new(), ToolChoice::Auto),
        };
        walk.system(system);
        walk.messages(messages)?;
        Ok(Self {
            max_tokens,
            stop_sequences,
            tools,
            tool_choice,
            reasoning,
            seed_text: walk.seed,
            echo_text: walk.echo,
            last_user_words: walk.last_user_words,
            has_cache_points: walk.cache_points > 0,
            prefix: walk.prefix,
        })
    }
}

/// `inferenceConfig`: the token limit, stop sequences and a `reasoningConfig` nested there.
fn parse_config<'a>(
    object: &'a Map<String, Value>,
    violations: &mut Violations,
) -> (u32, Vec<String>, Option<&'a Value>) {
    let mut max_tokens = DEFAULT_MAX_TOKENS;
    let Some(config) = schema::optional_object(object, "#", "inferenceConfig", violations) else {
        return (max_tokens, Vec::new(), None);
    };
    schema::reject_unknown_keys(config, CONFIG, CONFIG_KEYS, violations);
    for key in ["max_new_tokens", "maxTokens"] {
        if let Some(count) = schema::optional_count(config, CONFIG, key, 1..=u32::MAX, violations) {
            max_tokens = count;
        }
    }
    for key in ["temperature", "top_p", "topP"] {
        schema::optional_number(config, CONFIG, key, 0.0..=1.0, violations);
    }
    for key in ["top_k", "topK"] {
        schema::optional_integer(config, CONFIG, key, 0..=i64::MAX, violations);
    }
    let stop_sequences =
        schema::optional_string_list(config, CONFIG, "stopSequences", usize::MAX, violations);
    (max_tokens, stop_sequences, config.get("reasoningConfig"))
}

/// Whether a valid `reasoningConfig` turns reasoning on.
fn check_reasoning(config: &Value, path: &str, violations: &mut Violations) -> bool {
    let Some(config) = schema::as_object(config, path, violations) else {
        return false;
    };
    schema::reject_unknown_keys(config, path, &["type", "maxReasoningEffort"], violations);
    if !config.contains_key("type") {
        violations.required_key(path, "type");
    }
    schema::optional_enum(
        config,
        path,
        "maxReasoningEffort",
        REASONING_EFFORTS,
        violations,
    );
    schema::optional_enum(config, path, "type", REASONING_TYPES, violations) == Some("enabled")
}

fn check_turn(index: usize, message: &Value, violations: &mut Violations) {
    let path = format!("#/messages/{index}");
    let Some(message) = schema::as_object(message, &path, violations) else {
        return;
    };
    if !message.contains_key("role") {
        violations.required_key(&path, "role");
    }
    schema::optional_enum(message, &path, "role", ROLES, violations);
    match message.get("content") {
        None => violations.required_key(&path, "content"),
        Some(Value::Array(blocks)) => check_blocks(
            blocks,
            &format!("{path}/content"),
            CONTENT_BLOCK_KEYS,
            violations,
        ),
        Some(other) => violations.wrong_type(&format!("{path}/content"), "JSONArray", other),
    }
}

/// Checks each block of `blocks` (at `path`) against the keys it may have and their shapes.
fn check_blocks(blocks: &[Value], path: &str, allowed: &[&str], violations: &mut Violations) {
    for (index, block) in blocks.iter().enumerate() {
        let block_path = format!("{path}/{index}");
        let Some(block) = schema::as_object(block, &block_path, violations) else {
            continue;
        };
        schema::reject_unknown_keys(block, &block_path, allowed, violations);
        schema::optional_string(block, &block_path, "text", violations);
        if let Some(image) = schema::optional_object(block, &block_path, "image", violations) {
            check_media(
                image,
                &format!("{block_path}/image"),
                IMAGE_FORMATS,
                false,
                violations,
            );
        }
        if let Some(document) = schema::optional_object(block, &block_path, "document", violations)
        {
            let document_path = format!("{block_path}/document");
            check_media(document, &document_path, DOCUMENT_FORMATS, true, violations);
        }
        if let Some(tool_use) = schema::optional_object(block, &block_path, "toolUse", violations) {
            let tool_path = format!("{block_path}/toolUse");
            schema::required_string(tool_use, &tool_path, "toolUseId", violations);
            schema::required_string(tool_use, &tool_path, "name", violations);
            match tool_use.get("input") {
                None => violations.required_key(&tool_path, "input"),
                Some(input) => {
                    schema::as_object(input, &format!("{tool_path}/input"), violations);
                }
            }
        }
        if let Some(result) = schema::optional_object(block, &block_path, "toolResult", violations)
        {
            let result_path = format!("{block_path}/toolResult");
            schema::required_string(result, &result_path, "toolUseId", violations);
            schema::optional_enum(
                result,
                &result_path,
                "status",
                TOOL_RESULT_STATUSES,
                violations,
            );
            if let Some(content) =
                schema::required_array(result, &result_path, "content", 0, violations)
            {
                check_blocks(
                    content,
                    &format!("{result_path}/content"),
                    &["text", "json", "image", "document"],
                    violations,
                );
            }
        }
        if let Some(point) = schema::optional_object(block, &block_path, "cachePoint", violations) {
            check_cache_point(point, &format!("{block_path}/cachePoint"), violations);
        }
        schema::optional_object(block, &block_path, "reasoningContent", violations);
    }
}

fn check_cache_point(point: &Map<String, Value>, path: &str, violations: &mut Violations) {
    if !point.contains_key("type") {
        violations.required_key(path, "type");
    }
    schema::optional_enum(point, path, "type", &["default"], violations);
}

/// An `image` or `document`: `format` in `formats`, `source.bytes` a string, and for a document
/// a `name`.
fn check_media(
    media: &Map<String, Value>,
    path: &str,
    formats: &[&str],
    named: bool,
    violations: &mut Violations,
) {
    if !media.contains_key("format") {
        violations.required_key(path, "format");
    }
    schema::optional_enum(media, path, "format", formats, violations);
    if named {
        schema::required_string(media, path, "name", violations);
    }
    match schema::optional_object(media, path, "source", violations) {
        Some(source) => {
            schema::required_string(source, &format!("{path}/source"), "bytes", violations);
        }
        None if !media.contains_key("source") => violations.required_key(path, "source"),
        None => {}
    }
}

fn check_tool_config(config: &Map<String, Value>, violations: &mut Violations) {
    let path = "#/toolConfig";
    schema::reject_unknown_keys(config, path, &["tools", "toolChoice"], violations);
    if let Some(tools) = schema::required_array(config, path, "tools", 1, violations) {
        for (index, tool) in tools.iter().enumerate() {
            let tool_path = format!("{path}/tools/{index}");
            let Some(tool) = schema::as_object(tool, &tool_path, violations) else {
                continue;
            };
            schema::reject_unknown_keys(tool, &tool_path, &["toolSpec", "cachePoint"], violations);
            if let Some(point) = schema::optional_object(tool, &tool_path, "cachePoint", violations)
            {
                check_cache_point(point, &format!("{tool_path}/cachePoint"), violations);
            }
            let Some(spec) = schema::optional_object(tool, &tool_path, "toolSpec", violations)
            else {
                continue;
            };
            let spec_path = format!("{tool_path}/toolSpec");
            schema::required_string(spec, &spec_path, "name", violations);
            schema::optional_string(spec, &spec_path, "description", violations);
            match schema::optional_object(spec, &spec_path, "inputSchema", violations) {
                Some(input_schema) => {
                    let schema_path = format!("{spec_path}/inputSchema");
                    if !input_schema.contains_key("json") {
                        violations.required_key(&schema_path, "json");
                    }
                    schema::optional_object(input_schema, &schema_path, "json", violations);
                }
                None if !spec.contains_key("inputSchema") => {
                    violations.required_key(&spec_path, "inputSchema");
                }
                None => {}
            }
        }
    }
    if let Some(choice) = schema::optional_object(config, path, "toolChoice", violations) {
        let choice_path = format!("{path}/toolChoice");
        schema::reject_unknown_keys(choice, &choice_path, &["auto", "any", "tool"], violations);
        if let Some(tool) = schema::optional_object(choice, &choice_path, "tool", violations) {
            schema::required_string(tool, &format!("{choice_path}/tool"), "name", violations);
        }
    }
}

/// Nova's check after the schema: no message may have an empty `content` (the wording recorded
/// by vercel-ai for Nova 2).
fn check_contents(messages: &[Value]) -> Result<(), ApiError> {
    let empty = messages.iter().position(|message| {
        message
            .get("content")
            .and_then(Value::as_array)
            .is_some_and(Vec::is_empty)
    });
    match empty {
        Some(index) => Err(ApiError::validation(format!(
            "The content field in the Message object at messages.{index} is empty. Add a \
             ContentBlock object to the content field and try again."
        ))),
        None => Ok(()),
    }
}

/// Whether `name` matches the tool name pattern `[a-zA-Z0-9_-]+` within 64 characters.
fn is_tool_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-')
}

/// Bedrock's message for one failed constraint (the wording vercel-ai recorded for Nova).
fn constraint(at: &str, what: &str) -> ApiError {
    ApiError::validation(format!(
        "1 validation error detected: Value at '{at}' failed to satisfy constraint: {what}"
    ))
}

/// One pass over tools, system and messages in cache order.
struct Walk {
    prefix: PrefixHasher,
    cache_points: usize,
    seed: String,
    echo: String,
    last_user_words: String,
    /// Tool use ids of the previous assistant turn.
    previous_tool_uses: Vec<String>,
}

impl Walk {
    fn new(model: &str) -> Self {
        Self {
            prefix: PrefixHasher::new(model),
            cache_points: 0,
            seed: String::new(),
            echo: String::new(),
            last_user_words: String::new(),
            previous_tool_uses: Vec::new(),
        }
    }

    fn mark(&mut self) {
        self.prefix.mark();
        self.cache_points += 1;
    }

    fn tools(
        &mut self,
        config: &Map<String, Value>,
    ) -> Result<(Vec<ToolDefinition>, ToolChoice), ApiError> {
        let mut tools: Vec<ToolDefinition> = Vec::new();
        for (index, tool) in config
            .get("tools")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            if tool.get("cachePoint").is_some() {
                self.mark();
                continue;
            }
            let spec = &tool["toolSpec"];
            let name = spec["name"].as_str().unwrap_or_default();
            if !is_tool_name(name) {
                return Err(constraint(
                    &format!("toolConfig.tools.{}.member.toolSpec.name", index + 1),
                    "Member must satisfy regular expression pattern: [a-zA-Z0-9_-]+",
                ));
            }
            if tools.iter().any(|tool| tool.name == name) {
                return Err(ApiError::validation(format!(
                    "The toolConfig field contains duplicate tool names: {name}. Remove the \
                     duplicates and try again."
                )));
            }
            let input_schema = spec["inputSchema"]["json"].clone();
            let tokens = count_words(name)
                .saturating_add(spec["description"].as_str().map_or(0, count_words))
                .saturating_add(count_words(&input_schema.to_string()));
            self.prefix.add(&tool.to_string(), tokens);
            self.seed.push_str(name);
            self.seed.push('\n');
            tools.push(ToolDefinition {
                name: name.to_owned(),
                input_schema,
            });
        }
        let choice = match config.get("toolChoice") {
            Some(choice) if choice.get("any").is_some() => ToolChoice::Any,
            Some(choice) => match choice["tool"]["name"].as_str() {
                Some(name) if tools.iter().any(|tool| tool.name == name) => {
                    ToolChoice::Named(name.to_owned())
                }
                Some(name) => {
                    return Err(ApiError::validation(format!(
                        "The tool {name} in toolChoice is not defined in toolConfig.tools."
                    )));
                }
                None => ToolChoice::Auto,
            },
            None => ToolChoice::Auto,
        };
        Ok((tools, choice))
    }

    fn system(&mut self, blocks: &[Value]) {
        for block in blocks {
            if block.get("cachePoint").is_some() {
                self.mark();
            } else if let Some(text) = block.get("text").and_then(Value::as_str) {
                self.prefix.add(text, count_words(text));
                self.seed.push_str(text);
            }
        }
    }

    fn messages(&mut self, messages: &[Value]) -> Result<(), ApiError> {
        for (index, message) in messages.iter().enumerate() {
            let role = message["role"].as_str().unwrap_or("user");
            let blocks = message["content"].as_array().map_or(&[][..], Vec::as_slice);
            let mut echo = String::new();
            let mut words = String::new();
            let mut tool_uses = Vec::new();
            let mut results = Vec::new();
            for (position, block) in blocks.iter().enumerate() {
                if block.get("cachePoint").is_some() {
                    self.mark();
                    continue;
                }
                let tokens = self.block(block, index, position, &mut echo, &mut words)?;
                self.prefix.add(&block.to_string(), tokens);
                if let Some(id) = block["toolUse"]["toolUseId"].as_str() {
                    tool_uses.push(id.to_owned());
                }
                if let Some(id) = block["toolResult"]["toolUseId"].as_str() {
                    results.push(id.to_owned());
                }
            }
            if results.len() > self.previous_tool_uses.len() {
                return Err(ApiError::validation(format!(
                    "The number of toolResult blocks at messages.{index}.content exceeds the \
                     number of toolUse blocks of previous turn."
                )));
            }
            if let Some(unknown) = results
                .iter()
                .find(|id| !self.previous_tool_uses.contains(id))
            {
                return Err(ApiError::validation(format!(
                    "The toolResult block at messages.{index}.content refers to the toolUseId \
                     {unknown}, which is not a toolUse of the previous turn."
                )));
            }
            if !results.is_empty() && results.len() < self.previous_tool_uses.len() {
                let missing: Vec<&str> = self
                    .previous_tool_uses
                    .iter()
                    .filter(|id| !results.contains(id))
                    .map(String::as_str)
                    .collect();
                return Err(ApiError::validation(format!(
                    "Expected toolResult blocks at messages.{index}.content for the following \
                     Ids: {}",
                    missing.join(", ")
                )));
            }
            self.previous_tool_uses = tool_uses;
            self.seed.push('\n');
            self.seed.push_str(role);
            self.seed.push_str(": ");
            self.seed.push_str(&echo);
            if role == "user" {
                self.echo = echo;
                self.last_user_words = words;
            }
        }
        Ok(())
    }

    /// One message block's input tokens; its text goes to `echo` (and `words` for text blocks).
    fn block(
        &self,
        block: &Value,
        index: usize,
        position: usize,
        echo: &mut String,
        words: &mut String,
    ) -> Result<u32, ApiError> {
        if let Some(text) = block.get("text").and_then(Value::as_str) {
            push_line(echo, text);
            push_line(words, text);
            return Ok(count_words(text));
        }
        if let Some(image) = block.get("image") {
            return attachment_tokens(image, index, position, "image");
        }
        if let Some(document) = block.get("document") {
            return attachment_tokens(document, index, position, "document");
        }
        if let Some(tool_use) = block.get("toolUse") {
            return Ok(count_words(&tool_use.to_string()));
        }
        if let Some(result) = block.get("toolResult") {
            let mut text = String::new();
            for item in result["content"].as_array().into_iter().flatten() {
                if let Some(line) = item.get("text").and_then(Value::as_str) {
                    push_line(&mut text, line);
                } else if let Some(json) = item.get("json") {
                    push_line(&mut text, &json.to_string());
                }
            }
            push_line(echo, &text);
            return Ok(count_words(&text));
        }
        Ok(block
            .get("reasoningContent")
            .map_or(0, |reasoning| count_words(&reasoning.to_string())))
    }
}

fn push_line(text: &mut String, line: &str) {
    if !text.is_empty() {
        text.push('\n');
    }
    text.push_str(line);
}

/// An image's or document's input tokens (one per started KiB), once its bytes decode and, for
/// a format the emulator recognises, are of the declared format.
fn attachment_tokens(
    media: &Value,
    index: usize,
    position: usize,
    kind: &str,
) -> Result<u32, ApiError> {
    let format = media["format"].as_str().unwrap_or_default();
    let at = format!("messages.{index}.content.{position}.{kind}");
    let bytes = media["source"]["bytes"]
        .as_str()
        .and_then(decode_base64)
        .ok_or_else(|| {
            ApiError::validation(format!(
                "The {kind} bytes at {at}.source are not valid base64."
            ))
        })?;
    let declared_known = IMAGE_FORMATS.contains(&format) || format == "pdf";
    let found = Sniffed::of(&bytes).map(Sniffed::short_name);
    if declared_known && found != Some(format) {
        return Err(ApiError::validation(format!(
            "The {kind} at {at} is not a valid {format} file."
        )));
    }
    Ok(u32::try_from(bytes.len().div_ceil(ATTACHMENT_BYTES_PER_TOKEN).max(1)).unwrap_or(u32::MAX))
}
