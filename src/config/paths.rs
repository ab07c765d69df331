//! Where remedy keeps its config and data by default (XDG on Linux, via `directories`).

use std::path::PathBuf;

fn project_dirs() -> Option<directories::ProjectDirs> {
    directories::ProjectDirs::from("", "", "remedy")
}

/// The default config file: `~/.config/remedy/config.toml` on Linux.
pub fn config_path() -> PathBuf {
    project_dirs()
        .map(|d| d.config_dir().join("config.toml"))
        .unwrap_or_else(|| PathBuf::from("remedy.toml"))
}

/// The data directory for the journal and logs: `~/.local/share/remedy` on Linux.
pub fn data_dir() -> PathBuf {
    project_dirs()
        .map(|d| d.data_dir().to_path_buf())
        .unwrap_or_else(|| PathBuf::from(".remedy"))
}
