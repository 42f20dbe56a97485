//! The `-o key=value` options (`params.extra`): turning the pairs into body
//! fields, refusing the keys a common setting or the prompt owns, and the
//! type checks of the keys an adapter knows.
//!
//! Invariants: every error is `invalid-request` and starts `-o <key>: `; the
//! pairs are read in order and the first bad one is reported; a key given
//! twice keeps its last value; an owned key is refused before its value is
//! parsed, with the hint its adapter gives (`use --max-tokens`), so each
//! body field has one source.

use serde_json::{Map, Value};

use crate::types::AdapterError;

/// Parses the `-o` pairs into top-level body fields.
///
/// `owned` lists the body fields the adapter fills itself, each with what the
/// user should do instead (`("max_tokens", "use --max-tokens")`); such a key
/// is refused. Every other value must be JSON (the host has already turned
/// a value that is not into a JSON string), and `check` then sees it with its
/// key and returns the value to put in the body (the same value, or a
/// normalised one), or the error.
///
/// ```
/// use bedrock_adapter_kit::options::{self, Kind};
/// use bedrock_adapter_kit::types::AdapterError;
/// use serde_json::json;
///
/// const OWNED: &[(&str, &str)] = &[("max_tokens", "use --max-tokens")];
/// let check = |key: &str, value| match key {
///     "tools" => Kind::List.check(key, value),
///     _ => Ok(value),
/// };
/// let pairs = [("tools".to_owned(), "[]".to_owned()), ("x".to_owned(), "1".to_owned())];
/// let fields = options::parse(&pairs, OWNED, check)?;
/// assert_eq!(fields.get("x"), Some(&json!(1)));
///
/// let refused = options::parse(&[("max_tokens".to_owned(), "5".to_owned())], OWNED, check);
/// let hint = "-o max_tokens: this field is not an option; use --max-tokens";
/// assert_eq!(refused, Err(AdapterError::InvalidRequest(hint.to_owned())));
/// # Ok::<(), AdapterError>(())
/// ```
pub fn parse(
    extra: &[(String, String)],
    owned: &[(&str, &str)],
    mut check: impl FnMut(&str, Value) -> Result<Value, AdapterError>,
) -> Result<Map<String, Value>, AdapterError> {
    let mut fields = Map::new();
    for (key, text) in extra {
        if let Some((_, instead)) = owned.iter().find(|(owned, _)| owned == key) {
            return Err(invalid(
                key,
                &format!("this field is not an option; {instead}"),
            ));
        }
        let value: Value = serde_json::from_str(text)
            .map_err(|err| invalid(key, &format!("the value is not JSON ({err})")))?;
        fields.insert(key.clone(), check(key, value)?);
    }
    Ok(fields)
}

/// [`parse`] for an adapter whose only checks are the kinds in `known`:
/// a key listed there must have a value of its kind, any other key passes
/// unchecked, for Bedrock to judge.
pub fn parse_known(
    extra: &[(String, String)],
    owned: &[(&str, &str)],
    known: &[(&str, Kind)],
) -> Result<Map<String, Value>, AdapterError> {
    parse(extra, owned, |key, value| {
        match known.iter().find(|(known, _)| *known == key) {
            Some((_, kind)) => kind.check(key, value),
            None => Ok(value),
        }
    })
}

/// The `invalid-request` error about option `key`: `-o <key>: <why>`.
pub fn invalid(key: &str, why: &str) -> AdapterError {
    AdapterError::InvalidRequest(format!("-o {key}: {why}"))
}

/// The JSON type a known option must have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A JSON string.
    String,
    /// `true` or `false`.
    Bool,
    /// A whole number, 0 or more, that fits a `u64`.
    Count,
    /// Any JSON number.
    Number,
    /// A JSON array.
    List,
    /// A JSON object.
    Object,
}

impl Kind {
    /// Whether `value` is of this kind.
    pub fn fits(self, value: &Value) -> bool {
        match self {
            Kind::String => value.is_string(),
            Kind::Bool => value.is_boolean(),
            Kind::Count => value.is_u64(),
            Kind::Number => value.is_number(),
            Kind::List => value.is_array(),
            Kind::Object => value.is_object(),
        }
    }

    /// What a value of this kind is, as an error message says it
    /// (`a JSON object`).
    pub fn expected(self) -> &'static str {
        match self {
            Kind::String => "a string",
            Kind::Bool => "true or false",
            Kind::Count => "a whole number",
            Kind::Number => "a number",
            Kind::List => "a JSON list",
            Kind::Object => "a JSON object",
        }
    }

    /// `value` itself when it is of this kind, else the error
    /// `-o <key>: expected <kind>`.
    pub fn check(self, key: &str, value: Value) -> Result<Value, AdapterError> {
        if self.fits(&value) {
            Ok(value)
        } else {
            Err(invalid(key, &format!("expected {}", self.expected())))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::pairs;

    const OWNED: &[(&str, &str)] = &[("max_tokens", "use --max-tokens")];
    const KNOWN: &[(&str, Kind)] = &[("n", Kind::Count), ("tools", Kind::List)];

    fn error(result: Result<Map<String, Value>, AdapterError>) -> String {
        match result {
            Err(AdapterError::InvalidRequest(message)) => message,
            other => panic!("not an invalid-request error: {other:?}"),
        }
    }

    #[test]
    fn fields_keep_the_last_value() {
        let fields = parse_known(
            &pairs(&[("n", "1"), ("x", "\"a\""), ("n", "2")]),
            OWNED,
            KNOWN,
        )
        .expect("valid options");
        assert_eq!(Value::Object(fields), serde_json::json!({"n": 2, "x": "a"}));
    }

    #[test]
    fn owned_keys_are_refused_with_the_hint() {
        assert_eq!(
            error(parse_known(&pairs(&[("max_tokens", "{")]), OWNED, KNOWN)),
            "-o max_tokens: this field is not an option; use --max-tokens"
        );
    }

    #[test]
    fn values_must_be_json() {
        let message = error(parse_known(&pairs(&[("x", "not json")]), OWNED, KNOWN));
        assert!(
            message.starts_with("-o x: the value is not JSON ("),
            "{message}"
        );
    }

    #[test]
    fn known_keys_are_checked_and_the_first_error_wins() {
        assert_eq!(
            error(parse_known(
                &pairs(&[("n", "1.5"), ("tools", "{}")]),
                OWNED,
                KNOWN
            )),
            "-o n: expected a whole number"
        );
    }

    #[test]
    fn kinds() {
        let json = |text: &str| serde_json::from_str::<Value>(text).expect("JSON");
        for (kind, good, bad) in [
            (Kind::String, "\"s\"", "1"),
            (Kind::Bool, "true", "\"true\""),
            (Kind::Count, "0", "-1"),
            (Kind::Number, "-1.5", "\"1\""),
            (Kind::List, "[]", "{}"),
            (Kind::Object, "{}", "[]"),
        ] {
            assert!(kind.fits(&json(good)), "{kind:?} {good}");
            assert!(!kind.fits(&json(bad)), "{kind:?} {bad}");
        }
    }

    #[test]
    fn a_check_may_normalise() {
        let fields = parse(&pairs(&[("beta", "\"x\"")]), OWNED, |_, value| {
            Ok(Value::Array(vec![value]))
        })
        .expect("valid");
        assert_eq!(fields.get("beta"), Some(&serde_json::json!(["x"])));
    }
}
