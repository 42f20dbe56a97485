//! Bedrock's request-body validation messages, shared by all provider families. Bedrock checks
//! model bodies against a JSON schema and reports every violation in one message,
//! `Malformed input request: <violation><violation>..., please reformat your input and try
//! again.`, each violation in the everit-json-schema style (`#: required key [max_tokens] not
//! found`, `#: extraneous key [stream] is not permitted`, as quoted in the fixtures'
//! error-observations). A body that is not JSON at all gets `Malformed input request, please
//! reformat your input and try again.` (recorded by New Relic).

use std::fmt::Display;
use std::ops::RangeInclusive;

use serde_json::{Map, Value};

use crate::api_error::ApiError;

/// The message for a body that is not JSON.
const NOT_JSON: &str = "Malformed input request, please reformat your input and try again.";

/// Parses a request body that must be a JSON object.
pub(crate) fn parse_object(body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(object)) => Ok(object),
        Ok(other) => {
            let mut violations = Violations::default();
            violations.wrong_type("#", "JSONObject", &other);
            Err(violations.into_error())
        }
        Err(_) => Err(ApiError::validation(NOT_JSON)),
    }
}

/// The everit name of a JSON value's type.
fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "Null",
        Value::Bool(_) => "Boolean",
        Value::Number(number) if number.is_i64() || number.is_u64() => "Integer",
        Value::Number(_) => "Number",
        Value::String(_) => "String",
        Value::Array(_) => "JSONArray",
        Value::Object(_) => "JSONObject",
    }
}

/// Schema violations found so far in one request body.
#[derive(Debug, Default)]
pub(crate) struct Violations(Vec<String>);

impl Violations {
    /// `path: required key [key] not found`.
    pub fn required_key(&mut self, path: &str, key: &str) {
        self.0
            .push(format!("{path}: required key [{key}] not found"));
    }

    /// `path: extraneous key [key] is not permitted`.
    pub fn extraneous_key(&mut self, path: &str, key: &str) {
        self.0
            .push(format!("{path}: extraneous key [{key}] is not permitted"));
    }

    /// `path: expected type: Expected, found: Actual`.
    pub fn wrong_type(&mut self, path: &str, expected: &str, found: &Value) {
        self.0.push(format!(
            "{path}: expected type: {expected}, found: {}",
            type_name(found)
        ));
    }

    /// `value` as `read` reads it, or `None` and a [`Self::wrong_type`] violation when `read`
    /// finds it is not of the `expected` type.
    fn of_type<'a, T>(
        &mut self,
        value: &'a Value,
        path: &str,
        expected: &str,
        read: impl FnOnce(&'a Value) -> Option<T>,
    ) -> Option<T> {
        let typed = read(value);
        if typed.is_none() {
            self.wrong_type(path, expected, value);
        }
        typed
    }

    /// `number` (read from `value`) when it lies in `range`, else `None` and a
    /// [`Self::below_minimum`] or [`Self::above_maximum`] violation.
    fn within<T: PartialOrd + Display>(
        &mut self,
        path: &str,
        value: &Value,
        number: T,
        range: &RangeInclusive<T>,
    ) -> Option<T> {
        if number < *range.start() {
            self.below_minimum(path, value, range.start());
            None
        } else if number > *range.end() {
            self.above_maximum(path, value, range.end());
            None
        } else {
            Some(number)
        }
    }

    /// `path: expected minimum item count: minimum, found: count`.
    pub fn too_few_items(&mut self, path: &str, minimum: usize, count: usize) {
        self.0.push(format!(
            "{path}: expected minimum item count: {minimum}, found: {count}"
        ));
    }

    /// `path: value is not greater or equal to minimum`.
    pub fn below_minimum(&mut self, path: &str, value: &Value, minimum: impl Display) {
        self.0.push(format!(
            "{path}: {value} is not greater or equal to {minimum}"
        ));
    }

    /// `path: value is not less or equal to maximum`.
    pub fn above_maximum(&mut self, path: &str, value: &Value, maximum: impl Display) {
        self.0
            .push(format!("{path}: {value} is not less or equal to {maximum}"));
    }

    /// `path: expected maximum item count: maximum, found: count`.
    pub fn too_many_items(&mut self, path: &str, maximum: usize, count: usize) {
        self.0.push(format!(
            "{path}: expected maximum item count: {maximum}, found: {count}"
        ));
    }

