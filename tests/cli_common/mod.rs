//! Running the `remedy` binary as a user would: a private home, no secrets from the environment, and a
//! config pointed at a simulator.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The binary with its data and config directories under `home` and no secret from the environment.
pub fn remedy(home: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_remedy"));
    cmd.env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env_remove("REMEDY_CAS_TOKEN")
        .env_remove("REMEDY_CLIENT_SECRET");
    cmd
}

/// Writes `home/sim.toml`: the demo tenant's credentials for the simulator at `base`, `cas` being the
/// `[cas]` lines after its URL (the credential), `extra` any further sections.
pub fn sim_config(home: &Path, base: &str, cas: &str, extra: &str) -> PathBuf {
    let path = home.join("sim.toml");
    let text = format!(
        "[tenant]\nid = \"contoso\"\nclient_id = \"remedy-demo\"\nclient_secret = \"remedy-demo-secret\"\n\
         [cas]\nurl = \"{base}/cas\"\n{cas}\n[defender]\nurl = \"{base}/mde\"\n\
         [graph]\nurl = \"{base}/graph\"\n[auth]\nauthority = \"{base}/login\"\n{extra}"
    );
    std::fs::write(&path, text).unwrap();
    path
}

/// The legacy token line of the demo tenant.
pub const DEMO_TOKEN: &str = "token = \"remedy-demo-token\"";

/// Writes `dir/config.toml` (mode 600) for a headless `remedy run` against the simulator at `base`: fast
/// polling and tracking, the journal in `dir` (with `journal` lines added to its section), `policy` in auto,
/// and `extra` sections.
pub fn headless_config(
    dir: &Path,
    base: &str,
    policy: &str,
    journal: &str,
    extra: &str,
) -> PathBuf {
    let location = format!(
        "path = {:?}",
        dir.join("journal.sqlite").display().to_string()
    );
    headless_config_at(dir, base, policy, &format!("{location}\n{journal}"), extra)
}

/// [`headless_config`] with the whole `[journal]` section's lines given: its `path` or `url` and the rest.
pub fn headless_config_at(
    dir: &Path,
    base: &str,
    policy: &str,
    journal: &str,
    extra: &str,
) -> PathBuf {
    let run = format!(
        "[engine]\npoll_interval_secs = 2\ntrack_interval_secs = 1\nlookback_hours = 72\n\
         [journal]\n{journal}\n\
         [policies.{policy}]\nflow = \"antivirus-scan-full\"\nmode = \"auto\"\n{extra}"
    );
    let written = sim_config(dir, base, DEMO_TOKEN, &run);
    let path = dir.join("config.toml");
    std::fs::rename(&written, &path).unwrap();
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    path
}
