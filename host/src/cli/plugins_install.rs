//! `bedrock-host plugins install | update | rollback | remove | sign |
//! keygen`: adapters as signed artifacts, placed in the per-user plugins
//! folder (or the first `--plugins-dir`), pinned in its `plugins.lock` and
//! recorded in its `plugins.sources.json`.
//!
//! Invariants: nothing is placed before every check passed: the expected
//! sha256 (`--sha256`), a component of a contract this host serves, its
//! signature against the trust file, the loader's own checks (imports the
//! sandbox links, a valid `describe`), a semver version, the expected name
//! (`--name`) and the publisher's grant. Failing any is a refusal (exit 3)
//! that names the check; `--allow-unsigned` and `--allow-ungranted` are the
//! only ways past the last two, and what they let in is marked in `plugins
//! list`. The file is written to a temporary file in the target folder and
//! renamed into place, then pinned: a reader sees the old plugin or the new
//! one. `update` requires the signer of the installed file, and keeps that
//! file in `previous/` for `rollback`.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::Args;

use super::Exit;
use super::exit::UsageError;
use super::session::Session;
use super::stdout::outln;
use crate::plugin::{
    Fetched, InstalledPlugin, InstalledPlugins, LOCK_FILE_NAME, PREVIOUS_DIR_NAME, PluginError,
    PluginLock, Signer, Source, TrustFile, file_name, inspect, key_id, parse_secret_key, printable,
    public_key_of, sha256_hex, sign, verify, wasm_files,
};

/// Arguments of `plugins install`.
#[derive(Debug, Args)]
pub struct InstallArgs {
    /// A .wasm file, an http(s) URL (plain http on loopback only), or an OCI
    /// reference: oci://registry/namespace/name:tag or ...@sha256:DIGEST.
    source: String,
    /// Refuse the file unless its sha256 is this (64 hex digits).
    #[arg(long, value_name = "HEX")]
    sha256: Option<String>,
    /// Refuse the file unless the adapter names itself this.
    #[arg(long, value_name = "NAME")]
    name: Option<String>,
    #[command(flatten)]
    allow: Allowances,
}

/// What a user may let in on purpose.
#[derive(Debug, Clone, Copy, Args)]
pub struct Allowances {
    /// Install an adapter no trusted publisher signed (marked UNSIGNED in
    /// `plugins list`).
    #[arg(long)]
    allow_unsigned: bool,
    /// Install an adapter whose publisher is not granted its name or every
    /// model pattern it claims (marked UNGRANTED in `plugins list`).
    #[arg(long)]
    allow_ungranted: bool,
}

/// Arguments of `plugins update`.
#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// The installed plugin to update; every installed one when omitted.
    name: Option<String>,
    #[command(flatten)]
    allow: Allowances,
}

/// Arguments of `plugins rollback` and `plugins remove`.
#[derive(Debug, Args)]
pub struct NameArgs {
    /// The plugin's name, as `plugins list` shows it.
    name: String,
}

/// Arguments of `plugins sign`.
#[derive(Debug, Args)]
pub struct SignArgs {
    /// The component to sign.
    file: PathBuf,
    /// The secret key: the PEM `plugins keygen` writes, or an unencrypted
    /// OpenSSH Ed25519 key (`ssh-keygen -t ed25519`).
    #[arg(long, value_name = "FILE")]
    key: PathBuf,
    /// Where to write the signed component; FILE itself when omitted.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

/// Arguments of `plugins keygen`.
#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// Writes the secret key to PATH (mode 600) and the public key, one
    /// OpenSSH line, to PATH.pub. Refuses to replace either.
    #[arg(long, value_name = "PATH")]
    out: PathBuf,
    /// The comment on the public key line (who it belongs to).
    #[arg(long, default_value = "bedrock-host publisher")]
    comment: String,
}

/// An adapter that passed every check, in a temporary file in its folder.
struct Checked {
    record: InstalledPlugin,
    file: tempfile::NamedTempFile,
}

/// The folder `install` places adapters in: the first `--plugins-dir`
/// when given, else the per-user plugins folder.
fn install_dir(session: &Session) -> anyhow::Result<PathBuf> {
    let per_user = crate::paths::project_dirs().map(|dirs| dirs.data_dir().join("plugins"));
    let dirs = session.plugin_sources().dirs();
    match per_user {
        Some(dir) if dirs.contains(&dir) => Ok(dir),
        _ => dirs.first().cloned().ok_or_else(|| {
            UsageError("there is no plugins folder to install into; pass --plugins-dir DIR".into())
                .into()
        }),
    }
}

