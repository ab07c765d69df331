//! Intake: polls the alert sources for new and changed alerts, journals them, then considers each one.

use std::collections::HashSet;

use crate::alert::{PolicyState, SourceAlert, SourceKind, stored};
use crate::api::ApiError;
use crate::store::AlertRecord;

use super::core::{Ctx, Engine, Internal, RECHECK_EVERY};
use super::interface::{AlertView, Event, Level, PolicyView, RemediationState, Resolution};
use super::job::Asked;
use super::source::{AlertRef, Fetched, Marks, SourcePolicy};
use super::views::{alert_view, policy_view};

/// The policy list is read again every this many polls: a policy disabled or gone is noticed.
const POLICY_REFRESH_EVERY: u64 = 12;

/// One poll's findings: alerts new or changed since each source's watermark, and the current state of alerts
/// we wait on.
pub(super) struct PollOutcome {
    pub fresh: Fetched,
    pub rechecked: Vec<SourceAlert>,
}

async fn poll(ctx: &Ctx, since: Marks, recheck: Vec<AlertRef>) -> Result<PollOutcome, ApiError> {
    let mut fresh = ctx.source.alerts_since(&since).await;
    if fresh.alerts.is_empty()
        && !fresh.failures.is_empty()
        && fresh.failures.len() == ctx.source.kinds().len()
    {
        return Err(fresh.failures.remove(0).1);
    }
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
        if !self.intake_held() && self.intake.try_start_poll() {
            self.spawn_poll();
        }
    }

    /// An analyst's refresh: starts a poll now, or right after the one running (queued, not dropped).
    pub fn refresh(&mut self) {
        if self.intake_held() {
            return;
        }
        if self.intake.request_poll() == Asked::Start {
            self.spawn_poll();
        }
    }

    /// A poll ended: runs the refresh asked for meanwhile, unless intake now holds (its retry polls).
    pub fn poll_finished(&mut self) {
        if self.intake.finish_poll() {
            if self.intake_held() {
                self.intake.finish_poll();
            } else {
                self.spawn_poll();
            }
        }
    }

    /// Whether intake waits for the journal (polled alerts it could not write).
    fn intake_held(&self) -> bool {
        self.intake.held(self.instant())
    }

    fn spawn_poll(&mut self) {
        let now_ms = self.now().timestamp_millis();
        let since: Marks = self
            .ctx
            .source
            .kinds()
            .into_iter()
            .map(|kind| {
                let ms = match self.intake.watermark(kind) {
                    Some(ms) => ms - self.settings().overlap.num_milliseconds(),
                    None => now_ms - self.settings().lookback.num_milliseconds(),
                };
                (kind, ms)
            })
            .collect();
        let waiting: HashSet<&str> = self
            .remediations
            .rows()
            .filter(|r| Self::remediation_state(r) == RemediationState::Proposed)
            .map(|r| r.alert_id.as_str())
            .collect();
        let polls_before = self.intake.begin_poll();
        let recheck: Vec<AlertRef> = if polls_before % RECHECK_EVERY == 0 {
            waiting
                .into_iter()
                .map(|id| AlertRef::new(id, self.graph_id_of(id)))
                .collect()
        } else {
            Vec::new()
        };
        if polls_before % POLICY_REFRESH_EVERY == POLICY_REFRESH_EVERY - 1 {
            self.start_policy_refresh();
        }
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

    pub async fn on_policies(&mut self, result: Result<Vec<SourcePolicy>, ApiError>) {
        match result {
            Ok(policies) => {
                if self.ctx.source.kinds().contains(&SourceKind::Cas) {
                    self.succession.listed(
                        policies
                            .iter()
                            .map(|p| PolicyState {
                                id: p.id.clone(),
                                name: p.name.clone(),
                                enabled: p.enabled,
                            })
                            .collect(),
                    );
                }
                for policy in policies {
                    let mut view = policy_view(&policy, self.settings(), self.mode_of(&policy.id));
                    view.warning = self.policies.view(&view.id).and_then(|p| p.warning.clone());
                    self.set_policy(view);
                }
            }
            Err(e) => self.notice(Level::Warn, format!("policies not loaded: {e}")),
        }
        self.check_successions();
    }

    pub fn set_policy(&mut self, view: PolicyView) {
        if self.policies.show(view.clone()) {
            self.emit(Event::PolicyChanged(view));
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
        let failed: Vec<String> = outcome
            .fresh
            .failures
            .iter()
            .map(|(kind, e)| format!("{}: {e}", kind.as_str()))
            .collect();
        for failure in &failed {
            tracing::warn!("alert source failed (the others' alerts count): {failure}");
        }
        let newest = outcome.fresh.newest;
        let read: Vec<SourceAlert> = outcome
            .fresh
            .alerts
            .into_iter()
            .chain(outcome.rechecked)
            .collect();
        let polled = self.with_known(read).await;
        for alert in &polled {
            self.succession.learn(alert);
        }
        let changed: Vec<(&SourceAlert, AlertView)> = polled
            .iter()
            .filter_map(|alert| self.changed_view(alert).map(|view| (alert, view)))
            .collect();
        let records: Vec<AlertRecord> = changed
            .iter()
            .map(|(alert, view)| stored::record(alert, &view.policy_id, self.now()))
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
        self.intake.journaled();
        // Durable before it counts: the watermark moves only past alerts now in the journal, and only to a
        // time the service gave (an empty poll leaves it unset: the next one reads the configured look-back,
        // so a host clock ahead of the service never skips alerts it has not raised yet).
        for (kind, newest) in newest {
            self.intake.advance(kind, newest);
        }
        let mut new_alerts = 0;
        for (alert, view) in changed {
            if self.take_alert(alert, view).await {
                new_alerts += 1;
            }
        }
        self.emit(Event::Poll {
            ok: failed.is_empty(),
            at: self.now(),
            error: (!failed.is_empty()).then(|| failed.join("; ")),
            new_alerts,
        });
        for alert_id in self.intake.take_reconsider() {
            self.consider_alert(&alert_id, false).await;
        }
        self.expire_proposals().await;
        self.check_successions();
    }

    /// The journal refused this poll's alerts: nothing of them counts (the watermark stays), and the
    /// next poll, after a backoff, reads and journals them again.
    fn hold_intake(&mut self, count: usize, error: &str) {
        let now = self.instant();
        let retry = self.intake.hold(now);
        let text = format!(
            "{count} alert(s) not journaled ({error}); intake holds at the last journaled alert: {}",
            retry.describe(now)
        );
        self.notice(Level::Error, text.clone());
        self.emit(Event::Poll {
            ok: false,
            at: self.now(),
            error: Some(text),
            new_alerts: 0,
        });
    }

    /// The alert's view when it is new or differs from what is shown; `None` when unchanged.
    fn changed_view(&self, alert: &SourceAlert) -> Option<AlertView> {
        let matched = self.settings().binding_for(alert);
        let mut view = alert_view(alert, matched.as_ref());
        if let Some(old) = self.alerts.get(&view.id) {
            view.note = old.note.clone();
            let remembered = self.resolver.knows(&view.id);
            if self.alerts.shows(&view) && remembered {
                return None;
            }
        }
        Some(view)
    }

    /// Shows a journaled alert and considers it; returns true when it was new.
    async fn take_alert(&mut self, alert: &SourceAlert, view: AlertView) -> bool {
        let is_new = !self.alerts.contains(&view.id);
        let id = alert.key.to_string();
        self.resolver.remember_subject(&id, alert);
        let closed = view.resolution != Resolution::Open;
        self.alerts.show(id.clone(), view.clone());
        self.emit(Event::AlertSeen(view));
        if closed {
            self.resolver.stop_retrying(&id);
            let source = if alert.seen_by.contains(&SourceKind::Cas) {
                "Cloud App Security"
            } else {
                "Microsoft Graph"
            };
            self.withdraw_proposals(&id, &format!("alert closed in {source}"))
                .await;
        } else {
            self.consider_alert(&id, false).await;
        }
        is_new
    }
}
