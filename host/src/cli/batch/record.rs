//! The batch input format: one JSON object a line, each one record (see
//! `docs/batch.md`), read into provider-neutral requests without a model
//! or a plugin.
//!
//! Invariants: every non-blank line of a file becomes exactly one record
//! or one bad record, and a bad record says what is wrong with it and
//! carries its line number; a record's id is the one it gives, else its
//! line number, and no two records share an id (a repeated id makes the
//! later record bad). A file whose first non-blank line is not a JSON
//! object is not a batch input at all and is refused whole.

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::{Map, Value};

use super::super::message_json;
use super::super::tools;
use super::super::turn::{self, NewTurn};
use crate::plugin::{
    CachePoints, Message, Params, ReasoningConfig, ReasoningEffort, Request, Tool, ToolChoice,
};

/// Why an input file is refused before any record is sent.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// The file holds no record.
    #[error("the input holds no record (not one non-blank line)")]
    Empty,
    /// The first non-blank line is not a JSON object: not JSONL.
    #[error(
        "the input is not JSON Lines: line {line} is not a JSON object ({what}); each line must be one record, such as {{\"prompt\": \"...\"}}"
    )]
    NotJsonLines { line: usize, what: String },
}

/// One record to send: what it asks, and where it came from.
#[derive(Debug, Clone)]
pub struct Record {
    /// The record's id: as given (a string or a number), else its line number.
    pub id: Value,
    /// Its line in the input, from 1.
    pub line: usize,
    /// What it asks the model.
    pub ask: Ask,
}

/// A line that is not a record that can be sent, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct BadRecord {
    /// The id it gives, when that much could be read; else its line number.
    pub id: Value,
    /// Its line in the input, from 1.
    pub line: usize,
    /// What is wrong with it, starting with its line number.
    pub reason: String,
}

/// One line of the input, read.
#[derive(Debug, Clone)]
pub enum Line {
    /// A record to send.
    Record(Record),
    /// A line that cannot be sent.
    Bad(BadRecord),
}

impl Line {
    /// The record's id.
    pub fn id(&self) -> &Value {
        match self {
            Line::Record(record) => &record.id,
            Line::Bad(bad) => &bad.id,
        }
    }
}

/// The key an id is known by in the input and the output: its JSON text,
/// so that `7` and `"7"` are different ids.
pub fn id_key(id: &Value) -> String {
    id.to_string()
}

/// What a record asks the model: the provider-neutral parts of a request.
#[derive(Debug, Clone)]
pub struct Ask {
    /// The system prompt.
    pub system: Option<String>,
    /// The conversation to send, ending with the user's turn.
    pub messages: Vec<Message>,
    /// The settings.
    pub params: Params,
    /// The tools the model may call.
    pub tools: Vec<Tool>,
    /// Whether the model must call a tool.
    pub tool_choice: Option<ToolChoice>,
    /// The reasoning asked for.
    pub reasoning: Option<ReasoningConfig>,
}

impl Ask {
    /// The contract's request for `base_model`, not streamed.
    pub fn request(&self, base_model: &str) -> Request {
        Request {
            model_id: base_model.to_owned(),
            system: self.system.clone(),
            messages: self.messages.clone(),
            params: self.params.clone(),
            tool_choice: self.tool_choice.clone(),
            tools: self.tools.clone(),
            reasoning: self.reasoning,
            cache: CachePoints {
                system: false,
                tools: false,
            },
            streamed: false,
        }
    }
}

/// A record as written: the documented keys and nothing else.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RecordJson {
    /// Read by `parse_line` before this struct; named here so that
    /// `deny_unknown_fields` accepts it.
    #[serde(default, rename = "id")]
    _id: Option<serde::de::IgnoredAny>,
    prompt: Option<String>,
    messages: Option<Value>,
    system: Option<String>,
    max_tokens: Option<u32>,
    temperature: Option<f32>,
    top_p: Option<f32>,
    top_k: Option<u32>,
    stop: Option<StopJson>,
    seed: Option<u64>,
    options: Option<Map<String, Value>>,
    #[serde(default)]
    raw: bool,
    tools: Option<Value>,
    tool_choice: Option<String>,
    reasoning_effort: Option<EffortJson>,
    reasoning_budget: Option<u32>,
}

