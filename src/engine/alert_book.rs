//! The alerts-in-memory component: each alert as front ends see it, by id.

use std::collections::BTreeMap;

use super::interface::AlertView;

/// The alerts the engine keeps in memory (open ones, and those with remediations in memory), each without
/// the text its detail reads from the journal when it opens (description, entities, link), as start-up loads
/// them: a live alert's text is sent once, when it is seen, and not kept.
#[derive(Default)]
pub(super) struct AlertBook {
    views: BTreeMap<String, AlertView>,
}

impl AlertBook {
    pub fn get(&self, alert_id: &str) -> Option<&AlertView> {
        self.views.get(alert_id)
    }

    pub fn contains(&self, alert_id: &str) -> bool {
        self.views.contains_key(alert_id)
    }

    /// Every alert in memory, in id order.
    pub fn views(&self) -> impl Iterator<Item = &AlertView> {
        self.views.values()
    }

    /// The ids of the alerts in memory.
    pub fn ids(&self) -> impl Iterator<Item = &String> {
        self.views.keys()
    }

    /// The alerts by id, lent to a component that reads them.
    pub fn by_id(&self) -> &BTreeMap<String, AlertView> {
        &self.views
    }

    /// Keeps `view` (without its detail's text) as the alert `alert_id` is shown.
    pub fn show(&mut self, alert_id: String, view: AlertView) {
        self.views.insert(alert_id, kept(view));
    }

    /// Whether memory already shows `view` as it is (its detail's text aside).
    pub fn shows(&self, view: &AlertView) -> bool {
        self.views
            .get(&view.id)
            .is_some_and(|old| *old == kept(view.clone()))
    }

    /// Applies `change` to the alert's view; the view after it, when the alert is in memory.
    pub fn update(
        &mut self,
        alert_id: &str,
        change: impl FnOnce(&mut AlertView),
    ) -> Option<AlertView> {
        let view = self.views.get_mut(alert_id)?;
        change(view);
        Some(view.clone())
    }

    /// The alert left memory (it stays in the journal).
    pub fn forget(&mut self, alert_id: &str) {
        self.views.remove(alert_id);
    }
}

/// What memory keeps of a view: all but the text its detail reads from the journal (`send_full_alert`).
fn kept(view: AlertView) -> AlertView {
    AlertView {
        description: String::new(),
        entities: Vec::new(),
        url: None,
        ..view
    }
}
