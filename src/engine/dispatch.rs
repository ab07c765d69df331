//! Dispatch: picks approved remediations whose machine is free and whose previous step is done, refuses
//! unreadable rows, and hands each pick to [`super::submit`].

use std::collections::HashSet;
use std::time::Instant;

use chrono::Utc;

use crate::store::RemediationRow;

use super::core::{Engine, Internal, MAX_CONCURRENT_DISPATCH};
use super::interface::{Level, RemediationState};
use super::stored::{refusal, stored_action};

impl Engine {
    /// Starts dispatches for approved remediations whose machine is free and whose previous step is done.
    pub fn pump_dispatch(&mut self) {
        self.start_dispatches();
        self.refresh_waits();
    }

    fn start_dispatches(&mut self) {
        if self.settings().read_only {
            return;
        }
        self.refuse_unreadable();
        let mut ready: Vec<&RemediationRow> = self
            .remediations
            .values()
            .filter(|r| RemediationState::parse(&r.state) == Some(RemediationState::Approved))
            .collect();
        if ready.is_empty() {
            return;
        }
        ready.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.step.cmp(&b.step)));
        let now = Instant::now();
        let backoff = self
            .dispatch_backoff
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut starts = Vec::new();
        let mut skips = Vec::new();
        let mut busy: HashSet<String> = self.dispatching.clone();
        busy.extend(
            self.remediations
                .values()
                .filter(|r| {
                    let s = Self::remediation_state(r);
                    s.is_in_flight() || s == RemediationState::Queued
                })
                .map(|r| r.machine_id.clone()),
        );
        for row in ready {
            if self.dispatching.len() + starts.len() >= MAX_CONCURRENT_DISPATCH {
                break;
            }
            if busy.contains(&row.machine_id) || !backoff.ready(&row.machine_id, now) {
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
                            row.state.clone(),
                            format!("step {} ended {}", row.step - 1, state.as_str()),
                        ));
                        continue;
                    }
                    _ => continue,
                }
            }
            let Ok(kind) = stored_action(row) else {
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
            self.dispatching.insert(row.machine_id.clone());
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
        let skips: Vec<(String, String, String)> = self
            .remediations
            .values()
            .filter_map(|r| Some((r.id.clone(), r.state.clone(), refusal(r)?)))
            .inspect(|(id, _, why)| tracing::warn!(remediation = %id, "refused: {why}"))
            .collect();
        self.journal_skips(skips);
    }

    /// Journals `skipped` for rows still in the given state.
    fn journal_skips(&self, skips: Vec<(String, String, String)>) {
        if skips.is_empty() {
            return;
        }
        let ctx = self.ctx.clone();
        tokio::spawn(async move {
            let rows = ctx
                .journal
                .call(move |j| {
                    let mut rows = Vec::new();
                    let skipped = RemediationState::Skipped.as_str();
                    for (id, from, why) in skips {
                        rows.extend(j.transition_if(
                            &id,
                            &from,
                            skipped,
                            Some(&why),
                            Utc::now(),
                        )?);
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

/// "alert … machine … (id) Action" for audit entries.
pub(super) fn audit_target(row: &RemediationRow) -> String {
    format!(
        "alert {} machine {} ({}) {}",
        row.alert_id, row.machine_name, row.machine_id, row.action
    )
}
