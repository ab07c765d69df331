//! Requests to the engine: the dialogs that ask before approve, reject, cancel, close and mode changes, and
//! the command each dialog sends once confirmed.

use chrono::Duration;

use crate::engine::interface::{
    Closure, Command, Level, Mode, PolicyView, RemediationState, RemediationView,
};

use super::app::{App, Targets};
use super::dialog::{Dialog, Pending};

impl App {
    /// The proposals an approve/reject covers: each target that is proposed and the later proposed
    /// steps of its flow on the same machine. Each is listed in the dialog ("Full scan, then collect
    /// investigation package on ZOE-LAPTOP"), and exactly those are sent.
    fn proposed_targets(
        &mut self,
        targets: &Targets,
        verb: &str,
    ) -> Option<(Vec<String>, Vec<String>, bool)> {
        let targets = self.targets(targets);
        let mut covered: Vec<&RemediationView> = Vec::new();
        for target in targets
            .iter()
            .filter(|r| r.state == RemediationState::Proposed)
        {
            let mut chain: Vec<&RemediationView> = self
                .model
                .remediations_of(&target.alert_id)
                .filter(|r| {
                    r.flow_id == target.flow_id
                        && r.machine.id == target.machine.id
                        && r.step >= target.step
                        && r.state == RemediationState::Proposed
                })
                .collect();
            chain.sort_by_key(|r| r.step);
            for r in chain {
                if !covered.iter().any(|c| c.id == r.id) {
                    covered.push(r);
                }
            }
        }
        if covered.is_empty() {
            let why = match targets.first() {
                None => "this alert has no machine actions".to_string(),
                Some(r) if targets.len() == 1 => format!("the action is {}", r.state.as_str()),
                Some(_) => "none of them is proposed".to_string(),
            };
            self.toast(Level::Info, &format!("nothing to {verb}: {why}"));
            return None;
        }
        let disruptive = covered.iter().any(|r| r.is_disruptive());
        let mut lines: Vec<String> = Vec::new();
        let mut machines: Vec<&str> = Vec::new();
        for r in &covered {
            if !machines.contains(&r.machine.id.as_str()) {
                machines.push(&r.machine.id);
            }
        }
        for machine in machines {
            let steps: Vec<&&RemediationView> =
                covered.iter().filter(|r| r.machine.id == machine).collect();
            let warn = if steps.iter().any(|r| r.is_disruptive()) {
                "  (disrupts the user)"
            } else {
                ""
            };
            let actions: Vec<String> = steps
                .iter()
                .enumerate()
                .map(|(n, r)| {
                    let label = r.action_label();
                    if n == 0 { label } else { label.to_lowercase() }
                })
                .collect();
            lines.push(format!(
                "{} on {}{warn}",
                actions.join(", then "),
                steps[0].machine.name
            ));
        }
        if covered.len() > 1 {
            lines.push(format!("{} actions in all", covered.len()));
        }
        let ids = covered.iter().map(|r| r.id.clone()).collect();
        Some((ids, lines, disruptive))
    }

    pub(super) fn ask_approve(&mut self, targets: &Targets) {
        let Some((ids, lines, disruptive)) = self.proposed_targets(targets, "approve") else {
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

    pub(super) fn ask_reject(&mut self, targets: &Targets) {
        if let Some((ids, lines, _)) = self.proposed_targets(targets, "reject") {
            self.dialog = Some(Dialog::prompt(
                "Reject",
                lines,
                "Reject",
                Pending::Reject(ids),
            ));
        }
    }

    pub(super) fn ask_cancel(&mut self, targets: &Targets) {
        let Some(r) = self.first_target(targets) else {
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

    /// The one remediation a cancel, retry or release acts on: the selected row (marks do not count).
    pub(super) fn first_target(&self, targets: &Targets) -> Option<&RemediationView> {
        match targets {
            Targets::MachineSelection => self
                .machine_rows()
                .get(self.machines.cursor.selected)
                .copied(),
            other => self.targets(other).into_iter().next(),
        }
    }

    /// The close form, saying first which waiting proposals closing will reject.
    pub(super) fn ask_close(&mut self) {
        let Some(alert) = self.selected_alert() else {
            return;
        };
        let mut lines = vec![alert.title.clone()];
        let waiting: Vec<String> = self
            .model
            .remediations_of(&alert.id)
            .filter(|r| r.state == RemediationState::Proposed)
            .map(|r| format!("  {} on {}", r.action_label(), r.machine.name))
            .collect();
        if waiting.is_empty() {
            lines.push("No proposal waits: nothing will be rejected.".into());
        } else {
            lines.push(format!(
                "Closing rejects {} waiting proposal(s):",
                waiting.len()
            ));
            lines.extend(waiting);
        }
        let id = alert.id.clone();
        let graph = alert.graph_id.is_some();
        self.dialog = Some(Dialog::close_alert(&id, lines, graph));
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
        let waiting = self
            .model
            .remediations
            .iter()
            .filter(|r| r.policy_id == policy_id && r.state == RemediationState::Proposed)
            .count();
        let lines = auto_lines(policy, machines, waiting);
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
                self.machines.marks.clear();
                Command::Approve {
                    remediation_ids,
                    reason,
                }
            }
            Pending::Reject(remediation_ids) => {
                self.machines.marks.clear();
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
            Pending::Retry(remediation_id) => Command::Retry {
                remediation_id,
                reason,
            },
            Pending::Release(remediation_id) => Command::Release {
                remediation_id,
                reason,
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

/// What switching `policy` to auto will do: the actions it runs, its guards, and what becomes of the
/// proposals already waiting.
fn auto_lines(policy: &PolicyView, machines: usize, waiting: usize) -> Vec<String> {
    let actions = if policy.steps.is_empty() {
        "run its flow".to_string()
    } else {
        policy
            .steps
            .iter()
            .map(|a| a.label().to_uppercase())
            .collect::<Vec<_>>()
            .join(", then ")
    };
    let mut lines = vec![
        format!("Policy: {}", policy.name),
        format!(
            "Runs {actions} on up to {} machine(s) per alert and {} per hour,",
            policy.max_per_alert, policy.max_per_hour
        ),
        "without asking; beyond that, and on protected machines, it proposes.".into(),
    ];
    if policy.closes_alert {
        lines.push("Once every step succeeded it closes the alert as true positive.".into());
    }
    lines.push(if waiting == 0 {
        "No proposal of this policy waits.".into()
    } else {
        format!("The {waiting} waiting proposal(s) stay proposed: approve or reject them.")
    });
    lines.push(format!(
        "In the last 24 h this would have acted on {machines} machine(s)."
    ));
    lines
}