/// A refusal of the adapter from `source`: exit 3, naming the check.
fn refused(source: &str, reason: String) -> anyhow::Error {
    PluginError::Load {
        path: PathBuf::from(source),
        reason: format!("refused, nothing was installed: {reason}"),
    }
    .into()
}

/// `plugins install SOURCE`.
pub async fn install(session: &Session, args: &InstallArgs) -> anyhow::Result<Exit> {
    let expected = match &args.sha256 {
        Some(hex) => Some(expected_sha256(hex)?),
        None => None,
    };
    let source = Source::parse(&args.source)?;
    let dir = install_dir(session)?;
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("cannot create the plugins folder {}", dir.display()))?;
    let trust = TrustFile::load()?;
    let fetched = source.fetch(session.limits().file_bytes).await?;
    let checked = check(
        session,
        &fetched,
        &trust,
        expected.as_deref(),
        args.allow,
        &dir,
    )
    .await?;
    let record = &checked.record;
    if let Some(name) = &args.name
        && *name != record.name
    {
        return Err(refused(
            &fetched.source,
            format!(
                "it names itself `{}`, not `{name}` (--name)",
                printable(&record.name)
            ),
        ));
    }
    let registry = session.plugins().await?;
    if let Some(other) = registry.plugins().iter().find(|p| p.name() == record.name) {
        let hint = if InstalledPlugins::read_in(&dir)?
            .named(&record.name)
            .is_some()
        {
            format!("`bedrock-host plugins update {}` updates it", record.name)
        } else {
            "remove that file first: two files of one name are both refused".to_owned()
        };
        return Err(refused(
            &fetched.source,
            format!(
                "a plugin named `{}` is already installed ({}); {hint}",
                record.name,
                other.path().display()
            ),
        ));
    }
    let file = format!("{}.wasm", record.name);
    if dir.join(&file).exists() {
        return Err(refused(
            &fetched.source,
            format!(
                "{} already exists; remove it first",
                dir.join(&file).display()
            ),
        ));
    }
    let also_pinned = place(&dir, &file, checked, None)?;
    let installed = InstalledPlugins::read_in(&dir)?;
    if let Some(record) = installed.plugins.get(&file) {
        report_installed(&dir, &file, record, &also_pinned)?;
    }
    Ok(Exit::Success)
}

/// Parses `--sha256`.
fn expected_sha256(hex: &str) -> anyhow::Result<String> {
    let hex = hex
        .strip_prefix("sha256:")
        .unwrap_or(hex)
        .to_ascii_lowercase();
    if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(UsageError(format!("--sha256 `{hex}` is not 64 hex digits")).into());
    }
    Ok(hex)
}

