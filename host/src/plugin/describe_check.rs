//! The check of what a plugin says about itself in `describe`, before the
//! host keeps or prints any of it.
//!
//! Invariants: a plugin is refused unless its name is 1 to 64 bytes of
//! lower-case letters, digits, `-` and `_`; its version at most 64 bytes; its
//! description at most 1 KiB; it declares 1 to 256 model patterns (or none,
//! when `describe-embedder` declares some), each 1 to 256 bytes without
//! whitespace or control characters (patterns are matched and printed as
//! they are), and `describe-embedder` as many under the same rules; and at most 256 options of at most 256 bytes
//! each. A refusal describes what is wrong by sizes and positions and never
//! quotes the plugin's strings, so a refused plugin prints nothing of its
//! own. Version, description and options may hold any character: they are
//! printed escaped.

use super::bindings::PluginInfo;
use super::bindings::embedding::EmbedderInfo;

/// Longest plugin name and version, in bytes.
pub const NAME_BYTES: usize = 64;
/// Longest description, in bytes.
pub const DESCRIPTION_BYTES: usize = 1024;
/// Most model patterns, and most options.
pub const MAX_ITEMS: usize = 256;
/// Longest model pattern or option, in bytes.
pub const ITEM_BYTES: usize = 256;

/// Why a `describe` answer was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DescribeRefusal {
    /// The name is empty, too long, or has a character a name may not have.
    #[error(
        "describe() gave a name of {bytes} bytes that is not 1 to {NAME_BYTES} lower-case letters, digits, `-` and `_`"
    )]
    Name { bytes: usize },
    /// A string is longer than its cap.
    #[error("plugin `{plugin}` gave a {what} of {bytes} bytes, over the cap of {cap}")]
    TooLong {
        plugin: String,
        what: &'static str,
        bytes: usize,
        cap: usize,
    },
    /// A list has more entries than its cap.
    #[error("plugin `{plugin}` declares {count} {what}, over the cap of {MAX_ITEMS}")]
    TooMany {
        plugin: String,
        what: &'static str,
        count: usize,
    },
    /// No model pattern at all.
    #[error("plugin `{plugin}` declares no model patterns")]
    NoModels { plugin: String },
    /// A model pattern is empty or holds whitespace or a control character.
    #[error(
        "plugin `{plugin}` declares an invalid model pattern (number {number}): empty, or with whitespace or a control character"
    )]
    BadPattern { plugin: String, number: usize },
    /// A pattern's capabilities list too many media types, or one that is
    /// not a media type.
    #[error(
        "plugin `{plugin}` declares invalid attachment media types for model pattern number {number}: more than {MAX_MEDIA_TYPES}, or one that is not 1 to {MEDIA_TYPE_BYTES} bytes of printable ASCII"
    )]
    BadMediaTypes { plugin: String, number: usize },
    /// An embedding or rerank pattern says one call takes no input.
    #[error(
        "plugin `{plugin}` declares embedding or rerank model pattern number {number} with a call that takes no input"
    )]
    NoInputs { plugin: String, number: usize },
}

/// Most media types per sort of attachment of one pattern.
pub const MAX_MEDIA_TYPES: usize = 32;
/// Longest media type, in bytes.
pub const MEDIA_TYPE_BYTES: usize = 128;

/// Whether `media_types` is a short enough list of printable media types.
fn media_types_valid(media_types: &[String]) -> bool {
    media_types.len() <= MAX_MEDIA_TYPES
        && media_types.iter().all(|t| {
            !t.is_empty() && t.len() <= MEDIA_TYPE_BYTES && t.bytes().all(|b| b.is_ascii_graphic())
        })
}

fn media_types_ok(info: &PluginInfo) -> Option<usize> {
    info.models.iter().position(|model| {
        let c = &model.capabilities;
        [&c.images, &c.documents]
            .into_iter()
            .flatten()
            .any(|limits| !media_types_valid(&limits.media_types))
    })
}