/// `stop`: one sequence or a list of them.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum StopJson {
    One(String),
    Many(Vec<String>),
}

/// `reasoning_effort`.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
enum EffortJson {
    Low,
    Medium,
    High,
}

/// Reads every line of `text`: blank lines are skipped (they still count
/// in line numbers), each other line is a record or a bad record. Refuses
/// the whole input when its first non-blank line is not a JSON object.
pub fn parse_input(text: &str) -> Result<Vec<Line>, InputError> {
    let numbered = || {
        text.lines()
            .enumerate()
            .map(|(index, line)| (index + 1, line))
            .filter(|(_, line)| !line.trim().is_empty())
    };
    let (first_line, first) = numbered().next().ok_or(InputError::Empty)?;
    match serde_json::from_str::<Value>(first) {
        Ok(Value::Object(_)) => {}
        Ok(other) => {
            return Err(InputError::NotJsonLines {
                line: first_line,
                what: format!("it is {}", kind_of(&other)),
            });
        }
        Err(error) => {
            return Err(InputError::NotJsonLines {
                line: first_line,
                what: error.to_string(),
            });
        }
    }
    let mut seen: HashMap<String, usize> = HashMap::new();
    Ok(numbered()
        .map(|(number, line)| {
            let parsed = parse_line(number, line);
            match seen.get(&id_key(parsed.id())) {
                Some(&earlier) => Line::Bad(BadRecord {
                    id: parsed.id().clone(),
                    line: number,
                    reason: format!(
                        "line {number}: the id {} is line {earlier}'s already; ids must be unique",
                        parsed.id()
                    ),
                }),
                None => {
                    seen.insert(id_key(parsed.id()), number);
                    parsed
                }
            }
        })
        .collect())
}

/// Reads one non-blank line, number `number`.
pub fn parse_line(number: usize, line: &str) -> Line {
    let bad = |id: Value, what: String| {
        Line::Bad(BadRecord {
            id,
            line: number,
            reason: format!("line {number}: {what}"),
        })
    };
    let line_id = Value::from(number);
    let value = match serde_json::from_str::<Value>(line) {
        Ok(value) => value,
        Err(error) => return bad(line_id, format!("not JSON: {error}")),
    };
    let Value::Object(object) = value else {
        return bad(line_id, format!("{}, not a JSON object", kind_of(&value)));
    };
    let id = match object.get("id") {
        None | Some(Value::Null) => line_id,
        Some(id @ Value::String(text)) if !text.is_empty() => id.clone(),
        Some(id @ Value::Number(_)) => id.clone(),
        Some(_) => {
            return bad(line_id, "`id` is not a non-empty string or a number".into());
        }
    };
    let record: RecordJson = match serde_json::from_value(Value::Object(object)) {
        Ok(record) => record,
        Err(error) => return bad(id, error.to_string()),
    };
    match ask(record) {
        Ok(ask) => Line::Record(Record {
            id,
            line: number,
            ask,
        }),
        Err(what) => bad(id, what),
    }
}