/// Every check an adapter must pass before it is placed, in order; the
/// bytes end in a temporary file in `dir`.
async fn check(
    session: &Session,
    fetched: &Fetched,
    trust: &TrustFile,
    expected: Option<&str>,
    allow: Allowances,
    dir: &Path,
) -> anyhow::Result<Checked> {
    let source = fetched.source.as_str();
    let bytes = &fetched.bytes;
    let sha256 = sha256_hex(bytes);
    if let Some(expected) = expected
        && expected != sha256
    {
        return Err(refused(
            source,
            format!("its sha256 is {sha256}, not {expected} (--sha256)"),
        ));
    }
    let inspection = inspect(bytes).map_err(|error| refused(source, error.to_string()))?;
    if let Err(refusal) = &inspection.verdict {
        return Err(refused(
            source,
            format!("this host cannot load it: it {refusal}"),
        ));
    }
    let signer = verify(bytes, &trust.keys(), &trust.shown())
        .map_err(|error| refused(source, error.to_string()))?;
    let mut file = tempfile::Builder::new()
        .prefix(".installing-")
        .suffix(".partial")
        .tempfile_in(dir)
        .with_context(|| format!("cannot write in {}", dir.display()))?;
    std::io::Write::write_all(&mut file, bytes)
        .and_then(|()| file.as_file().sync_all())
        .with_context(|| format!("cannot write in {}", dir.display()))?;
    let runtime = session.plugin_runtime()?;
    let plugin = runtime.load(file.path()).await.map_err(|error| {
        let reason = match error {
            PluginError::Load { reason, .. } => reason,
            other => other.to_string(),
        };
        refused(source, reason)
    })?;
    let name = plugin.name().to_owned();
    let version = plugin.info().version.clone();
    if let Err(reason) = check_semver(&version) {
        return Err(refused(
            source,
            format!(
                "its version `{}` is not semver: {reason}",
                printable(&version)
            ),
        ));
    }
    let mut patterns = plugin.patterns().to_vec();
    patterns.extend(plugin.embedding_patterns().iter().cloned());
    let (signer_name, signer_key, granted) = match &signer {
        Signer::Unsigned => {
            if !allow.allow_unsigned {
                return Err(refused(
                    source,
                    format!(
                        "it is not signed; install it anyway with --allow-unsigned, or ask its publisher for a signed one (trust file: {})",
                        trust.shown()
                    ),
                ));
            }
            (None, None, false)
        }
        Signer::Publisher {
            name: publisher,
            key_id,
        } => {
            let grant = trust
                .publisher(publisher)
                .map_or(Err("it is not in the trust file".to_owned()), |p| {
                    p.grants(&name, &patterns)
                });
            if let Err(reason) = &grant
                && !allow.allow_ungranted
            {
                return Err(refused(
                    source,
                    format!(
                        "signer not trusted for what it claims: {reason}; widen the grant in {} or pass --allow-ungranted",
                        trust.shown()
                    ),
                ));
            }
            (Some(publisher.clone()), Some(key_id.clone()), grant.is_ok())
        }
    };
    Ok(Checked {
        record: InstalledPlugin {
            name,
            version,
            source: fetched.source.clone(),
            resolved: fetched.resolved.clone(),
            sha256,
            contract: plugin.contract_version().to_owned(),
            signer: signer_name,
            key_id: signer_key,
            granted,
            patterns,
            imports: inspection
                .imports
                .iter()
                .map(|item| item.name.clone())
                .collect(),
            previous: None,
        },
        file,
    })
}

/// `MAJOR.MINOR.PATCH`, with an optional `-pre` and `+build` of
/// `[0-9A-Za-z-.]`, numbers without leading zeros.
fn check_semver(version: &str) -> Result<(), String> {
    let (rest, build) = match version.split_once('+') {
        Some((rest, build)) => (rest, Some(build)),
        None => (version, None),
    };
    let (core, pre) = match rest.split_once('-') {
        Some((core, pre)) => (core, Some(pre)),
        None => (rest, None),
    };
    let numbers: Vec<&str> = core.split('.').collect();
    if numbers.len() != 3 {
        return Err("expected MAJOR.MINOR.PATCH".into());
    }
    for number in numbers {
        let digits = !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit());
        if !digits || (number.len() > 1 && number.starts_with('0')) {
            return Err(format!("`{number}` is not a number without leading zeros"));
        }
    }
    for part in pre.into_iter().chain(build) {
        let ok = part
            .split('.')
            .all(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
        if !ok {
            return Err(format!("`{part}` is not dot-separated identifiers"));
        }
    }
    Ok(())
}

/// Renames the checked file into `dir` as `file`, pins it and records it
/// (with `previous`, the record of the file it replaced). A folder without a
/// lock gets one, pinning the files already there as they are: their names
/// are returned.
fn place(
    dir: &Path,
    file: &str,
    checked: Checked,
    previous: Option<InstalledPlugin>,
) -> anyhow::Result<Vec<String>> {
    let mut also_pinned = Vec::new();
    let mut lock = match PluginLock::read_in(dir)? {
        Some(lock) => lock,
        None => {
            let mut lock = PluginLock::default();
            for path in wasm_files(dir) {
                let existing = file_name(&path);
                if existing != file {
                    let bytes = std::fs::read(&path)
                        .with_context(|| format!("cannot read {}", path.display()))?;
                    lock.pin(&existing, &sha256_hex(&bytes));
                    also_pinned.push(existing);
                }
            }
            lock
        }
    };
    let mut installed = InstalledPlugins::read_in(dir)?;
    let mut record = checked.record;
    record.previous = previous.map(Box::new);
    lock.pin(file, &record.sha256);
    checked
        .file
        .persist(dir.join(file))
        .map_err(|error| error.error)
        .with_context(|| format!("cannot place {}", dir.join(file).display()))?;
    lock.write_in(dir)?;
    installed.plugins.insert(file.to_owned(), record);
    installed.write_in(dir)?;
    Ok(also_pinned)
}

