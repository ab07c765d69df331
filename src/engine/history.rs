//! An alert's history on demand (when its detail opens): every audited act on it (approval, rejection,
//! cancel, close, retry, release) and every state its remediations reached, with who, when and why.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::store::{AuditRecord, Journal, RemediationRow, StoreError, TransitionRow};
use crate::text::sanitize;

use super::core::Engine;
use super::interface::{Event, Level};

/// One line of an alert's history. Text is cleaned for display.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub at: DateTime<Utc>,
    /// Who acted: the analyst or process for audited acts, `None` for a state Defender or remedy reached.
    pub who: Option<String>,
    /// What happened: "approve", "close alert (true positive)", "→ Failed".
    pub what: String,
    /// What it was about: "Full scan on zoe-laptop".
    pub about: String,
    /// Why: the reason typed, or the note of the state change.
    pub why: Option<String>,
}

impl Engine {
    /// Reads the alert's history from the journal and sends it as [`Event::History`].
    pub(super) fn send_history(&self, alert_id: String) {
        let ctx = self.ctx.clone();
        let events = self.events.clone();
        tokio::spawn(async move {
            let id = alert_id.clone();
            match ctx.journal.call(move |j| read_history(j, &id)).await {
                Ok(entries) => {
                    let _ = events.send(Event::History { alert_id, entries });
                }
                Err(e) => ctx.notice(Level::Error, format!("history not read: {e}")),
            }
        });
    }
}

/// Audited acts about the alert and the state changes of its remediations, oldest first.
fn read_history(journal: &mut Journal, alert_id: &str) -> Result<Vec<HistoryEntry>, StoreError> {
    let mut entries: Vec<HistoryEntry> = journal
        .audit_of_alert(alert_id)?
        .iter()
        .map(audited)
        .collect();
    for row in journal.remediations_for_alert(alert_id)? {
        let about = format!("{} on {}", action_name(&row), sanitize(&row.machine_name));
        for t in journal.transitions(&row.id)? {
            entries.push(changed(&t, &about));
        }
    }
    entries.sort_by_key(|e| e.at);
    Ok(entries)
}

fn audited(r: &AuditRecord) -> HistoryEntry {
    HistoryEntry {
        at: r.at,
        who: Some(sanitize(&r.who)),
        what: sanitize(&r.action),
        about: sanitize(&r.target),
        why: (!r.why.is_empty()).then(|| sanitize(&r.why)),
    }
}

fn changed(t: &TransitionRow, about: &str) -> HistoryEntry {
    HistoryEntry {
        at: t.at,
        who: None,
        what: format!("→ {}", sanitize(&t.to_state)),
        about: about.to_string(),
        why: t.note.as_deref().map(sanitize),
    }
}

/// The stored action's label, or its stored type when it does not parse.
fn action_name(row: &RemediationRow) -> String {
    match &row.action {
        crate::store::StoredAction::Known(kind) => kind.label(),
        crate::store::StoredAction::Unknown { raw, .. } => sanitize(raw),
    }
}
