//! Intake: polls Cloud App Security for new and changed alerts, journals them, then considers each one.

use std::collections::HashSet;

use chrono::{DateTime, Utc};

use crate::api::ApiError;
use crate::api::models::cas::{Alert, Policy};
use crate::store::AlertRecord;

use super::core::{Ctx, Engine, Internal, RECHECK_EVERY};
use super::interface::{AlertView, Event, Level, PolicyView, RemediationState, Resolution};
use super::job::Asked;
use super::retry::{JOURNAL_BACKOFF, Retry, jitter_draw};
use super::views::{alert_view, policy_view};

/// One poll's findings: alerts raised since the last poll, and the current state of alerts we wait on.
pub(super) struct PollOutcome {
    pub fresh: Vec<Alert>,
    pub rechecked: Vec<Alert>,
}

async fn poll(ctx: &Ctx, since_ms: i64, recheck: Vec<String>) -> Result<PollOutcome, ApiError> {
    let fresh = ctx.source.alerts_since(since_ms).await?;
    let rechecked = if recheck.is_empty() {
        Vec::new()
    } else {
        ctx.source.read_alerts(&recheck).await?
    };
    Ok(PollOutcome { fresh, rechecked })
}

impl Engine {
    /// A timer's poll: starts unless one runs (the next tick comes anyway) or intake holds.
    pub fn start_poll(&mut self) {
        if !self.intake_held() && self.jobs.poll.try_start() {
            self.spawn_poll();
        }
    }

    /// An analyst's refresh: starts a poll now, or right after the one running (queued, not dropped).
    pub fn refresh(&mut self) {
        if self.intake_held() {
            return;
        }
        if self.jobs.poll.request() == Asked::Start {
            self.spawn_poll();
        }
    }

    /// A poll ended: runs the refresh asked for meanwhile, unless intake now holds (its retry polls).
    pub fn poll_finished(&mut self) {
        if self.jobs.poll.finish() {
            if self.intake_held() {
                self.jobs.poll.finish();
            } else {
                self.spawn_poll();
            }
        }
    }

    /// Whether intake waits for the journal (polled alerts it could not write).
    fn intake_held(&self) -> bool {
        self.intake
            .journal_retry
            .as_ref()
            .is_some_and(|r| !r.is_due(self.instant()))
    }

    fn spawn_poll(&mut self) {
        let now_ms = self.now().timestamp_millis();
        let since = match self.intake.since_ms {
            Some(ms) => ms - self.settings().overlap.num_milliseconds(),
            None => now_ms - self.settings().lookback.num_milliseconds(),
        };
        let waiting: HashSet<&str> = self
            .remediations
            .values()
            .filter(|r| Self::remediation_state(r) == RemediationState::Proposed)
            .map(|r| r.alert_id.as_str())
            .collect();
        let recheck: Vec<String> = if self.intake.polls % RECHECK_EVERY == 0 {
            waiting.into_iter().map(String::from).collect()
        } else {
            Vec::new()
        };
        self.intake.polls += 1;
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
            let policies = ctx.source.policies().await;
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
        self.emit_quota();
        let outcome = match result {
            Ok(outcome) => outcome,
            Err(e) => {
                self.emit(Event::Poll {
                    ok: false,
                    at: self.now(),
                    error: Some(e.to_string()),
                    new_alerts: 0,
                });
                tracing::warn!("alert poll failed: {e}");
                return;
            }
        };
        let newest_fresh = outcome.fresh.iter().map(|a| a.timestamp).max();
        let changed: Vec<(&Alert, AlertView)> = outcome
            .fresh
            .iter()
            .chain(&outcome.rechecked)
            .filter_map(|alert| self.changed_view(alert).map(|view| (alert, view)))
            .collect();
        let records: Vec<AlertRecord> = changed
            .iter()
            .map(|(alert, view)| alert_record(alert, view, self.now()))
            .collect();
        let count = records.len();
        if let Err(e) = self
            .ctx
            .journal
            .call(move |j| j.record_alerts(&records))
            .await
        {
            self.hold_intake(count, &e.to_string());
            return;
        }
        self.intake.journal_retry = None;
        // Durable before it counts: the watermark moves only past alerts now in the journal.
        if let Some(newest) = newest_fresh {
            self.intake.since_ms = Some(self.intake.since_ms.unwrap_or(newest).max(newest));
        }
        let mut new_alerts = 0;
        for (alert, view) in changed {
            if self.take_alert(alert, view).await {
                new_alerts += 1;
            }
        }
        self.emit(Event::Poll {
            ok: true,
            at: self.now(),
            error: None,
            new_alerts,
        });
        if self.intake.since_ms.is_none() {
            self.intake.since_ms =
                Some(self.now().timestamp_millis() - self.settings().overlap.num_milliseconds());
        }
        for alert_id in std::mem::take(&mut self.intake.reconsider) {
            self.consider_alert(&alert_id, false).await;
        }
        self.expire_proposals().await;
    }

    /// The journal refused this poll's alerts: nothing of them counts (the watermark stays), and the
    /// next poll, after a backoff, reads and journals them again.
    fn hold_intake(&mut self, count: usize, error: &str) {
        let now = self.instant();
        let retry = Retry::after_failure(
            self.intake.journal_retry.as_ref(),
            JOURNAL_BACKOFF,
            now,
            jitter_draw(),
            None,
            "the journal refused the write".into(),
        );
        let text = format!(
            "{count} alert(s) not journaled ({error}); intake holds at the last journaled alert: {}",
            retry.describe(now)
        );
        self.intake.journal_retry = Some(retry);
        self.notice(Level::Error, text.clone());
        self.emit(Event::Poll {
            ok: false,
            at: self.now(),
            error: Some(text),
            new_alerts: 0,
        });
    }

    /// The alert's view when it is new or differs from what is shown; `None` when unchanged.
    fn changed_view(&self, alert: &Alert) -> Option<AlertView> {
        let mut view = alert_view(alert);
        if let Some(old) = self.alerts.get(&view.id) {
            view.note = old.note.clone();
            if *old == view && self.resolving.identities.contains_key(&view.id) {
                return None;
            }
        }
        Some(view)
    }

    /// Shows a journaled alert and considers it; returns true when it was new.
    async fn take_alert(&mut self, alert: &Alert, view: AlertView) -> bool {
        let is_new = !self.alerts.contains_key(&view.id);
        let id = view.id.clone();
        if let Some(user) = alert.user_principal() {
            self.resolving
                .identities
                .insert(id.clone(), user.to_string());
        }
        let closed = view.resolution != Resolution::Open;
        self.alerts.insert(id.clone(), view.clone());
        self.emit(Event::AlertSeen(view));
        if closed {
            self.resolving.retries.remove(&id);
            self.withdraw_proposals(&id, "alert closed in Cloud App Security")
                .await;
        } else {
            self.consider_alert(&id, false).await;
        }
        is_new
    }
}

/// The journal's record of an alert: display fields cleaned, the user exactly as the alert names it.
fn alert_record(alert: &Alert, view: &AlertView, seen_at: DateTime<Utc>) -> AlertRecord {
    AlertRecord {
        id: view.id.clone(),
        policy_id: view.policy_id.clone(),
        title: view.title.clone(),
        user: alert.user_principal().unwrap_or_default().to_string(),
        severity: alert.severity.as_ref().map(|s| s.value()).unwrap_or(-1),
        resolution: alert
            .resolution_status
            .as_ref()
            .map(|r| r.value())
            .unwrap_or(0),
        timestamp_ms: alert.timestamp,
        raw: serde_json::to_value(alert).unwrap_or_default(),
        seen_at,
    }
}