fn report_installed(
    dir: &Path,
    file: &str,
    record: &InstalledPlugin,
    also_pinned: &[String],
) -> anyhow::Result<()> {
    outln!(
        "installed {} {} (bedrock:adapter@{}) from {}",
        printable(&record.name),
        printable(&record.version),
        record.contract,
        record.resolved
    );
    outln!("  file:     {}", dir.join(file).display());
    outln!("  sha256:   {}", record.sha256);
    outln!("  signer:   {}", signer_words(record));
    outln!("  models:   {}", printable(&record.patterns.join(", ")));
    outln!(
        "  pinned in {}; recorded in {}",
        PluginLock::path_in(dir).display(),
        InstalledPlugins::path_in(dir).display()
    );
    if !also_pinned.is_empty() {
        outln!(
            "  {LOCK_FILE_NAME} was created: the files already there are pinned as they are: {}",
            also_pinned.join(", ")
        );
    }
    Ok(())
}

/// Who signed an installed adapter, and whether it is within the grant,
/// in words (`plugins list` shows the same).
pub fn signer_words(record: &InstalledPlugin) -> String {
    match (&record.signer, &record.key_id) {
        (Some(signer), key) => {
            let key = key.as_deref().unwrap_or("?");
            if record.granted {
                format!("{} (key {key}), within its grant", printable(signer))
            } else {
                format!(
                    "{} (key {key}), UNGRANTED: it claims more than the trust file grants (installed with --allow-ungranted)",
                    printable(signer)
                )
            }
        }
        (None, _) => "UNSIGNED (installed with --allow-unsigned)".to_owned(),
    }
}

/// `plugins update [NAME]`.
pub async fn update(session: &Session, args: &UpdateArgs) -> anyhow::Result<Exit> {
    let dir = install_dir(session)?;
    let installed = InstalledPlugins::read_in(&dir)?;
    let chosen: Vec<(String, InstalledPlugin)> = match &args.name {
        Some(name) => {
            let (file, record) = installed
                .named(name)
                .ok_or_else(|| not_installed(name, &dir))?;
            vec![(file.to_owned(), record.clone())]
        }
        None => installed
            .plugins
            .iter()
            .map(|(file, record)| (file.clone(), record.clone()))
            .collect(),
    };
    if chosen.is_empty() {
        outln!("No adapters were installed in {}.", dir.display());
    }
    let trust = TrustFile::load()?;
    for (file, old) in chosen {
        let source = Source::parse(&old.source)?;
        let fetched = source.fetch(session.limits().file_bytes).await?;
        if sha256_hex(&fetched.bytes) == old.sha256 {
            outln!(
                "{} {} is up to date ({})",
                printable(&old.name),
                printable(&old.version),
                fetched.resolved
            );
            continue;
        }
        let checked = check(session, &fetched, &trust, None, args.allow, &dir).await?;
        let new = &checked.record;
        if new.name != old.name {
            return Err(refused(
                &old.source,
                format!(
                    "it now names itself `{}`, not `{}`; install it as a new plugin instead",
                    printable(&new.name),
                    printable(&old.name)
                ),
            ));
        }
        if new.key_id != old.key_id {
            return Err(refused(
                &old.source,
                format!(
                    "it is now signed by {}, but the installed one by {}; an update must come from the same signer (remove it and install the new one if you trust the change)",
                    key_words(new),
                    key_words(&old)
                ),
            ));
        }
        let changes = changes(&old, new);
        let path = dir.join(&file);
        let kept = dir.join(PREVIOUS_DIR_NAME).join(&file);
        std::fs::create_dir_all(dir.join(PREVIOUS_DIR_NAME))
            .and_then(|()| std::fs::copy(&path, &kept).map(drop))
            .with_context(|| format!("cannot keep the previous file in {}", kept.display()))?;
        let mut previous = old.clone();
        previous.previous = None;
        place(&dir, &file, checked, Some(previous))?;
        outln!(
            "updated {} {} -> {} from {}",
            printable(&old.name),
            printable(&old.version),
            printable(&new_version(&dir, &file)?),
            old.source
        );
        for change in changes {
            outln!("  {change}");
        }
        outln!(
            "  the previous file is kept in {}; `bedrock-host plugins rollback {}` restores it",
            kept.display(),
            printable(&old.name)
        );
    }
    Ok(Exit::Success)
}

