//! The remediation lifecycle: its states, the one table of allowed transitions, and the action kinds.

use serde::{Deserialize, Serialize};

/// Where a remediation stands. The last six are Defender's own machine-action states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RemediationState {
    #[serde(rename = "proposed")]
    Proposed,
    #[serde(rename = "approved")]
    Approved,
    #[serde(rename = "rejected")]
    Rejected,
    #[serde(rename = "expired")]
    Expired,
    #[serde(rename = "queued")]
    Queued,
    #[serde(rename = "submitted")]
    Submitted,
    #[serde(rename = "attached")]
    Attached,
    #[serde(rename = "skipped")]
    Skipped,
    Pending,
    InProgress,
    Succeeded,
    Failed,
    TimeOut,
    Cancelled,
}

impl RemediationState {
    /// Every state, in lifecycle order.
    pub const ALL: [RemediationState; 14] = [
        RemediationState::Proposed,
        RemediationState::Approved,
        RemediationState::Rejected,
        RemediationState::Expired,
        RemediationState::Queued,
        RemediationState::Submitted,
        RemediationState::Attached,
        RemediationState::Skipped,
        RemediationState::Pending,
        RemediationState::InProgress,
        RemediationState::Succeeded,
        RemediationState::Failed,
        RemediationState::TimeOut,
        RemediationState::Cancelled,
    ];

    /// The word used in the journal, the UI and JSON output.
    pub const fn as_str(self) -> &'static str {
        match self {
            RemediationState::Proposed => "proposed",
            RemediationState::Approved => "approved",
            RemediationState::Rejected => "rejected",
            RemediationState::Expired => "expired",
            RemediationState::Queued => "queued",
            RemediationState::Submitted => "submitted",
            RemediationState::Attached => "attached",
            RemediationState::Skipped => "skipped",
            RemediationState::Pending => "Pending",
            RemediationState::InProgress => "InProgress",
            RemediationState::Succeeded => "Succeeded",
            RemediationState::Failed => "Failed",
            RemediationState::TimeOut => "TimeOut",
            RemediationState::Cancelled => "Cancelled",
        }
    }

    /// Parses a journal word; `None` for anything else.
    pub fn parse(word: &str) -> Option<RemediationState> {
        RemediationState::ALL
            .into_iter()
            .find(|s| s.as_str() == word)
    }

    /// No further change will happen.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            RemediationState::Rejected
                | RemediationState::Expired
                | RemediationState::Skipped
                | RemediationState::Succeeded
                | RemediationState::Failed
                | RemediationState::TimeOut
                | RemediationState::Cancelled
        )
    }

    /// Entering it means the action left for Defender (sent or attached); it stamps `submitted_at` once.
    pub fn is_sent(self) -> bool {
        matches!(
            self,
            RemediationState::Submitted | RemediationState::Attached
        )
    }

    /// Whether the lifecycle allows moving from `self` to `next` (see [`TRANSITIONS`]).
    pub fn can_become(self, next: RemediationState) -> bool {
        TRANSITIONS
            .iter()
            .any(|(from, tos)| *from == self && tos.contains(&next))
    }

    /// Sent to (or attached at) Defender and not yet final: the engine tracks it.
    pub fn is_in_flight(self) -> bool {
        matches!(
            self,
            RemediationState::Submitted
                | RemediationState::Attached
                | RemediationState::Pending
                | RemediationState::InProgress
        )
    }

    /// The group it is counted in on screens.
    pub fn outcome(self) -> Outcome {
        match self {
            S::Proposed => Outcome::Proposed,
            S::Approved | S::Queued => Outcome::Waiting,
            S::Submitted | S::Attached | S::Pending | S::InProgress => Outcome::Running,
            S::Succeeded => Outcome::Done,
            S::Failed | S::TimeOut => Outcome::Failed,
            S::Cancelled => Outcome::Cancelled,
            S::Rejected | S::Expired => Outcome::Rejected,
            S::Skipped => Outcome::Skipped,
        }
    }

    /// The word screens show for the state's group ("running", "done"); [`RemediationState::as_str`]
    /// is the exact state.
    pub fn label(self) -> &'static str {
        self.outcome().label()
    }
}

