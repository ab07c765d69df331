//! The scenario: a seeded tenant (users, devices, machines, policies, alerts) plus timing, quotas and faults.

use super::errors::SimError;
use super::faults::Faults;
use super::graph_scenario::GraphAlertsSeed;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Everything the simulator is seeded with. Durations are simulated seconds unless a name says otherwise.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Tenant name accepted in token URLs (also `<tenant>.onmicrosoft.com` and `tenant_id`).
    pub tenant: String,
    /// Tenant GUID, also accepted in token URLs and used as CAS `contextId`.
    pub tenant_id: String,
    /// Seed for every random draw (outcomes, ids, arrivals, faults).
    #[serde(default)]
    pub seed: u64,
    /// Simulated seconds per wall-clock second (30 = one real minute passes in two seconds).
    pub time_scale: f64,
    pub credentials: Credentials,
    /// Lifetime of issued bearer tokens, in wall-clock seconds (reported as `expires_in`).
    pub token_lifetime_secs: u64,
    /// The strict profile: accept only the documented minimum of the API reference (single `eq`
    /// comparisons joined by `and`, small pages, short-lived tokens). `remedy sim --strict` sets it.
    #[serde(default)]
    pub strict: bool,
    #[serde(default)]
    pub roles: Roles,
    #[serde(default)]
    pub quotas: Quotas,
    #[serde(default)]
    pub actions: ActionTiming,
    #[serde(default)]
    pub arrivals: Arrivals,
    /// Page size of Graph device relationships (small, so paging is exercised).
    #[serde(default = "default_graph_page")]
    pub graph_page_size: usize,
    #[serde(default)]
    pub faults: Faults,
    #[serde(default)]
    pub policies: Vec<PolicySeed>,
    #[serde(default)]
    pub users: Vec<UserSeed>,
    #[serde(default)]
    pub devices: Vec<DeviceSeed>,
    #[serde(default)]
    pub machines: Vec<MachineSeed>,
    #[serde(default)]
    pub alerts: Vec<AlertSeed>,
    /// What Graph `alerts_v2` serves besides the Cloud App Security alerts, and a policy migration.
    #[serde(default)]
    pub graph_alerts: GraphAlertsSeed,
    /// Alerts last changed and finished actions that ended more than this many simulated hours ago are
    /// forgotten, so a long run at a high time scale stays fast (0, the default: everything is kept).
    #[serde(default)]
    pub history_hours: f64,
    /// The tenant's analysts close (as benign, in the portal) every alert still open this many simulated hours
    /// after it was raised, in Cloud App Security and Graph alike (0, the default: nobody does).
    #[serde(default)]
    pub analysts_close_after_hours: f64,
}

fn default_graph_page() -> usize {
    2
}

/// The demo app registration and Cloud App Security API token.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    pub client_id: String,
    pub client_secret: String,
    pub cas_token: String,
    /// Who the legacy CAS token belongs to (shown as `handledByUser` when it closes alerts).
    #[serde(default = "default_token_owner")]
    pub cas_token_owner: String,
}

impl std::fmt::Debug for Credentials {
    /// Shows who, never the secrets.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("cas_token", &"<redacted>")
            .field("cas_token_owner", &self.cas_token_owner)
            .finish()
    }
}

fn default_token_owner() -> String {
    "analyst@contoso.com".to_string()
}

/// Roles put in each service's bearer tokens.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Roles {
    pub defender: Vec<String>,
    pub graph: Vec<String>,
    pub cas: Vec<String>,
}

impl Default for Roles {
    fn default() -> Self {
        let s = |v: &[&str]| v.iter().map(|r| r.to_string()).collect();
        Self {
            defender: s(&[
                "Machine.Read.All",
                "Machine.ReadWrite.All",
                "Machine.Scan",
                "Machine.Isolate",
                "Machine.RestrictExecution",
                "Machine.CollectForensics",
                "Machine.StopAndQuarantine",
                "Machine.Offboard",
                "User.Read.All",
            ]),
            graph: s(&[
                "User.Read.All",
                "SecurityAlert.Read.All",
                "SecurityAlert.ReadWrite.All",
            ]),
            cas: s(&["Investigation.manage"]),
        }
    }
}

