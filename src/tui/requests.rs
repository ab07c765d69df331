//! Requests to the engine: the dialogs that ask before approve, reject, cancel, close and mode changes, and
//! the command each dialog sends once confirmed.

use chrono::Duration;

use crate::engine::interface::{Closure, Command, Level, Mode, RemediationState, RemediationView};

use super::app::App;
use super::dialog::{Dialog, Pending};

impl App {
    /// The remediations an approve/reject acts on: all of the alert, the marked ones, or the selected one.
    fn targets(&self, all: bool) -> Vec<&RemediationView> {
        let rows = self.machine_rows();
        if all {
            rows
        } else if rows.iter().any(|r| self.marks.contains(&r.id)) {
            rows.into_iter()
                .filter(|r| self.marks.contains(&r.id))
                .collect()
        } else {
            rows.get(self.machines.selected)
                .map(|r| vec![*r])
                .unwrap_or_default()
        }
    }

    fn proposed_targets(
        &mut self,
        all: bool,
        verb: &str,
    ) -> Option<(Vec<String>, Vec<String>, bool)> {
        let targets = self.targets(all);
        let proposed: Vec<&RemediationView> = targets
            .iter()
            .copied()
            .filter(|r| r.state == RemediationState::Proposed)
            .collect();
        if proposed.is_empty() {
            let why = match targets.first() {
                None => "this alert has no machine actions".to_string(),
                Some(r) if targets.len() == 1 => format!("the action is {}", r.state.as_str()),
                Some(_) => "none of them is proposed".to_string(),
            };
            self.toast(Level::Info, &format!("nothing to {verb}: {why}"));
            return None;
        }
        let disruptive = proposed.iter().any(|r| r.is_disruptive());
        let lines = proposed
            .iter()
            .map(|r| {
                let warn = if r.is_disruptive() {
                    "  (disrupts the user)"
                } else {
                    ""
                };
                format!("{} on {}{warn}", r.action_label(), r.machine.name)
            })
            .collect();
        let ids = proposed.iter().map(|r| r.id.clone()).collect();
        Some((ids, lines, disruptive))
    }

    pub(super) fn ask_approve(&mut self, all: bool) {
        let Some((ids, lines, disruptive)) = self.proposed_targets(all, "approve") else {
            return;
        };
        let pending = Pending::Approve(ids);
        self.dialog = Some(if disruptive {
            Dialog::confirm("Approve disruptive action", lines, "Approve", pending)
                .with_input("reason (optional)")
        } else {
            Dialog::prompt("Approve", lines, "Approve", pending)
        });
    }

    pub(super) fn ask_reject(&mut self, all: bool) {
        if let Some((ids, lines, _)) = self.proposed_targets(all, "reject") {
            self.dialog = Some(Dialog::prompt(
                "Reject",
                lines,
                "Reject",
                Pending::Reject(ids),
            ));
        }
    }

    pub(super) fn ask_cancel(&mut self) {
        let rows = self.machine_rows();
        let Some(r) = rows.get(self.machines.selected).copied() else {
            self.toast(
                Level::Info,
                "nothing to cancel: select a machine's action first",
            );
            return;
        };
        if r.state.is_final() || r.state == RemediationState::Proposed {
            let hint = if r.state == RemediationState::Proposed {
                " (reject it instead)"
            } else {
                ""
            };
            let text = format!("cannot cancel: the action is {}{hint}", r.state.as_str());
            self.toast(Level::Info, &text);
            return;
        }
        let lines = vec![format!(
            "Stop {} on {} ({})",
            r.action_label(),
            r.machine.name,
            r.state.as_str()
        )];
        let pending = Pending::Cancel(r.id.clone());
        self.dialog = Some(
            Dialog::confirm("Cancel running action", lines, "Stop action", pending)
                .with_input("comment"),
        );
    }

    pub(super) fn ask_close(&mut self) {
        if let Some(alert) = self.selected_alert() {
            self.dialog = Some(Dialog::close_alert(&alert.id, &alert.title));
        }
    }

    pub(super) fn ask_mode(&mut self, mode: Mode) -> Vec<Command> {
        let Some(policy) = self.current_policy() else {
            self.toast(Level::Info, "no policy selected");
            return Vec::new();
        };
        let policy_id = policy.id.clone();
        if mode != Mode::Auto {
            return vec![Command::SetMode { policy_id, mode }];
        }
        let machines = self
            .model
            .machines_touched_since(&policy_id, self.now - Duration::hours(24));
        let lines = vec![
            format!("Policy: {}", policy.name),
            "remedy will run its flow on every new alert without asking.".into(),
            format!("In the last 24 h this would have acted on {machines} machine(s)."),
        ];
        self.dialog = Some(Dialog::confirm(
            "Switch to auto",
            lines,
            "Switch to auto",
            Pending::SetMode { policy_id, mode },
        ));
        Vec::new()
    }

    pub(super) fn submit(&mut self, dialog: Dialog) -> Command {
        let text = dialog.text();
        let reason = (!text.is_empty()).then(|| text.clone());
        let closure = dialog.closure().unwrap_or(Closure::TruePositive);
        match dialog.pending {
            Pending::Approve(remediation_ids) => {
                self.marks.clear();
                Command::Approve {
                    remediation_ids,
                    reason,
                }
            }
            Pending::Reject(remediation_ids) => {
                self.marks.clear();
                Command::Reject {
                    remediation_ids,
                    reason,
                }
            }
            Pending::Cancel(remediation_id) => Command::Cancel {
                remediation_id,
                comment: reason.unwrap_or_else(|| {
                    format!(
                        "Cancelled from the remedy console by {}",
                        self.model.operator
                    )
                }),
            },
            Pending::SetMode { policy_id, mode } => Command::SetMode { policy_id, mode },
            Pending::CloseAlert(alert_id) => Command::CloseAlert {
                alert_id,
                closure,
                comment: text,
            },
        }
    }
}
