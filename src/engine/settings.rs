//! What the engine needs from the config: flows as action plans, policy bindings, guards and timings.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::alert::{BindingRule, MatchedBy, SourceAlert, SourceKind, match_binding};
use crate::config::{ActionSpec, Config, IsolationType, ScanType};

use super::interface::{ActionKind, Mode};

/// A flow reduced to what the engine runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowPlan {
    pub id: String,
    pub name: String,
    pub comment: String,
    pub close_alert: bool,
    /// After the same action succeeded on a machine, it is not run there again for this long (zero: never held back).
    pub cooldown: chrono::Duration,
    pub steps: Vec<ActionKind>,
}

/// The flow bound to a policy, the mode from config and its blast-radius limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    pub flow_id: String,
    pub mode: Mode,
    pub max_per_alert: u32,
    pub max_per_hour: u32,
    /// How alerts fall under it (a `[policies.<id>]` section: that policy id).
    pub rules: Vec<BindingRule>,
}

impl Binding {
    /// A binding from a `[policies.<id>]` or `[bindings.<name>]` section: its flow and mode, its limits or
    /// else the `[guards]` ones, and the rules that match its alerts.
    fn from_section(
        config: &Config,
        (flow, mode): (&str, &str),
        (per_alert, per_hour): (Option<u32>, Option<u32>),
        rules: Vec<BindingRule>,
    ) -> Binding {
        Binding {
            flow_id: flow.to_string(),
            mode: Mode::parse(mode).unwrap_or(Mode::Approve),
            max_per_alert: per_alert.unwrap_or(config.guards.max_machines_per_alert),
            max_per_hour: per_hour.unwrap_or(config.guards.max_machines_per_hour),
            rules,
        }
    }
}

impl EngineSettings {
    /// A pace set for Defender's time (an interval between reads, a wait before looking again), on the
    /// monotonic clock: as it is in production, shorter by `time_scale` on a simulator's faster clock, whose
    /// quota windows are shorter alike. Unscaled, a 3 s pause is half a simulated hour at 600×.
    pub fn paced(&self, pace: Duration) -> Duration {
        pace.div_f64(self.time_scale.max(1.0))
    }

    /// The binding `alert` falls under, by which rule (see [`match_binding`]).
    pub fn binding_for(&self, alert: &SourceAlert) -> Option<MatchedBy> {
        match_binding(
            alert,
            self.bindings
                .iter()
                .map(|(name, b)| (name.as_str(), b.rules.as_slice())),
        )
    }
}

/// Engine settings derived from [`Config`].
#[derive(Debug, Clone)]
pub struct EngineSettings {
    /// Who acts: recorded in approvals and the audit trail.
    pub operator: String,
    /// This process's name as the journal's lease holder (`host:pid`).
    pub owner: String,
    /// How long the leader's lease lasts unless renewed.
    pub lease_ttl: Duration,
    pub read_only: bool,
    pub demo: bool,
    pub poll_interval: Duration,
    pub track_interval: Duration,
    pub lookback: chrono::Duration,
    pub overlap: chrono::Duration,
    pub proposal_ttl: chrono::Duration,
    pub overdue_after: chrono::Duration,
    pub resolve_cache_ttl: Duration,
    pub stale_after: chrono::Duration,
    /// Finished remediations stay in memory this long (`[journal] memory_hours`); older ones are read on demand.
    pub memory_window: chrono::Duration,
    /// How often finished work outside the memory window leaves memory (wall-clock time).
    pub forget_every: Duration,
    /// Simulated seconds per real second: 1, except on a simulator's clock (`remedy run --sim-clock`), where
    /// the lease's heartbeat beats this much faster than a third of `lease_ttl`, and tracking's pacing (see
    /// [`EngineSettings::paced`]) is this much shorter.
    pub time_scale: f64,
    pub flows: BTreeMap<String, FlowPlan>,
    pub bindings: BTreeMap<String, Binding>,
    pub protected_tags: Vec<String>,
    pub protected_groups: Vec<String>,
    /// The alert sources polled (`[alerts] sources`).
    pub alert_sources: Vec<SourceKind>,
    /// Graph `serviceSource` values listed (`[alerts] graph_service_sources`).
    pub graph_service_sources: Vec<String>,
    /// A bound detector silent this long while its titles come from another is warned about.
    pub detector_quiet: chrono::Duration,
    /// The PostgreSQL journal whose change feed (LISTEN/NOTIFY) wakes this process; `None` on SQLite,
    /// where the change counter is polled each second.
    pub journal_feed: Option<crate::config::PostgresTarget>,
}