    /// `path: expected maxLength: maximum, actual: length`.
    pub fn too_long(&mut self, path: &str, maximum: usize, length: usize) {
        self.0.push(format!(
            "{path}: expected maxLength: {maximum}, actual: {length}"
        ));
    }

    /// `path: value is not a valid enum value`.
    pub fn not_in_enum(&mut self, path: &str, value: &str) {
        self.0
            .push(format!("{path}: {value} is not a valid enum value"));
    }

    /// `Ok` when nothing was found, else the ValidationException Bedrock sends.
    pub fn into_result(self) -> Result<(), ApiError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(self.into_error())
        }
    }

    fn into_error(self) -> ApiError {
        ApiError::validation(format!(
            "Malformed input request: {}, please reformat your input and try again.",
            self.0.concat()
        ))
    }
}

/// Reads an optional `stop_sequences` array of strings from `object`.
pub(crate) fn stop_sequences(
    object: &Map<String, Value>,
    violations: &mut Violations,
) -> Vec<String> {
    optional_string_list(object, "#", "stop_sequences", usize::MAX, violations)
}

/// Reads a required positive integer such as `max_tokens` from `object`.
pub(crate) fn positive_integer(
    object: &Map<String, Value>,
    key: &str,
    violations: &mut Violations,
) -> Option<u32> {
    let Some(value) = object.get(key) else {
        violations.required_key("#", key);
        return None;
    };
    let path = format!("#/{key}");
    match value.as_i64() {
        Some(number) if number >= 1 => Some(u32::try_from(number).unwrap_or(u32::MAX)),
        Some(_) => {
            violations.below_minimum(&path, value, 1);
            None
        }
        None if value.is_u64() => Some(u32::MAX),
        None => {
            violations.wrong_type(&path, "Integer", value);
            None
        }
    }
}

/// The path of `key` inside the object at `parent` (`#` is the top level).
pub(crate) fn child_path(parent: &str, key: &str) -> String {
    format!("{parent}/{key}")
}

/// Reports every key of `object` (at `parent`) that is not in `allowed`.
pub(crate) fn reject_unknown_keys(
    object: &Map<String, Value>,
    parent: &str,
    allowed: &[&str],
    violations: &mut Violations,
) {
    for key in object.keys() {
        if !allowed.contains(&key.as_str()) {
            violations.extraneous_key(parent, key);
        }
    }
}

/// Reads a required string.
pub(crate) fn required_string<'a>(
    object: &'a Map<String, Value>,
    parent: &str,
    key: &str,
    violations: &mut Violations,
) -> Option<&'a str> {
    if !object.contains_key(key) {
        violations.required_key(parent, key);
        return None;
    }
    optional_string(object, parent, key, violations)
}

/// Reads an optional string.
pub(crate) fn optional_string<'a>(
    object: &'a Map<String, Value>,
    parent: &str,
    key: &str,
    violations: &mut Violations,
) -> Option<&'a str> {
    let value = object.get(key)?;
    violations.of_type(value, &child_path(parent, key), "String", Value::as_str)
}

/// Reads an optional string that must be one of `allowed`.
pub(crate) fn optional_enum<'a>(
    object: &'a Map<String, Value>,
    parent: &str,
    key: &str,
    allowed: &[&str],
    violations: &mut Violations,
) -> Option<&'a str> {
    let text = optional_string(object, parent, key, violations)?;
    if allowed.contains(&text) {
        Some(text)
    } else {
        violations.not_in_enum(&child_path(parent, key), text);
        None
    }
}

/// Reads an optional boolean.
pub(crate) fn optional_bool(
    object: &Map<String, Value>,
    parent: &str,
    key: &str,
    violations: &mut Violations,
) -> Option<bool> {
    let value = object.get(key)?;
    violations.of_type(value, &child_path(parent, key), "Boolean", Value::as_bool)
}

/// Reads an optional integer within `range`.
pub(crate) fn optional_integer(
    object: &Map<String, Value>,
    parent: &str,
    key: &str,
    range: RangeInclusive<i64>,
    violations: &mut Violations,
) -> Option<i64> {
    let value = object.get(key)?;
    let path = child_path(parent, key);
    let Some(number) = value.as_i64() else {
        if value.is_u64() {
            violations.above_maximum(&path, value, range.end());
        } else {
            violations.wrong_type(&path, "Integer", value);
        }
        return None;
    };
    violations.within(&path, value, number, &range)
}

