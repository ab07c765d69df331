//! Intake: polls Cloud App Security for new and changed alerts, then resolves and plans each new one.

use std::collections::HashSet;
use std::time::Instant;

use chrono::Utc;

use crate::api::AlertQuery;
use crate::api::ApiError;
use crate::api::models::cas::{Alert, Policy};
use crate::store::{AlertRecord, NewRemediation};

use super::core::{Ctx, Engine, Internal, RECHECK_EVERY};
use super::gate::{GateInput, decide};
use super::interface::{Event, Level, Mode, PolicyView, RemediationState, Resolution};
use super::plan::plan;
use super::resolve::{Resolved, resolve_user};
use super::views::{alert_view, policy_view};

/// One poll's findings: alerts raised since the last poll, and the current state of alerts we wait on.
pub(super) struct PollOutcome {
    pub fresh: Vec<Alert>,
    pub rechecked: Vec<Alert>,
}

/// At most this many alert ids are re-checked in one call.
const RECHECK_BATCH: usize = 100;

async fn poll(ctx: &Ctx, since_ms: i64, recheck: Vec<String>) -> Result<PollOutcome, ApiError> {
    let query = AlertQuery::new()
        .open_only()
        .since_ms(since_ms)
        .sort_by_date_asc();
    let fresh = ctx.clients.cas.list_alerts(&query).await?;
    let mut rechecked = Vec::new();
    for ids in recheck.chunks(RECHECK_BATCH) {
        let query = AlertQuery::new().ids(ids);
        rechecked.extend(ctx.clients.cas.list_alerts(&query).await?);
    }
    Ok(PollOutcome { fresh, rechecked })
}

impl Engine {
    /// Starts a poll unless one is running.
    pub fn start_poll(&mut self) {
        if self.poll_in_flight {
            return;
        }
        self.poll_in_flight = true;
        let now_ms = Utc::now().timestamp_millis();
        let since = match self.since_ms {
            Some(ms) => ms - self.settings().overlap.num_milliseconds(),
            None => now_ms - self.settings().lookback.num_milliseconds(),
        };
        let waiting: HashSet<&str> = self
            .remediations
            .values()
            .filter(|r| Self::remediation_state(r) == RemediationState::Proposed)
            .map(|r| r.alert_id.as_str())
            .collect();
        let recheck: Vec<String> = if self.polls % RECHECK_EVERY == 0 {
            waiting.into_iter().map(String::from).collect()
        } else {
            Vec::new()
        };
        self.polls += 1;
        let ctx = self.ctx.clone();
        tokio::spawn(async move {
            let outcome = poll(&ctx, since, recheck).await;
            ctx.report(Internal::Polled(outcome));
        });
    }

    /// Fetches the policy list in the background.
    pub fn start_policy_refresh(&self) {
        let ctx = self.ctx.clone();
        tokio::spawn(async move {
            let policies = ctx.clients.cas.list_policies().await;
            ctx.report(Internal::Policies(policies));
        });
    }

    pub async fn on_policies(&mut self, result: Result<Vec<Policy>, ApiError>) {
        match result {
            Ok(policies) => {
                for policy in policies {
                    let view = policy_view(&policy, self.settings(), self.mode_of(&policy.id));
                    self.set_policy(view);
                }
            }
            Err(e) => self.notice(Level::Warn, format!("policies not loaded: {e}")),
        }
    }

    pub fn set_policy(&mut self, view: PolicyView) {
        if self.policies.get(&view.id) != Some(&view) {
            self.emit(Event::PolicyChanged(view.clone()));
            self.policies.insert(view.id.clone(), view);
        }
    }

    pub async fn on_polled(&mut self, result: Result<PollOutcome, ApiError>) {
        self.poll_in_flight = false;
        self.emit_quota();
        let outcome = match result {
            Ok(outcome) => outcome,
            Err(e) => {
                self.emit(Event::Poll {
                    ok: false,
                    at: Utc::now(),
                    error: Some(e.to_string()),
                    new_alerts: 0,
                });
                tracing::warn!("alert poll failed: {e}");
                return;
            }
        };
        let mut new_alerts = 0;
        for alert in outcome.fresh.iter().chain(&outcome.rechecked) {
            self.since_ms = Some(self.since_ms.unwrap_or(0).max(alert.timestamp));
            if self.take_alert(alert).await {
                new_alerts += 1;
            }
        }
        self.emit(Event::Poll {
            ok: true,
            at: Utc::now(),
            error: None,
            new_alerts,
        });
        if self.since_ms.is_none() {
            self.since_ms =
                Some(Utc::now().timestamp_millis() - self.settings().overlap.num_milliseconds());
        }
        self.expire_proposals().await;
    }

