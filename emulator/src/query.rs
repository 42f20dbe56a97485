//! Query-string input of the control-plane operations: decoding `name=value` pairs as the SDKs
//! send them, and checking them with the constraint messages AWS's request validation produces
//! ("1 validation error detected: Value 'X' at 'member' failed to satisfy constraint: ..."),
//! all violations of a request reported together in one 400 `ValidationException`. Invariant:
//! nothing here panics on client input; undecodable bytes are replaced, not rejected.

use percent_encoding::percent_decode_str;

use crate::api_error::ApiError;

/// The decoded parameters of one query string, in the order they arrived.
#[derive(Debug, Default)]
pub(crate) struct QueryParameters(Vec<(String, String)>);

impl QueryParameters {
    /// Decodes a raw query string (`None` when the URI had none). `+` is a space, as in forms.
    pub fn parse(raw: Option<&str>) -> Self {
        let Some(raw) = raw else {
            return Self::default();
        };
        let pairs = raw
            .split('&')
            .filter(|pair| !pair.is_empty())
            .map(|pair| {
                let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
                (decode(name), decode(value))
            })
            .collect();
        Self(pairs)
    }

    /// The first value given for `name`, if any.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

fn decode(component: &str) -> String {
    percent_decode_str(&component.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned()
}

/// The constraint violations found in one request, reported together.
#[derive(Debug, Default)]
pub(crate) struct Violations(Vec<String>);

impl Violations {
    /// Records a violation unless `value` is absent or one of `allowed` (an enum, compared
    /// exactly: AWS enums are case-sensitive).
    pub fn check_enum(&mut self, member: &str, value: Option<&str>, allowed: &[&str]) {
        if let Some(value) = value
            && !allowed.contains(&value)
        {
            self.0.push(format!(
                "Value '{value}' at '{member}' failed to satisfy constraint: Member must satisfy \
                 enum value set: [{}]",
                allowed.join(", ")
            ));
        }
    }

    /// Records a violation of the regular expression `pattern` (shown in the message) when
    /// `matches` says the present `value` does not satisfy it.
    pub fn check_pattern(
        &mut self,
        member: &str,
        value: Option<&str>,
        pattern: &str,
        matches: impl Fn(&str) -> bool,
    ) {
        if let Some(value) = value
            && !matches(value)
        {
            self.0.push(format!(
                "Value '{value}' at '{member}' failed to satisfy constraint: Member must satisfy \
                 regular expression pattern: {pattern}"
            ));
        }
    }

    /// Records a violation unless a present `value` has between `min` and `max` characters.
    pub fn check_length(&mut self, member: &str, value: Option<&str>, min: usize, max: usize) {
        let Some(value) = value else {
            return;
        };
        let length = value.chars().count();
        if length < min {
            self.0.push(format!(
                "Value '{value}' at '{member}' failed to satisfy constraint: Member must have \
                 length greater than or equal to {min}"
            ));
        } else if length > max {
            self.0.push(format!(
                "Value '{value}' at '{member}' failed to satisfy constraint: Member must have \
                 length less than or equal to {max}"
            ));
        }
    }

    /// Records a violation unless a present `value` is an integer in `min..=max`.
    pub fn check_integer_range(&mut self, member: &str, value: Option<&str>, min: u32, max: u32) {
        let Some(value) = value else {
            return;
        };
        match value.parse::<i64>() {
            Ok(number) if number < i64::from(min) => self.0.push(format!(
                "Value '{number}' at '{member}' failed to satisfy constraint: Member must have \
                 value greater than or equal to {min}"
            )),
            Ok(number) if number > i64::from(max) => self.0.push(format!(
                "Value '{number}' at '{member}' failed to satisfy constraint: Member must have \
                 value less than or equal to {max}"
            )),
            Ok(_) => {}
            Err(_) => self.0.push(format!(
                "Value '{value}' at '{member}' failed to satisfy constraint: Member must be an \
                 integer"
            )),
        }
    }

    /// `Ok` when nothing was recorded, else the 400 `ValidationException` listing every
    /// violation.
    pub fn into_result(self) -> Result<(), ApiError> {
        match self.0.len() {
            0 => Ok(()),
            1 => Err(ApiError::validation(format!(
                "1 validation error detected: {}",
                self.0.join("; ")
            ))),
            count => Err(ApiError::validation(format!(
                "{count} validation errors detected: {}",
                self.0.join("; ")
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_are_percent_and_plus_decoded_and_the_first_value_wins() {
        let query = QueryParameters::parse(Some(
            "byProvider=Mistral%20AI&type=SYSTEM_DEFINED&byProvider=Meta&empty=&flag&x=a+b",
        ));
        assert_eq!(query.get("byProvider"), Some("Mistral AI"));
        assert_eq!(query.get("type"), Some("SYSTEM_DEFINED"));
        assert_eq!(query.get("empty"), Some(""));
        assert_eq!(query.get("flag"), Some(""));
        assert_eq!(query.get("x"), Some("a b"));
        assert_eq!(query.get("missing"), None);
        assert_eq!(QueryParameters::parse(None).get("x"), None);
    }

    #[test]
    fn lengths_count_characters() {
        let mut violations = Violations::default();
        violations.check_length("roleSessionName", Some("ab"), 2, 3);
        violations.check_length("roleSessionName", Some("\u{e9}\u{e9}\u{e9}"), 2, 3);
        violations.check_length("roleSessionName", None, 2, 3);
        assert!(std::mem::take(&mut violations).into_result().is_ok());
        violations.check_length("roleSessionName", Some("a"), 2, 3);
        violations.check_length("roleSessionName", Some("abcd"), 2, 3);
        let error = violations.into_result().expect_err("two violations");
        assert_eq!(
            error.message(),
            "2 validation errors detected: Value 'a' at 'roleSessionName' failed to satisfy \
             constraint: Member must have length greater than or equal to 2; Value 'abcd' at \
             'roleSessionName' failed to satisfy constraint: Member must have length less than \
             or equal to 3"
        );
    }

    #[test]
    fn integers_outside_their_range_are_violations() {
        let mut violations = Violations::default();
        for value in ["1", "1000", "0", "1001", "ten"] {
            violations.check_integer_range("maxResults", Some(value), 1, 1000);
        }
        violations.check_integer_range("maxResults", None, 1, 1000);
        let error = violations.into_result().expect_err("three violations");
        assert_eq!(
            error.message(),
            "3 validation errors detected: Value '0' at 'maxResults' failed to satisfy \
             constraint: Member must have value greater than or equal to 1; Value '1001' at \
             'maxResults' failed to satisfy constraint: Member must have value less than or \
             equal to 1000; Value 'ten' at 'maxResults' failed to satisfy constraint: Member \
             must be an integer"
        );
    }

    #[test]
    fn invalid_utf8_is_replaced_rather_than_refused() {
        let query = QueryParameters::parse(Some("byProvider=%FF"));
        assert_eq!(query.get("byProvider"), Some("\u{FFFD}"));
    }

    #[test]
    fn one_violation_is_reported_in_the_coral_wording() {
        let mut violations = Violations::default();
        violations.check_enum("byOutputModality", Some("AUDIO"), &["TEXT", "IMAGE"]);
        violations.check_enum("byInferenceType", Some("ON_DEMAND"), &["ON_DEMAND"]);
        violations.check_enum("byCustomizationType", None, &["FINE_TUNING"]);
        let error = violations.into_result().expect_err("one violation");
        assert_eq!(error.error_type(), "ValidationException");
        assert_eq!(
            error.message(),
            "1 validation error detected: Value 'AUDIO' at 'byOutputModality' failed to satisfy \
             constraint: Member must satisfy enum value set: [TEXT, IMAGE]"
        );
    }

    #[test]
    fn several_violations_are_counted_and_joined() {
        let mut violations = Violations::default();
        violations.check_pattern("byProvider", Some("a/b"), "[a-z/]{1,2}", |value| {
            value.len() <= 2
        });
        violations.check_pattern("byProvider", Some("ab"), "[a-z/]{1,2}", |value| {
            value.len() <= 2
        });
        violations.check_enum("byOutputModality", Some("text"), &["TEXT"]);
        let error = violations.into_result().expect_err("two violations");
        assert_eq!(
            error.message(),
            "2 validation errors detected: Value 'a/b' at 'byProvider' failed to satisfy \
             constraint: Member must satisfy regular expression pattern: [a-z/]{1,2}; Value \
             'text' at 'byOutputModality' failed to satisfy constraint: Member must satisfy \
             enum value set: [TEXT]"
        );
        assert!(Violations::default().into_result().is_ok());
    }
}
