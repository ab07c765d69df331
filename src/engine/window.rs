//! The memory window: a starting engine reads only unfinished remediations, those finished within
//! `[journal] memory_hours`, and their alerts' stored columns; finished work leaves memory once older than the
//! window; an alert's raw JSON is parsed when its detail opens. Older history stays in the journal.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};

use crate::alert::stored;
use crate::lifecycle::{Containment, RemediationState};
use crate::store::{AlertSummary, RemediationRow, StoredAction};
use crate::text::sanitize;

use super::core::Engine;
use super::interface::{AlertView, Event, Level, Resolution};
use super::mirror::Rows;
use super::views::{alert_view, from_millis};

impl Engine {
    /// Loads the working set: unfinished remediations, those finished within the window, their alerts.
    pub(super) async fn load_working_set(&mut self) {
        let since = self.now() - self.settings().memory_window;
        let loaded = self
            .ctx
            .journal
            .call(move |j| {
                let mut rows = j.unfinished_remediations()?;
                rows.extend(j.finished_since(since)?);
                rows.extend(j.containment_in_force()?);
                let mut seen = HashSet::new();
                rows.retain(|r| seen.insert(r.id.clone()));
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
                    self.planned.mark(&summary.id);
                    self.alerts.show(summary.id, view);
                }
                for row in rows {
                    self.planned.mark(&row.alert_id);
                    self.remediations.load(row);
                }
            }
            Err(e) => self.notice(Level::Error, format!("journal not read: {e}")),
        }
    }

    /// An alert view from the stored columns; description, entities and link come when the detail opens.
    fn summary_view(&self, s: &AlertSummary) -> AlertView {
        let policy_name = self
            .policies
            .view(&s.policy_id)
            .map(|p| p.name.clone())
            .unwrap_or_default();
        summary_view(s, policy_name)
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
                Ok(Some(row)) => match stored::from_row(&row) {
                    Ok(alert) => {
                        let matched = ctx.settings.binding_for(&alert);
                        let view = alert_view(&alert, matched.as_ref());
                        let full = AlertView {
                            note: current.note,
                            resolution: current.resolution,
                            read: current.read || view.read,
                            ..view
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
        let (remediations, alerts) =
            outside_window(self.remediations.by_id(), self.alerts.by_id(), horizon);
        for id in &remediations {
            self.remediations.forget(id);
        }
        for id in &alerts {
            self.alerts.forget(id);
            self.planned.forget(id);
            self.closer.forget(id);
            self.resolver.forget(id);
            self.known.forget(id);
        }
        let ttl = self.settings().resolve_cache_ttl;
        let instant = self.instant();
        self.resolver.drop_stale(instant, ttl);
        self.log_sizes();
        if !(remediations.is_empty() && alerts.is_empty()) {
            tracing::debug!(
                remediations = remediations.len(),
                alerts = alerts.len(),
                "memory window: finished work left memory"
            );
            self.emit(Event::Forgotten {
                alerts,
                remediations,
            });
            crate::allocator::release_free_memory();
        }
    }
}

/// An alert view from the stored columns, under its policy's name.
pub(super) fn summary_view(s: &AlertSummary, policy_name: String) -> AlertView {
    AlertView {
        id: sanitize(&s.id),
        title: sanitize(&s.title),
        description: String::new(),
        severity: stored::severity_of(s.severity),
        raised_at: from_millis(s.timestamp_ms),
        policy_id: sanitize(&s.policy_id),
        policy_name,
        user: (!s.user.is_empty()).then(|| sanitize(&s.user)),
        note: None,
        resolution: stored::resolution_of(s.resolution),
        read: false,
        url: None,
        entities: Vec::new(),
        seen_by: s
            .seen_by
            .as_deref()
            .and_then(|json| serde_json::from_str(json).ok())
            .unwrap_or_else(|| vec![crate::alert::SourceKind::Cas]),
        graph_id: s.graph_id.clone(),
        matched_by: None,
    }
}

/// What leaves memory at `horizon`: finished remediations that ended before it, then closed alerts raised
/// before it with no remediation left.
fn outside_window(
    remediations: &Rows,
    alerts: &BTreeMap<String, AlertView>,
    horizon: DateTime<Utc>,
) -> (Vec<String>, Vec<String>) {
    let contained = containment_in_force(remediations);
    let gone: HashSet<&str> = remediations
        .values()
        .filter(|r| r.state.is_final() && finished_at(r) < horizon)
        .map(|r| r.id.as_str())
        .filter(|id| !contained.contains(id))
        .collect();
    let kept: HashSet<&str> = remediations
        .values()
        .filter(|r| !gone.contains(r.id.as_str()))
        .map(|r| r.alert_id.as_str())
        .collect();
    let alerts = alerts
        .iter()
        .filter(|(id, a)| {
            a.resolution != Resolution::Open && a.raised_at < horizon && !kept.contains(id.as_str())
        })
        .map(|(id, _)| id.clone())
        .collect();
    (gone.into_iter().map(str::to_string).collect(), alerts)
}

/// The succeeded isolations and app restrictions still in force (no later succeeded action of the same
/// pair on the machine): they stay in memory past the window, so a machine contained weeks ago still
/// shows as contained.
fn containment_in_force(remediations: &Rows) -> HashSet<&str> {
    let mut latest: HashMap<(&str, Containment), (&RemediationRow, bool)> = HashMap::new();
    for row in remediations
        .values()
        .filter(|r| r.state == RemediationState::Succeeded)
    {
        let StoredAction::Known(kind) = &row.action else {
            continue;
        };
        let Some((containment, in_force)) = kind.containment() else {
            continue;
        };
        let slot = latest
            .entry((row.machine_id.as_str(), containment))
            .or_insert((row, in_force));
        if finished_at(row) > finished_at(slot.0) {
            *slot = (row, in_force);
        }
    }
    latest
        .into_values()
        .filter(|(_, in_force)| *in_force)
        .map(|(row, _)| row.id.as_str())
        .collect()
}

fn finished_at(r: &RemediationRow) -> DateTime<Utc> {
    r.final_at.unwrap_or(r.updated_at)
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::lifecycle::RemediationState;
    use crate::store::StoredAction;
    use chrono::Duration;

    /// A row of `alert` in `state`, created ten days ago, ended at `ended`.
    pub(in crate::engine) fn row(
        id: &str,
        alert: &str,
        state: RemediationState,
        ended: Option<DateTime<Utc>>,
    ) -> RemediationRow {
        let at = Utc::now() - Duration::days(10);
        RemediationRow {
            id: id.into(),
            idempotency_key: format!("rmd-{id}"),
            alert_id: alert.into(),
            policy_id: "p".into(),
            flow_id: "f".into(),
            step: 1,
            machine_id: "m".into(),
            machine_name: "m".into(),
            action: StoredAction::Known(crate::lifecycle::ActionKind::Unisolate),
            state,
            unknown_state: None,
            reason: None,
            provider_action_id: None,
            requested_by: "remedy".into(),
            created_at: at,
            updated_at: ended.unwrap_or(at),
            submitted_at: None,
            final_at: ended,
            proof: serde_json::Value::Null.into(),
            cover: None,
        }
    }

    fn alert(id: &str, resolution: Resolution, raised: DateTime<Utc>) -> AlertView {
        AlertView {
            id: id.into(),
            title: String::new(),
            description: String::new(),
            severity: super::super::interface::Severity::High,
            raised_at: raised,
            policy_id: "p".into(),
            policy_name: String::new(),
            user: None,
            note: None,
            resolution,
            read: false,
            url: None,
            entities: Vec::new(),
            seen_by: Vec::new(),
            graph_id: None,
            matched_by: None,
        }
    }

    #[test]
    fn only_finished_work_older_than_the_window_and_closed_alerts_without_work_leave_memory() {
        let now = Utc::now();
        let horizon = now - Duration::hours(48);
        let old = now - Duration::days(5);
        let rows: Rows = [
            row(
                "old-done",
                "a-closed",
                RemediationState::Succeeded,
                Some(old),
            ),
            row(
                "recent-done",
                "a-recent",
                RemediationState::Failed,
                Some(now - Duration::hours(2)),
            ),
            row("old-waiting", "a-waiting", RemediationState::Proposed, None),
        ]
        .into_iter()
        .map(|r| (r.id.as_str().into(), Box::new(r)))
        .collect();
        let alerts: BTreeMap<String, AlertView> = [
            alert("a-closed", Resolution::Resolved, old),
            alert("a-recent", Resolution::Resolved, old),
            alert("a-waiting", Resolution::Resolved, old),
            alert("a-open", Resolution::Open, old),
            alert("a-new", Resolution::Dismissed, now),
        ]
        .into_iter()
        .map(|a| (a.id.clone(), a))
        .collect();
        let (remediations, alerts) = outside_window(&rows, &alerts, horizon);
        assert_eq!(remediations, vec!["old-done".to_string()]);
        assert_eq!(alerts, vec!["a-closed".to_string()]);
    }

    #[test]
    fn a_containment_still_in_force_stays_in_memory_however_old() {
        use crate::lifecycle::ActionKind;
        let now = Utc::now();
        let horizon = now - Duration::hours(48);
        let with = |id: &str, machine: &str, kind: ActionKind, days: i64| {
            let mut r = row(
                id,
                "a-closed",
                RemediationState::Succeeded,
                Some(now - Duration::days(days)),
            );
            r.machine_id = machine.into();
            r.action = StoredAction::Known(kind);
            r
        };
        let isolate = || ActionKind::Isolate {
            isolation_type: "Full".into(),
        };
        let rows: Rows = [
            with("isolated-long-ago", "m1", isolate(), 20),
            with("isolated-then-released", "m2", isolate(), 20),
            with("release", "m2", ActionKind::Unisolate, 10),
            with("restricted", "m2", ActionKind::RestrictCodeExecution, 15),
        ]
        .into_iter()
        .map(|r| (r.id.as_str().into(), Box::new(r)))
        .collect();
        let alerts: BTreeMap<String, AlertView> = [alert(
            "a-closed",
            Resolution::Resolved,
            now - Duration::days(30),
        )]
        .into_iter()
        .map(|a| (a.id.clone(), a))
        .collect();
        let (mut gone, alerts) = outside_window(&rows, &alerts, horizon);
        gone.sort();
        assert_eq!(gone, vec!["isolated-then-released", "release"]);
        assert!(alerts.is_empty(), "the alert of a kept containment stays");
    }
}