fn new_version(dir: &Path, file: &str) -> anyhow::Result<String> {
    Ok(InstalledPlugins::read_in(dir)?
        .plugins
        .get(file)
        .map(|record| record.version.clone())
        .unwrap_or_default())
}

fn key_words(record: &InstalledPlugin) -> String {
    match (&record.signer, &record.key_id) {
        (Some(signer), Some(key)) => format!("`{}` (key {key})", printable(signer)),
        _ => "nobody (unsigned)".to_owned(),
    }
}

/// What changed between two records: patterns and imports added and
/// removed, and the signer's grant.
fn changes(old: &InstalledPlugin, new: &InstalledPlugin) -> Vec<String> {
    let mut lines = Vec::new();
    for (what, before, after) in [
        ("model patterns", &old.patterns, &new.patterns),
        ("imports", &old.imports, &new.imports),
    ] {
        let added: Vec<String> = after
            .iter()
            .filter(|item| !before.contains(item))
            .map(|item| printable(item))
            .collect();
        let removed: Vec<String> = before
            .iter()
            .filter(|item| !after.contains(item))
            .map(|item| printable(item))
            .collect();
        if added.is_empty() && removed.is_empty() {
            lines.push(format!("{what}: unchanged"));
        }
        if !added.is_empty() {
            lines.push(format!("{what} added: {}", added.join(", ")));
        }
        if !removed.is_empty() {
            lines.push(format!("{what} removed: {}", removed.join(", ")));
        }
    }
    if old.contract != new.contract {
        lines.push(format!(
            "contract: bedrock:adapter@{} -> bedrock:adapter@{}",
            old.contract, new.contract
        ));
    }
    lines.push(format!("signer: {}", signer_words(new)));
    lines
}

fn not_installed(name: &str, dir: &Path) -> anyhow::Error {
    UsageError(format!(
        "no adapter named `{}` was installed in {} (`bedrock-host plugins list` shows what is there)",
        printable(name),
        dir.display()
    ))
    .into()
}

/// `plugins rollback NAME`: the file `update` replaced serves again, and
/// the one it replaces is kept in its place (a second rollback undoes it).
pub fn rollback(session: &Session, args: &NameArgs) -> anyhow::Result<Exit> {
    let dir = install_dir(session)?;
    let mut installed = InstalledPlugins::read_in(&dir)?;
    let (file, record) = installed
        .named(&args.name)
        .map(|(file, record)| (file.to_owned(), record.clone()))
        .ok_or_else(|| not_installed(&args.name, &dir))?;
    let Some(previous) = record.previous.clone() else {
        return Err(UsageError(format!(
            "`{}` has no previous file to roll back to (only `plugins update` keeps one)",
            printable(&args.name)
        ))
        .into());
    };
    let path = dir.join(&file);
    let kept = dir.join(PREVIOUS_DIR_NAME).join(&file);
    let kept_bytes =
        std::fs::read(&kept).with_context(|| format!("cannot read {}", kept.display()))?;
    if sha256_hex(&kept_bytes) != previous.sha256 {
        return Err(refused(
            &kept.display().to_string(),
            format!(
                "its sha256 is no longer the {} recorded when it was replaced",
                previous.sha256
            ),
        ));
    }
    let current =
        std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
    write_atomically(&kept, &current)?;
    write_atomically(&path, &kept_bytes)?;
    let mut lock = PluginLock::read_in(&dir)?.unwrap_or_default();
    lock.pin(&file, &previous.sha256);
    lock.write_in(&dir)?;
    let mut restored = *previous;
    let mut replaced = record;
    replaced.previous = None;
    restored.previous = Some(Box::new(replaced.clone()));
    installed.plugins.insert(file.clone(), restored.clone());
    installed.write_in(&dir)?;
    outln!(
        "rolled back {} {} -> {} ({})",
        printable(&args.name),
        printable(&replaced.version),
        printable(&restored.version),
        path.display()
    );
    outln!(
        "  {} {} is kept in {}; `bedrock-host plugins rollback {}` again restores it",
        printable(&args.name),
        printable(&replaced.version),
        kept.display(),
        printable(&args.name)
    );
    Ok(Exit::Success)
}