/// Checks what `describe` returned (see the module's invariants).
pub fn validate_info(info: &PluginInfo) -> Result<(), DescribeRefusal> {
    let name_ok = !info.name.is_empty()
        && info.name.len() <= NAME_BYTES
        && info
            .name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if !name_ok {
        return Err(DescribeRefusal::Name {
            bytes: info.name.len(),
        });
    }
    let plugin = || info.name.clone();
    let too_long = |what, text: &str, cap| {
        (text.len() > cap).then(|| DescribeRefusal::TooLong {
            plugin: plugin(),
            what,
            bytes: text.len(),
            cap,
        })
    };
    if let Some(refusal) = too_long("version", &info.version, NAME_BYTES)
        .or_else(|| too_long("description", &info.description, DESCRIPTION_BYTES))
    {
        return Err(refusal);
    }
    for (what, count) in [
        ("model patterns", info.models.len()),
        ("options", info.options.len()),
    ] {
        if count > MAX_ITEMS {
            return Err(DescribeRefusal::TooMany {
                plugin: plugin(),
                what,
                count,
            });
        }
    }
    let patterns: Vec<&str> = info.patterns().collect();
    if let Some(refusal) = patterns
        .iter()
        .find_map(|pattern| too_long("model pattern", pattern, ITEM_BYTES))
        .or_else(|| {
            info.options
                .iter()
                .find_map(|option| too_long("option", option, ITEM_BYTES))
        })
    {
        return Err(refusal);
    }
    if patterns.is_empty() {
        return Err(DescribeRefusal::NoModels { plugin: plugin() });
    }
    if let Some(index) = patterns
        .iter()
        .position(|p| p.is_empty() || p.chars().any(|c| c.is_whitespace() || c.is_control()))
    {
        return Err(DescribeRefusal::BadPattern {
            plugin: plugin(),
            number: index + 1,
        });
    }
    if let Some(index) = media_types_ok(info) {
        return Err(DescribeRefusal::BadMediaTypes {
            plugin: plugin(),
            number: index + 1,
        });
    }
    Ok(())
}