    /// Records an alert and shows it; returns true when it was new.
    async fn take_alert(&mut self, alert: &Alert) -> bool {
        let mut view = alert_view(alert);
        let is_new = !self.alerts.contains_key(&view.id);
        if let Some(old) = self.alerts.get(&view.id) {
            view.note = old.note.clone();
            if *old == view {
                return false;
            }
        }
        let record = AlertRecord {
            id: view.id.clone(),
            policy_id: view.policy_id.clone(),
            title: view.title.clone(),
            user: view.user.clone().unwrap_or_default(),
            severity: alert.severity.as_ref().map(|s| s.value()).unwrap_or(-1),
            resolution: alert
                .resolution_status
                .as_ref()
                .map(|r| r.value())
                .unwrap_or(0),
            timestamp_ms: alert.timestamp,
            raw: serde_json::to_value(alert).unwrap_or_default(),
            seen_at: Utc::now(),
        };
        if let Err(e) = self
            .ctx
            .journal
            .call(move |j| j.record_alert(&record))
            .await
        {
            self.notice(
                Level::Error,
                format!("alert {} not journaled: {e}", view.id),
            );
            return false;
        }
        let closed = view.resolution != Resolution::Open;
        let id = view.id.clone();
        self.alerts.insert(id.clone(), view.clone());
        self.emit(Event::AlertSeen(view));
        if closed {
            self.withdraw_proposals(&id, "alert closed in Cloud App Security")
                .await;
        } else {
            self.consider_alert(&id, false).await;
        }
        is_new
    }

    /// Decides whether an alert gets proposals; starts resolving its user's machines when it does.
    /// `backlog` (after a mode change) never acts at once: it only proposes.
    pub async fn consider_alert(&mut self, alert_id: &str, backlog: bool) {
        let Some(alert) = self.alerts.get(alert_id).cloned() else {
            return;
        };
        if self.planned.contains(alert_id) || alert.resolution != Resolution::Open {
            return;
        }
        let note = |engine: &mut Engine, text: String| {
            if let Some(a) = engine.alerts.get_mut(alert_id)
                && a.note.as_deref() != Some(text.as_str())
            {
                a.note = Some(text);
                let view = a.clone();
                engine.emit(Event::AlertSeen(view));
            }
        };
        let Some(upn) = alert.user.clone() else {
            let kind = self
                .policies
                .get(&alert.policy_id)
                .map(|p| p.policy_type.clone())
                .unwrap_or_default();
            let text = if kind.is_empty() {
                "no user on this alert: nothing to remediate".to_string()
            } else {
                format!("no user on this alert ({kind} policy): nothing to remediate")
            };
            note(self, text);
            self.planned.insert(alert_id.to_string());
            return;
        };
        if !self.settings().bindings.contains_key(&alert.policy_id) {
            note(self, "no flow bound to this policy".into());
            return;
        }
        let mode = self.mode_of(&alert.policy_id);
        if mode == Mode::Off {
            note(self, "policy mode is off: nothing proposed".into());
            return;
        }
        let existing = {
            let id = alert_id.to_string();
            self.ctx
                .journal
                .call(move |j| j.remediations_for_alert(&id))
                .await
        };
        match existing {
            Ok(rows) if !rows.is_empty() => {
                self.planned.insert(alert_id.to_string());
                self.apply_rows(rows).await;
                return;
            }
            Ok(_) => {}
            Err(e) => {
                self.notice(Level::Error, format!("journal unreadable: {e}"));
                return;
            }
        }
        self.planned.insert(alert_id.to_string());
        let mode = if backlog { Mode::Approve } else { mode };
        if let Some((at, resolved)) = self.resolve_cache.get(&upn)
            && at.elapsed() < self.settings().resolve_cache_ttl
        {
            let resolved = resolved.clone();
            self.on_resolved(alert_id.to_string(), upn, mode, Ok(resolved))
                .await;
            return;
        }
        let ctx = self.ctx.clone();
        let alert_id = alert_id.to_string();
        tokio::spawn(async move {
            let result = resolve_user(&ctx.clients, &upn, &ctx.settings).await;
            ctx.report(Internal::Resolved {
                alert_id,
                upn,
                mode,
                result,
            });
        });
    }

