//! Dispatch and tracking glue: refuses unreadable rows, drives the [`super::dispatcher::Dispatcher`] and the
//! [`super::tracker::Tracker`] with the engine's rows, and journals what can never be sent as skipped.

use crate::store::RemediationRow;

use super::core::{Engine, Internal};
use super::dispatcher::{Skip, World};
use super::interface::{Level, RemediationState};

impl Engine {
    /// Starts dispatches for approved remediations whose machine is free and whose previous step is done.
    pub fn pump_dispatch(&mut self) {
        // While the journal is unreachable no intent can be written, so nothing is dispatched.
        if !self.leads() || self.reach.is_down() {
            return;
        }
        self.start_dispatches();
        // What waits is worked out on the next wait beat, once however many pumps came before it.
        self.waits.mark_stale();
    }

    fn start_dispatches(&mut self) {
        if self.settings().read_only || self.draining {
            return;
        }
        self.refuse_unreadable();
        let world = World {
            remediations: &self.remediations,
            alerts: self.alerts.by_id(),
            now: self.ctx.clock.now_instant(),
        };
        let pumped = self.dispatcher.pump(&self.ctx, &world);
        self.journal_skips(pumped.skips);
    }

    /// Starts a tracking round over what is in flight or queued on a machine not being dispatched. Approved
    /// rows are not in it: only this leader changes them (analysts' commands come through it), and a round
    /// re-reads each of its rows from the journal, so a dispatch backlog would make every round slower.
    pub fn start_track(&mut self) {
        let unfinished: Vec<RemediationRow> = self
            .remediations
            .live()
            .filter(|r| {
                (r.state.is_in_flight() || r.state == RemediationState::Queued)
                    && !self.dispatcher.is_dispatching(&r.machine_id)
            })
            .cloned()
            .collect();
        self.tracker.start_round(&self.ctx, unfinished);
    }

    /// On start: re-reads every unfinished remediation and settles those a crash left unsure.
    pub fn start_reconcile(&mut self) {
        self.start_track();
    }

    /// Rows whose stored state or action kind does not parse become `skipped` with the reason.
    fn refuse_unreadable(&mut self) {
        let skips: Vec<Skip> = self
            .remediations
            .live()
            .filter_map(refusal)
            .inspect(|(id, _, why)| tracing::warn!(remediation = %id, "refused: {why}"))
            .collect();
        self.journal_skips(skips);
    }

    /// Journals `skipped` for rows still in the given state (`None`: still in their unknown stored state).
    fn journal_skips(&self, skips: Vec<Skip>) {
        if skips.is_empty() {
            return;
        }
        let ctx = self.ctx.clone();
        let at = self.now();
        tokio::spawn(async move {
            let rows = ctx
                .journal
                .call(move |j| {
                    let mut rows = Vec::new();
                    let skipped = RemediationState::Skipped;
                    for (id, from, why) in skips {
                        rows.extend(match from {
                            Some(from) => j.transition_if(&id, from, skipped, Some(&why), at)?,
                            None => j.skip_unknown_state(&id, &why, at)?,
                        });
                    }
                    Ok(rows)
                })
                .await;
            match rows {
                Ok(rows) => ctx.report(Internal::Rows(rows)),
                Err(e) => ctx.notice(Level::Error, format!("skips not journaled: {e}")),
            }
        });
    }
}

/// Why a row must be refused before anything acts on it: an unknown stored state, or an unknown action on a
/// row not sent yet. Rows already sent keep their state: Defender holds their action, tracking needs no kind.
fn refusal(row: &RemediationRow) -> Option<Skip> {
    if row.unknown_state.is_some() {
        let why = row.reason.clone().unwrap_or_default();
        return Some((row.id.clone(), None, why));
    }
    let unsent = matches!(
        row.state,
        RemediationState::Proposed | RemediationState::Approved | RemediationState::Queued
    );
    let why = row.action.kind().err().filter(|_| unsent)?;
    Some((row.id.clone(), Some(row.state), why.to_owned()))
}

/// "alert … machine … (id) Action" for audit entries.
pub(super) fn audit_target(row: &RemediationRow) -> String {
    format!(
        "alert {} machine {} ({}) {}",
        row.alert_id, row.machine_name, row.machine_id, row.action
    )
}
