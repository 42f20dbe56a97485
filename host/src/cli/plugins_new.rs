//! `bedrock-host plugins new NAME`: writes a working adapter project in a
//! new folder, from the templates in `host/templates/` compiled into the
//! binary. As written, the project builds to a component with one command
//! (its README says which), has native tests, and is served by the host as
//! it is: it speaks a text-completion body the local Bedrock answers.
//!
//! Invariant: nothing that exists is overwritten. The folder must be
//! missing or empty, and each file is created new; a refusal (a bad name,
//! a folder with files in it) writes nothing and is a usage error (exit 2).

use std::fs::{self, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::{Args, ValueEnum};

use super::Exit;
use super::exit::UsageError;
use super::stdout::outln;

/// Arguments of `plugins new`.
#[derive(Debug, Args)]
pub struct NewArgs {
    /// The adapter's name, as `plugins list` will show it: a lower-case
    /// letter, then lower-case letters, digits and single `-` (`echo`,
    /// `acme-chat`), at most 40 characters.
    name: String,
    /// The language of the project. Only Rust has a template so far; the
    /// authoring guide (docs/plugins/) says how to build Python and
    /// JavaScript components.
    #[arg(long, value_enum, default_value_t = Language::Rust)]
    lang: Language,
    /// The folder to create (default: ./NAME). It must not exist, or be empty.
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
    /// The `bedrock-adapter-kit` folder to depend on by path. Default: the
    /// kit of the repository this binary was built from, when it is still
    /// there; else the crates.io release (`"0.1"`).
    #[arg(long, value_name = "DIR")]
    kit_path: Option<PathBuf>,
}

/// A language `plugins new` has a template for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Language {
    /// A Rust crate built for wasm32-wasip2 against bedrock-adapter-kit.
    Rust,
}

/// The model id the generated adapter serves, and the pattern it claims:
/// Mistral 7B's text-completion body, which the local Bedrock answers.
const TEMPLATE_MODEL: &str = "mistral.mistral-7b-instruct-v0:2";

/// The Rust template: each file's path in the new project and its text.
const RUST_TEMPLATE: &[(&str, &str)] = &[
    (
        "Cargo.toml",
        include_str!("../../templates/rust/Cargo.toml.tmpl"),
    ),
    ("README.md", include_str!("../../templates/rust/README.md")),
    (
        "src/lib.rs",
        include_str!("../../templates/rust/src/lib.rs"),
    ),
    (
        "tests/adapter.rs",
        include_str!("../../templates/rust/tests/adapter.rs"),
    ),
    (".gitignore", "/target\n/plugins\n"),
];

/// Runs `plugins new`.
pub fn run(args: &NewArgs) -> anyhow::Result<Exit> {
    check_name(&args.name)?;
    let dir = args
        .dir
        .clone()
        .unwrap_or_else(|| PathBuf::from(&args.name));
    refuse_occupied(&dir)?;
    let kit = kit_dependency(args.kit_path.as_deref())?;
    let crate_name = format!("bedrock-plugin-{}", args.name);
    let values = [
        ("{{name}}", args.name.clone()),
        ("{{crate}}", crate_name.clone()),
        ("{{crate_ident}}", crate_name.replace('-', "_")),
        ("{{pattern}}", TEMPLATE_MODEL.to_owned()),
        ("{{model}}", TEMPLATE_MODEL.to_owned()),
        ("{{kit_testing}}", kit.testing),
        ("{{kit}}", kit.plain),
    ];
    let template = match args.lang {
        Language::Rust => RUST_TEMPLATE,
    };
    for (relative, text) in template {
        let text = values
            .iter()
            .fold((*text).to_owned(), |text, (key, value)| {
                text.replace(key, value)
            });
        write_new(&dir.join(relative), &text)?;
    }
    let wasm = format!(
        "target/wasm32-wasip2/release/{}.wasm",
        crate_name.replace('-', "_")
    );
    outln!(
        "created the {} adapter in {} (rust)",
        args.name,
        dir.display()
    );
    outln!(
        "  build:  cd {} && cargo build --release --target wasm32-wasip2",
        dir.display()
    );
    outln!("  test:   cargo test");
    outln!("  check:  bedrock-host plugins inspect {wasm}");
    outln!(
        "  try:    mkdir -p plugins && cp {wasm} plugins/{}.wasm && bedrock-host --local --plugins-dir plugins invoke -m {TEMPLATE_MODEL} \"Hello\"",
        args.name
    );
    Ok(Exit::Success)
}

/// Refuses a name `plugins list` could not show as typed, or a crate name
/// cannot carry.
fn check_name(name: &str) -> Result<(), UsageError> {
    let mut chars = name.chars();
    let starts_with_letter = chars.next().is_some_and(|first| first.is_ascii_lowercase());
    let rest_ok = chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if starts_with_letter
        && rest_ok
        && name.len() <= 40
        && !name.ends_with('-')
        && !name.contains("--")
    {
        Ok(())
    } else {
        Err(UsageError(format!(
            "the adapter name {name:?} is not a lower-case letter followed by lower-case letters, digits and single '-' (at most 40, not ending in '-')"
        )))
    }
}

/// Refuses a folder that has anything in it, or a path that is not a folder.
fn refuse_occupied(dir: &Path) -> Result<(), UsageError> {
    match fs::read_dir(dir) {
        Ok(mut entries) => match entries.next() {
            None => Ok(()),
            Some(_) => Err(UsageError(format!(
                "{} exists and is not empty: plugins new writes only into a new or empty folder",
                dir.display()
            ))),
        },
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(UsageError(format!(
            "cannot use {} as the new project's folder: {error}",
            dir.display()
        ))),
    }
}

/// The kit dependency as TOML values, plain and with the `testing` feature.
struct KitDependency {
    plain: String,
    testing: String,
}

/// The kit by path (`kit_path`, else this build's repository kit when it
/// is still there), else the crates.io release.
fn kit_dependency(kit_path: Option<&Path>) -> Result<KitDependency, UsageError> {
    let built_from = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../plugins/kit"));
    let path = match kit_path {
        Some(path) if path.join("Cargo.toml").is_file() => Some(path.to_path_buf()),
        Some(path) => {
            return Err(UsageError(format!(
                "--kit-path {}: no Cargo.toml there (give the bedrock-adapter-kit folder, plugins/kit in bedrock-host)",
                path.display()
            )));
        }
        None if built_from.join("Cargo.toml").is_file() => Some(built_from.to_path_buf()),
        None => None,
    };
    let Some(path) = path else {
        return Ok(KitDependency {
            plain: "\"0.1\"".to_owned(),
            testing: "{ version = \"0.1\", features = [\"testing\"] }".to_owned(),
        });
    };
    let path = path.canonicalize().unwrap_or(path);
    let Some(path) = path.to_str() else {
        return Err(UsageError(format!(
            "the kit's path is not UTF-8, which Cargo.toml cannot hold: {}",
            path.display()
        )));
    };
    // A JSON string is a valid TOML basic string (same escapes).
    let quoted = serde_json::Value::from(path).to_string();
    Ok(KitDependency {
        plain: format!("{{ path = {quoted} }}"),
        testing: format!("{{ path = {quoted}, features = [\"testing\"] }}"),
    })
}

/// Writes `text` to a new file at `path`, creating its folder.
fn write_new(path: &Path, text: &str) -> anyhow::Result<()> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    file.write_all(text.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))
}
