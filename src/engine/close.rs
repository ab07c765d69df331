//! Close: when a flow asks for it and every step succeeded, the alert is closed as true positive.

use crate::api::CloseAs;
use crate::store::AuditEntry;

use super::core::{Engine, Internal};
use super::interface::{Closure, Level, RemediationState, Resolution};

impl Engine {
    /// Closes the alert in Cloud App Security if its flow says so and all its remediations succeeded.
    pub fn maybe_close_alert(&mut self, alert_id: &str) {
        if !self.leads() || self.close_decided.contains(alert_id) {
            return;
        }
        let Some(alert) = self.alerts.get(alert_id) else {
            return;
        };
        if alert.resolution != Resolution::Open {
            return;
        }
        let rows: Vec<_> = self
            .remediations
            .values()
            .filter(|r| r.alert_id == alert_id)
            .collect();
        let Some(first) = rows.first() else {
            return;
        };
        let closes = self
            .settings()
            .flows
            .get(&first.flow_id)
            .is_some_and(|f| f.close_alert);
        if !closes {
            return;
        }
        let states: Vec<RemediationState> =
            rows.iter().map(|r| Self::remediation_state(r)).collect();
        if !states.iter().all(|s| s.is_final()) {
            return;
        }
        let succeeded = states
            .iter()
            .filter(|s| **s == RemediationState::Succeeded)
            .count();
        let unsuccessful = states
            .iter()
            .filter(|s| **s != RemediationState::Succeeded && **s != RemediationState::Skipped)
            .count();
        if succeeded == 0 || unsuccessful > 0 {
            self.notice(
                Level::Warn,
                format!(
                    "{} left open: {unsuccessful} of {} remediations did not succeed",
                    self.alert_label(alert_id),
                    rows.len()
                ),
            );
            self.close_decided.insert(alert_id.to_string());
            return;
        }
        let mut lines: Vec<String> = rows
            .iter()
            .map(|r| {
                format!(
                    "{} {} {} ({})",
                    r.machine_name,
                    r.action,
                    r.state.as_str(),
                    r.provider_action_id.as_deref().unwrap_or("-")
                )
            })
            .collect();
        lines.sort();
        let comment = format!(
            "remedy flow {} finished: {}",
            first.flow_id,
            lines.join("; ")
        );
        self.close_decided.insert(alert_id.to_string());
        self.close_alert(
            alert_id.to_string(),
            Closure::TruePositive,
            comment,
            "remedy".into(),
        );
    }

    /// Closes an alert in Cloud App Security and audits it; the result comes back as a message.
    pub fn close_alert(&self, alert_id: String, closure: Closure, comment: String, who: String) {
        if !self.jobs.close.try_start(&alert_id) {
            self.notice(
                Level::Warn,
                format!(
                    "{} is being closed already; not sent twice",
                    self.alert_label(&alert_id)
                ),
            );
            return;
        }
        let ctx = self.ctx.clone();
        let label = self.alert_label(&alert_id);
        tokio::spawn(async move {
            let done = alert_id.clone();
            let how = match closure {
                Closure::TruePositive => CloseAs::TruePositive,
                Closure::Benign { reason_id } => CloseAs::Benign {
                    reason_id: u32::from(reason_id),
                },
                Closure::FalsePositive { reason_id } => CloseAs::FalsePositive {
                    reason_id: u32::from(reason_id),
                },
            };
            let result = ctx.source.close_alert(&alert_id, how, &comment).await;
            let (outcome, resolution) = match &result {
                Ok(out) if out.not_found.is_empty() => {
                    ("closed".to_string(), Some(resolution_of(closure)))
                }
                Ok(_) => ("not found in Cloud App Security".to_string(), None),
                Err(e) => (format!("failed: {e}"), None),
            };
            let entry = AuditEntry {
                at: ctx.clock.now_utc(),
                who,
                action: format!("close alert ({})", closure_word(closure)),
                target: format!("alert {alert_id}"),
                why: comment,
                result: outcome.clone(),
            };
            if let Err(e) = ctx.journal.call(move |j| j.append_audit(&entry)).await {
                ctx.notice(Level::Error, format!("audit entry not written: {e}"));
            }
            match resolution {
                Some(resolution) => {
                    ctx.notice(
                        Level::Info,
                        format!("{label} closed as {}", closure_word(closure)),
                    );
                    ctx.report(Internal::AlertResolution {
                        alert_id,
                        resolution,
                    });
                }
                None => ctx.notice(Level::Error, format!("{label} not closed: {outcome}")),
            }
            ctx.report(Internal::CloseDone { alert_id: done });
        });
    }
}

fn resolution_of(closure: Closure) -> Resolution {
    match closure {
        Closure::TruePositive => Resolution::TruePositive,
        Closure::Benign { .. } => Resolution::Benign,
        Closure::FalsePositive { .. } => Resolution::FalsePositive,
    }
}

fn closure_word(closure: Closure) -> &'static str {
    match closure {
        Closure::TruePositive => "true positive",
        Closure::Benign { .. } => "benign",
        Closure::FalsePositive { .. } => "false positive",
    }
}
