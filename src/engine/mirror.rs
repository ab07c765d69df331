//! The remediations mirror component: the journal's remediation rows the engine keeps in memory, indexed
//! by alert and by whether work remains on them, so the engine's per-change and per-tick questions read
//! the rows they are about rather than the whole window of finished ones.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;

use crate::store::RemediationRow;

/// Rows by id. Boxed: a row is a few hundred bytes, and the map's spare slots (up to half of them after it
/// grows) then cost a pointer each, not a row. The id is shared with the indexes, which copy no text.
pub(super) type Rows = HashMap<Arc<str>, Box<RemediationRow>>;

/// The remediations in memory, each as the journal last gave it.
#[derive(Default)]
pub(super) struct Mirror {
    rows: Rows,
    /// Each row under its alert id's hash: a B-tree of small pairs, no allocation per alert (a collision
    /// only costs a comparison, [`Mirror::of_alert`] checks the alert id).
    by_alert: BTreeSet<(u64, Arc<str>)>,
    /// The rows work remains on: not final, or whose stored state is still to be refused.
    live: HashSet<Arc<str>>,
}

/// Whether work remains on `row`.
fn is_live(row: &RemediationRow) -> bool {
    !row.state.is_final() || row.unknown_state.is_some()
}

/// The alert index's key: the same for an alert id in every run (SipHash with fixed keys).
fn alert_key(alert_id: &str) -> u64 {
    let mut hasher = DefaultHasher::new();
    alert_id.hash(&mut hasher);
    hasher.finish()
}

impl Mirror {
    pub fn get(&self, id: &str) -> Option<&RemediationRow> {
        self.rows.get(id).map(|row| &**row)
    }

    /// Every row in memory (in no order).
    pub fn rows(&self) -> impl Iterator<Item = &RemediationRow> {
        self.rows.values().map(|row| &**row)
    }

    /// The rows work remains on (in no order): not final, or with a stored state to refuse.
    pub fn live(&self) -> impl Iterator<Item = &RemediationRow> {
        self.live.iter().filter_map(|id| self.get(id))
    }

    /// The rows of alert `alert_id` (in no order).
    pub fn of_alert<'a>(&'a self, alert_id: &'a str) -> impl Iterator<Item = &'a RemediationRow> {
        let key = alert_key(alert_id);
        self.by_alert
            .range((key, Arc::from(""))..)
            .take_while(move |(k, _)| *k == key)
            .filter_map(|(_, id)| self.get(id))
            .filter(move |row| row.alert_id == alert_id)
    }

    /// The rows by id, lent to a component that reads the whole window.
    pub fn by_id(&self) -> &Rows {
        &self.rows
    }

    /// Mirrors a row the journal gave after a change; true when it differs from the one in memory (its
    /// state, when it changed, or Defender's action id), so front ends are to be told.
    pub fn apply(&mut self, row: &RemediationRow) -> bool {
        let changed = self.rows.get(row.id.as_str()).is_none_or(|old| {
            old.state != row.state
                || old.updated_at != row.updated_at
                || old.provider_action_id != row.provider_action_id
        });
        if changed {
            self.keep(Box::new(row.clone()));
        }
        changed
    }

    /// Keeps a row read from the journal (the working set at start, a follower catching up).
    pub fn load(&mut self, row: RemediationRow) {
        self.keep(Box::new(row));
    }

    fn keep(&mut self, row: Box<RemediationRow>) {
        // a row's alert never changes: a row already in memory is indexed under it
        let id = match self.rows.get_key_value(row.id.as_str()) {
            Some((id, _)) => id.clone(),
            None => {
                let id: Arc<str> = Arc::from(row.id.as_str());
                self.by_alert.insert((alert_key(&row.alert_id), id.clone()));
                id
            }
        };
        if is_live(&row) {
            self.live.insert(id.clone());
        } else {
            self.live.remove(&id);
        }
        self.rows.insert(id, row);
    }

    /// The row left memory (it stays in the journal).
    pub fn forget(&mut self, id: &str) {
        let Some((id, row)) = self.rows.remove_entry(id) else {
            return;
        };
        self.live.remove(&id);
        self.by_alert.remove(&(alert_key(&row.alert_id), id));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lifecycle::RemediationState;

    fn row(id: &str, alert: &str, state: RemediationState) -> RemediationRow {
        super::super::window::tests::row(id, alert, state, None)
    }

    fn ids<'a>(rows: impl Iterator<Item = &'a RemediationRow>) -> Vec<&'a str> {
        let mut ids: Vec<&str> = rows.map(|r| r.id.as_str()).collect();
        ids.sort_unstable();
        ids
    }

    /// What the indexes answer equals what a scan of every row answers.
    fn agrees_with_a_scan(mirror: &Mirror) {
        let alerts: HashSet<&str> = mirror.rows().map(|r| r.alert_id.as_str()).collect();
        for alert in alerts {
            assert_eq!(
                ids(mirror.of_alert(alert)),
                ids(mirror.rows().filter(|r| r.alert_id == alert)),
                "{alert}"
            );
        }
        assert_eq!(
            ids(mirror.live()),
            ids(mirror.rows().filter(|r| is_live(r)))
        );
    }

    #[test]
    fn the_alert_and_live_indexes_follow_every_change() {
        let mut mirror = Mirror::default();
        mirror.load(row("r1", "a1", RemediationState::Approved));
        mirror.load(row("r2", "a1", RemediationState::Succeeded));
        mirror.apply(&row("r3", "a2", RemediationState::Proposed));
        agrees_with_a_scan(&mirror);
        assert_eq!(ids(mirror.live()), ["r1", "r3"]);

        mirror.apply(&row("r1", "a1", RemediationState::Succeeded));
        assert_eq!(
            ids(mirror.live()),
            ["r3"],
            "a final row leaves the live set"
        );
        assert_eq!(
            ids(mirror.of_alert("a1")),
            ["r1", "r2"],
            "once, under its alert"
        );

        let mut unreadable = row("r4", "a2", RemediationState::Skipped);
        unreadable.unknown_state = Some("Exploded".into());
        mirror.load(unreadable);
        assert_eq!(
            ids(mirror.live()),
            ["r3", "r4"],
            "a state to refuse is work left"
        );
        agrees_with_a_scan(&mirror);

        mirror.forget("r1");
        mirror.forget("r3");
        mirror.forget("missing");
        assert_eq!(ids(mirror.of_alert("a1")), ["r2"]);
        assert_eq!(ids(mirror.live()), ["r4"]);
        mirror.forget("r2");
        assert!(mirror.of_alert("a1").next().is_none());
        assert_eq!(
            mirror.by_alert.len(),
            1,
            "forgotten rows leave the index: r4 is left"
        );
        agrees_with_a_scan(&mirror);
    }
}
