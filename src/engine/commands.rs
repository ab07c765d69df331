//! Commands from front ends: approve, reject, set mode, cancel, close, mark read, refresh, resync.

use chrono::{DateTime, Utc};

use crate::store::{AuditEntry, Journal, RemediationRow, StoreError};

use super::core::{Engine, Internal};
use super::dispatch::audit_target;
use super::interface::{Command, Event, Level, Mode, RemediationState};
use super::rerun::Rerun;

impl Engine {
    pub async fn handle_command(&mut self, command: Command) {
        let acts = !matches!(
            command,
            Command::Refresh
                | Command::Resync
                | Command::MarkRead { .. }
                | Command::History { .. }
                | Command::OlderAlerts { .. }
        );
        if acts && self.settings().read_only {
            self.notice(
                Level::Warn,
                "read-only: remedy was started with --read-only, so it cannot act",
            );
            return;
        }
        match command {
            Command::Approve {
                remediation_ids,
                reason,
            } => self.decide(remediation_ids, true, reason).await,
            Command::Reject {
                remediation_ids,
                reason,
            } => self.decide(remediation_ids, false, reason).await,
            Command::SetMode { policy_id, mode } => self.set_mode(policy_id, mode).await,
            Command::Cancel {
                remediation_id,
                comment,
            } => self.cancel(remediation_id, comment),
            Command::CloseAlert {
                alert_id,
                closure,
                comment,
            } => {
                let who = self.settings().operator.clone();
                self.close_alert(alert_id, closure, comment, who);
            }
            Command::MarkRead { alert_id } => self.mark_read(alert_id),
            Command::Retry {
                remediation_id,
                reason,
            } => self.rerun(remediation_id, Rerun::Retry, reason).await,
            Command::Release {
                remediation_id,
                reason,
            } => self.rerun(remediation_id, Rerun::Release, reason).await,
            Command::History { alert_id } => {
                self.send_full_alert(&alert_id);
                self.send_history(alert_id);
            }
            Command::OlderAlerts { after, filter } => self.send_older_alerts(after, filter),
            Command::Refresh => self.refresh(),
            Command::Resync => self.emit(self.snapshot()),
        }
    }

    /// Approves exactly the proposals named (the console lists each one in its dialog, later steps
    /// included); a rejection also rejects the later steps of the same flow on the same machine, which
    /// can no longer run.
    async fn decide(&mut self, ids: Vec<String>, approve: bool, reason: Option<String>) {
        let mut targets = Vec::new();
        for id in &ids {
            let Some(row) = self.remediations.get(id) else {
                continue;
            };
            for r in self.remediations.of_alert(&row.alert_id) {
                let covered = if approve {
                    r.id == row.id
                } else {
                    r.flow_id == row.flow_id && r.machine_id == row.machine_id && r.step >= row.step
                };
                if covered
                    && Self::remediation_state(r) == RemediationState::Proposed
                    && !targets.contains(&r.id)
                {
                    targets.push(r.id.clone());
                }
            }
        }
        if targets.is_empty() {
            self.notice(
                Level::Warn,
                "nothing to decide: no waiting proposal selected",
            );
            return;
        }
        let who = self.settings().operator.clone();
        let (to, decision) = if approve {
            (RemediationState::Approved, "approve")
        } else {
            (RemediationState::Rejected, "reject")
        };
        let count = targets.len();
        let ids = targets;
        let note = match &reason {
            Some(r) => format!("{decision} by {who}: {r}"),
            None => format!("{decision} by {who}"),
        };
        let decision_record = Decision {
            to,
            at: self.now(),
            decision,
            recorded: decision,
            who,
            why: reason,
            note,
        };
        let result = self
            .ctx
            .journal
            .call(move |j| decision_record.apply(j, &ids))
            .await;
        match result {
            Ok(rows) => {
                let done = rows.len();
                self.apply_rows(rows).await;
                self.notice(Level::Info, format!("{decision}d {done} of {count}"));
            }
            Err(e) => self.notice(Level::Error, format!("{decision} not recorded: {e}")),
        }
    }

