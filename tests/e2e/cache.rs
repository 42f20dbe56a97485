//! The compile cache is trusted like code, and start-up reads only what it
//! needs from it: through the binary, with the real plugins, a private cache
//! folder and a private data folder (where the cache's key lives) per test.
//!
//! Each test tampers with the cache the way another process could (a swapped
//! entry, a flipped byte, a truncated entry, loose modes, a planted folder, a
//! key others can read) and shows the host never loads what it did not
//! write: the answer is right, the entry is replaced or the cache is off
//! with one warning.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::support::{
    CLAUDE, Run, bedrock_host_without_plugins, plugins_dir, run, test_plugins_dir,
};

/// Llama, served by the second plugin of these tests.
const LLAMA: &str = "meta.llama3-8b-instruct-v1:0";

/// A user of the CLI: a plugins folder, a compile-cache folder and a data
/// folder of their own.
struct Home {
    root: tempfile::TempDir,
    cache: PathBuf,
}

impl Home {
    /// A home whose plugins folder holds these repository plugins.
    fn with_plugins(families: &[&str]) -> Self {
        let root = tempfile::tempdir().expect("temp home");
        std::fs::create_dir(root.path().join("plugins")).expect("plugins folder");
        for family in families {
            let name = format!("{family}.wasm");
            std::fs::copy(
                plugins_dir().join(&name),
                root.path().join("plugins").join(&name),
            )
            .expect("copy a plugin");
        }
        let cache = root.path().join("cache");
        Self { root, cache }
    }

    fn plugins(&self) -> PathBuf {
        self.root.path().join("plugins")
    }

    fn data(&self) -> PathBuf {
        self.root.path().join("data")
    }

    /// The cache's key, in the private folder of the data folder.
    fn key(&self) -> PathBuf {
        self.data().join("bedrock-host/private/cache.key")
    }

    /// The CLI of this home, with the cache in `self.cache`.
    fn command(&self, args: &[&str]) -> Command {
        let mut command = bedrock_host_without_plugins();
        command
            .env("BEDROCK_HOST_CACHE_DIR", &self.cache)
            .env("XDG_DATA_HOME", self.data())
            .arg("--plugins-dir")
            .arg(self.plugins())
            .args(args);
        command
    }

    /// `--local invoke --no-stream` of `model`, as JSON.
    fn invoke(&self, model: &str) -> Run {
        run(self.command(&[
            "--local",
            "invoke",
            "--no-stream",
            "--output",
            "json",
            "--model",
            model,
            "Say hello",
        ]))
    }

    /// The entries in `dir` whose names end with `suffix`.
    fn entries_in(dir: &Path, suffix: &str) -> Vec<PathBuf> {
        let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .map(|entry| entry.path())
                    .filter(|path| path.to_string_lossy().ends_with(suffix))
                    .collect()
            })
            .unwrap_or_default();
        found.sort();
        found
    }

    /// The one entry of `suffix` for the plugin file `family`.
    fn entry(&self, family: &str, suffix: &str) -> PathBuf {
        let sha256 = sha256_of(&self.plugins().join(format!("{family}.wasm")));
        let found: Vec<PathBuf> = Self::entries_in(&self.cache, suffix)
            .into_iter()
            .filter(|path| file_name(path).starts_with(&sha256))
            .collect();
        assert_eq!(found.len(), 1, "one {suffix} entry for {family}: {found:?}");
        found[0].clone()
    }
}

