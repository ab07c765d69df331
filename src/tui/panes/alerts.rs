//! The alerts pane's state: the filter, the sort, the rows passing the filter, and the selection that
//! follows its alert when rows arrive or the order changes.

use crate::engine::interface::{AlertView, Severity};
use crate::filter::Filter;
use crate::tui::keymap::Action;
use crate::tui::state::Model;

use super::{Cursor, Intent, ListPane, Targets};

/// Alert order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    Time,
    Severity,
}

/// The alerts list: filtered, sorted, with a cursor that stays on its alert.
#[derive(Debug)]
pub struct AlertsPane {
    pub cursor: Cursor,
    pub sort: Sort,
    pub filter: Filter,
    /// Alert indices passing the filter, in sort order.
    visible: Vec<usize>,
    /// The selected alert's id, so a rebuild keeps it selected.
    selected_id: Option<String>,
}

impl Default for AlertsPane {
    fn default() -> Self {
        AlertsPane {
            cursor: Cursor::default(),
            sort: Sort::Time,
            filter: Filter::default(),
            visible: Vec::new(),
            selected_id: None,
        }
    }
}

impl AlertsPane {
    /// Rebuilds the filtered, sorted rows from `model`, keeping the selected alert selected.
    pub fn rebuild(&mut self, model: &Model) {
        let alerts = &model.alerts;
        let mut visible: Vec<usize> = (0..alerts.len())
            .filter(|&i| {
                self.filter.is_empty()
                    || self.filter.matches(&alerts[i], || {
                        model.remediations_of(&alerts[i].id).map(|r| r.state)
                    })
            })
            .collect();
        match self.sort {
            Sort::Time => visible.sort_by(|&a, &b| alerts[b].raised_at.cmp(&alerts[a].raised_at)),
            Sort::Severity => visible.sort_by(|&a, &b| {
                severity_rank(&alerts[b])
                    .cmp(&severity_rank(&alerts[a]))
                    .then(alerts[b].raised_at.cmp(&alerts[a].raised_at))
            }),
        }
        self.visible = visible;
        if let Some(id) = self.selected_id.take()
            && let Some(pos) = self.visible.iter().position(|&i| alerts[i].id == id)
        {
            self.cursor.selected = pos;
        }
        self.cursor.clamp(self.visible.len());
        self.remember(model);
    }

    /// Alerts passing the filter, in order (indices into `model.alerts`).
    pub fn visible(&self) -> &[usize] {
        &self.visible
    }

    /// The alert under the cursor.
    pub fn selected<'m>(&self, model: &'m Model) -> Option<&'m AlertView> {
        self.visible
            .get(self.cursor.selected)
            .and_then(|&i| model.alerts.get(i))
    }

    /// Remembers which alert is selected so the next rebuild keeps it.
    pub fn remember(&mut self, model: &Model) {
        self.selected_id = self.selected(model).map(|a| a.id.clone());
    }

    /// Selects the alert `id` if it passes the filter; returns whether it does.
    pub fn select(&mut self, model: &Model, id: &str) -> bool {
        let Some(pos) = self.visible.iter().position(|&i| model.alerts[i].id == id) else {
            return false;
        };
        self.cursor.selected = pos;
        self.remember(model);
        true
    }

    /// The other order.
    pub fn toggled_sort(&self) -> Sort {
        match self.sort {
            Sort::Time => Sort::Severity,
            Sort::Severity => Sort::Time,
        }
    }
}

impl ListPane for AlertsPane {
    const HINTS: &'static [Action] = &[
        Action::Open,
        Action::Filter,
        Action::Sort,
        Action::ApproveAll,
        Action::RejectAll,
        Action::CloseAlert,
    ];

    fn cursor_mut(&mut self) -> &mut Cursor {
        &mut self.cursor
    }

    fn intent(&self, action: Action) -> Option<Intent> {
        Some(match action {
            Action::Open => Intent::OpenAlert,
            Action::Sort => Intent::ToggleSort,
            Action::ApproveAll => Intent::Approve(Targets::AlertAll),
            Action::RejectAll => Intent::Reject(Targets::AlertAll),
            Action::CloseAlert => Intent::CloseAlert,
            Action::ModeCycle => Intent::ModeCycle,
            Action::ModeAuto => Intent::ModeAuto,
            _ => return None,
        })
    }
}

fn severity_rank(alert: &AlertView) -> u8 {
    match alert.severity {
        Severity::High => 4,
        Severity::Medium => 3,
        Severity::Low => 2,
        Severity::Informational => 1,
        Severity::Unknown => 0,
    }
}