    async fn set_mode(&mut self, policy_id: String, mode: Mode) {
        if !self.settings().bindings.contains_key(&policy_id) {
            self.notice(
                Level::Warn,
                "this policy has no flow bound; bind one under [policies] in the config first",
            );
            return;
        }
        let from = self.mode_of(&policy_id);
        let who = self.settings().operator.clone();
        let id = policy_id.clone();
        let at = self.now();
        let result = self
            .ctx
            .journal
            .call(move |j| {
                j.atomic(|tx| {
                    tx.set_mode(&id, mode.as_str(), &who, at)?;
                    tx.append_audit(&AuditEntry {
                        at,
                        who: who.clone(),
                        action: "set mode".into(),
                        target: format!("policy {id}"),
                        why: format!("{} → {}", from.as_str(), mode.as_str()),
                        result: mode.as_str().into(),
                    })?;
                    Ok(())
                })
            })
            .await;
        if let Err(e) = result {
            self.notice(Level::Error, format!("mode not changed: {e}"));
            return;
        }
        self.policies.set_mode(&policy_id, mode);
        if let Some(view) = self.policies.view_with_mode(&policy_id, mode) {
            self.set_policy(view);
        }
        self.notice(
            Level::Info,
            format!(
                "{} mode {} → {}",
                self.policy_label(&policy_id),
                from.as_str(),
                mode.as_str()
            ),
        );
        if from == Mode::Off && mode != Mode::Off {
            let open: Vec<String> = self
                .alerts
                .views()
                .filter(|a| a.policy_id == policy_id)
                .map(|a| a.id.clone())
                .collect();
            for alert_id in open {
                self.consider_alert(&alert_id, true).await;
            }
        }
    }

    fn cancel(&mut self, remediation_id: String, comment: String) {
        let Some(row) = self.remediations.get(&remediation_id).cloned() else {
            return;
        };
        let Some(action_id) = row.provider_action_id.clone() else {
            self.notice(
                Level::Warn,
                "nothing to cancel: this action has not reached Defender",
            );
            return;
        };
        let ctx = self.ctx.clone();
        let who = self.settings().operator.clone();
        tokio::spawn(async move {
            let result = ctx.provider.cancel(&action_id, &comment).await;
            let outcome = match &result {
                Ok(action) => format!("Defender says {}", action.status),
                Err(e) => format!("refused: {e}"),
            };
            let entry = AuditEntry {
                at: ctx.clock.now_utc(),
                who,
                action: "cancel".into(),
                target: audit_target(&row),
                why: comment,
                result: outcome.clone(),
            };
            if let Err(e) = ctx.journal.call(move |j| j.append_audit(&entry)).await {
                ctx.notice(Level::Error, format!("audit entry not written: {e}"));
            }
            match result {
                Ok(_) => ctx.notice(
                    Level::Info,
                    format!("cancel requested for {}", row.machine_name),
                ),
                Err(e) => ctx.notice(Level::Error, format!("cancel refused: {e}")),
            }
        });
    }

    fn mark_read(&self, alert_id: String) {
        let ctx = self.ctx.clone();
        let target = super::source::AlertRef::new(&alert_id, self.graph_id_of(&alert_id));
        tokio::spawn(async move {
            match ctx.source.mark_read(&target).await {
                Ok(()) => ctx.report(Internal::AlertRead { alert_id }),
                Err(e) => ctx.notice(Level::Warn, format!("not marked read: {e}")),
            }
        });
    }

    /// Waiting proposals of a closed alert are withdrawn (rejected, with the reason).
    pub async fn withdraw_proposals(&mut self, alert_id: &str, why: &str) {
        let ids: Vec<String> = self
            .remediations
            .rows()
            .filter(|r| {
                r.alert_id == alert_id && Self::remediation_state(r) == RemediationState::Proposed
            })
            .map(|r| r.id.clone())
            .collect();
        self.end_proposals(ids, RemediationState::Rejected, "withdraw", why)
            .await;
    }

