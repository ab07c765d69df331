//! The sections of the config file, with their defaults.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::Secret;

/// `[tenant]`: the Entra tenant and the app registration remedy signs in with.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantSection {
    /// Tenant id (GUID) or primary domain.
    #[serde(default)]
    pub id: String,
    /// Application (client) id of the Entra app registration.
    #[serde(default)]
    pub client_id: String,
    /// Client secret; `REMEDY_CLIENT_SECRET` overrides it.
    #[serde(default)]
    pub client_secret: Secret,
}

/// `[cas]`: Cloud App Security.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CasSection {
    /// Tenant portal URL, e.g. `https://contoso.us2.portal.cloudappsecurity.com`.
    #[serde(default)]
    pub url: String,
    /// How remedy signs in: `token` (the legacy API token) or `entra` (the `[tenant]` app).
    #[serde(default)]
    pub auth: CasAuthKind,
    /// Legacy API token (with `auth = "token"`); `REMEDY_CAS_TOKEN` overrides it.
    #[serde(default)]
    pub token: Secret,
    /// Scope requested for Cloud App Security tokens (with `auth = "entra"`).
    #[serde(default = "default_cas_scope")]
    pub scope: String,
}

/// `[cas] auth`: which credential Cloud App Security gets.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CasAuthKind {
    /// The legacy API token of `[cas] token` (on Microsoft's deprecation path).
    #[default]
    Token,
    /// The Entra app registration of `[tenant]`, with the client-credentials grant (recommended).
    Entra,
}

/// `[defender]`: Microsoft Defender for Endpoint.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DefenderSection {
    #[serde(default = "default_defender_url")]
    pub url: String,
    #[serde(default = "default_defender_scope")]
    pub scope: String,
    /// Client-side budget of each Defender API per minute (Microsoft's documented limit: 100).
    #[serde(default = "default_defender_calls_per_minute")]
    pub calls_per_minute: u32,
    /// Client-side budget of each Defender API per hour (Microsoft's documented limit: 1500).
    #[serde(default = "default_defender_calls_per_hour")]
    pub calls_per_hour: u32,
}

/// `[graph]`: Microsoft Graph.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GraphSection {
    #[serde(default = "default_graph_url")]
    pub url: String,
    #[serde(default = "default_graph_scope")]
    pub scope: String,
}

/// `[auth]`: the Entra token authority.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSection {
    #[serde(default = "default_authority")]
    pub authority: String,
    /// Timeout of every HTTP call, in seconds.
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
}

/// `[engine]`: polling, expiry and tracking.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EngineSection {
    /// Seconds between alert polls (at least 2: Cloud App Security allows 30 calls a minute).
    #[serde(default = "default_poll")]
    pub poll_interval_secs: u64,
    /// How far back the first poll looks, in hours.
    #[serde(default = "default_lookback")]
    pub lookback_hours: u64,
    /// Overlap of each incremental poll with the previous one, in seconds.
    #[serde(default = "default_overlap")]
    pub overlap_secs: u64,
    /// Waiting proposals expire (count as rejected) after this many hours.
    #[serde(default = "default_proposal_ttl")]
    pub proposal_ttl_hours: u64,
    /// An action not final after this many minutes is marked overdue.
    #[serde(default = "default_overdue")]
    pub overdue_minutes: u64,
    /// Seconds between status polls of open Defender actions.
    #[serde(default = "default_track")]
    pub track_interval_secs: u64,
    /// How long a user → machines resolution is reused, in seconds.
    #[serde(default = "default_resolve_ttl")]
    pub resolve_cache_secs: u64,
    /// Machines not seen by Defender for this many days are skipped.
    #[serde(default = "default_stale_days")]
    pub stale_after_days: u64,
}

/// `[guards]`: limits on what `auto` may do alone.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuardSection {
    /// Machines with one of these Defender tags always need approval.
    #[serde(default = "default_protected_tags")]
    pub protected_tags: Vec<String>,
    /// Machines in one of these device groups always need approval.
    #[serde(default)]
    pub protected_groups: Vec<String>,
    /// Default blast radius: `auto` acts on at most this many machines per alert…
    #[serde(default = "default_per_alert")]
    pub max_machines_per_alert: u32,
    /// …and this many per policy per hour; beyond that it falls back to approve.
    #[serde(default = "default_per_hour")]
    pub max_machines_per_hour: u32,
}

/// `[journal]`: where the journal lives, its leader lease, how long it keeps history and how much of it stays
/// in memory.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JournalSection {
    /// SQLite file; defaults to `journal.sqlite` in the data directory.
    #[serde(default)]
    pub path: Option<PathBuf>,
    /// A PostgreSQL database shared by several hosts (`postgres://USER@HOST:PORT/DB`, no password in it);
    /// instead of `path`.
    #[serde(default)]
    pub url: Option<String>,
    /// The environment variable holding the database password (with `url`).
    #[serde(default)]
    pub password_env: Option<String>,
    /// A file holding the database password, readable by its owner only (with `url`).
    #[serde(default)]
    pub password_file: Option<PathBuf>,
    /// PEM certificates trusted for the database's TLS besides the public roots (with `url`).
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// The leader's lease lasts this long unless renewed (a heartbeat every third of it); a follower
    /// takes over this long after the leader stopped.
    #[serde(default = "default_lease_seconds")]
    pub lease_seconds: u64,
    /// Finished remediations, their transitions and alerts older than this many days are pruned (the audit
    /// entries are archived first); 0 keeps everything forever.
    #[serde(default = "default_retain_days")]
    pub retain_days: u64,
    /// Finished remediations kept in memory for this many hours; older ones are read on demand.
    #[serde(default = "default_memory_hours")]
    pub memory_hours: u64,
}