/// What a record asks, checked as far as it can be without the model.
fn ask(record: RecordJson) -> Result<Ask, String> {
    let history = match record.messages {
        Some(messages) => message_json::from_value(messages)
            .map_err(|what| format!("`messages` is not a conversation: {what}"))?,
        None => Vec::new(),
    };
    if history.is_empty() && record.prompt.is_none() {
        return Err("no `prompt` and no `messages`: a record needs one".into());
    }
    if record
        .prompt
        .as_deref()
        .is_some_and(|p| p.trim().is_empty())
    {
        return Err("`prompt` is empty".into());
    }
    let messages = turn::compose(
        history,
        NewTurn {
            prompt: record.prompt,
            ..NewTurn::default()
        },
    )
    .map_err(|error| error.to_string())?;
    let tools = match &record.tools {
        Some(value) => tools::parse_tools(value).map_err(|what| format!("`tools`: {what}"))?,
        None => Vec::new(),
    };
    let tool_choice = match record.tool_choice.as_deref() {
        Some(_) if tools.is_empty() => {
            return Err("`tool_choice` needs `tools`".into());
        }
        choice => tools::tool_choice(choice, &tools).map_err(|error| {
            format!(
                "`tool_choice`: {}",
                error.to_string().replace("--tool-choice ", "")
            )
        })?,
    };
    let reasoning = match (record.reasoning_effort, record.reasoning_budget) {
        (Some(_), Some(_)) => {
            return Err("give `reasoning_effort` or `reasoning_budget`, not both".into());
        }
        (Some(effort), None) => Some(ReasoningConfig::Effort(match effort {
            EffortJson::Low => ReasoningEffort::Low,
            EffortJson::Medium => ReasoningEffort::Medium,
            EffortJson::High => ReasoningEffort::High,
        })),
        (None, Some(0)) => return Err("`reasoning_budget` must be at least 1".into()),
        (None, Some(budget)) => Some(ReasoningConfig::BudgetTokens(budget)),
        (None, None) => None,
    };
    let stop_sequences = match record.stop {
        None => Vec::new(),
        Some(StopJson::One(one)) => vec![one],
        Some(StopJson::Many(many)) => many,
    };
    let extra = record
        .options
        .unwrap_or_default()
        .into_iter()
        .map(|(key, value)| (key, value.to_string()))
        .collect();
    Ok(Ask {
        system: record.system,
        messages,
        params: Params {
            max_tokens: record.max_tokens,
            temperature: record.temperature,
            top_p: record.top_p,
            top_k: record.top_k,
            stop_sequences,
            seed: record.seed,
            extra,
            raw: record.raw,
        },
        tools,
        tool_choice,
        reasoning,
    })
}

