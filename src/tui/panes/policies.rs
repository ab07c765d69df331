//! The policies pane's state: its cursor, and what its keys mean (open its alerts, change its mode).

use crate::engine::interface::PolicyView;
use crate::tui::keymap::Action;
use crate::tui::state::Model;

use super::{Cursor, Intent, ListPane};

/// The policies list.
#[derive(Debug, Default)]
pub struct PoliciesPane {
    pub cursor: Cursor,
}

impl PoliciesPane {
    /// The policy under the cursor.
    pub fn selected<'m>(&self, model: &'m Model) -> Option<&'m PolicyView> {
        model.policies.get(self.cursor.selected)
    }
}

impl ListPane for PoliciesPane {
    const HINTS: &'static [Action] = &[Action::Open, Action::ModeCycle, Action::ModeAuto];

    fn cursor_mut(&mut self) -> &mut Cursor {
        &mut self.cursor
    }

    fn intent(&self, action: Action) -> Option<Intent> {
        Some(match action {
            Action::Open => Intent::ShowPolicyAlerts,
            Action::ModeCycle => Intent::ModeCycle,
            Action::ModeAuto => Intent::ModeAuto,
            _ => return None,
        })
    }
}
