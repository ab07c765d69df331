//! Close: when a flow asks for it and every step succeeded (or was covered by an action that succeeded), the
//! alert is closed as true positive.

use crate::store::AuditEntry;

use super::core::{Engine, Internal};
use super::interface::{Closure, GraphClassification, Level, RemediationState, Resolution};
use super::source::{AlertRef, Closed};

impl Engine {
    /// Closes the alert at its source(s) if its flow says so and all its remediations succeeded.
    pub fn maybe_close_alert(&mut self, alert_id: &str) {
        if !self.leads() || self.closer.is_decided(alert_id) {
            return;
        }
        let Some(alert) = self.alerts.get(alert_id) else {
            return;
        };
        if alert.resolution != Resolution::Open {
            return;
        }
        let rows: Vec<_> = self.remediations.of_alert(alert_id).collect();
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
        // A remediation skipped because a succeeded action covers it (cool-down) counts as succeeded.
        let succeeded = rows
            .iter()
            .zip(&states)
            .filter(|(r, s)| {
                **s == RemediationState::Succeeded
                    || (**s == RemediationState::Skipped && r.cover.is_some())
            })
            .count();
        let unsuccessful = states
            .iter()
            .filter(|s| **s != RemediationState::Succeeded && **s != RemediationState::Skipped)
            .count();
        if succeeded == 0 || unsuccessful > 0 {
            let why = if unsuccessful > 0 {
                format!(
                    "{unsuccessful} of {} remediations did not succeed",
                    rows.len()
                )
            } else {
                format!("none of its {} remediations ran (all skipped)", rows.len())
            };
            self.notice(
                Level::Warn,
                format!("{} left open: {why}", self.alert_label(alert_id)),
            );
            self.closer.decide(alert_id);
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
        self.closer.decide(alert_id);
        self.close_alert(
            alert_id.to_string(),
            Closure::TruePositive,
            comment,
            "remedy".into(),
        );
    }

    /// Closes an alert at its source(s) and audits it; the result comes back as a message.
    pub fn close_alert(&self, alert_id: String, closure: Closure, comment: String, who: String) {
        if !self.closer.start_call(&alert_id) {
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
        let graph_id = self.graph_id_of(&alert_id);
        let label = self.alert_label(&alert_id);
        tokio::spawn(async move {
            let done = alert_id.clone();
            let graph_id = match graph_id {
                Some(id) => Some(id),
                None => stored_graph_id(&ctx, &alert_id).await,
            };
            let target = AlertRef::new(&alert_id, graph_id);
            let result = ctx.source.close_alert(&target, closure, &comment).await;
            let (outcome, resolution) = match &result {
                Ok(Closed::Closed) => ("closed".to_string(), Some(resolution_of(closure))),
                Ok(Closed::NotFound(source)) => (format!("not found in {}", source.as_str()), None),
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

/// The Graph id the journal holds for the alert (after a restart, the console's view of it has none).
async fn stored_graph_id(ctx: &super::core::Ctx, alert_id: &str) -> Option<String> {
    let id = alert_id.to_string();
    let row = ctx.journal.call(move |j| j.alert(&id)).await.ok()??;
    crate::alert::stored::from_row(&row).ok()?.graph_id
}

fn resolution_of(closure: Closure) -> Resolution {
    match closure {
        Closure::TruePositive => Resolution::TruePositive,
        Closure::Benign { .. } => Resolution::Benign,
        Closure::FalsePositive { .. } => Resolution::FalsePositive,
        Closure::Graph { classification, .. } => match classification {
            GraphClassification::TruePositive => Resolution::TruePositive,
            GraphClassification::InformationalExpectedActivity => Resolution::Benign,
            GraphClassification::FalsePositive => Resolution::FalsePositive,
        },
    }
}

fn closure_word(closure: Closure) -> String {
    match closure {
        Closure::TruePositive => "true positive".into(),
        Closure::Benign { .. } => "benign".into(),
        Closure::FalsePositive { .. } => "false positive".into(),
        Closure::Graph {
            classification,
            determination,
        } => format!("{}, {}", classification.as_str(), determination.as_str()),
    }
}
