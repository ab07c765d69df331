//! A list the simulator keeps in arrival order with hash indexes on a few identity properties, so a
//! look-up or an `eq` filter on one of them reads only the items it names, not the whole history.

use super::odata::{self, Expr};
use serde_json::Value;
use std::collections::HashMap;
use std::ops::Deref;

/// An item whose identity properties can be indexed.
pub(crate) trait Keyed {
    /// The value of property `key`, when it is a string.
    fn key(&self, key: &str) -> Option<&str>;
}

impl Keyed for Value {
    fn key(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(Value::as_str)
    }
}

/// Items in arrival order, indexed on `keys`. The indexed properties are identities, set when an item
/// is added and never changed, so items may be changed in place through [`Indexed::get_mut`].
pub(crate) struct Indexed<T> {
    items: Vec<T>,
    keys: &'static [&'static str],
    /// Per key: the value folded to lower case, and the positions of the items that carry it.
    index: Vec<HashMap<String, Vec<usize>>>,
}

/// How an index folds a value: the case-insensitive equality OData's `eq` uses on text.
fn fold(value: &str) -> String {
    value.to_lowercase()
}

impl<T: Keyed> Indexed<T> {
    /// `items` indexed on `keys`.
    pub(crate) fn new(keys: &'static [&'static str], items: Vec<T>) -> Self {
        let mut list = Self {
            items,
            keys,
            index: Vec::new(),
        };
        list.reindex();
        list
    }

    fn reindex(&mut self) {
        self.index = vec![HashMap::new(); self.keys.len()];
        for at in 0..self.items.len() {
            self.note(at);
        }
    }

    fn note(&mut self, at: usize) {
        for (k, key) in self.keys.iter().enumerate() {
            if let Some(value) = self.items[at].key(key) {
                self.index[k].entry(fold(value)).or_default().push(at);
            }
        }
    }

    /// Adds `item` at the end.
    pub(crate) fn push(&mut self, item: T) {
        self.items.push(item);
        self.note(self.items.len() - 1);
    }

    /// Keeps only the items `keep` accepts, in their order.
    pub(crate) fn retain(&mut self, keep: impl FnMut(&T) -> bool) {
        let before = self.items.len();
        self.items.retain(keep);
        if self.items.len() != before {
            self.reindex();
        }
    }

    /// The item at `at`, to change in place (never its indexed properties).
    pub(crate) fn get_mut(&mut self, at: usize) -> Option<&mut T> {
        self.items.get_mut(at)
    }

    /// Every item, to change in place (never their indexed properties).
    pub(crate) fn iter_mut(&mut self) -> std::slice::IterMut<'_, T> {
        self.items.iter_mut()
    }

    /// Positions, in arrival order, of the items whose `key` equals `value` ignoring case.
    pub(crate) fn positions(&self, key: &str, value: &str) -> &[usize] {
        self.keys
            .iter()
            .position(|k| *k == key)
            .and_then(|k| self.index[k].get(&fold(value)))
            .map_or(&[], Vec::as_slice)
    }

    /// Positions, in arrival order, of every item `filter` could accept, read from an index when the
    /// filter names the items by an indexed key; `None` when it does not, and every item must be judged.
    pub(crate) fn candidates(&self, filter: &Expr) -> Option<Vec<usize>> {
        let (key, values) = self
            .keys
            .iter()
            .find_map(|key| odata::required_values(filter, key).map(|v| (*key, v)))?;
        let mut at: Vec<usize> = values
            .iter()
            .flat_map(|v| self.positions(key, v))
            .copied()
            .collect();
        at.sort_unstable();
        at.dedup();
        Some(at)
    }
}

impl<T> Deref for Indexed<T> {
    type Target = [T];

    fn deref(&self) -> &[T] {
        &self.items
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const KEYS: &[&str] = &["id", "machineId"];

    fn list() -> Indexed<Value> {
        Indexed::new(
            KEYS,
            vec![
                json!({"id": "A1", "machineId": "m1", "type": "scan"}),
                json!({"id": "b2", "machineId": "M1", "type": "isolate"}),
                json!({"id": "c3", "machineId": "m2", "type": "scan"}),
            ],
        )
    }

    fn judged(list: &Indexed<Value>, text: &str) -> Vec<usize> {
        let expr = odata::parse(text, &["id", "machineId", "type"]).expect("parses");
        let every: Vec<usize> = (0..list.len())
            .filter(|i| odata::eval(&expr, &list[*i]))
            .collect();
        let planned: Vec<usize> = list
            .candidates(&expr)
            .expect("an indexed plan")
            .into_iter()
            .filter(|i| odata::eval(&expr, &list[*i]))
            .collect();
        assert_eq!(
            planned, every,
            "{text}: the index keeps what a full scan keeps"
        );
        planned
    }

    #[test]
    fn an_indexed_filter_keeps_exactly_what_a_full_scan_keeps() {
        let list = list();
        assert_eq!(judged(&list, "machineId eq 'm1' and type eq 'scan'"), [0]);
        assert_eq!(
            judged(
                &list,
                "(machineId eq 'm1' or machineId eq 'm2') and type eq 'scan'"
            ),
            [0, 2]
        );
        assert_eq!(judged(&list, "id eq 'a1' or id eq 'C3'"), [0, 2]);
        assert_eq!(judged(&list, "id eq 'nothing'"), Vec::<usize>::new());
    }

    #[test]
    fn a_filter_that_does_not_name_items_by_key_has_no_plan() {
        let list = list();
        for text in [
            "type eq 'scan'",
            "id eq 'a1' or type eq 'scan'",
            "id ne 'a1'",
        ] {
            let expr = odata::parse(text, &["id", "machineId", "type"]).expect("parses");
            assert_eq!(list.candidates(&expr), None, "{text}");
        }
    }

    #[test]
    fn positions_follow_pushes_and_removals() {
        let mut list = list();
        list.push(json!({"id": "d4", "machineId": "m1"}));
        assert_eq!(list.positions("machineId", "M1"), [0, 1, 3]);
        list.retain(|v| v["id"] != "b2");
        assert_eq!(list.positions("machineId", "m1"), [0, 2]);
        assert_eq!(list.positions("id", "D4"), [2]);
        assert_eq!(list.positions("type", "scan"), &[] as &[usize]);
    }
}
