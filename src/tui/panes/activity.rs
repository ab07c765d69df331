//! The activity pane's state: every remediation in flight or final within a day, newest first, counted by
//! state, with a cursor whose keys act on the row under it.

use chrono::{DateTime, Duration, Utc};

use crate::engine::interface::{RemediationState, RemediationView};
use crate::tui::keymap::Action;
use crate::tui::state::Model;

use super::{Cursor, Intent, ListPane, Targets};

/// How long a final remediation stays in the activity pane.
const RECENT_HOURS: i64 = 24;

/// The activity list.
#[derive(Debug, Default)]
pub struct ActivityPane {
    pub cursor: Cursor,
    /// Remediation indices, newest first.
    rows: Vec<usize>,
    /// How many rows are in each state, in lifecycle order (only states present).
    counts: Vec<(RemediationState, usize)>,
}

impl ActivityPane {
    /// Rebuilds the rows and counts from `model` as of `now`.
    pub fn rebuild(&mut self, model: &Model, now: DateTime<Utc>) {
        let cutoff = now - Duration::hours(RECENT_HOURS);
        let rems = &model.remediations;
        let mut rows: Vec<usize> = (0..rems.len())
            .filter(|&i| !rems[i].state.is_final() || rems[i].updated_at >= cutoff)
            .collect();
        rows.sort_by(|&a, &b| rems[b].updated_at.cmp(&rems[a].updated_at));
        let mut counts = [0usize; RemediationState::ALL.len()];
        for &i in &rows {
            let state = rems[i].state;
            if let Some(slot) = RemediationState::ALL.iter().position(|s| *s == state) {
                counts[slot] += 1;
            }
        }
        self.counts = RemediationState::ALL
            .into_iter()
            .zip(counts)
            .filter(|(_, n)| *n > 0)
            .collect();
        self.rows = rows;
        self.cursor.clamp(self.rows.len());
    }

    /// The rows (indices into `model.remediations`).
    pub fn rows(&self) -> &[usize] {
        &self.rows
    }

    /// Rows counted by state.
    pub fn counts(&self) -> &[(RemediationState, usize)] {
        &self.counts
    }

    /// The remediation under the cursor.
    pub fn selected<'m>(&self, model: &'m Model) -> Option<&'m RemediationView> {
        self.rows
            .get(self.cursor.selected)
            .and_then(|&i| model.remediations.get(i))
    }
}

impl ListPane for ActivityPane {
    const HINTS: &'static [Action] = &[
        Action::Open,
        Action::Approve,
        Action::Reject,
        Action::CancelAction,
        Action::Retry,
    ];

    fn cursor_mut(&mut self) -> &mut Cursor {
        &mut self.cursor
    }

    fn intent(&self, action: Action) -> Option<Intent> {
        Some(match action {
            Action::Open => Intent::OpenAlert,
            Action::Approve => Intent::Approve(Targets::ActivityRow),
            Action::Reject => Intent::Reject(Targets::ActivityRow),
            Action::CancelAction => Intent::Cancel(Targets::ActivityRow),
            Action::Retry => Intent::Retry(Targets::ActivityRow),
            Action::ModeCycle => Intent::ModeCycle,
            Action::ModeAuto => Intent::ModeAuto,
            _ => return None,
        })
    }
}