/// How a remediation counts for the analyst: what needs a decision, what moves, then outcomes.
/// Rejections and skips are never counted as done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    Proposed,
    Waiting,
    Running,
    Done,
    Failed,
    Cancelled,
    Rejected,
    Skipped,
}

impl Outcome {
    /// Every group, in display order.
    pub const ALL: [Outcome; 8] = [
        Outcome::Proposed,
        Outcome::Waiting,
        Outcome::Running,
        Outcome::Done,
        Outcome::Failed,
        Outcome::Cancelled,
        Outcome::Rejected,
        Outcome::Skipped,
    ];

    /// The group's word on screens and in the `state:` filter.
    pub const fn label(self) -> &'static str {
        match self {
            Outcome::Proposed => "proposed",
            Outcome::Waiting => "waiting",
            Outcome::Running => "running",
            Outcome::Done => "done",
            Outcome::Failed => "failed",
            Outcome::Cancelled => "cancelled",
            Outcome::Rejected => "rejected",
            Outcome::Skipped => "skipped",
        }
    }

    /// The group named by `word` (as [`Outcome::label`] writes it).
    pub fn parse(word: &str) -> Option<Outcome> {
        Outcome::ALL.into_iter().find(|o| o.label() == word)
    }
}

#[cfg(test)]
mod outcome_tests {
    use super::*;

    #[test]
    fn every_state_has_a_group_and_every_label_reads_back() {
        for outcome in Outcome::ALL {
            assert_eq!(Outcome::parse(outcome.label()), Some(outcome));
        }
        assert_eq!(RemediationState::InProgress.label(), "running");
        assert_eq!(RemediationState::Succeeded.label(), "done");
        assert_eq!(RemediationState::TimeOut.label(), "failed");
        assert_eq!(RemediationState::Expired.label(), "rejected");
        assert_eq!(Outcome::parse("Succeeded"), None);
    }
}

use RemediationState as S;

/// Defender's own states an action sent (or attached) can report, in any order it reports them.
const DEFENDER_STATES: &[RemediationState] = &[
    S::Pending,
    S::InProgress,
    S::Succeeded,
    S::Failed,
    S::TimeOut,
    S::Cancelled,
];

/// Every allowed transition: each state with the states it may become. Final states become nothing.
/// A queued or submitted intent that surely never left goes back to `approved` (crash recovery); one Defender
/// refuses because the same action already runs is attached to that action.
pub const TRANSITIONS: &[(RemediationState, &[RemediationState])] = &[
    (
        S::Proposed,
        &[S::Approved, S::Rejected, S::Expired, S::Skipped],
    ),
    (S::Approved, &[S::Queued, S::Skipped, S::Expired]),
    (
        S::Queued,
        &[S::Submitted, S::Attached, S::Approved, S::Skipped],
    ),
    (
        S::Submitted,
        &[
            S::Approved,
            S::Attached,
            S::Pending,
            S::InProgress,
            S::Succeeded,
            S::Failed,
            S::TimeOut,
            S::Cancelled,
        ],
    ),
    (S::Attached, DEFENDER_STATES),
    (
        S::Pending,
        &[
            S::InProgress,
            S::Succeeded,
            S::Failed,
            S::TimeOut,
            S::Cancelled,
        ],
    ),
    (
        S::InProgress,
        &[S::Succeeded, S::Failed, S::TimeOut, S::Cancelled],
    ),
];

/// A containment of a machine, put in force by one action and lifted by another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Containment {
    /// Isolated from the network (Isolate / Unisolate).
    Isolation,
    /// App execution restricted (RestrictCodeExecution / UnrestrictCodeExecution).
    AppRestriction,
}

/// One Defender machine action with its parameters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ActionKind {
    AntivirusScan { scan_type: String },
    Isolate { isolation_type: String },
    Unisolate,
    RestrictCodeExecution,
    UnrestrictCodeExecution,
    CollectInvestigationPackage,
}

