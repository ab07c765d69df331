//! Work under way on each machine, and whether a ready remediation waits for it or joins it.

use std::collections::HashMap;

use crate::store::RemediationRow;

use super::interface::{ActionKind, RemediationState};

/// What is under way on one machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Underway {
    /// Only Defender actions of this type, each known by its id and running: a remediation of the same
    /// type joins them (the dispatch's fresh read attaches it to the running action), any other waits.
    /// So remediations for a machine that never checks in do not queue behind each other's time-outs.
    Running(&'static str),
    /// Something a new action waits for: a row queued or sent without a Defender id yet (its outcome is
    /// unsure), or actions of several types.
    Blocking,
}

impl Underway {
    /// Whether a ready remediation of `kind` (`None`: unreadable) waits for this.
    pub(super) fn blocks(self, kind: Option<&ActionKind>) -> bool {
        match self {
            Underway::Running(running) => kind.is_none_or(|k| k.defender_type() != running),
            Underway::Blocking => true,
        }
    }
}

/// What each machine with work under way (queued or in flight) has under way.
pub(super) fn underway<'a>(
    rows: impl IntoIterator<Item = &'a RemediationRow>,
) -> HashMap<&'a str, Underway> {
    let mut machines: HashMap<&str, Underway> = HashMap::new();
    for row in rows {
        if !(row.state.is_in_flight() || row.state == RemediationState::Queued) {
            continue;
        }
        let running = matches!(
            row.state,
            RemediationState::Attached | RemediationState::Pending | RemediationState::InProgress
        );
        let this = match row.action.kind() {
            Ok(kind) if running && row.provider_action_id.is_some() => {
                Underway::Running(kind.defender_type())
            }
            _ => Underway::Blocking,
        };
        machines
            .entry(row.machine_id.as_str())
            .and_modify(|known| {
                if *known != this {
                    *known = Underway::Blocking;
                }
            })
            .or_insert(this);
    }
    machines
}

/// Whether a ready `row` waits for what is under way on its machine.
pub(super) fn waits_for_machine(underway: &HashMap<&str, Underway>, row: &RemediationRow) -> bool {
    underway
        .get(row.machine_id.as_str())
        .is_some_and(|u| u.blocks(row.action.kind().ok()))
}