/// What kind of JSON value this is, for messages.
fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::plugin::{Content, Role};

    fn record(line: &str) -> Record {
        match parse_line(1, line) {
            Line::Record(record) => record,
            Line::Bad(bad) => panic!("{line} is refused: {}", bad.reason),
        }
    }

    fn refusal(number: usize, line: &str) -> BadRecord {
        match parse_line(number, line) {
            Line::Record(record) => panic!("{line} is read: {record:?}"),
            Line::Bad(bad) => bad,
        }
    }

    #[test]
    fn a_prompt_record_becomes_one_user_message_with_its_settings() {
        let read = record(
            r#"{"id": "q1", "prompt": "Hi", "system": "Be brief", "max_tokens": 50, "temperature": 0.5, "stop": "END", "options": {"top_k": 5, "style": "x"}}"#,
        );
        assert_eq!(read.id, json!("q1"));
        assert_eq!(read.ask.messages.len(), 1);
        assert_eq!(read.ask.messages[0].role, Role::User);
        assert!(matches!(&read.ask.messages[0].content[..], [Content::Text(t)] if t == "Hi"));
        assert_eq!(read.ask.system.as_deref(), Some("Be brief"));
        assert_eq!(read.ask.params.max_tokens, Some(50));
        assert_eq!(read.ask.params.temperature, Some(0.5));
        assert_eq!(read.ask.params.stop_sequences, vec!["END".to_owned()]);
        assert_eq!(
            read.ask.params.extra,
            vec![
                ("style".to_owned(), "\"x\"".to_owned()),
                ("top_k".to_owned(), "5".to_owned())
            ]
        );
        let request = read.ask.request("base");
        assert_eq!(request.model_id, "base");
        assert!(!request.streamed);
    }

    #[test]
    fn messages_tools_and_a_prompt_make_one_conversation() {
        let line = json!({
            "messages": [
                {"role": "user", "content": "Weather in Paris?"},
                {"role": "assistant", "content": [{"type": "text", "text": "Sunny."}]}
            ],
            "prompt": "And tomorrow?",
            "tools": [{"name": "get_weather", "input_schema": {"type": "object"}}],
            "tool_choice": "get_weather",
            "stop": ["a", "b"],
            "reasoning_budget": 100
        });
        let read = record(&line.to_string());
        assert_eq!(read.id, json!(1), "the line number stands for a missing id");
        assert_eq!(read.ask.messages.len(), 3);
        assert_eq!(read.ask.tools.len(), 1);
        assert!(
            matches!(&read.ask.tool_choice, Some(ToolChoice::Named(name)) if name == "get_weather")
        );
        assert_eq!(read.ask.params.stop_sequences.len(), 2);
        assert!(matches!(
            read.ask.reasoning,
            Some(ReasoningConfig::BudgetTokens(100))
        ));
    }

    #[test]
    fn each_bad_record_is_refused_with_its_line_and_keeps_its_id() {
        let unknown = refusal(4, r#"{"id": 9, "prompt": "x", "temprature": 1}"#);
        assert_eq!(unknown.id, json!(9));
        assert!(
            unknown.reason.starts_with("line 4: ") && unknown.reason.contains("temprature"),
            "{}",
            unknown.reason
        );
        let missing = refusal(2, r#"{"id": "a", "system": "s"}"#);
        assert!(missing.reason.contains("no `prompt`"), "{}", missing.reason);
        let malformed = refusal(3, r#"{"prompt": "x""#);
        assert_eq!(malformed.id, json!(3));
        assert!(malformed.reason.starts_with("line 3: not JSON"));
        assert!(
            refusal(5, "[1]")
                .reason
                .contains("an array, not a JSON object")
        );
        assert!(
            refusal(6, r#"{"id": [1], "prompt": "x"}"#)
                .reason
                .contains("`id`")
        );
        assert!(
            refusal(7, r#"{"prompt": "x", "max_tokens": "many"}"#)
                .reason
                .contains("invalid type")
        );
        assert!(
            refusal(8, r#"{"prompt": "x", "tool_choice": "any"}"#)
                .reason
                .contains("needs `tools`")
        );
        let assistant_first = json!({"messages": [{"role": "assistant", "content": "hi"}]});
        assert!(
            refusal(9, &assistant_first.to_string())
                .reason
                .contains("first message")
        );
    }

    #[test]
    fn a_file_is_refused_only_when_its_first_record_is_not_an_object() {
        assert!(matches!(parse_input("\n  \n"), Err(InputError::Empty)));
        assert!(matches!(
            parse_input("\nprompt,id\nhi,1\n"),
            Err(InputError::NotJsonLines { line: 2, .. })
        ));
        assert!(matches!(
            parse_input("[{\"prompt\": \"x\"}]"),
            Err(InputError::NotJsonLines { line: 1, .. })
        ));
        let lines = parse_input("{\"prompt\": \"a\"}\n\nnot json\n{\"prompt\": \"c\"}\n")
            .expect("a JSONL file");
        let ids: Vec<&Value> = lines.iter().map(Line::id).collect();
        assert_eq!(ids, vec![&json!(1), &json!(3), &json!(4)]);
        assert!(matches!(&lines[1], Line::Bad(bad) if bad.line == 3));
    }

    #[test]
    fn a_repeated_id_makes_the_later_record_bad() {
        let lines = parse_input(
            "{\"id\": \"a\", \"prompt\": \"x\"}\n{\"id\": \"a\", \"prompt\": \"y\"}\n{\"id\": 3, \"prompt\": \"z\"}\n{\"prompt\": \"w\"}\n",
        )
        .expect("a JSONL file");
        assert!(matches!(&lines[0], Line::Record(_)));
        assert!(
            matches!(&lines[1], Line::Bad(bad) if bad.reason.contains("line 1's already")),
            "{lines:?}"
        );
        assert!(matches!(&lines[2], Line::Record(_)));
        assert!(matches!(&lines[3], Line::Record(record) if record.id == json!(4)));
        assert_ne!(id_key(&json!(7)), id_key(&json!("7")));
    }
}
