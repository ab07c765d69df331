//! The machines pane's state: the selected alert's actions in machine order, its cursor and its marks.

use std::collections::HashSet;

use crate::engine::interface::{AlertView, RemediationView};
use crate::tui::keymap::Action;
use crate::tui::state::Model;

use super::{Cursor, Intent, ListPane, Targets};

/// The machines of the selected alert.
#[derive(Debug, Default)]
pub struct MachinesPane {
    pub cursor: Cursor,
    /// Marked remediation ids.
    pub marks: HashSet<String>,
}

impl MachinesPane {
    /// `alert`'s remediations in the pane's order: by machine name, then step.
    pub fn rows<'m>(model: &'m Model, alert: Option<&AlertView>) -> Vec<&'m RemediationView> {
        let Some(alert) = alert else {
            return Vec::new();
        };
        let mut rows: Vec<&RemediationView> = model.remediations_of(&alert.id).collect();
        rows.sort_by(|a, b| {
            a.machine
                .name
                .cmp(&b.machine.name)
                .then(a.step.cmp(&b.step))
        });
        rows
    }

    /// Marks `id`, or unmarks it when marked.
    pub fn toggle(&mut self, id: &str) {
        if !self.marks.remove(id) {
            self.marks.insert(id.to_string());
        }
    }

    /// Another alert was selected: its rows start at the top, unmarked.
    pub fn reset(&mut self) {
        self.cursor = Cursor::default();
        self.marks.clear();
    }
}

impl ListPane for MachinesPane {
    const HINTS: &'static [Action] = &[
        Action::Approve,
        Action::Reject,
        Action::Mark,
        Action::CancelAction,
        Action::Retry,
        Action::Release,
    ];

    fn cursor_mut(&mut self) -> &mut Cursor {
        &mut self.cursor
    }

    fn intent(&self, action: Action) -> Option<Intent> {
        Some(match action {
            Action::Open => Intent::OpenAlert,
            Action::Mark => Intent::ToggleMark,
            Action::Approve => Intent::Approve(Targets::MachineSelection),
            Action::Reject => Intent::Reject(Targets::MachineSelection),
            Action::ApproveAll => Intent::Approve(Targets::AlertAll),
            Action::RejectAll => Intent::Reject(Targets::AlertAll),
            Action::CancelAction => Intent::Cancel(Targets::MachineSelection),
            Action::Retry => Intent::Retry(Targets::MachineSelection),
            Action::Release => Intent::Release(Targets::MachineSelection),
            Action::CloseAlert => Intent::CloseAlert,
            Action::ModeCycle => Intent::ModeCycle,
            Action::ModeAuto => Intent::ModeAuto,
            _ => return None,
        })
    }
}
