//! The host's well-known folders: the per-user data and cache folders, and
//! the folder this repository's build writes plugins to.

use std::path::PathBuf;

use directories::ProjectDirs;

/// The environment variable that overrides the compile-cache folder.
pub const CACHE_ENV: &str = "BEDROCK_HOST_CACHE_DIR";

/// The per-user folders of bedrock-host, when the platform has a home.
pub fn project_dirs() -> Option<ProjectDirs> {
    ProjectDirs::from("", "", "bedrock-host")
}

/// Where `cargo xtask plugins` writes the repository's plugins.
pub fn repository_plugins_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/plugins")
}

/// The compile-cache folder: `BEDROCK_HOST_CACHE_DIR`, else the per-user
/// cache folder; `None` when neither exists.
pub fn compile_cache_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os(CACHE_ENV).filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    project_dirs().map(|dirs| dirs.cache_dir().join("compiled"))
}
