//! The proof that an action remedy did not send for a remediation covers it, as front ends see it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::interface::{ActionKind, RemediationState};

/// How an action remedy did not send for a remediation covers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CoverKind {
    /// The action was read from Defender as Pending or InProgress when the remediation attached to it.
    Running,
    /// The same action succeeded on the machine within the flow's cool-down.
    CoolDown,
}

/// Which read a proof comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "form", rename_all = "snake_case")]
pub enum ProofRead {
    /// One read of several machines' actions of the kind (`(machineId eq … or …) and type eq …`).
    Batch { machines: usize },
    /// A read of this machine's actions of the kind (`machineId eq … and type eq …`).
    Machine,
    /// Defender's own answer to the POST ("an action is already in progress", with the action).
    Answer,
    /// The journal's record of remedy's own earlier success on the machine.
    Journal,
}

impl ProofRead {
    /// "one read of 16 machines' actions", for audit entries and notes.
    pub fn describe(self) -> String {
        match self {
            ProofRead::Batch { machines } => format!("one read of {machines} machines' actions"),
            ProofRead::Machine => "a read of the machine's actions".to_string(),
            ProofRead::Answer => "Defender's answer to the request".to_string(),
            ProofRead::Journal => "the journal".to_string(),
        }
    }
}

/// The proof, read from Defender or the journal, that an earlier action covers a remediation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cover {
    pub kind: CoverKind,
    pub action_id: String,
    pub created_at: Option<DateTime<Utc>>,
    /// The action's state when remedy read it.
    pub status: RemediationState,
    /// Who asked Defender for the action (sanitised, for display).
    pub requestor: Option<String>,
    /// When it succeeded (cool-down only).
    pub succeeded_at: Option<DateTime<Utc>>,
    /// When remedy read the proof.
    pub checked_at: DateTime<Utc>,
    /// Which read the proof came from (absent in proofs recorded before reads were named).
    #[serde(default)]
    pub read: Option<ProofRead>,
}

impl Cover {
    /// "covered by the scan started 10:42 by alice@…" or "covered by the scan that succeeded at 10:42 (cool-down)".
    pub fn summary(&self, action: Option<&ActionKind>) -> String {
        let noun = match action {
            Some(ActionKind::AntivirusScan { .. }) => "scan".to_string(),
            Some(other) => other.label(),
            None => "action".to_string(),
        };
        let hhmm = |t: Option<DateTime<Utc>>| {
            t.map(|t| t.format("%H:%M").to_string())
                .unwrap_or_else(|| "earlier".into())
        };
        let by = self.requestor.as_deref().unwrap_or("someone else");
        match self.kind {
            CoverKind::Running => format!(
                "covered by the {noun} started {} by {by}",
                hhmm(self.created_at)
            ),
            CoverKind::CoolDown => format!(
                "covered by the {noun} that succeeded at {} (requested by {by}; cool-down)",
                hhmm(self.succeeded_at)
            ),
        }
    }
}
