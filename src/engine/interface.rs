//! The command/event interface between the engine and its front ends (console, headless), as plain serde types.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use super::graph_verdict::{GraphClassification, GraphDetermination};
pub use super::history::HistoryEntry;
pub use super::proof::{Cover, CoverKind, ProofRead};
pub use super::wait::WaitReason;
/// The lifecycle types live beside the journal and the engine (the journal may not depend on the engine).
pub use crate::lifecycle::{ActionKind, Outcome, RemediationState};
pub use crate::store::PageMark;

/// Per-policy remediation mode, ordered from the most cautious (`Off < Approve < Auto`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Show alerts only; nothing is proposed.
    #[default]
    Off,
    /// Propose actions; an analyst approves or rejects each one.
    Approve,
    /// Run the flow without asking.
    Auto,
}

impl Mode {
    /// The word shown to analysts and stored in the journal.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Off => "off",
            Mode::Approve => "approve",
            Mode::Auto => "auto",
        }
    }

    /// Parses the stored word; `None` for anything else.
    pub fn parse(word: &str) -> Option<Mode> {
        match word {
            "off" => Some(Mode::Off),
            "approve" => Some(Mode::Approve),
            "auto" => Some(Mode::Auto),
            _ => None,
        }
    }
}

/// Cloud App Security alert severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Informational,
    Low,
    Medium,
    High,
    Unknown,
}

/// Cloud App Security alert resolution status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Resolution {
    Open,
    Dismissed,
    Resolved,
    FalsePositive,
    Benign,
    TruePositive,
    Unknown,
}

/// How an analyst closes an alert: Cloud App Security's closures, or Graph's classification and determination.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "as", rename_all = "snake_case")]
pub enum Closure {
    TruePositive,
    /// `reason_id`: 2 lower severity, 4 other, 5 confirmed with end user, 6 triggered by test.
    Benign {
        reason_id: u8,
    },
    /// `reason_id`: 0 not of interest, 1 too many similar alerts, 3 not accurate, 4 other.
    FalsePositive {
        reason_id: u8,
    },
    /// Graph's words, for alerts Graph saw.
    Graph {
        classification: GraphClassification,
        determination: GraphDetermination,
    },
}

/// An entity attached to an alert (user, ip, service, …), already sanitised.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntityView {
    pub kind: String,
    pub label: String,
}

/// An alert as front ends see it. All text is sanitised by the engine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertView {
    pub id: String,
    pub title: String,
    pub description: String,
    pub severity: Severity,
    pub raised_at: DateTime<Utc>,
    pub policy_id: String,
    pub policy_name: String,
    pub user: Option<String>,
    /// Why no remediation is proposed for this alert, in words ("no user on this alert", "no machines found for …").
    pub note: Option<String>,
    pub resolution: Resolution,
    pub read: bool,
    pub url: Option<String>,
    pub entities: Vec<EntityView>,
    /// Which sources read it (`cas`, `graph`, or both).
    #[serde(default)]
    pub seen_by: Vec<crate::alert::SourceKind>,
    /// Its Graph id, exactly as sent, when Graph read it: closing and commenting go there.
    #[serde(default)]
    pub graph_id: Option<String>,
    /// How its binding matched ("policy id …", "detector …"), when one did.
    #[serde(default)]
    pub matched_by: Option<String>,
}

/// A Cloud App Security policy with its remedy binding.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PolicyView {
    pub id: String,
    pub name: String,
    pub policy_type: String,
    pub enabled: bool,
    /// remedy flow bound to the policy, if any.
    pub flow_id: Option<String>,
    pub flow_name: Option<String>,
    pub mode: Mode,
    /// The bound flow's actions, in order (empty when unbound).
    #[serde(default)]
    pub steps: Vec<ActionKind>,
    /// Whether the flow closes the alert as true positive once every step succeeded.
    #[serde(default)]
    pub closes_alert: bool,
    /// `auto` acts on at most this many machines per alert (beyond: proposes); 0 when unbound.
    #[serde(default)]
    pub max_per_alert: u32,
    /// `auto` acts on at most this many machines per hour for the policy (beyond: proposes).
    #[serde(default)]
    pub max_per_hour: u32,
    /// How the binding matches alerts ("policy id …", "detector …", "title …"); empty when unbound.
    #[serde(default)]
    pub rules: Vec<String>,
    /// Why the binding may have stopped firing, naming the likely successor.
    #[serde(default)]
    pub warning: Option<String>,
}

/// A Defender machine resolved for an alert, with the proof of how it was found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MachineView {
    pub id: String,
    pub name: String,
    /// How remedy found it, e.g. "Graph registeredDevices → aadDeviceId 80fe…".
    pub found_by: String,
    pub last_seen: Option<DateTime<Utc>>,
    pub health: String,
    pub group: Option<String>,
    pub tags: Vec<String>,
    pub os: Option<String>,
    /// Protected by config (tag or group): always needs approval.
    pub protected: bool,
}

/// One action on one machine for one alert, as front ends see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemediationView {
    pub id: String,
    pub alert_id: String,
    pub policy_id: String,
    pub flow_id: String,
    pub step: u32,
    pub machine: MachineView,
    /// `None` when the stored action is not one remedy knows (such a remediation is refused, never sent).
    pub action: Option<ActionKind>,
    pub state: RemediationState,
    /// Why it is in this state (reject reason, skip reason, provider error, guard that fell back to approve).
    pub reason: Option<String>,
    pub provider_action_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub overdue: bool,
    /// Proof that an action remedy did not send for it covers this one: "covered by the scan started 10:42 by …".
    pub covered_by: Option<Box<Cover>>,
    /// What it waits for while approved (queue place, throttling, an earlier step, read-only …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiting: Option<WaitReason>,
}