impl EngineSettings {
    /// Builds the settings; `config` has been validated, so flows and modes are known.
    pub fn from_config(config: &Config, read_only: bool, demo: bool) -> EngineSettings {
        let flows = config
            .flows
            .iter()
            .map(|(id, flow)| {
                let plan = FlowPlan {
                    id: id.clone(),
                    name: flow.name.clone(),
                    comment: flow.comment.clone(),
                    close_alert: flow.close_alert,
                    cooldown: chrono::Duration::minutes(i64::from(flow.cooldown_minutes())),
                    steps: flow.steps.iter().map(action_kind).collect(),
                };
                (id.clone(), plan)
            })
            .collect();
        let mut bindings: BTreeMap<String, Binding> = config
            .policies
            .iter()
            .map(|(policy, b)| {
                let binding = Binding::from_section(
                    config,
                    (&b.flow, &b.mode),
                    (b.max_machines_per_alert, b.max_machines_per_hour),
                    vec![BindingRule::PolicyId(policy.clone())],
                );
                (policy.clone(), binding)
            })
            .collect();
        for (name, b) in &config.bindings {
            let rules = [
                b.policy_id.clone().map(BindingRule::PolicyId),
                b.detector_id.clone().map(BindingRule::DetectorId),
                b.service_source.clone().map(BindingRule::ServiceSource),
                b.title.clone().map(BindingRule::TitlePattern),
            ];
            let binding = Binding::from_section(
                config,
                (&b.flow, &b.mode),
                (b.max_machines_per_alert, b.max_machines_per_hour),
                rules
                    .into_iter()
                    .flatten()
                    .filter(|r| !rule_empty(r))
                    .collect(),
            );
            bindings.insert(name.clone(), binding);
        }
        let alert_sources = [SourceKind::Cas, SourceKind::Graph]
            .into_iter()
            .filter(|kind| config.alerts.polls(kind.as_str()))
            .collect();
        let engine = &config.engine;
        EngineSettings {
            operator: config.operator.clone().unwrap_or_else(os_user),
            owner: format!("{}:{}", host_name(), std::process::id()),
            lease_ttl: Duration::from_secs(config.journal.lease_seconds.max(1)),
            read_only,
            demo,
            poll_interval: Duration::from_secs(engine.poll_interval_secs),
            track_interval: Duration::from_secs(engine.track_interval_secs.max(1)),
            lookback: hours(engine.lookback_hours),
            overlap: chrono::Duration::seconds(engine.overlap_secs as i64),
            proposal_ttl: hours(engine.proposal_ttl_hours),
            overdue_after: chrono::Duration::minutes(engine.overdue_minutes as i64),
            resolve_cache_ttl: Duration::from_secs(engine.resolve_cache_secs),
            stale_after: chrono::Duration::days(engine.stale_after_days as i64),
            memory_window: hours(config.journal.memory_hours),
            forget_every: Duration::from_secs(600),
            time_scale: 1.0,
            flows,
            bindings,
            protected_tags: config.guards.protected_tags.clone(),
            protected_groups: config.guards.protected_groups.clone(),
            alert_sources,
            graph_service_sources: config.alerts.graph_service_sources.clone(),
            detector_quiet: hours(config.alerts.detector_quiet_hours),
            journal_feed: None,
        }
    }
}

fn rule_empty(rule: &BindingRule) -> bool {
    match rule {
        BindingRule::PolicyId(t)
        | BindingRule::DetectorId(t)
        | BindingRule::ServiceSource(t)
        | BindingRule::TitlePattern(t) => t.is_empty(),
    }
}

fn hours(h: u64) -> chrono::Duration {
    chrono::Duration::hours(h as i64)
}

/// Maps a config step to the engine's action kind.
pub fn action_kind(spec: &ActionSpec) -> ActionKind {
    match spec {
        ActionSpec::AntivirusScan { scan_type } => ActionKind::AntivirusScan {
            scan_type: match scan_type {
                ScanType::Full => "Full".into(),
                ScanType::Quick => "Quick".into(),
            },
        },
        ActionSpec::Isolate { isolation_type } => ActionKind::Isolate {
            isolation_type: match isolation_type {
                IsolationType::Full => "Full".into(),
                IsolationType::Selective => "Selective".into(),
            },
        },
        ActionSpec::Unisolate => ActionKind::Unisolate,
        ActionSpec::RestrictCodeExecution => ActionKind::RestrictCodeExecution,
        ActionSpec::UnrestrictCodeExecution => ActionKind::UnrestrictCodeExecution,
        ActionSpec::CollectInvestigationPackage => ActionKind::CollectInvestigationPackage,
    }
}

/// The OS user running remedy, for "who" in the audit trail.
pub fn os_user() -> String {
    ["USER", "LOGNAME", "USERNAME"]
        .iter()
        .find_map(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
        .or_else(user_from_passwd)
        .unwrap_or_else(|| "unknown".into())
}

/// The login name of this process's uid, from /etc/passwd.
#[cfg(unix)]
fn user_from_passwd() -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    let uid = std::fs::metadata("/proc/self").ok()?.uid().to_string();
    std::fs::read_to_string("/etc/passwd")
        .ok()?
        .lines()
        .find_map(|line| {
            let mut fields = line.split(':');
            let name = fields.next()?;
            (fields.nth(1)? == uid).then(|| name.to_string())
        })
}

#[cfg(not(unix))]
fn user_from_passwd() -> Option<String> {
    None
}

/// Environment variable naming this host in the lease holder (`host:pid`), e.g. for tests standing in for two
/// hosts on one machine.
pub const HOST_NAME_VAR: &str = "REMEDY_HOST_NAME";

fn host_name() -> String {
    if let Some(name) = std::env::var(HOST_NAME_VAR)
        .ok()
        .filter(|h| !h.trim().is_empty())
    {
        return name.trim().to_string();
    }
    std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into())
}
