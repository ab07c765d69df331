//! Containment of a machine (isolated, app execution restricted) from its latest succeeded actions, and the
//! retry and release dialogs that act on a machine's action.

use crate::engine::interface::{ActionKind, Level, RemediationState, RemediationView};

use super::app::{App, Targets};
use super::dialog::{Dialog, Pending};
use super::state::Model;

/// The succeeded actions that put a machine in its current containment, if any.
#[derive(Debug, Default, Clone, Copy)]
pub struct Containment<'a> {
    /// The isolation still in force (no later succeeded release).
    pub isolated: Option<&'a RemediationView>,
    /// The app restriction still in force (no later succeeded removal).
    pub restricted: Option<&'a RemediationView>,
}

impl<'a> Containment<'a> {
    /// What the journal's latest succeeded isolate/release and restrict/unrestrict actions on `machine_id` say.
    pub fn of(model: &'a Model, machine_id: &str) -> Containment<'a> {
        let latest = |applies: fn(&ActionKind) -> bool| {
            model
                .remediations
                .iter()
                .filter(|r| r.machine.id == machine_id && r.state == RemediationState::Succeeded)
                .filter(|r| r.action.as_ref().is_some_and(applies))
                .max_by_key(|r| r.updated_at)
                .filter(|r| r.action.as_ref().is_some_and(|a| a.undo().is_some()))
        };
        Containment {
            isolated: latest(|a| matches!(a, ActionKind::Isolate { .. } | ActionKind::Unisolate)),
            restricted: latest(|a| {
                matches!(
                    a,
                    ActionKind::RestrictCodeExecution | ActionKind::UnrestrictCodeExecution
                )
            }),
        }
    }

    /// "isolated (Selective) · app execution restricted", or `None` when the machine is free.
    pub fn describe(&self) -> Option<String> {
        let mut parts = Vec::new();
        if let Some(r) = self.isolated {
            parts.push(format!("{} in force", r.action_label()));
        }
        if self.restricted.is_some() {
            parts.push("app execution restricted".to_string());
        }
        (!parts.is_empty()).then(|| parts.join(" · "))
    }

    /// The containment `u` releases first: the isolation, then the restriction.
    fn first(&self) -> Option<&'a RemediationView> {
        self.isolated.or(self.restricted)
    }
}

impl App {
    /// Asks before running a failed, timed-out or cancelled action again (a new approved action).
    pub(super) fn ask_retry(&mut self, targets: &Targets) {
        let Some(r) = self.first_target(targets) else {
            self.toast(
                Level::Info,
                "nothing to retry: select a machine's action first",
            );
            return;
        };
        if !matches!(
            r.state,
            RemediationState::Failed | RemediationState::TimeOut | RemediationState::Cancelled
        ) {
            let text = format!(
                "cannot retry: the action is {} (only failed, timed-out or cancelled ones)",
                r.state.as_str()
            );
            self.toast(Level::Info, &text);
            return;
        }
        let mut lines = vec![format!(
            "Run {} on {} again ({})",
            r.action_label(),
            r.machine.name,
            r.state.as_str()
        )];
        if let Some(why) = &r.reason {
            lines.push(format!("It ended: {}", super::views::clean(why)));
        }
        lines.push(format!(
            "A new approved action is sent; the {} one stays in the history.",
            r.state.as_str()
        ));
        let disruptive = r.is_disruptive();
        let pending = Pending::Retry(r.id.clone());
        self.dialog = Some(if disruptive {
            Dialog::confirm("Retry disruptive action", lines, "Retry", pending)
                .with_input("reason (optional)")
        } else {
            Dialog::prompt("Retry action", lines, "Retry", pending)
        });
    }

    /// Asks before releasing the selected machine's isolation (or else its app restriction).
    pub(super) fn ask_release(&mut self, targets: &Targets) {
        let Some(r) = self.first_target(targets) else {
            self.toast(Level::Info, "nothing to release: select a machine first");
            return;
        };
        let (machine_id, machine_name) = (r.machine.id.clone(), r.machine.name.clone());
        let containment = Containment::of(&self.model, &machine_id);
        let Some(contained) = containment.first() else {
            let text =
                format!("nothing to release: {machine_name} is neither isolated nor restricted");
            self.toast(Level::Info, &text);
            return;
        };
        let undo = contained
            .action
            .as_ref()
            .and_then(ActionKind::undo)
            .map_or_else(|| "release".into(), |a| a.label());
        let lines = vec![
            format!("{undo} on {machine_name}"),
            format!(
                "It undoes {} that succeeded {}.",
                contained.action_label(),
                contained.updated_at.format("%Y-%m-%d %H:%M")
            ),
        ];
        let pending = Pending::Release(contained.id.clone());
        self.dialog =
            Some(Dialog::confirm(&undo, lines, &undo, pending).with_input("reason (optional)"));
    }
}
