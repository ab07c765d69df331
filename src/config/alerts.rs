//! `[alerts]` (which sources are polled) and `[bindings.<name>]` (flows bound by detector, service source or
//! title), with their validation.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{Config, ConfigError};

/// The alert sources remedy can poll.
pub const SOURCES: [&str; 2] = ["cas", "graph"];

/// The Graph `serviceSource` values remedy accepts (REFERENCE section 5).
pub const SERVICE_SOURCES: [&str; 9] = [
    "microsoftDefenderForCloudApps",
    "microsoftDefenderForEndpoint",
    "microsoftDefenderForIdentity",
    "microsoftDefenderForOffice365",
    "microsoft365Defender",
    "azureAdIdentityProtection",
    "microsoftAppGovernance",
    "dataLossPrevention",
    "microsoftDefenderForCloud",
];

/// `[alerts]`: where alerts come from.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertsSection {
    /// `cas` (Cloud App Security's REST API), `graph` (Graph `alerts_v2`), or both.
    #[serde(default = "default_sources")]
    pub sources: Vec<String>,
    /// The Graph `serviceSource` values listed (with `graph` on).
    #[serde(default = "default_service_sources")]
    pub graph_service_sources: Vec<String>,
    /// A bound detector silent this long while its titles arrive from another one is warned about.
    #[serde(default = "default_quiet_hours")]
    pub detector_quiet_hours: u64,
}

impl Default for AlertsSection {
    fn default() -> AlertsSection {
        AlertsSection {
            sources: default_sources(),
            graph_service_sources: default_service_sources(),
            detector_quiet_hours: default_quiet_hours(),
        }
    }
}

impl AlertsSection {
    /// Whether `source` (`cas` or `graph`) is polled.
    pub fn polls(&self, source: &str) -> bool {
        self.sources.iter().any(|s| s == source)
    }
}

fn default_sources() -> Vec<String> {
    vec!["cas".into()]
}
fn default_service_sources() -> Vec<String> {
    vec!["microsoftDefenderForCloudApps".into()]
}
fn default_quiet_hours() -> u64 {
    24
}

/// `[bindings.<name>]`: a flow bound to alerts by any of policy id, detector id, service source or title
/// pattern (matched in that order of precedence), with its mode like `[policies.<id>]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BindingSection {
    pub flow: String,
    #[serde(default = "default_mode")]
    pub mode: String,
    #[serde(default)]
    pub max_machines_per_alert: Option<u32>,
    #[serde(default)]
    pub max_machines_per_hour: Option<u32>,
    /// A Cloud App Security policy id, compared exactly.
    #[serde(default)]
    pub policy_id: Option<String>,
    /// A Graph `detectorId`, compared exactly.
    #[serde(default)]
    pub detector_id: Option<String>,
    /// A Graph `serviceSource`, compared exactly.
    #[serde(default)]
    pub service_source: Option<String>,
    /// A title pattern: `*` any run, `?` one character, case-insensitive.
    #[serde(default)]
    pub title: Option<String>,
}

fn default_mode() -> String {
    "approve".into()
}

/// Checks `[alerts]` and `[bindings]`, naming the key, the allowed values and the fix.
pub(super) fn validate_alerts(config: &Config, path: &Path) -> Result<(), ConfigError> {
    let invalid = |key: &str, problem: String, fix: String| ConfigError::Invalid {
        path: path.to_path_buf(),
        key: key.into(),
        problem,
        fix,
    };
    let alerts = &config.alerts;
    if alerts.sources.is_empty() {
        return Err(invalid(
            "alerts.sources",
            "no alert source".into(),
            "use [\"cas\"], [\"graph\"] or [\"cas\", \"graph\"]".into(),
        ));
    }
    if let Some(unknown) = alerts
        .sources
        .iter()
        .find(|s| !SOURCES.contains(&s.as_str()))
    {
        return Err(invalid(
            "alerts.sources",
            format!("unknown source {unknown:?}"),
            format!("use any of: {}", SOURCES.join(", ")),
        ));
    }
    if alerts.polls("graph") && alerts.graph_service_sources.is_empty() {
        return Err(invalid(
            "alerts.graph_service_sources",
            "no service source to list".into(),
            "use [\"microsoftDefenderForCloudApps\"] or more".into(),
        ));
    }
    if let Some(unknown) = alerts
        .graph_service_sources
        .iter()
        .find(|s| !SERVICE_SOURCES.contains(&s.as_str()))
    {
        return Err(invalid(
            "alerts.graph_service_sources",
            format!("unknown service source {unknown:?}"),
            format!("use any of: {}", SERVICE_SOURCES.join(", ")),
        ));
    }
    for (name, binding) in &config.bindings {
        let key = |k: &str| format!("bindings.{name}.{k}");
        if config.policies.contains_key(name) {
            return Err(invalid(
                &format!("bindings.{name}"),
                format!("{name:?} is also a [policies] section"),
                "give the binding another name".into(),
            ));
        }
        if !config.flows.contains_key(&binding.flow) {
            let known: Vec<&str> = config.flows.keys().map(String::as_str).collect();
            return Err(invalid(
                &key("flow"),
                format!("no flow named {:?}", binding.flow),
                format!("use one of: {}", known.join(", ")),
            ));
        }
        if !["off", "approve", "auto"].contains(&binding.mode.as_str()) {
            return Err(invalid(
                &key("mode"),
                format!("unknown mode {:?}", binding.mode),
                "use off, approve or auto".into(),
            ));
        }
        let rules = [
            &binding.policy_id,
            &binding.detector_id,
            &binding.service_source,
            &binding.title,
        ];
        if rules.iter().all(|r| r.as_deref().is_none_or(str::is_empty)) {
            return Err(invalid(
                &format!("bindings.{name}"),
                "the binding matches no alert".into(),
                "set at least one of policy_id, detector_id, service_source, title".into(),
            ));
        }
        if let Some(source) = &binding.service_source
            && !SERVICE_SOURCES.contains(&source.as_str())
        {
            return Err(invalid(
                &key("service_source"),
                format!("unknown service source {source:?}"),
                format!("use one of: {}", SERVICE_SOURCES.join(", ")),
            ));
        }
    }
    Ok(())
}