fn sha256_of(path: &Path) -> String {
    hex::encode(<sha2::Sha256 as sha2::Digest>::digest(
        std::fs::read(path).expect("read"),
    ))
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

fn mode(path: &Path) -> u32 {
    std::fs::symlink_metadata(path)
        .expect("meta")
        .permissions()
        .mode()
        & 0o7777
}

/// This process's user id: the owner of a file it just made.
fn my_uid() -> u32 {
    let file = tempfile::NamedTempFile::new().expect("temp file");
    file.as_file().metadata().expect("meta").uid()
}

/// Hands `path` to another user, when this process may (it runs as root);
/// whether it did.
fn give_away(path: &Path) -> bool {
    const NOBODY: u32 = 65_534;
    my_uid() == 0 && std::os::unix::fs::lchown(path, Some(NOBODY), Some(NOBODY)).is_ok()
}

/// The run answered from the plugin the model belongs to: the local Bedrock
/// checks each family's body, so another plugin's code would be refused.
fn assert_answered(run: &Run, plugin: &str) {
    assert_eq!(run.code, Some(0), "stderr: {}", run.stderr);
    let answer = run.json();
    assert_eq!(answer["plugin"], plugin, "{answer}");
    assert!(
        !answer["text"].as_str().unwrap_or_default().is_empty(),
        "{answer}"
    );
}

/// How many lines of `stderr` warn that the cache is not used.
fn cache_off_warnings(stderr: &str) -> usize {
    stderr
        .lines()
        .filter(|line| line.contains("not using the compile cache"))
        .count()
}

#[test]
fn a_swapped_entry_is_never_loaded_and_is_replaced() {
    let home = Home::with_plugins(&["anthropic", "meta"]);
    assert_answered(&home.invoke(CLAUDE), "anthropic");
    for suffix in [".cwasm", ".describe"] {
        let theirs = std::fs::read(home.entry("meta", suffix)).expect("meta's entry");
        std::fs::write(home.entry("anthropic", suffix), &theirs).expect("swap the entry");

        let swapped = home.invoke(CLAUDE);
        assert_answered(&swapped, "anthropic");
        assert!(
            swapped.stderr.contains("ignoring the compile-cache entry")
                && swapped
                    .stderr
                    .contains(&file_name(&home.entry("anthropic", suffix))),
            "the swapped {suffix} entry is named: {}",
            swapped.stderr
        );
        assert_ne!(
            std::fs::read(home.entry("anthropic", suffix)).expect("entry"),
            theirs,
            "the swapped {suffix} entry was replaced"
        );
        let listed = run(home.command(&["plugins", "list", "--output", "json"]));
        let listing = listed.json();
        let names: Vec<&str> = listing["plugins"]
            .as_array()
            .expect("plugins")
            .iter()
            .filter_map(|p| p["name"].as_str())
            .collect();
        assert_eq!(names, ["anthropic", "meta"], "{}", listed.stdout);
        assert!(!listed.stderr.contains("ignoring"), "{}", listed.stderr);
    }
    assert_answered(&home.invoke(LLAMA), "meta");
}

#[test]
fn a_flipped_truncated_or_loose_entry_is_recompiled_and_replaced() {
    let home = Home::with_plugins(&["anthropic"]);
    let pinned = run(home.command(&["plugins", "pin"]));
    assert_eq!(pinned.code, Some(0), "{}", pinned.stderr);
    assert_answered(&home.invoke(CLAUDE), "anthropic");
    let entry = home.entry("anthropic", ".cwasm");
    let good_len = std::fs::read(&entry).expect("entry").len();

    let mut flipped = std::fs::read(&entry).expect("entry");
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0x40;
    std::fs::write(&entry, &flipped).expect("flip a byte");
    let after_flip = home.invoke(CLAUDE);
    assert_answered(&after_flip, "anthropic");
    assert!(
        after_flip.stderr.contains("its tag does not match"),
        "{}",
        after_flip.stderr
    );
    assert_ne!(std::fs::read(&entry).expect("entry"), flipped, "replaced");
    let verified = run(home.command(&["plugins", "verify"]));
    assert_eq!(
        verified.code,
        Some(0),
        "{}{}",
        verified.stdout,
        verified.stderr
    );

    let whole = std::fs::read(&entry).expect("entry");
    std::fs::write(&entry, &whole[..whole.len() / 2]).expect("truncate");
    assert_answered(&home.invoke(CLAUDE), "anthropic");
    assert_eq!(std::fs::read(&entry).expect("entry").len(), good_len);

    chmod(&entry, 0o666);
    let loose = home.invoke(CLAUDE);
    assert_answered(&loose, "anthropic");
    assert!(
        loose.stderr.contains("group or others can write it"),
        "{}",
        loose.stderr
    );
    assert_eq!(mode(&entry) & 0o022, 0, "replaced by a private entry");

    if give_away(&entry) {
        let foreign = home.invoke(CLAUDE);
        assert_answered(&foreign, "anthropic");
        assert!(
            foreign.stderr.contains("owned by user 65534"),
            "{}",
            foreign.stderr
        );
        assert_eq!(
            std::fs::metadata(&entry).expect("entry").uid(),
            my_uid(),
            "replaced by this user's entry"
        );
    }
    let clean = home.invoke(CLAUDE);
    assert_answered(&clean, "anthropic");
    assert!(!clean.stderr.contains("ignoring"), "{}", clean.stderr);
}

#[test]
fn a_cache_folder_others_can_write_or_own_is_not_used() {
    let home = Home::with_plugins(&["anthropic"]);
    std::fs::create_dir(&home.cache).expect("cache folder");
    let refused = |what: &str| {
        let answered = home.invoke(CLAUDE);
        assert_answered(&answered, "anthropic");
        assert_eq!(
            cache_off_warnings(&answered.stderr),
            1,
            "{what}: one warning: {}",
            answered.stderr
        );
        assert!(
            answered.stderr.contains(&home.cache.display().to_string()),
            "{what}: names the folder: {}",
            answered.stderr
        );
        assert_eq!(
            std::fs::read_dir(&home.cache).expect("cache").count(),
            0,
            "{what}: nothing written"
        );
    };
    for (what, folder_mode) in [("group-writable", 0o770), ("world-writable", 0o777)] {
        chmod(&home.cache, folder_mode);
        refused(what);
    }
    chmod(&home.cache, 0o700);
    if give_away(&home.cache) {
        refused("owned by another user");
    }
}

#[test]
fn a_shared_sticky_cache_folder_gets_a_private_subfolder() {
    let mut home = Home::with_plugins(&["anthropic"]);
    let shared = home.root.path().join("tmp");
    std::fs::create_dir(&shared).expect("shared folder");
    chmod(&shared, 0o1777);
    home.cache = shared.clone();
    let answered = home.invoke(CLAUDE);
    assert_answered(&answered, "anthropic");
    assert_eq!(
        cache_off_warnings(&answered.stderr),
        0,
        "{}",
        answered.stderr
    );
    let private = shared.join(format!("bedrock-host-{}", my_uid()));
    assert_eq!(mode(&private), 0o700, "created private");
    let names: Vec<String> = std::fs::read_dir(&shared)
        .expect("shared")
        .filter_map(Result::ok)
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        [file_name(&private)],
        "nothing else in the shared folder"
    );
    assert_eq!(Home::entries_in(&private, ".cwasm").len(), 1);
    assert_eq!(Home::entries_in(&private, ".describe").len(), 1);
}