impl ActionKind {
    /// Defender's `type` name of the machine action.
    pub fn defender_type(&self) -> &'static str {
        match self {
            ActionKind::AntivirusScan { .. } => "RunAntiVirusScan",
            ActionKind::Isolate { .. } => "Isolate",
            ActionKind::Unisolate => "Unisolate",
            ActionKind::RestrictCodeExecution => "RestrictCodeExecution",
            ActionKind::UnrestrictCodeExecution => "UnrestrictCodeExecution",
            ActionKind::CollectInvestigationPackage => "CollectInvestigationPackage",
        }
    }

    /// A short label for screens: "Full scan", "Isolate (Selective)".
    pub fn label(&self) -> String {
        match self {
            ActionKind::AntivirusScan { scan_type } => format!("{scan_type} scan"),
            ActionKind::Isolate { isolation_type } => format!("Isolate ({isolation_type})"),
            ActionKind::Unisolate => "Release isolation".into(),
            ActionKind::RestrictCodeExecution => "Restrict app execution".into(),
            ActionKind::UnrestrictCodeExecution => "Remove app restriction".into(),
            ActionKind::CollectInvestigationPackage => "Collect investigation package".into(),
        }
    }

    /// The action that undoes this containment: release isolation, remove the app restriction.
    pub fn undo(&self) -> Option<ActionKind> {
        match self {
            ActionKind::Isolate { .. } => Some(ActionKind::Unisolate),
            ActionKind::RestrictCodeExecution => Some(ActionKind::UnrestrictCodeExecution),
            _ => None,
        }
    }

    /// The containment this action puts in force (`true`) or lifts (`false`), if it is about one.
    pub fn containment(&self) -> Option<(Containment, bool)> {
        match self {
            ActionKind::Isolate { .. } => Some((Containment::Isolation, true)),
            ActionKind::Unisolate => Some((Containment::Isolation, false)),
            ActionKind::RestrictCodeExecution => Some((Containment::AppRestriction, true)),
            ActionKind::UnrestrictCodeExecution => Some((Containment::AppRestriction, false)),
            _ => None,
        }
    }

    /// Whether the action disrupts the user (asks for a confirmation before approval).
    pub fn is_disruptive(&self) -> bool {
        matches!(
            self,
            ActionKind::Isolate { .. } | ActionKind::RestrictCodeExecution
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The lifecycle of DESIGN.md, written out pair by pair, independently of the table.
    fn expected(from: RemediationState, to: RemediationState) -> bool {
        let defender = [
            S::Pending,
            S::InProgress,
            S::Succeeded,
            S::Failed,
            S::TimeOut,
            S::Cancelled,
        ];
        match from {
            S::Proposed => matches!(to, S::Approved | S::Rejected | S::Expired | S::Skipped),
            S::Approved => matches!(to, S::Queued | S::Skipped | S::Expired),
            S::Queued => matches!(to, S::Submitted | S::Attached | S::Approved | S::Skipped),
            S::Submitted => matches!(to, S::Approved | S::Attached) || defender.contains(&to),
            S::Attached => defender.contains(&to),
            S::Pending => to != S::Pending && defender.contains(&to),
            S::InProgress => matches!(to, S::Succeeded | S::Failed | S::TimeOut | S::Cancelled),
            S::Rejected
            | S::Expired
            | S::Skipped
            | S::Succeeded
            | S::Failed
            | S::TimeOut
            | S::Cancelled => false,
        }
    }

    #[test]
    fn every_pair_of_states_is_allowed_exactly_as_the_lifecycle_says() {
        for from in RemediationState::ALL {
            for to in RemediationState::ALL {
                assert_eq!(
                    from.can_become(to),
                    expected(from, to),
                    "{} → {}",
                    from.as_str(),
                    to.as_str()
                );
            }
        }
    }

    #[test]
    fn final_states_become_nothing_and_every_other_state_can_move() {
        for state in RemediationState::ALL {
            let moves = RemediationState::ALL
                .into_iter()
                .any(|to| state.can_become(to));
            assert_eq!(moves, !state.is_final(), "{}", state.as_str());
            assert!(!state.can_become(state), "{} stays put", state.as_str());
        }
    }
}