    pub async fn on_resolved(
        &mut self,
        alert_id: String,
        upn: String,
        mode: Mode,
        result: Result<Resolved, ApiError>,
    ) {
        self.emit_quota();
        let resolved = match result {
            Ok(resolved) => resolved,
            Err(e) => {
                self.planned.remove(&alert_id);
                self.notice(
                    Level::Warn,
                    format!("machines of {upn} not resolved (will retry next poll): {e}"),
                );
                return;
            }
        };
        self.resolve_cache
            .insert(upn.clone(), (Instant::now(), resolved.clone()));
        let Some(alert) = self.alerts.get(&alert_id).cloned() else {
            return;
        };
        if !resolved.notes.is_empty()
            && let Some(a) = self.alerts.get_mut(&alert_id)
        {
            a.note = Some(resolved.notes.join("; "));
            let view = a.clone();
            self.emit(Event::AlertSeen(view));
        }
        let settings = self.ctx.settings.clone();
        let Some(binding) = settings.bindings.get(&alert.policy_id) else {
            return;
        };
        let Some(flow) = settings.flows.get(&binding.flow_id) else {
            return;
        };
        let since = Utc::now() - chrono::Duration::hours(1);
        let policy = alert.policy_id.clone();
        let sent_this_hour = self
            .ctx
            .journal
            .call(move |j| j.count_actions_since(&policy, since))
            .await
            .unwrap_or(u64::MAX);
        let acted_this_hour = sent_this_hour.saturating_add(self.about_to_leave(&alert.policy_id));
        let input = GateInput {
            mode,
            binding,
            acted_this_hour,
            now: Utc::now(),
        };
        let verdicts = decide(&input, &resolved.machines, &settings);
        let requested_by = match mode {
            Mode::Auto => format!("remedy auto (policy {})", alert.policy_name),
            _ => settings.operator.clone(),
        };
        let planned = plan(
            &alert,
            flow,
            &resolved.machines,
            &verdicts,
            &requested_by,
            Utc::now(),
        );
        self.journal_planned(planned).await;
    }

    /// Remediations of `policy_id` approved but not yet sent: they count against the hourly limit
    /// before Defender has them, or alerts planned in one burst would all pass it.
    fn about_to_leave(&self, policy_id: &str) -> u64 {
        self.remediations
            .values()
            .filter(|r| {
                r.policy_id == policy_id
                    && r.submitted_at.is_none()
                    && matches!(
                        Self::remediation_state(r),
                        RemediationState::Approved
                            | RemediationState::Queued
                            | RemediationState::Submitted
                    )
            })
            .count() as u64
    }

    async fn journal_planned(&mut self, planned: Vec<NewRemediation>) {
        if planned.is_empty() {
            return;
        }
        let result = self
            .ctx
            .journal
            .call(move |j| {
                j.atomic(|tx| {
                    let mut rows = Vec::new();
                    for new in &planned {
                        let (row, created) = tx.insert_remediation(new)?;
                        if created && new.state == RemediationState::Approved.as_str() {
                            tx.append_audit(&crate::store::AuditEntry {
                                at: new.at,
                                who: new.requested_by.clone(),
                                action: "approve".into(),
                                target: format!(
                                    "alert {} machine {} ({}) {}",
                                    new.alert_id, new.machine_name, new.machine_id, new.action
                                ),
                                why: new.reason.clone().unwrap_or_default(),
                                result: "approved".into(),
                            })?;
                        }
                        rows.push(row);
                    }
                    Ok(rows)
                })
            })
            .await;
        match result {
            Ok(rows) => self.apply_rows(rows).await,
            Err(e) => self.notice(Level::Error, format!("proposals not journaled: {e}")),
        }
    }
}