#[test]
fn a_planted_private_subfolder_is_refused() {
    let mut home = Home::with_plugins(&["anthropic"]);
    let shared = home.root.path().join("tmp");
    std::fs::create_dir(&shared).expect("shared folder");
    chmod(&shared, 0o1777);
    home.cache = shared.clone();
    let planted = shared.join(format!("bedrock-host-{}", my_uid()));
    std::fs::create_dir(&planted).expect("plant the folder");
    let refused = |what: &str| {
        let answered = home.invoke(CLAUDE);
        assert_answered(&answered, "anthropic");
        assert_eq!(
            cache_off_warnings(&answered.stderr),
            1,
            "{what}: {}",
            answered.stderr
        );
        assert!(
            answered.stderr.contains(&planted.display().to_string()),
            "{what}: names the planted folder: {}",
            answered.stderr
        );
        assert_eq!(
            std::fs::read_dir(&planted).expect("planted").count(),
            0,
            "{what}: nothing written into it"
        );
    };
    chmod(&planted, 0o777);
    refused("open to all");
    chmod(&planted, 0o700);
    if give_away(&planted) {
        refused("owned by another user");
    }
}

#[test]
fn a_key_others_can_read_turns_the_cache_off() {
    let home = Home::with_plugins(&["anthropic"]);
    assert_answered(&home.invoke(CLAUDE), "anthropic");
    let key = home.key();
    assert_eq!(mode(&key), 0o600, "the key is created private");
    assert_eq!(std::fs::metadata(&key).expect("key").len(), 32);
    assert_eq!(mode(key.parent().expect("folder")), 0o700);

    std::fs::remove_dir_all(&home.cache).expect("empty the cache");
    chmod(&key, 0o644);
    let answered = home.invoke(CLAUDE);
    assert_answered(&answered, "anthropic");
    assert_eq!(
        cache_off_warnings(&answered.stderr),
        1,
        "{}",
        answered.stderr
    );
    assert!(
        answered.stderr.contains("cache.key") && answered.stderr.contains("can read"),
        "names the key and why: {}",
        answered.stderr
    );
    assert!(
        Home::entries_in(&home.cache, "").is_empty(),
        "nothing is cached without a private key"
    );
}

