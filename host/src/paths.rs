//! The host's well-known folders: the per-user data and cache folders, the
//! compile cache's key, and the folder this repository's build writes
//! plugins to.
//!
//! Invariant: a release build never names a folder of the machine it was
//! built on; only a debug build searches the repository's `target/plugins`.

use std::path::PathBuf;

use directories::ProjectDirs;

/// The environment variable that overrides the compile-cache folder.
pub const CACHE_ENV: &str = "BEDROCK_HOST_CACHE_DIR";

/// The environment variable that names the conversation log's file.
pub const HISTORY_ENV: &str = "BEDROCK_HOST_HISTORY";

/// The per-user folders of bedrock-host, when the platform has a home.
pub fn project_dirs() -> Option<ProjectDirs> {
    ProjectDirs::from("", "", "bedrock-host")
}

/// Where `cargo xtask plugins` writes the repository's plugins: searched by
/// a debug build only.
#[cfg(debug_assertions)]
pub fn repository_plugins_dir() -> Option<PathBuf> {
    Some(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/plugins"))
}

/// None in a release build: it must not search the folder it was built in
/// (a folder without a `plugins.lock` loads anything put there), so the
/// build machine's path is not even compiled in.
#[cfg(not(debug_assertions))]
pub fn repository_plugins_dir() -> Option<PathBuf> {
    None
}

/// The compile-cache folder: `BEDROCK_HOST_CACHE_DIR`, else the per-user
/// cache folder; `None` when neither exists. A shared sticky folder (such as
/// `/tmp`) is not used itself: the cache makes a private folder inside it
/// (see `plugin::CompileCache::in_dir`).
pub fn compile_cache_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os(CACHE_ENV).filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    project_dirs().map(|dirs| dirs.cache_dir().join("compiled"))
}

/// The secret key that authenticates compile-cache entries, kept outside the
/// cache in a private folder of the per-user data folder
/// (`~/.local/share/bedrock-host/private/cache.key` on Linux).
pub fn cache_key_file() -> Option<PathBuf> {
    project_dirs().map(|dirs| dirs.data_dir().join("private").join("cache.key"))
}

/// The conversation log's database: `BEDROCK_HOST_HISTORY`, else
/// `history/history.db` in the per-user data folder
/// (`~/.local/share/bedrock-host/history/history.db` on Linux); `None`
/// without a home to find it in.
pub fn history_file() -> Option<PathBuf> {
    if let Some(file) = std::env::var_os(HISTORY_ENV).filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(file));
    }
    project_dirs().map(|dirs| dirs.data_dir().join("history").join("history.db"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_debug_build_searches_the_repository_plugins_folder() {
        assert_eq!(
            repository_plugins_dir().is_some(),
            cfg!(debug_assertions),
            "{:?}",
            repository_plugins_dir()
        );
    }
}