/// Service quotas. Windows run on simulated time.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Quotas {
    /// Cloud App Security requests per minute per tenant.
    pub cas_per_minute: u32,
    /// Defender calls per minute per API.
    pub mde_per_minute: u32,
    /// Defender calls per hour per API.
    pub mde_per_hour: u32,
    /// Graph token bucket size, in resource units.
    pub graph_bucket: u32,
    /// Seconds the Graph bucket takes to refill completely.
    pub graph_refill_secs: f64,
    /// Graph security alert operations per minute per app and tenant.
    pub graph_alerts_per_minute: u32,
}

impl Default for Quotas {
    fn default() -> Self {
        Self {
            cas_per_minute: 30,
            mde_per_minute: 100,
            mde_per_hour: 1500,
            graph_bucket: 3500,
            graph_refill_secs: 10.0,
            graph_alerts_per_minute: 150,
        }
    }
}

/// How long Defender actions take and how they end.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ActionTiming {
    /// Range of time spent Pending (until the machine picks the action up).
    pub pending_secs: [f64; 2],
    /// Range of time spent InProgress.
    pub in_progress_secs: [f64; 2],
    /// Pending this long on a machine that never checks in → TimeOut.
    pub timeout_secs: f64,
    /// Share (0..1) of actions that end Failed.
    pub failure_share: f64,
}

impl Default for ActionTiming {
    fn default() -> Self {
        Self {
            pending_secs: [60.0, 120.0],
            in_progress_secs: [240.0, 600.0],
            timeout_secs: 1800.0,
            failure_share: 0.1,
        }
    }
}

/// New alerts arriving while the simulator runs.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Arrivals {
    pub enabled: bool,
    /// Range of simulated seconds between arrivals.
    pub interval_secs: [f64; 2],
    /// Share (0..1) of arrivals that are a burst of several alerts.
    pub burst_share: f64,
    /// Range of alerts in a burst.
    pub burst_size: [u32; 2],
    /// Policies new alerts come from; all policies when empty.
    pub policies: Vec<String>,
}

impl Default for Arrivals {
    fn default() -> Self {
        Self {
            enabled: false,
            interval_secs: [600.0, 1200.0],
            burst_share: 0.1,
            burst_size: [3, 6],
            policies: Vec::new(),
        }
    }
}

/// A Cloud App Security policy.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicySeed {
    pub id: String,
    pub name: String,
    /// e.g. ANOMALY_DETECTION, FILE, ACTIVITY, NEW_SERVICE, OAUTH_APP.
    pub policy_type: String,
    /// 0 Low, 1 Medium, 2 High, 3 Informational.
    pub severity: u8,
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Whether alerts carry a user (only these are useful to flows).
    pub user_activity: bool,
    /// Power Automate flow bound with "Send alerts to Power Automate".
    #[serde(default)]
    pub flow_id: Option<String>,
    #[serde(default)]
    pub description: String,
    /// App the alerts concern (CAS app id), default Office 365.
    #[serde(default = "office365")]
    pub service_id: u32,
    #[serde(default = "office365_name")]
    pub service_name: String,
    /// Titles for generated alerts; `{user}` is replaced by the user's display name.
    #[serde(default)]
    pub titles: Vec<String>,
}

fn yes() -> bool {
    true
}

fn office365() -> u32 {
    11161
}

fn office365_name() -> String {
    "Office 365".to_string()
}

/// An Entra user.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserSeed {
    pub id: String,
    pub upn: String,
    pub display_name: String,
    /// On-premises SAM account name, what Defender's `users/{id}/machines` expects.
    pub account_name: String,
    #[serde(default)]
    pub job_title: Option<String>,
    #[serde(default)]
    pub department: Option<String>,
    #[serde(default = "yes")]
    pub enabled: bool,
}

