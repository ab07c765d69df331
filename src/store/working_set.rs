//! What a starting engine reads, through indexed queries: remediations finished since a moment (beside the
//! unfinished ones) and the stored columns of their alerts, without the raw alert JSON.

use super::db::{Db, DbResult, Row, params_from_iter};
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::codec::ts;
use super::remediations::select;
use super::state_codec::{decode_state, state_word};
use super::{Journal, RemediationRow, StoreError};
use crate::lifecycle::RemediationState;

/// How many ids go in one `IN (…)` list (SQLite allows 32766 parameters; smaller lists keep plans cheap).
const IDS_PER_QUERY: usize = 500;

/// An alert's stored columns: enough for the alert list; the raw JSON is read when its detail opens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AlertSummary {
    pub id: String,
    pub policy_id: String,
    pub title: String,
    /// The user principal exactly as the alert names it.
    pub user: String,
    pub severity: i64,
    pub resolution: i64,
    pub timestamp_ms: i64,
    /// The sources that read it, as the neutral alert's JSON array (`None` for rows of the REST form).
    pub seen_by: Option<String>,
    /// Its Graph id, when Graph read it.
    pub graph_id: Option<String>,
}

/// The columns [`summary_from_row`] reads: the stored columns, and from a neutral alert's JSON the sources that
/// read it and its Graph id.
pub(super) fn summary_columns(db: &Db) -> &'static str {
    if db.is_postgres() {
        "id, policy_id, title, \"user\", severity, resolution, timestamp_ms, \
         CASE raw_format WHEN 'neutral' THEN CAST(raw AS JSON) ->> 'seen_by' END, \
         CASE raw_format WHEN 'neutral' THEN CAST(raw AS JSON) ->> 'graph_id' END"
    } else {
        "id, policy_id, title, \"user\", severity, resolution, timestamp_ms, \
         CASE raw_format WHEN 'neutral' THEN json_extract(raw, '$.seen_by') END, \
         CASE raw_format WHEN 'neutral' THEN json_extract(raw, '$.graph_id') END"
    }
}

pub(super) fn summary_from_row(r: &Row) -> DbResult<AlertSummary> {
    Ok(AlertSummary {
        id: r.get(0)?,
        policy_id: r.get(1)?,
        title: r.get(2)?,
        user: r.get(3)?,
        severity: r.get(4)?,
        resolution: r.get(5)?,
        timestamp_ms: r.get(6)?,
        seen_by: r.get(7)?,
        graph_id: r.get(8)?,
    })
}

impl Journal {
    /// Remediations not in a final state, including those whose stored state word is unknown (the engine
    /// refuses them with the reason): the distinct stored states come from the index on `state`, then only
    /// the rows in the wanted ones are read.
    pub fn unfinished_remediations(&self) -> Result<Vec<RemediationRow>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT DISTINCT state FROM remediations")?;
        let words = stmt.query_map((), |r| r.get::<_, String>(0))?;
        let mut wanted = Vec::new();
        for word in words {
            let word = word?;
            if decode_state(&word).map_or(true, |state| !state.is_final()) {
                wanted.push(word);
            }
        }
        if wanted.is_empty() {
            return Ok(Vec::new());
        }
        let marks = vec!["?"; wanted.len()].join(", ");
        select(
            &self.conn,
            &format!("WHERE state IN ({marks}) ORDER BY created_at, id"),
            params_from_iter(&wanted),
        )
    }

    /// Succeeded isolations and app restrictions that no later succeeded action of the same pair on the
    /// machine lifted or replaced: the machine is still contained, however old the action (indexes on
    /// `action, state` and `machine_id, action, state, final_at`).
    pub fn containment_in_force(&self) -> Result<Vec<RemediationRow>, StoreError> {
        select(
            &self.conn,
            "WHERE action IN ('Isolate', 'RestrictCodeExecution') AND state = ?1 \
               AND NOT EXISTS (SELECT 1 FROM remediations later \
                 WHERE later.machine_id = remediations.machine_id AND later.state = ?1 \
                   AND later.action IN (remediations.action, \
                     CASE remediations.action WHEN 'Isolate' THEN 'Unisolate' \
                       ELSE 'UnrestrictCodeExecution' END) \
                   AND later.final_at > remediations.final_at) \
             ORDER BY final_at, id",
            [state_word(RemediationState::Succeeded)],
        )
    }

    /// How many alerts and remediations the journal holds, and how many of those remediations are final.
    pub fn counts(&self) -> Result<(u64, u64, u64), StoreError> {
        let count = |sql: &str| -> Result<u64, StoreError> {
            Ok(self.conn.query_row(sql, (), |r| r.get::<_, i64>(0))?.max(0) as u64)
        };
        Ok((
            count("SELECT COUNT(*) FROM alerts")?,
            count("SELECT COUNT(*) FROM remediations")?,
            count("SELECT COUNT(*) FROM remediations WHERE final_at IS NOT NULL")?,
        ))
    }

    /// Remediations that reached a final state at or after `since`, newest first (index on `final_at`).
    pub fn finished_since(&self, since: DateTime<Utc>) -> Result<Vec<RemediationRow>, StoreError> {
        select(
            &self.conn,
            "WHERE final_at >= ?1 ORDER BY final_at DESC, id",
            [ts(since)],
        )
    }

    /// The stored columns of the alerts with these ids (unknown ids are left out), in no particular order.
    pub fn alert_summaries(&self, ids: &[String]) -> Result<Vec<AlertSummary>, StoreError> {
        let mut summaries = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(IDS_PER_QUERY) {
            let marks = vec!["?"; chunk.len()].join(", ");
            let mut stmt = self.conn.prepare(&format!(
                "SELECT {} FROM alerts WHERE id IN ({marks})",
                summary_columns(&self.conn)
            ))?;
            let rows = stmt.query_map(params_from_iter(chunk), summary_from_row)?;
            for row in rows {
                summaries.push(row?);
            }
        }
        Ok(summaries)
    }
}
