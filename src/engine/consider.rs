//! Consider: whether an alert gets remediations, resolving its user's machines (retried with backoff
//! until it succeeds) and journaling the plan the gate decided.

use std::time::Duration;

use crate::api::{ApiError, Call, MachineLookupForm};
use crate::store::NewRemediation;
use crate::text::has_hidden_chars;

use super::core::{Engine, Internal};
use super::evidence::{Subject, resolve_subject};
use super::gate::{GateInput, decide};
use super::interface::{Event, Level, Mode, RemediationState, Resolution};
use super::plan::plan;
use super::resolve::Resolved;
use super::retry::{RESOLVE_BACKOFF, Retry, asked_wait, jitter_draw, waiting_for};

/// The note of an alert whose user's machines are being looked up (until they are, or why not).
pub const RESOLVING_NOTE: &str = "resolving the user's machines…";

/// The note of an alert whose named devices are being read from Defender.
pub const RESOLVING_DEVICES_NOTE: &str = "reading the devices named in the alert…";

/// The note of an alert whose user's name hides characters.
pub const HIDDEN_IDENTITY_NOTE: &str = "account name contains invisible characters: not looked up";

impl Engine {
    /// Decides whether an alert gets proposals; starts resolving its user's machines when it does.
    /// `backlog` (after a mode change) never acts at once: it only proposes.
    pub async fn consider_alert(&mut self, alert_id: &str, backlog: bool) {
        let Some(alert) = self.alerts.get(alert_id).cloned() else {
            return;
        };
        if self.planned.contains(alert_id) || alert.resolution != Resolution::Open {
            return;
        }
        let subject = match self.subject_of(alert_id).await {
            Ok(Some(subject)) => subject,
            Ok(None) => {
                let kind = self
                    .policies
                    .view(&alert.policy_id)
                    .map(|p| p.policy_type.clone())
                    .unwrap_or_default();
                let text = if kind.is_empty() {
                    "no user or device on this alert: nothing to remediate".to_string()
                } else {
                    format!("no user or device on this alert ({kind} policy): nothing to remediate")
                };
                self.set_note(alert_id, Some(text));
                self.planned.mark(alert_id);
                return;
            }
            Err(e) => {
                self.notice(Level::Error, format!("journal unreadable: {e}"));
                self.intake.reconsider_later(alert_id);
                return;
            }
        };
        if let Subject::User(upn) = &subject
            && has_hidden_chars(upn)
        {
            tracing::warn!(
                "alert {alert_id}: user {upn:?} contains invisible characters; not looked up"
            );
            self.set_note(alert_id, Some(HIDDEN_IDENTITY_NOTE.into()));
            self.planned.mark(alert_id);
            return;
        }
        if !self.settings().bindings.contains_key(&alert.policy_id) {
            self.set_note(alert_id, Some("no flow bound to this policy".into()));
            return;
        }
        let mode = self.mode_of(&alert.policy_id);
        if mode == Mode::Off {
            self.set_note(
                alert_id,
                Some("policy mode is off: nothing proposed".into()),
            );
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
                self.planned.mark(alert_id);
                self.apply_rows(rows).await;
                return;
            }
            Ok(_) => {}
            Err(e) => {
                self.notice(Level::Error, format!("journal unreadable: {e}"));
                self.intake.reconsider_later(alert_id);
                return;
            }
        }
        self.planned.mark(alert_id);
        let mode = if backlog { Mode::Approve } else { mode };
        if let Some(resolved) =
            self.resolver
                .cached(&subject, self.instant(), self.settings().resolve_cache_ttl)
        {
            self.on_resolved(alert_id.to_string(), subject, mode, Ok(resolved))
                .await;
            return;
        }
        let note = match &subject {
            Subject::User(_) => RESOLVING_NOTE,
            Subject::Devices(_) => RESOLVING_DEVICES_NOTE,
        };
        self.set_note(alert_id, Some(note.into()));
        self.spawn_resolve(alert_id.to_string(), subject, mode, Duration::ZERO);
    }

    /// Resolves the subject's machines after `wait`, reporting back as [`Internal::Resolved`].
    fn spawn_resolve(&self, alert_id: String, subject: Subject, mode: Mode, wait: Duration) {
        let ctx = self.ctx.clone();
        tokio::spawn(async move {
            tokio::time::sleep(wait).await;
            let result = resolve_subject(ctx.provider.as_ref(), &subject, &ctx.settings).await;
            ctx.report(Internal::Resolved {
                alert_id,
                subject,
                mode,
                result,
            });
        });
    }

    /// Sets (or clears) the alert's note and tells front ends when it changed.
    fn set_note(&mut self, alert_id: &str, text: Option<String>) {
        if self.alerts.get(alert_id).is_some_and(|a| a.note != text)
            && let Some(view) = self.alerts.update(alert_id, |a| a.note = text)
        {
            self.emit(Event::AlertSeen(view));
        }
    }

    /// A failed resolve is tried again after a backoff; the alert's note says what it waits for.
    fn retry_resolve(&mut self, alert_id: String, subject: Subject, mode: Mode, error: &ApiError) {
        let now = self.instant();
        let retry = Retry::after_failure(
            self.resolver.retry_of(&alert_id),
            RESOLVE_BACKOFF,
            now,
            jitter_draw(),
            asked_wait(error),
            waiting_for(error),
        );
        tracing::warn!(
            "machines of alert {alert_id} not resolved (failure {}): {error}",
            retry.failures
        );
        let one_by_one = self.ctx.provider.lookup_form() == MachineLookupForm::OneByOne
            && error.call() == Some(Call::ListMachines);
        let note = if one_by_one {
            format!(
                "resolving: Defender refused the batch lookup, retrying one by one ({})",
                retry.describe(now)
            )
        } else {
            format!("resolving: {}", retry.describe(now))
        };
        self.set_note(&alert_id, Some(note));
        let wait = retry.wait(now);
        self.resolver.wait(alert_id.clone(), retry);
        self.spawn_resolve(alert_id, subject, mode, wait);
    }

    /// Says once when Defender refused the batched machine lookup and the client switched form.
    fn note_lookup_form(&mut self) {
        let form = self.ctx.provider.lookup_form();
        if self.resolver.lookup_form_changed(form) {
            self.notice(
                Level::Warn,
                format!(
                    "Defender refused the batch lookup: machines are looked up {form} from now on"
                ),
            );
        }
    }

    pub async fn on_resolved(
        &mut self,
        alert_id: String,
        subject: Subject,
        mode: Mode,
        result: Result<Resolved, ApiError>,
    ) {
        self.emit_quota();
        self.note_lookup_form();
        let Some(alert) = self.alerts.get(&alert_id).cloned() else {
            self.resolver.stop_retrying(&alert_id);
            return;
        };
        if alert.resolution != Resolution::Open {
            self.resolver.stop_retrying(&alert_id);
            return;
        }
        let resolved = match result {
            Ok(resolved) => resolved,
            Err(e) => return self.retry_resolve(alert_id, subject, mode, &e),
        };
        let now = self.instant();
        self.resolver
            .resolved(&alert_id, &subject, now, resolved.clone());
        let note = (!resolved.notes.is_empty()).then(|| resolved.notes.join("; "));
        self.set_note(&alert_id, note);
        // The mode as the journal holds it at this moment: a colleague may have switched the
        // policy off (or down to approve) while the machines were being looked up.
        let mode = mode.min(self.mode_now(&alert.policy_id).await);
        if mode == Mode::Off {
            self.set_note(
                &alert_id,
                Some("policy mode is off: nothing proposed".into()),
            );
            return;
        }
        let settings = self.ctx.settings.clone();
        let Some(binding) = settings.bindings.get(&alert.policy_id) else {
            return;
        };
        let Some(flow) = settings.flows.get(&binding.flow_id) else {
            return;
        };
        let since = self.now() - chrono::Duration::hours(1);
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
            now: self.now(),
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
            self.now(),
        );
        self.journal_planned(&alert_id, planned).await;
    }

    /// Remediations of `policy_id` approved but not yet sent: they count against the hourly limit
    /// before Defender has them, or alerts planned in one burst would all pass it.
    fn about_to_leave(&self, policy_id: &str) -> u64 {
        self.remediations
            .rows()
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

    async fn journal_planned(&mut self, alert_id: &str, planned: Vec<NewRemediation>) {
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
                        if created && new.state == RemediationState::Approved {
                            tx.append_audit(&crate::store::AuditEntry {
                                at: new.at,
                                who: new.requested_by.clone(),
                                action: "approve".into(),
                                target: format!(
                                    "alert {} machine {} ({}) {}",
                                    new.alert_id,
                                    new.machine_name,
                                    new.machine_id,
                                    new.action.defender_type()
                                ),
                                why: new.reason.clone().unwrap_or_default(),
                                result: RemediationState::Approved.as_str().into(),
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
            Err(e) => {
                // Not lost: the next poll considers the alert again (its machines are cached).
                self.planned.forget(alert_id);
                self.intake.reconsider_later(alert_id);
                self.notice(
                    Level::Error,
                    format!(
                        "proposals of {} not journaled, retried on the next poll: {e}",
                        self.alert_label(alert_id)
                    ),
                );
            }
        }
    }
}
