//! Reading recorded JSON for an expectation: a string or a token count at
//! a JSON pointer, or the reason there is none.
//!
//! Invariant: nothing is guessed: a missing or mistyped field is an error
//! that names the pointer and shows the value it was looked for in.

use serde_json::Value;

/// The string at `pointer`, or why there is none.
pub fn field_str<'a>(value: &'a Value, pointer: &str) -> Result<&'a str, String> {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("no string at `{pointer}` in {value}"))
}

/// The token count at `pointer`, written as an integer, or why there is
/// none.
pub fn field_u32(value: &Value, pointer: &str) -> Result<u32, String> {
    value
        .pointer(pointer)
        .and_then(Value::as_u64)
        .and_then(|n| u32::try_from(n).ok())
        .ok_or_else(|| format!("no token count at `{pointer}` in {value}"))
}

/// The token count at `pointer` when there is one (absent or `null` is
/// `None`), also when written as a whole float (`28.0`, as Titan writes
/// some); anything else there is an error.
pub fn optional_count(value: &Value, pointer: &str) -> Result<Option<u32>, String> {
    let Some(number) = value.pointer(pointer).filter(|n| !n.is_null()) else {
        return Ok(None);
    };
    number
        .as_f64()
        .filter(|n| n.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(n))
        .map(|n| Some(n as u32))
        .ok_or_else(|| format!("no token count at `{pointer}` in {value}"))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_count_may_be_a_whole_float_but_not_a_fraction() {
        let value = json!({"a": 28.0, "b": 2.5, "c": null, "d": 7});
        assert_eq!(optional_count(&value, "/a"), Ok(Some(28)));
        assert!(optional_count(&value, "/b").is_err());
        assert_eq!(optional_count(&value, "/c"), Ok(None));
        assert_eq!(optional_count(&value, "/missing"), Ok(None));
        assert_eq!(field_u32(&value, "/d"), Ok(7));
        assert!(field_u32(&value, "/a").is_err());
        assert!(field_str(&value, "/d").is_err());
    }
}