/// `plugins remove NAME`: the file, its pin, its record and any previous
/// file are removed.
pub fn remove(session: &Session, args: &NameArgs) -> anyhow::Result<Exit> {
    let dir = install_dir(session)?;
    let mut installed = InstalledPlugins::read_in(&dir)?;
    let file = match installed.named(&args.name) {
        Some((file, _)) => file.to_owned(),
        None if dir.join(format!("{}.wasm", args.name)).is_file() => format!("{}.wasm", args.name),
        None => return Err(not_installed(&args.name, &dir)),
    };
    let path = dir.join(&file);
    match std::fs::remove_file(&path) {
        Ok(()) => {}
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => {
            return Err(error).with_context(|| format!("cannot remove {}", path.display()));
        }
    }
    let kept = dir.join(PREVIOUS_DIR_NAME).join(&file);
    if kept.is_file() {
        std::fs::remove_file(&kept).with_context(|| format!("cannot remove {}", kept.display()))?;
    }
    if let Some(mut lock) = PluginLock::read_in(&dir)?
        && lock.unpin(&file).is_some()
    {
        lock.write_in(&dir)?;
    }
    if installed.plugins.remove(&file).is_some() {
        installed.write_in(&dir)?;
    }
    outln!("removed {} ({})", printable(&args.name), path.display());
    Ok(Exit::Success)
}

/// `plugins sign FILE --key K`.
pub fn sign_file(args: &SignArgs) -> anyhow::Result<Exit> {
    let key_bytes = std::fs::read(&args.key)
        .map_err(|error| UsageError(format!("cannot read {}: {error}", args.key.display())))?;
    let secret = parse_secret_key(&key_bytes, &args.key.display().to_string())
        .map_err(|error| UsageError(error.to_string()))?;
    let bytes = std::fs::read(&args.file)
        .map_err(|error| UsageError(format!("cannot read {}: {error}", args.file.display())))?;
    inspect(&bytes).map_err(|error| PluginError::Load {
        path: args.file.clone(),
        reason: error.to_string(),
    })?;
    let signed = sign(&bytes, &secret).map_err(|error| PluginError::Load {
        path: args.file.clone(),
        reason: error.to_string(),
    })?;
    let out = args.out.as_ref().unwrap_or(&args.file);
    write_atomically(out, &signed)?;
    let public = public_key_of(&secret, "");
    let id = crate::plugin::parse_public_key(&public)
        .map(|key| key_id(&key))
        .unwrap_or_default();
    outln!("signed {} with key {id}", out.display());
    outln!("  sha256:     {}", sha256_hex(&signed));
    outln!("  public key: {public}");
    Ok(Exit::Success)
}

/// `plugins keygen --out PATH`.
pub fn keygen(args: &KeygenArgs) -> anyhow::Result<Exit> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let public_path = PathBuf::from(format!("{}.pub", args.out.display()));
    for path in [&args.out, &public_path] {
        if path.exists() {
            return Err(UsageError(format!(
                "{} exists; keygen replaces nothing",
                path.display()
            ))
            .into());
        }
    }
    let (secret, public) = crate::plugin::generate_key_pair(&args.comment);
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    file.write_all(secret.as_bytes())
        .with_context(|| format!("cannot write {}", args.out.display()))?;
    std::fs::write(&public_path, format!("{public}\n"))
        .with_context(|| format!("cannot write {}", public_path.display()))?;
    let id = crate::plugin::parse_public_key(&public)
        .map(|key| key_id(&key))
        .unwrap_or_default();
    outln!("secret key: {} (keep it private)", args.out.display());
    outln!("public key: {} (key {id})", public_path.display());
    outln!("  {public}");
    Ok(Exit::Success)
}

/// Writes `bytes` to a temporary file beside `path` and renames it over it.
fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write as _;
    let dir = path
        .parent()
        .filter(|dir| !dir.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let write = || -> std::io::Result<()> {
        let mut file = tempfile::NamedTempFile::new_in(dir)?;
        file.write_all(bytes)?;
        file.as_file().sync_all()?;
        file.persist(path).map_err(|error| error.error)?;
        Ok(())
    };
    write().with_context(|| format!("cannot write {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_held_to_semver() {
        for good in [
            "1.0.0",
            "0.2.10",
            "1.2.3-beta.1",
            "1.2.3+build-5",
            "10.0.0-rc.1+x",
        ] {
            assert!(check_semver(good).is_ok(), "{good}");
        }
        for bad in [
            "1.0",
            "v1.0.0",
            "01.0.0",
            "1.0.0-",
            "1.0.0+a..b",
            "1.x.0",
            "",
        ] {
            assert!(check_semver(bad).is_err(), "{bad}");
        }
    }
}
