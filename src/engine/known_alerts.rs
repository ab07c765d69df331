//! What is known of each alert in memory, across sources: a new read of an alert is folded into what earlier
//! reads said (another source's ids, detector, devices), so a poll that saw it through one API only does not
//! forget the other.

use std::collections::HashMap;

use crate::alert::{SourceAlert, merge, stored};

use super::core::Engine;

/// The neutral alert as last known, by engine id (alerts in memory only), without the text a merge never
/// reads (description, entities), so memory per alert stays small; boxed, so the map's spare slots cost a
/// pointer each, not an alert.
#[derive(Default)]
pub(super) struct KnownAlerts {
    by_id: HashMap<String, Box<SourceAlert>>,
}

impl KnownAlerts {
    /// What was last known of the alert with engine id `id`.
    pub(super) fn get(&self, id: &str) -> Option<&SourceAlert> {
        self.by_id.get(id).map(|alert| &**alert)
    }

    /// Remembers what a merge will need of `alert`, the newest read of its alert.
    fn remember(&mut self, alert: &SourceAlert) {
        self.by_id
            .insert(alert.key.to_string(), Box::new(merge_key_of(alert)));
    }

    /// Forgets the alert (it left memory).
    pub(super) fn forget(&mut self, id: &str) {
        self.by_id.remove(id);
    }

    /// How many alerts are known.
    pub(super) fn len(&self) -> usize {
        self.by_id.len()
    }

    /// Every alert known (in no order), for the sizes line.
    pub(super) fn alerts(&self) -> impl Iterator<Item = &SourceAlert> {
        self.by_id.values().map(|alert| &**alert)
    }
}

/// What a later read's merge needs of `alert`: its ids, sources, detection, user, devices, status.
fn merge_key_of(alert: &SourceAlert) -> SourceAlert {
    SourceAlert {
        description: String::new(),
        entities: Vec::new(),
        ..alert.clone()
    }
}

impl Engine {
    /// Each read folded into what was known of its alert: remembered, else (after a restart) read from the
    /// journal. A journal that cannot be read leaves the read as it is (the next poll folds again).
    pub(super) async fn with_known(&mut self, read: Vec<SourceAlert>) -> Vec<SourceAlert> {
        let mut out: Vec<SourceAlert> = Vec::with_capacity(read.len());
        for mut alert in read {
            let id = alert.key.to_string();
            let known = match self.known.get(&id) {
                Some(known) => Some(known.clone()),
                None if self.alerts.contains(&id) => self.stored_alert(&id).await,
                None => None,
            };
            if let Some(known) = known {
                merge(&mut alert, known);
            }
            self.known.remember(&alert);
            out.push(alert);
        }
        out
    }

    /// The alert's Graph id as known in memory, if any.
    pub(super) fn graph_id_of(&self, id: &str) -> Option<String> {
        self.known
            .get(id)
            .and_then(|a| a.graph_id.clone())
            .or_else(|| self.alerts.get(id).and_then(|a| a.graph_id.clone()))
    }

    async fn stored_alert(&self, id: &str) -> Option<SourceAlert> {
        let key = id.to_string();
        match self.ctx.journal.call(move |j| j.alert(&key)).await {
            Ok(row) => row.and_then(|row| match stored::from_row(&row) {
                Ok(alert) => Some(alert),
                Err(e) => {
                    tracing::warn!(alert = id, "stored alert JSON not read: {e}");
                    None
                }
            }),
            Err(e) => {
                tracing::warn!(alert = id, "stored alert not read: {e}");
                None
            }
        }
    }
}