/// An Entra device object (what Graph returns for registered/owned devices).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceSeed {
    /// Directory object id.
    pub object_id: String,
    /// Device Registration Service id = Defender `aadDeviceId`.
    pub device_id: String,
    pub display_name: String,
    pub operating_system: String,
    #[serde(default)]
    pub operating_system_version: String,
    /// Workplace, AzureAd or ServerAd.
    pub trust_type: String,
    /// UPN of the user the device belongs to.
    pub owner: String,
    /// registered, owned or both.
    #[serde(default = "both")]
    pub relation: String,
    #[serde(default)]
    pub last_sign_in_hours_ago: Option<f64>,
    #[serde(default)]
    pub is_compliant: Option<bool>,
    #[serde(default)]
    pub is_managed: bool,
}

fn both() -> String {
    "both".to_string()
}

/// A Defender machine record (several may share one `aad_device_id`: stale duplicates).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MachineSeed {
    pub id: String,
    pub computer_dns_name: String,
    pub os_platform: String,
    #[serde(default)]
    pub version: Option<String>,
    #[serde(default)]
    pub os_build: Option<u64>,
    #[serde(default)]
    pub aad_device_id: Option<String>,
    #[serde(default = "active")]
    pub health_status: String,
    #[serde(default = "onboarded")]
    pub onboarding_status: String,
    #[serde(default)]
    pub rbac_group_id: u32,
    #[serde(default)]
    pub rbac_group_name: String,
    #[serde(default = "none_level")]
    pub risk_score: String,
    #[serde(default = "none_level")]
    pub exposure_level: String,
    #[serde(default = "normal")]
    pub device_value: String,
    #[serde(default)]
    pub tags: Vec<String>,
    /// Hours since the machine last reported.
    pub last_seen_hours_ago: f64,
    /// Days since the machine first reported.
    #[serde(default = "year")]
    pub first_seen_days_ago: f64,
    #[serde(default)]
    pub ip: String,
    #[serde(default)]
    pub excluded: bool,
    #[serde(default)]
    pub merged_into: Option<String>,
    /// Account names (SAM) that log on to this machine.
    #[serde(default)]
    pub logon_users: Vec<String>,
    /// Never checks in: its actions stay Pending until TimeOut.
    #[serde(default)]
    pub offline: bool,
}

fn active() -> String {
    "Active".to_string()
}

fn onboarded() -> String {
    "Onboarded".to_string()
}

fn none_level() -> String {
    "None".to_string()
}

fn normal() -> String {
    "Normal".to_string()
}

fn year() -> f64 {
    365.0
}

/// An alert present at start-up.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertSeed {
    /// 24 hex digits.
    pub id: String,
    pub policy: String,
    /// UPN of the user involved, for user-activity policies.
    #[serde(default)]
    pub user: Option<String>,
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// 0 Low, 1 Medium, 2 High, 3 Informational; the policy's when absent.
    #[serde(default)]
    pub severity: Option<u8>,
    /// Minutes (simulated) before start-up the alert was raised.
    pub minutes_ago: f64,
    /// 0 open .. 5 true positive.
    #[serde(default)]
    pub resolution_status: u8,
    #[serde(default)]
    pub read: bool,
    #[serde(default)]
    pub ip: Option<String>,
}

impl Scenario {
    /// The demo tenant shipped with remedy (`config/demo-scenario.toml`).
    pub fn demo() -> Scenario {
        match Self::parse(DEMO, "the built-in demo scenario") {
            Ok(s) => s,
            Err(e) => panic!("the built-in demo scenario is broken: {e}"),
        }
    }

    /// The demo tenant with nothing random going on: no arrivals, no failed actions, no faults.
    pub fn quiet() -> Scenario {
        let mut s = Self::demo();
        s.arrivals.enabled = false;
        s.actions.failure_share = 0.0;
        s.faults = Faults::default();
        s
    }

    /// The scenario file at `path` (the built-in demo tenant when `None`), served with the strict
    /// profile when `strict` (a file's own `strict = true` stays on).
    pub fn load(path: Option<&Path>, strict: bool) -> Result<Scenario, SimError> {
        let mut scenario = match path {
            Some(path) => Self::from_file(path)?,
            None => Self::demo(),
        };
        scenario.strict |= strict;
        Ok(scenario)
    }

