//! Retry and release: a new approved remediation made from an ended one (the same action again, or the
//! action that undoes a containment), journaled with its audit entry before dispatch sends it.

use crate::store::{AuditEntry, NewRemediation, RemediationRow};

use super::core::Engine;
use super::dispatch::audit_target;
use super::interface::{ActionKind, Level, RemediationState};

/// What a front end asks to run again on a remediation's machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Rerun {
    /// The same action again, after it failed, timed out or was cancelled.
    Retry,
    /// The action that undoes a succeeded isolation or app restriction.
    Release,
}

impl Engine {
    /// Journals a new approved remediation for `source` (a new row keeps the ended one's history true and
    /// gets its own idempotency key, so Defender and crash recovery never confuse the two).
    pub(super) async fn rerun(&mut self, source: String, how: Rerun, reason: Option<String>) {
        let Some(row) = self.remediations.get(&source).cloned() else {
            self.notice(Level::Warn, "nothing to run again: the action is not known");
            return;
        };
        let action = match plan_action(&row, how) {
            Ok(action) => action,
            Err(why) => {
                self.notice(Level::Warn, why);
                return;
            }
        };
        let who = self.settings().operator.clone();
        let verb = match how {
            Rerun::Retry => "retry",
            Rerun::Release => "release",
        };
        let note = match &reason {
            Some(r) => format!("{verb} of {} by {who}: {r}", row.id),
            None => format!("{verb} of {} by {who}", row.id),
        };
        let attempt = self
            .remediations
            .rows()
            .filter(|r| r.alert_id == row.alert_id && r.machine_id == row.machine_id)
            .count();
        let new = NewRemediation {
            idempotency_key: format!("{}-{verb}{attempt}", row.idempotency_key),
            alert_id: row.alert_id.clone(),
            policy_id: row.policy_id.clone(),
            flow_id: row.flow_id.clone(),
            step: row.step,
            machine_id: row.machine_id.clone(),
            machine_name: row.machine_name.clone(),
            action: action.clone(),
            state: RemediationState::Approved,
            reason: Some(note.clone()),
            requested_by: who.clone(),
            proof: row.proof.value(),
            at: self.now(),
        };
        let target = format!("{} ({verb} of {})", audit_target(&row), row.id);
        let label = action.label();
        let result = self
            .ctx
            .journal
            .call(move |j| {
                j.atomic(|tx| {
                    let (inserted, _) = tx.insert_remediation(&new)?;
                    tx.append_audit(&AuditEntry {
                        at: new.at,
                        who,
                        action: verb.to_string(),
                        target,
                        why: reason.unwrap_or_default(),
                        result: format!("approved {} as {}", new.action.label(), inserted.id),
                    })?;
                    Ok(inserted)
                })
            })
            .await;
        match result {
            Ok(inserted) => {
                let machine = inserted.machine_name.clone();
                self.apply_rows(vec![inserted]).await;
                self.notice(
                    Level::Info,
                    format!("{label} on {machine} approved ({verb})"),
                );
            }
            Err(e) => self.notice(Level::Error, format!("{verb} not recorded: {e}")),
        }
    }
}

/// The action to run, or why `row` cannot be run again this way.
fn plan_action(row: &RemediationRow, how: Rerun) -> Result<ActionKind, String> {
    let state = Engine::remediation_state(row);
    let action = row
        .action
        .kind()
        .cloned()
        .map_err(|e| format!("cannot run it again: {e}"))?;
    match how {
        Rerun::Retry => match state {
            RemediationState::Failed | RemediationState::TimeOut | RemediationState::Cancelled => {
                Ok(action)
            }
            other => Err(format!(
                "only a failed, timed-out or cancelled action can be retried; this one is {}",
                other.as_str()
            )),
        },
        Rerun::Release => {
            if state != RemediationState::Succeeded {
                return Err(format!(
                    "only a succeeded containment can be released; this one is {}",
                    state.as_str()
                ));
            }
            action.undo().ok_or_else(|| {
                format!(
                    "{} is not a containment: nothing to release",
                    action.label()
                )
            })
        }
    }
}
