//! The remediations mirror component: the journal's remediation rows the engine keeps in memory.

use std::collections::HashMap;

use crate::store::RemediationRow;

/// Rows by id. Boxed: a row is a few hundred bytes, and the map's spare slots (up to half of them after it
/// grows) then cost a pointer each, not a row.
pub(super) type Rows = HashMap<String, Box<RemediationRow>>;

/// The remediations in memory, each as the journal last gave it.
#[derive(Default)]
pub(super) struct Mirror {
    rows: Rows,
}

impl Mirror {
    pub fn get(&self, id: &str) -> Option<&RemediationRow> {
        self.rows.get(id).map(|row| &**row)
    }

    /// Every row in memory (in no order).
    pub fn rows(&self) -> impl Iterator<Item = &RemediationRow> {
        self.rows.values().map(|row| &**row)
    }

    /// The rows by id, lent to a component that picks among them.
    pub fn by_id(&self) -> &Rows {
        &self.rows
    }

    /// Mirrors a row the journal gave after a change; true when it differs from the one in memory (its
    /// state, when it changed, or Defender's action id), so front ends are to be told.
    pub fn apply(&mut self, row: &RemediationRow) -> bool {
        let changed = self.rows.get(&row.id).is_none_or(|old| {
            old.state != row.state
                || old.updated_at != row.updated_at
                || old.provider_action_id != row.provider_action_id
        });
        if changed {
            self.rows.insert(row.id.clone(), Box::new(row.clone()));
        }
        changed
    }

    /// Keeps a row read from the journal (the working set at start, a follower catching up).
    pub fn load(&mut self, row: RemediationRow) {
        self.rows.insert(row.id.clone(), Box::new(row));
    }

    /// The row left memory (it stays in the journal).
    pub fn forget(&mut self, id: &str) {
        self.rows.remove(id);
    }
}