#[test]
fn a_describe_that_loops_costs_its_deadline_once() {
    const DEADLINE_MS: u64 = 5_000;
    let home = Home::with_plugins(&["anthropic"]);
    std::fs::copy(
        test_plugins_dir().join("misfits/describe-loop.wasm"),
        home.plugins().join("describe-loop.wasm"),
    )
    .expect("copy the misfit");
    let timeout = DEADLINE_MS.to_string();
    let list = || {
        let listed = run(home.command(&["--plugin-timeout", &timeout, "plugins", "list"]));
        assert_eq!(listed.code, Some(0), "{}", listed.stderr);
        listed
            .stdout
            .lines()
            .find(|line| line.starts_with("could not load ") && line.contains("describe-loop"))
            .unwrap_or_else(|| panic!("the misfit is listed: {}", listed.stdout))
            .to_owned()
    };
    let cold = list();
    assert!(
        cold.ends_with(&format!(
            "plugin `describe-loop.wasm` stopped in describe: time limit of {DEADLINE_MS} ms exceeded"
        )),
        "{cold}"
    );
    assert_eq!(list(), cold, "the same refusal, from the cache");

    let started = Instant::now();
    let answered = run(home.command(&[
        "--plugin-timeout",
        &timeout,
        "--local",
        "invoke",
        "--no-stream",
        "--output",
        "json",
        "--model",
        CLAUDE,
        "Say hello",
    ]));
    let took = started.elapsed();
    assert_answered(&answered, "anthropic");
    assert!(
        took < Duration::from_millis(DEADLINE_MS),
        "another model's invoke does not wait for the stuck describe again: {took:?}"
    );
}

#[test]
fn a_plugin_over_the_file_or_compile_limit_is_refused_and_listed() {
    let home = Home::with_plugins(&["anthropic"]);
    let mut big = std::fs::read(home.plugins().join("anthropic.wasm")).expect("plugin");
    big.resize((1 << 20) + 1, 0);
    std::fs::write(home.plugins().join("big.wasm"), &big).expect("a big file");
    let config = home.root.path().join("config.toml");
    std::fs::write(&config, "[plugin-limits]\nfile-mib = 1\n").expect("config");
    let config = config.display().to_string();
    let listed = run(home.command(&["--config", &config, "plugins", "list"]));
    assert_eq!(listed.code, Some(0), "{}", listed.stderr);
    assert!(
        listed
            .stdout
            .lines()
            .any(|line| line.starts_with("could not load ")
                && line.contains("big.wasm")
                && line
                    .contains("the file is 1048577 bytes, more than the file-mib limit of 1 MiB")),
        "{}",
        listed.stdout
    );
    assert!(listed.stdout.contains("anthropic"), "{}", listed.stdout);
    std::fs::remove_file(home.plugins().join("big.wasm")).expect("remove the big file");
    std::fs::remove_dir_all(&home.cache).expect("a cold cache: anthropic must compile");

    let slow = home.root.path().join("slow.toml");
    std::fs::write(&slow, "[plugin-limits]\ncompile-ms = 1\n").expect("config");
    let refused = run(home.command(&["--config", &slow.display().to_string(), "plugins", "list"]));
    assert_eq!(refused.code, Some(0), "{}", refused.stderr);
    assert!(
        refused
            .stdout
            .lines()
            .any(|line| line.starts_with("could not load ")
                && line.contains("anthropic.wasm")
                && line.contains("compile took longer than the compile-ms budget of 1 ms")),
        "{}",
        refused.stdout
    );
    assert!(
        Home::entries_in(&home.cache, ".cwasm").is_empty(),
        "a refused compile leaves no entry"
    );
    assert_answered(&home.invoke(CLAUDE), "anthropic");
}