/// Reads an optional integer within `range` as a token count.
pub(crate) fn optional_count(
    object: &Map<String, Value>,
    parent: &str,
    key: &str,
    range: RangeInclusive<u32>,
    violations: &mut Violations,
) -> Option<u32> {
    let range = i64::from(*range.start())..=i64::from(*range.end());
    optional_integer(object, parent, key, range, violations)
        .and_then(|count| u32::try_from(count).ok())
}

/// Reads an optional number (integer or not) within `range`.
pub(crate) fn optional_number(
    object: &Map<String, Value>,
    parent: &str,
    key: &str,
    range: RangeInclusive<f64>,
    violations: &mut Violations,
) -> Option<f64> {
    let value = object.get(key)?;
    let path = child_path(parent, key);
    let Some(number) = value.as_f64() else {
        violations.wrong_type(&path, "Number", value);
        return None;
    };
    violations.within(&path, value, number, &range)
}

/// Reads an optional JSON object.
pub(crate) fn optional_object<'a>(
    object: &'a Map<String, Value>,
    parent: &str,
    key: &str,
    violations: &mut Violations,
) -> Option<&'a Map<String, Value>> {
    let value = object.get(key)?;
    as_object(value, &child_path(parent, key), violations)
}

/// Reads a required array with at least `minimum` items.
pub(crate) fn required_array<'a>(
    object: &'a Map<String, Value>,
    parent: &str,
    key: &str,
    minimum: usize,
    violations: &mut Violations,
) -> Option<&'a [Value]> {
    let Some(value) = object.get(key) else {
        violations.required_key(parent, key);
        return None;
    };
    let path = child_path(parent, key);
    let items = violations.of_type(value, &path, "JSONArray", Value::as_array)?;
    if items.len() < minimum {
        violations.too_few_items(&path, minimum, items.len());
        return None;
    }
    Some(items)
}

/// Reads an optional array of strings with at most `maximum` items.
pub(crate) fn optional_string_list(
    object: &Map<String, Value>,
    parent: &str,
    key: &str,
    maximum: usize,
    violations: &mut Violations,
) -> Vec<String> {
    let path = child_path(parent, key);
    match object.get(key) {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => {
            if items.len() > maximum {
                violations.too_many_items(&path, maximum, items.len());
            }
            items
                .iter()
                .enumerate()
                .filter_map(|(index, item)| match item {
                    Value::String(text) => Some(text.clone()),
                    other => {
                        violations.wrong_type(&format!("{path}/{index}"), "String", other);
                        None
                    }
                })
                .collect()
        }
        Some(other) => {
            violations.wrong_type(&path, "JSONArray", other);
            Vec::new()
        }
    }
}

/// The object at `path`, or a type violation.
pub(crate) fn as_object<'a>(
    value: &'a Value,
    path: &str,
    violations: &mut Violations,
) -> Option<&'a Map<String, Value>> {
    violations.of_type(value, path, "JSONObject", Value::as_object)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_that_is_not_json_gets_the_recorded_message() {
        let error = parse_object(b"{ Malformed Request Body").expect_err("not JSON");
        assert_eq!(error.error_type(), "ValidationException");
        assert_eq!(error.message(), NOT_JSON);
    }

    #[test]
    fn violations_are_concatenated_like_bedrock_does() {
        let mut violations = Violations::default();
        violations.required_key("#", "prompt");
        violations.required_key("#", "max_tokens_to_sample");
        violations.extraneous_key("#", "texts");
        let error = violations.into_result().expect_err("three violations");
        // Quoted from spring-projects/spring-ai#2276 (fixtures' error-observations).
        assert_eq!(
            error.message(),
            "Malformed input request: #: required key [prompt] not found#: required key \
             [max_tokens_to_sample] not found#: extraneous key [texts] is not permitted, please \
             reformat your input and try again."
        );
    }

    #[test]
    fn max_tokens_must_be_a_positive_integer() {
        let object = parse_object(br#"{"a": 0, "b": "ten", "c": 12}"#).expect("object");
        let mut violations = Violations::default();
        assert_eq!(positive_integer(&object, "a", &mut violations), None);
        assert_eq!(positive_integer(&object, "b", &mut violations), None);
        assert_eq!(positive_integer(&object, "c", &mut violations), Some(12));
        let error = violations.into_result().expect_err("two violations");
        assert_eq!(
            error.message(),
            "Malformed input request: #/a: 0 is not greater or equal to 1#/b: expected type: \
             Integer, found: String, please reformat your input and try again."
        );
    }
}