    /// Loads and validates a scenario file.
    pub fn from_file(path: &Path) -> Result<Scenario, SimError> {
        let text = std::fs::read_to_string(path).map_err(|source| SimError::ReadScenario {
            path: path.to_path_buf(),
            source,
        })?;
        let scenario: Scenario = toml::from_str(&text).map_err(|e| SimError::ParseScenario {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        scenario.validate(&path.display().to_string())?;
        Ok(scenario)
    }

    fn parse(text: &str, origin: &str) -> Result<Scenario, SimError> {
        let scenario: Scenario = toml::from_str(text).map_err(|e| SimError::InvalidScenario {
            origin: origin.to_string(),
            message: e.to_string(),
        })?;
        scenario.validate(origin)?;
        Ok(scenario)
    }

    /// Checks values the TOML types cannot express.
    pub fn validate(&self, origin: &str) -> Result<(), SimError> {
        let bad = |message: String| {
            Err(SimError::InvalidScenario {
                origin: origin.to_string(),
                message,
            })
        };
        if !(self.time_scale.is_finite() && self.time_scale > 0.0) {
            return bad(format!(
                "time_scale = {} must be a positive number",
                self.time_scale
            ));
        }
        if let Some(p) = self.faults.problem() {
            return bad(p);
        }
        let ranges = [
            ("actions.pending_secs", self.actions.pending_secs),
            ("actions.in_progress_secs", self.actions.in_progress_secs),
            ("arrivals.interval_secs", self.arrivals.interval_secs),
        ];
        for (name, [lo, hi]) in ranges {
            if !(lo >= 0.0 && hi >= lo) {
                return bad(format!(
                    "{name} = [{lo}, {hi}] must be [low, high] with 0 <= low <= high"
                ));
            }
        }
        let hours = [
            ("history_hours", self.history_hours),
            (
                "analysts_close_after_hours",
                self.analysts_close_after_hours,
            ),
        ];
        for (name, value) in hours {
            if !(value.is_finite() && value >= 0.0) {
                return bad(format!(
                    "{name} = {value} must be 0 (off) or a positive number of hours"
                ));
            }
        }
        if self.arrivals.burst_size[0] > self.arrivals.burst_size[1] {
            return bad("arrivals.burst_size must be [low, high]".to_string());
        }
        if self.graph_page_size == 0 {
            return bad("graph_page_size must be at least 1".to_string());
        }
        for a in &self.alerts {
            if !self.policies.iter().any(|p| p.id == a.policy) {
                return bad(format!("alert {} names unknown policy {}", a.id, a.policy));
            }
            if a.id.len() != 24 || !a.id.chars().all(|c| c.is_ascii_hexdigit()) {
                return bad(format!("alert id {:?} must be 24 hex digits", a.id));
            }
        }
        let ids = self.policies.iter().map(|p| p.id.as_str());
        if let Some(p) = self.graph_alerts.problem(ids) {
            return bad(p);
        }
        for p in &self.arrivals.policies {
            if !self.policies.iter().any(|q| &q.id == p) {
                return bad(format!("arrivals.policies names unknown policy {p}"));
            }
        }
        Ok(())
    }
}

const DEMO: &str = include_str!("../../config/demo-scenario.toml");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_scenario_loads() {
        let s = Scenario::demo();
        assert!(s.users.len() >= 40);
        assert!(s.machines.len() >= 120);
        assert!(s.policies.len() >= 8);
    }

    #[test]
    fn from_file_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("bad.toml");
        std::fs::write(&p, "tenant = 3").unwrap();
        let e = Scenario::from_file(&p).unwrap_err().to_string();
        assert!(e.contains("bad.toml"), "{e}");
    }

    #[test]
    fn debug_output_hides_secrets() {
        let text = format!("{:?}", Scenario::demo());
        assert!(!text.contains("remedy-demo-secret") && !text.contains("remedy-demo-token"));
        assert!(text.contains("remedy-demo"));
    }

    #[test]
    fn bad_time_scale_is_rejected() {
        let mut s = Scenario::quiet();
        s.time_scale = 0.0;
        assert!(
            s.validate("t")
                .unwrap_err()
                .to_string()
                .contains("time_scale")
        );
    }
}
