//! The memory window: a starting engine reads only unfinished remediations, those finished within
//! `[journal] memory_hours`, and their alerts' stored columns; finished work leaves memory once older than the
//! window; an alert's raw JSON is parsed when its detail opens. Older history stays in the journal.

use chrono::{DateTime, Utc};

use crate::api::models::cas::{Alert, ResolutionStatus, Severity as CasSeverity};
use crate::store::{AlertSummary, RemediationRow};
use crate::text::sanitize;

use super::core::Engine;
use super::interface::{AlertView, Event, Level, RemediationState, Resolution};
use super::views::{alert_view, from_millis, resolution, severity};

impl Engine {
    /// Loads the working set: unfinished remediations, those finished within the window, their alerts.
    pub(super) async fn load_working_set(&mut self) {
        let since = Utc::now() - self.settings().memory_window;
        let loaded = self
            .ctx
            .journal
            .call(move |j| {
                let unfinished: Vec<_> = RemediationState::ALL
                    .into_iter()
                    .filter(|s| !s.is_final())
                    .collect();
                let mut rows = j.remediations_in_states(&unfinished)?;
                rows.extend(j.finished_since(since)?);
                let mut ids: Vec<String> = rows.iter().map(|r| r.alert_id.clone()).collect();
                ids.sort();
                ids.dedup();
                Ok((rows, j.alert_summaries(&ids)?))
            })
            .await;
        match loaded {
            Ok((rows, alerts)) => {
                for summary in alerts {
                    let view = self.summary_view(&summary);
                    self.planned.insert(summary.id.clone());
                    self.alerts.insert(summary.id, view);
                }
                for row in rows {
                    self.planned.insert(row.alert_id.clone());
                    self.remediations.insert(row.id.clone(), row);
                }
            }
            Err(e) => self.notice(Level::Error, format!("journal not read: {e}")),
        }
    }

    /// An alert view from the stored columns; description, entities and link come when the detail opens.
    fn summary_view(&self, s: &AlertSummary) -> AlertView {
        let policy_name = self
            .policies
            .get(&s.policy_id)
            .map(|p| p.name.clone())
            .unwrap_or_default();
        AlertView {
            id: sanitize(&s.id),
            title: sanitize(&s.title),
            description: String::new(),
            severity: severity(Some(&CasSeverity::from_value(s.severity))),
            raised_at: from_millis(s.timestamp_ms),
            policy_id: sanitize(&s.policy_id),
            policy_name,
            user: (!s.user.is_empty()).then(|| sanitize(&s.user)),
            note: None,
            resolution: resolution(Some(&ResolutionStatus::from_value(s.resolution))),
            read: false,
            url: None,
            entities: Vec::new(),
        }
    }

    /// Parses the alert's raw JSON now (its detail opened) and sends the full view, keeping what the engine
    /// knows better than the stored copy (resolution, read mark, why nothing is proposed).
    pub(super) fn send_full_alert(&self, alert_id: &str) {
        let Some(current) = self.alerts.get(alert_id).cloned() else {
            return;
        };
        let ctx = self.ctx.clone();
        let events = self.events.clone();
        let id = alert_id.to_string();
        tokio::spawn(async move {
            let raw = ctx.journal.call(move |j| j.alert(&id)).await;
            match raw {
                Ok(Some(row)) => match serde_json::from_value::<Alert>(row.raw) {
                    Ok(alert) => {
                        let full = AlertView {
                            note: current.note,
                            resolution: current.resolution,
                            read: current.read || alert_view(&alert).read,
                            ..alert_view(&alert)
                        };
                        let _ = events.send(Event::AlertSeen(full));
                    }
                    Err(e) => {
                        tracing::warn!(alert = %current.id, "stored alert JSON not read: {e}")
                    }
                },
                Ok(None) => {}
                Err(e) => ctx.notice(Level::Warn, format!("alert detail not read: {e}")),
            }
        });
    }

    /// Drops finished remediations older than the window, and alerts no longer open with nothing left in memory.
    pub(super) fn forget_outside_window(&mut self, now: DateTime<Utc>) {
        let horizon = now - self.settings().memory_window;
        let before = (self.remediations.len(), self.alerts.len());
        self.remediations
            .retain(|_, r| !(r.state.is_final() && finished_at(r) < horizon));
        let kept: std::collections::HashSet<&str> = self
            .remediations
            .values()
            .map(|r| r.alert_id.as_str())
            .collect();
        let forget: Vec<String> = self
            .alerts
            .iter()
            .filter(|(id, a)| {
                a.resolution != Resolution::Open
                    && a.raised_at < horizon
                    && !kept.contains(id.as_str())
            })
            .map(|(id, _)| id.clone())
            .collect();
        for id in &forget {
            self.alerts.remove(id);
            self.identities.remove(id);
        }
        let after = (self.remediations.len(), self.alerts.len());
        if after != before {
            tracing::debug!(?before, ?after, "memory window: finished work left memory");
        }
    }
}

fn finished_at(r: &RemediationRow) -> DateTime<Utc> {
    r.final_at.unwrap_or(r.updated_at)
}
