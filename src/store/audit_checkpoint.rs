//! Checkpoints: the audit entry a prune appends, carrying the head of the entries it archived and removed, so the
//! live chain still verifies from there on and an archive plus the journal verify as one chain.

use chrono::{DateTime, Utc};

use super::audit::AuditEntry;
use super::audit_verify::ExpectedHead;

/// The `action` of the entry a prune appends.
pub const PRUNE_ACTION: &str = "prune";
/// How a prune entry's `result` carries the head of the removed entries: `pruned head SEQ:HASH`.
const CARRIED_HEAD: &str = "pruned head ";

/// What one prune removed, as its audit entry tells it.
pub(crate) struct PruneNote<'a> {
    pub who: &'a str,
    pub at: DateTime<Utc>,
    pub cutoff: DateTime<Utc>,
    /// The last removed audit entry (`seq`, `hash`) and the archive holding the removed ones.
    pub archived: Option<(ExpectedHead, String)>,
    pub remediations: u64,
    pub transitions: u64,
    pub alerts: u64,
}

/// The audit entry for a prune; a checkpoint when audit entries were archived.
pub(crate) fn prune_entry(note: &PruneNote<'_>) -> AuditEntry {
    let (why, result) = match &note.archived {
        Some((head, archive)) => (
            format!(
                "retention: older than {}; audit entries archived to {archive}",
                note.cutoff.to_rfc3339()
            ),
            format!("{CARRIED_HEAD}{}:{}", head.seq, head.hash),
        ),
        None => (
            format!("retention: older than {}", note.cutoff.to_rfc3339()),
            "no audit entries pruned".to_string(),
        ),
    };
    AuditEntry {
        at: note.at,
        who: note.who.to_string(),
        action: PRUNE_ACTION.to_string(),
        target: format!(
            "journal: {} remediations, {} transitions, {} alerts",
            note.remediations, note.transitions, note.alerts
        ),
        why,
        result,
    }
}

/// The head a checkpoint carries: the last entry removed before it (`None` for any other entry).
pub(crate) fn carried_head(action: &str, result: &str) -> Option<ExpectedHead> {
    if action != PRUNE_ACTION {
        return None;
    }
    result.strip_prefix(CARRIED_HEAD)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_checkpoint_carries_the_archived_head_and_a_plain_prune_none() {
        let at = Utc::now();
        let head = ExpectedHead {
            seq: 41,
            hash: "ab".repeat(32),
        };
        let mut note = PruneNote {
            who: "remedy",
            at,
            cutoff: at,
            archived: Some((head.clone(), "j.audit.jsonl".into())),
            remediations: 2,
            transitions: 7,
            alerts: 1,
        };
        let entry = prune_entry(&note);
        assert_eq!(carried_head(&entry.action, &entry.result), Some(head));
        note.archived = None;
        let entry = prune_entry(&note);
        assert_eq!(carried_head(&entry.action, &entry.result), None);
        assert_eq!(
            carried_head("approve", "pruned head 1:ab"),
            None,
            "only prune entries carry a head"
        );
    }
}
