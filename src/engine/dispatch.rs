//! Dispatch: picks approved remediations whose machine is free and whose previous step is done, refuses
//! unreadable rows, and hands each pick to [`super::submit`].

use std::collections::HashSet;

use crate::store::RemediationRow;

use super::core::{Engine, Internal, MAX_CONCURRENT_DISPATCH};
use super::interface::{Level, RemediationState};
use super::underway::{underway, waits_for_machine};

impl Engine {
    /// Starts dispatches for approved remediations whose machine is free and whose previous step is done.
    pub fn pump_dispatch(&mut self) {
        if !self.leads() {
            return;
        }
        self.start_dispatches();
        self.refresh_waits();
    }

    fn start_dispatches(&mut self) {
        if self.settings().read_only || self.draining {
            return;
        }
        self.refuse_unreadable();
        let mut ready: Vec<&RemediationRow> = self
            .remediations
            .values()
            .filter(|r| r.state == RemediationState::Approved)
            .collect();
        if ready.is_empty() {
            return;
        }
        ready.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.step.cmp(&b.step)));
        let now = self.instant();
        let backoff = self
            .dispatch_backoff
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut starts = Vec::new();
        let mut skips = Vec::new();
        let mut busy: HashSet<String> = self.jobs.dispatch.running_keys();
        let underway = underway(self.remediations.values());
        for row in ready {
            if self.jobs.dispatch.running() + starts.len() >= MAX_CONCURRENT_DISPATCH {
                break;
            }
            if busy.contains(&row.machine_id)
                || waits_for_machine(&underway, row)
                || !backoff.ready(&row.machine_id, now)
            {
                continue;
            }
            if row.step > 1 {
                let previous = self.remediations.values().find(|r| {
                    r.alert_id == row.alert_id
                        && r.flow_id == row.flow_id
                        && r.machine_id == row.machine_id
                        && r.step == row.step - 1
                });
                match previous.map(Self::remediation_state) {
                    Some(RemediationState::Succeeded) => {}
                    Some(state) if state.is_final() => {
                        skips.push((
                            row.id.clone(),
                            Some(row.state),
                            format!("step {} ended {}", row.step - 1, state.as_str()),
                        ));
                        continue;
                    }
                    _ => continue,
                }
            }
            let Ok(kind) = row.action.kind().cloned() else {
                continue;
            };
            busy.insert(row.machine_id.clone());
            starts.push((row.clone(), kind));
        }
        drop(backoff);
        for (row, kind) in starts {
            let Some(alert) = self.alerts.get(&row.alert_id).cloned() else {
                continue;
            };
            if !self.jobs.dispatch.try_start(&row.machine_id) {
                continue;
            }
            let ctx = self.ctx.clone();
            let backoff = self.dispatch_backoff.clone();
            tokio::spawn(async move {
                let machine_id = row.machine_id.clone();
                super::submit::dispatch_one(&ctx, &backoff, row, kind, alert).await;
                ctx.report(Internal::DispatchDone { machine_id });
            });
        }
        self.journal_skips(skips);
    }

    /// Rows whose stored state or action kind does not parse become `skipped` with the reason.
    fn refuse_unreadable(&mut self) {
        let skips: Vec<Skip> = self
            .remediations
            .values()
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

/// A row to move to `skipped`: its id, the state it must still be in (`None`: its unknown stored state), why.
type Skip = (String, Option<RemediationState>, String);

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