/// `[log]`: the log file (or standard error with `--log stderr`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSection {
    /// `daily` starts a new file each day (UTC); `never` keeps one file.
    #[serde(default = "default_rotate")]
    pub rotate: LogRotation,
    /// With daily rotation, how many files are kept (older ones are deleted).
    #[serde(default = "default_keep")]
    pub keep: u64,
    /// `text` (one line per event) or `json` (one JSON object per line, for log collectors).
    #[serde(default)]
    pub format: LogFormat,
}

/// When the log file rotates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogRotation {
    Daily,
    Never,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

fn default_lease_seconds() -> u64 {
    10
}

/// `[ui]`: console look and feel.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UiSection {
    /// `dark`, `light` or `mono` (`NO_COLOR` forces mono).
    #[serde(default = "default_theme")]
    pub theme: String,
    #[serde(default)]
    pub mouse: bool,
    /// The window title carries what waits: "remedy · 3 to approve · 1 failed".
    #[serde(default = "default_true")]
    pub title: bool,
    /// A bell and a desktop notification (OSC 9 / 777, through tmux too) when a proposal waits for
    /// approval or an action fails.
    #[serde(default = "default_true")]
    pub notify: bool,
    /// Key overrides: action name → keys, e.g. `approve = ["a"]`.
    #[serde(default)]
    pub keys: BTreeMap<String, Vec<String>>,
}

/// `[policies.<policy id>]`: the flow bound to a Cloud App Security policy and its mode.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyBinding {
    /// Flow id (a built-in from config/flows.toml or one of `[flows]`).
    pub flow: String,
    /// `off`, `approve` or `auto`; the console can change it live (the journal then wins).
    #[serde(default = "default_mode")]
    pub mode: String,
    /// Overrides `[guards] max_machines_per_alert` for this policy.
    #[serde(default)]
    pub max_machines_per_alert: Option<u32>,
    /// Overrides `[guards] max_machines_per_hour` for this policy.
    #[serde(default)]
    pub max_machines_per_hour: Option<u32>,
}

fn default_defender_url() -> String {
    "https://api.security.microsoft.com".into()
}
fn default_defender_scope() -> String {
    "https://api.securitycenter.microsoft.com/.default".into()
}
/// Microsoft's documented limit of each Defender API: 100 calls per minute…
pub const DEFENDER_CALLS_PER_MINUTE: u32 = 100;
/// …and 1500 per hour.
pub const DEFENDER_CALLS_PER_HOUR: u32 = 1500;
fn default_defender_calls_per_minute() -> u32 {
    DEFENDER_CALLS_PER_MINUTE
}
fn default_defender_calls_per_hour() -> u32 {
    DEFENDER_CALLS_PER_HOUR
}
fn default_graph_url() -> String {
    "https://graph.microsoft.com".into()
}
fn default_graph_scope() -> String {
    "https://graph.microsoft.com/.default".into()
}
fn default_cas_scope() -> String {
    crate::api::DEFAULT_CAS_SCOPE.into()
}
fn default_authority() -> String {
    "https://login.microsoftonline.com".into()
}
fn default_timeout() -> u64 {
    30
}
fn default_poll() -> u64 {
    30
}
fn default_lookback() -> u64 {
    24
}
fn default_overlap() -> u64 {
    120
}
fn default_proposal_ttl() -> u64 {
    24
}
fn default_overdue() -> u64 {
    60
}
fn default_track() -> u64 {
    10
}
fn default_resolve_ttl() -> u64 {
    600
}
fn default_stale_days() -> u64 {
    30
}
fn default_protected_tags() -> Vec<String> {
    vec!["Tier0".into()]
}
fn default_per_alert() -> u32 {
    5
}
fn default_per_hour() -> u32 {
    50
}
fn default_retain_days() -> u64 {
    180
}
fn default_memory_hours() -> u64 {
    48
}
fn default_rotate() -> LogRotation {
    LogRotation::Daily
}
fn default_keep() -> u64 {
    14
}
fn default_true() -> bool {
    true
}
fn default_theme() -> String {
    "dark".into()
}
fn default_mode() -> String {
    "approve".into()
}

macro_rules! default_from_serde {
    ($($ty:ty),*) => {$(
        impl Default for $ty {
            fn default() -> Self {
                toml::from_str("").expect("every field of this section has a default")
            }
        }
    )*};
}
default_from_serde!(
    CasSection,
    DefenderSection,
    GraphSection,
    AuthSection,
    EngineSection,
    GuardSection,
    JournalSection,
    LogSection,
    UiSection
);