    /// Proposals older than the configured time expire (count as rejected).
    pub async fn expire_proposals(&mut self) {
        let cutoff = self.now() - self.settings().proposal_ttl;
        let ids: Vec<String> = self
            .remediations
            .rows()
            .filter(|r| {
                Self::remediation_state(r) == RemediationState::Proposed && r.created_at < cutoff
            })
            .map(|r| r.id.clone())
            .collect();
        let why = format!("no decision within {}", span(self.settings().proposal_ttl));
        self.end_proposals(ids, RemediationState::Expired, "expire", &why)
            .await;
    }

    async fn end_proposals(
        &mut self,
        ids: Vec<String>,
        to: RemediationState,
        decision: &'static str,
        why: &str,
    ) {
        if ids.is_empty() || self.settings().read_only {
            return;
        }
        // The journal records approve, reject and expire: a withdrawal is a reject by remedy.
        let recorded = if to == RemediationState::Expired {
            "expire"
        } else {
            "reject"
        };
        let decision_record = Decision {
            to,
            at: self.now(),
            decision,
            recorded,
            who: "remedy".into(),
            why: Some(why.to_string()),
            note: why.to_string(),
        };
        let result = self
            .ctx
            .journal
            .call(move |j| decision_record.apply(j, &ids))
            .await;
        match result {
            Ok(rows) => self.apply_rows(rows).await,
            Err(e) => self.notice(Level::Error, format!("proposals not ended: {e}")),
        }
    }

    pub fn on_alert_resolution(
        &mut self,
        alert_id: &str,
        resolution: super::interface::Resolution,
    ) {
        if let Some(view) = self.alerts.update(alert_id, |a| a.resolution = resolution) {
            self.emit(Event::AlertSeen(view));
        }
    }

    pub fn on_alert_read(&mut self, alert_id: &str) {
        if self.alerts.get(alert_id).is_some_and(|a| !a.read)
            && let Some(view) = self.alerts.update(alert_id, |a| a.read = true)
        {
            self.emit(Event::AlertSeen(view));
        }
    }
}

/// A decision on waiting proposals: each moves `proposed → to`, with an approval record and an audit
/// entry, all in one transaction.
struct Decision {
    to: RemediationState,
    /// When it was decided (one time stamp for every row, record and audit entry).
    at: DateTime<Utc>,
    /// The audit action: approve, reject, withdraw, expire.
    decision: &'static str,
    /// The approval record: approve, reject or expire.
    recorded: &'static str,
    who: String,
    why: Option<String>,
    note: String,
}

impl Decision {
    fn apply(
        self,
        journal: &mut Journal,
        ids: &[String],
    ) -> Result<Vec<RemediationRow>, StoreError> {
        let at = self.at;
        journal.atomic(|tx| {
            let mut rows = Vec::new();
            for id in ids {
                let Some(row) = tx.transition_if(
                    id,
                    RemediationState::Proposed,
                    self.to,
                    Some(&self.note),
                    at,
                )?
                else {
                    continue;
                };
                tx.record_approval(id, self.recorded, &self.who, self.why.as_deref(), at)?;
                tx.append_audit(&AuditEntry {
                    at,
                    who: self.who.clone(),
                    action: self.decision.into(),
                    target: audit_target(&row),
                    why: self.why.clone().unwrap_or_default(),
                    result: self.to.as_str().into(),
                })?;
                rows.push(row);
            }
            Ok(rows)
        })
    }
}

/// A duration in the largest whole unit that fits: "24 h", "30 min", "1 s".
fn span(d: chrono::Duration) -> String {
    let secs = d.num_seconds();
    if secs >= 3600 && secs % 3600 == 0 {
        format!("{} h", secs / 3600)
    } else if secs >= 60 && secs % 60 == 0 {
        format!("{} min", secs / 60)
    } else {
        format!("{secs} s")
    }
}