/// Checks what `describe-embedder` returned, by the rules of `describe`:
/// capped lists and patterns, valid patterns and media types, and calls that
/// take at least one input. Patterns are numbered embedding models first,
/// then rerank models.
pub fn validate_embedder(plugin: &str, info: &EmbedderInfo) -> Result<(), DescribeRefusal> {
    let patterns: Vec<&str> = info
        .embedding_models
        .iter()
        .map(|model| model.pattern.as_str())
        .chain(
            info.rerank_models
                .iter()
                .map(|model| model.pattern.as_str()),
        )
        .collect();
    if patterns.len() > MAX_ITEMS {
        return Err(DescribeRefusal::TooMany {
            plugin: plugin.to_owned(),
            what: "embedding and rerank model patterns",
            count: patterns.len(),
        });
    }
    if let Some(pattern) = patterns.iter().find(|pattern| pattern.len() > ITEM_BYTES) {
        return Err(DescribeRefusal::TooLong {
            plugin: plugin.to_owned(),
            what: "model pattern",
            bytes: pattern.len(),
            cap: ITEM_BYTES,
        });
    }
    let number = |index: usize| index + 1;
    if let Some(index) = patterns
        .iter()
        .position(|p| p.is_empty() || p.chars().any(|c| c.is_whitespace() || c.is_control()))
    {
        return Err(DescribeRefusal::BadPattern {
            plugin: plugin.to_owned(),
            number: number(index),
        });
    }
    if let Some(index) = info.embedding_models.iter().position(|model| {
        model.dimensions.len() > MAX_ITEMS
            || model
                .images
                .as_ref()
                .is_some_and(|limits| !media_types_valid(&limits.media_types))
    }) {
        return Err(DescribeRefusal::BadMediaTypes {
            plugin: plugin.to_owned(),
            number: number(index),
        });
    }
    let takes_nothing = info
        .embedding_models
        .iter()
        .map(|model| model.max_inputs)
        .chain(info.rerank_models.iter().map(|model| model.max_documents))
        .position(|most| most == 0);
    if let Some(index) = takes_nothing {
        return Err(DescribeRefusal::NoInputs {
            plugin: plugin.to_owned(),
            number: number(index),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::{AttachmentLimits, Capabilities, ModelSupport};

    fn model(pattern: String) -> ModelSupport {
        ModelSupport {
            pattern,
            capabilities: Capabilities {
                system: true,
                tools: false,
                images: None,
                documents: None,
                reasoning: false,
                caching: false,
                streaming: false,
            },
        }
    }

    fn info(models: &[&str]) -> PluginInfo {
        PluginInfo {
            name: "-".into(),
            version: String::new(),
            description: String::new(),
            models: models.iter().map(|m| model((*m).to_owned())).collect(),
            options: Vec::new(),
        }
    }

    #[test]
    fn attachment_media_types_are_bounded_and_printable() {
        let with_types = |types: Vec<String>| {
            let mut info = info(&["-", "-"]);
            info.models[1].capabilities.documents = Some(AttachmentLimits {
                media_types: types,
                max_bytes: 1,
                max_count: 1,
            });
            validate_info(&info)
        };
        assert_eq!(with_types(vec!["application/pdf".into()]), Ok(()));
        for spoiled in [
            vec!["text/plain\u{1b}[2J".to_owned()],
            vec![String::new()],
            vec!["x".repeat(MEDIA_TYPE_BYTES + 1)],
            vec!["a/b".to_owned(); MAX_MEDIA_TYPES + 1],
        ] {
            let refusal = with_types(spoiled).expect_err("refused").to_string();
            assert!(refusal.contains("model pattern number 2"), "{refusal}");
        }
    }

    /// Found by the `plugin_output` fuzz target: a model pattern holding a
    /// control character (here NUL; an escape sequence works the same) was
    /// accepted, and `plugins list` would print it to the terminal as is.
    #[test]
    fn a_model_pattern_with_a_control_character_is_refused() {
        assert!(validate_info(&info(&["-"])).is_ok());
        let error = validate_info(&info(&["-", "-\0"])).unwrap_err();
        assert_eq!(
            error.to_string(),
            "plugin `-` declares an invalid model pattern (number 2): empty, or with whitespace or a control character"
        );
        assert!(validate_info(&info(&["anthropic.\u{1b}[2J*"])).is_err());
    }

    #[test]
    fn each_string_and_list_is_capped_and_the_refusal_quotes_none_of_it() {
        let loud = "\u{1b}]0;owned\u{7}\n";
        let at_cap = |cap: usize| "v".repeat(cap);
        let mut fits = info(&["-"]);
        fits.name = "n".repeat(NAME_BYTES);
        fits.version = at_cap(NAME_BYTES);
        fits.description = at_cap(DESCRIPTION_BYTES);
        fits.models = vec![model(at_cap(ITEM_BYTES)); MAX_ITEMS];
        fits.options = vec![at_cap(ITEM_BYTES); MAX_ITEMS];
        assert_eq!(validate_info(&fits), Ok(()));
        type Spoil = fn(&mut PluginInfo, &str);
        let over: [(&str, Spoil); 8] = [
            ("name", |i, _| {
                i.name = format!("{}x", "n".repeat(NAME_BYTES))
            }),
            ("name", |i, l| i.name = l.to_owned()),
            ("version", |i, l| i.version.push_str(l)),
            ("description", |i, l| i.description.push_str(l)),
            ("model patterns", |i, l| i.models.push(model(l.to_owned()))),
            ("options", |i, l| i.options.push(l.to_owned())),
            ("model pattern", |i, l| i.models[7].pattern.push_str(l)),
            ("option", |i, l| i.options[9].push_str(l)),
        ];
        for (what, spoil) in over {
            let mut info = fits.clone();
            spoil(&mut info, loud);
            let refusal = validate_info(&info).expect_err(what).to_string();
            assert!(refusal.contains(what), "{what}: {refusal}");
            assert!(!refusal.contains("owned"), "quotes the plugin: {refusal}");
            assert!(!refusal.chars().any(char::is_control), "{refusal}");
        }
    }
}
