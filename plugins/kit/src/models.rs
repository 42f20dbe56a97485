//! Routing by model id: tables of base-id prefixes, each with what the
//! adapter does for the models it names (a body family, a chat template),
//! and the `*` patterns `describe` claims from the same table.
//!
//! Invariant: an adapter that builds both its patterns and its routing from
//! one table never claims an id it then refuses, nor serves one it does not
//! claim. The first prefix that matches wins.

/// What `table` routes `model_id` to: the value of the first prefix the id
/// starts with.
///
/// ```
/// use bedrock_adapter_kit::models;
///
/// const PREFIXES: &[(&str, u8)] = &[("cohere.command-r-", 2), ("cohere.command-", 1)];
/// assert_eq!(models::route(PREFIXES, "cohere.command-r-plus-v1:0"), Some(2));
/// assert_eq!(models::route(PREFIXES, "cohere.embed-english-v3"), None);
/// assert_eq!(models::patterns(PREFIXES), ["cohere.command-r-*", "cohere.command-*"]);
/// ```
pub fn route<T: Copy>(table: &[(&str, T)], model_id: &str) -> Option<T> {
    table
        .iter()
        .find(|(prefix, _)| model_id.starts_with(prefix))
        .map(|(_, value)| *value)
}

/// The patterns `describe` reports for `table`: each prefix followed by `*`.
pub fn patterns<T>(table: &[(&str, T)]) -> Vec<String> {
    table
        .iter()
        .map(|(prefix, _)| format!("{prefix}*"))
        .collect()
}
