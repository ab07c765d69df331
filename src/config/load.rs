//! Loading the config: TOML file, environment overrides, built-in flows merged in, then validation.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::alerts::{AlertsSection, BindingSection};
use super::sections::{
    AuthSection, CasSection, DefenderSection, EngineSection, GraphSection, GuardSection,
    JournalSection, LogSection, PolicyBinding, TenantSection, UiSection,
};
use super::{ConfigError, Flow, Secret, builtin_flows};

/// The whole configuration. Every section has defaults; `[tenant]` and `[cas]` must be filled in.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Name recorded as "who" in the audit trail; defaults to the OS user.
    #[serde(default)]
    pub operator: Option<String>,
    #[serde(default)]
    pub tenant: TenantSection,
    #[serde(default)]
    pub cas: CasSection,
    #[serde(default)]
    pub defender: DefenderSection,
    #[serde(default)]
    pub graph: GraphSection,
    #[serde(default)]
    pub auth: AuthSection,
    #[serde(default)]
    pub engine: EngineSection,
    #[serde(default)]
    pub guards: GuardSection,
    #[serde(default)]
    pub journal: JournalSection,
    #[serde(default)]
    pub log: LogSection,
    #[serde(default)]
    pub ui: UiSection,
    /// Flows by id; the built-ins are merged in (a user flow with the same id replaces one).
    #[serde(default)]
    pub flows: BTreeMap<String, Flow>,
    /// Bindings by Cloud App Security policy id.
    #[serde(default)]
    pub policies: BTreeMap<String, PolicyBinding>,
    /// Which alert sources are polled.
    #[serde(default)]
    pub alerts: AlertsSection,
    /// Bindings by name, matching alerts by policy id, detector, service source or title.
    #[serde(default)]
    pub bindings: BTreeMap<String, BindingSection>,
}

/// A validated config with where it came from and any warnings to show.
#[derive(Debug, Clone)]
pub struct LoadedConfig {
    pub config: Config,
    pub path: PathBuf,
    pub warnings: Vec<String>,
}

/// Reads, merges and validates the config file at `path`, with secrets from the process environment.
pub fn load(path: &Path) -> Result<LoadedConfig, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let mut loaded = load_str(&text, path, &|name| std::env::var(name).ok())?;
    if let Some(warning) = readable_secret_warning(path, &text) {
        loaded.warnings.push(warning);
    }
    Ok(loaded)
}

/// Parses and validates config text; `path` is only used in messages; `env` looks up variables.
pub fn load_str(
    text: &str,
    path: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<LoadedConfig, ConfigError> {
    let table: toml::Table = toml::from_str(text).map_err(|e| ConfigError::Syntax {
        path: path.to_path_buf(),
        message: e.to_string().trim_end().to_string(),
    })?;
    let mut config: Config =
        serde_path_to_error::deserialize(toml::Value::Table(table)).map_err(|e| {
            let key = e.path().to_string();
            let problem = e.into_inner().message().to_string();
            ConfigError::Invalid {
                path: path.to_path_buf(),
                fix: fix_for(&problem),
                key,
                problem,
            }
        })?;
    if let Some(secret) = env("REMEDY_CAS_TOKEN").filter(|s| !s.is_empty()) {
        config.cas.token = Secret::new(secret);
    }
    if let Some(secret) = env("REMEDY_CLIENT_SECRET").filter(|s| !s.is_empty()) {
        config.tenant.client_secret = Secret::new(secret);
    }
    let mut flows = builtin_flows();
    flows.append(&mut config.flows);
    config.flows = flows;
    super::validate::validate(&config, path)?;
    let (_, warnings) = super::journal_target(
        &config,
        path,
        || super::data_dir().join("journal.sqlite"),
        env,
    )?;
    Ok(LoadedConfig {
        config,
        path: path.to_path_buf(),
        warnings,
    })
}

fn fix_for(problem: &str) -> String {
    if problem.starts_with("unknown field") {
        "remove or rename the key; config/remedy.example.toml lists every key".into()
    } else if problem.starts_with("invalid type") {
        "give the value the type the example shows".into()
    } else if problem.starts_with("missing field") {
        "add the key; config/remedy.example.toml shows it".into()
    } else {
        "see config/remedy.example.toml".into()
    }
}

#[cfg(unix)]
fn readable_secret_warning(path: &Path, text: &str) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    let holds_secret = text.lines().any(|line| {
        let key = line.split('=').next().unwrap_or("").trim();
        (key == "token" || key == "client_secret")
            && line.split_once('=').is_some_and(|(_, v)| {
                let v = v.trim().trim_matches('"');
                !v.is_empty()
            })
    });
    let mode = std::fs::metadata(path).ok()?.permissions().mode();
    (holds_secret && mode & 0o077 != 0).then(|| {
        format!(
            "config file {} holds a secret and is readable by other users (mode {:o}); run: chmod 600 {}",
            path.display(),
            mode & 0o777,
            path.display()
        )
    })
}

#[cfg(not(unix))]
fn readable_secret_warning(_path: &Path, _text: &str) -> Option<String> {
    None
}