impl RemediationView {
    /// The action's label, or "unknown action" for one that did not parse.
    pub fn action_label(&self) -> String {
        self.action
            .as_ref()
            .map_or_else(|| "unknown action".into(), ActionKind::label)
    }

    /// Whether approving it needs a confirmation (an unknown action is treated as disruptive).
    pub fn is_disruptive(&self) -> bool {
        self.action.as_ref().is_none_or(ActionKind::is_disruptive)
    }
}

/// Which remote service a figure is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Service {
    Cas,
    Defender,
    Graph,
}

impl Service {
    /// Short name for the status bar.
    pub fn label(self) -> &'static str {
        match self {
            Service::Cas => "CAS",
            Service::Defender => "MDE",
            Service::Graph => "Graph",
        }
    }
}

/// Client-side quota headroom of one service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuotaView {
    pub service: Service,
    pub remaining: u32,
    pub limit: u32,
    /// Window of the limit, e.g. "min".
    pub per: String,
}

/// What a front end asks of the engine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Command {
    Approve {
        remediation_ids: Vec<String>,
        reason: Option<String>,
    },
    Reject {
        remediation_ids: Vec<String>,
        reason: Option<String>,
    },
    SetMode {
        policy_id: String,
        mode: Mode,
    },
    Cancel {
        remediation_id: String,
        comment: String,
    },
    CloseAlert {
        alert_id: String,
        closure: Closure,
        comment: String,
    },
    MarkRead {
        alert_id: String,
    },
    /// Runs a failed, timed-out or cancelled action again: a new approved remediation on the same machine.
    Retry {
        remediation_id: String,
        reason: Option<String>,
    },
    /// Undoes a succeeded isolation or app restriction on its machine: a new approved remediation.
    Release {
        remediation_id: String,
        reason: Option<String>,
    },
    /// Send the alert's history ([`Event::History`]), read from the journal now.
    History {
        alert_id: String,
    },
    /// Send a page of alerts older than what the engine keeps in memory ([`Event::OlderAlerts`]), from
    /// the newest (`after: None`) or from where the last page ended; with a `filter`, only alerts that pass it
    /// (the journal's history searched with the console's `/` rules).
    OlderAlerts {
        after: Option<PageMark>,
        #[serde(default)]
        filter: crate::filter::Filter,
    },
    /// Poll Cloud App Security now.
    Refresh,
    /// Send a full snapshot again (after a front end fell behind).
    Resync,
}

/// This process's part on a shared journal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Holds the lease: polls, dispatches, tracks and executes every process's commands.
    Leader,
    /// Shows the journal and writes its analysts' commands for the leader.
    Follower,
}

/// Severity of a notice for toasts and logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Info,
    Warn,
    Error,
}

/// What the engine tells its front ends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// Everything the engine knows, sent first and on `Resync`.
    Snapshot {
        alerts: Vec<AlertView>,
        policies: Vec<PolicyView>,
        remediations: Vec<RemediationView>,
        read_only: bool,
        demo: bool,
        operator: String,
    },
    /// An alert appeared or changed.
    AlertSeen(AlertView),
    /// A policy's binding or mode changed.
    PolicyChanged(PolicyView),
    /// A remediation appeared or changed state.
    RemediationChanged(Box<RemediationView>),
    /// Outcome of one alert poll.
    Poll {
        ok: bool,
        at: DateTime<Utc>,
        error: Option<String>,
        new_alerts: u32,
    },
    /// Quota headroom of every service.
    Quota { quotas: Vec<QuotaView> },
    /// Finished work left the engine's memory window (it stays in the journal): front ends drop it too, so a
    /// console open for weeks stays as small as the engine.
    Forgotten {
        alerts: Vec<String>,
        remediations: Vec<String>,
    },
    /// An alert's history, asked for with [`Command::History`].
    History {
        alert_id: String,
        entries: Vec<HistoryEntry>,
    },
    /// Alerts read from the journal that the engine does not keep in memory, with their remediations, asked
    /// for with [`Command::OlderAlerts`]; `next` is where the following page starts (`None`: no older alert).
    OlderAlerts {
        alerts: Vec<AlertView>,
        remediations: Vec<RemediationView>,
        next: Option<PageMark>,
    },
    /// A short message for the analyst (completion, refusal, error).
    Notice { level: Level, text: String },
    /// The engine died (a bug): front ends say why and end the process with a non-zero exit.
    EngineStopped { reason: String },
    /// Who acts on the journal: this process (`leader`) or another one it follows, and since when.
    Leadership {
        role: Role,
        /// `host:pid` of the leader.
        holder: String,
        since: DateTime<Utc>,
    },
    /// The audit chain's head, at start, at a fixed interval and on shutdown: keep it outside the
    /// journal and check it later with `remedy audit verify --expect-head SEQ:HASH`.
    AuditHead { seq: i64, hash: String },
    /// The journal's database cannot be reached since `since`, for `reason`: nothing is polled or sent.
    JournalUnreachable {
        reason: String,
        since: DateTime<Utc>,
    },
    /// The journal's database answers again after an outage.
    JournalReachable,
}
