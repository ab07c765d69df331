//! Older alerts a page at a time, newest first by the time they were raised (index on `timestamp_ms, id`),
//! for a console scrolling past what the engine keeps in memory.

use super::db::{DbResult, params};
use serde::{Deserialize, Serialize};

use super::working_set::{summary_columns, summary_from_row};
use super::{AlertSummary, Journal, StoreError};

/// Where a page ended: the next page starts strictly before this alert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageMark {
    pub timestamp_ms: i64,
    pub id: String,
}

impl Journal {
    /// Up to `limit` alerts raised before `after` (from the newest when `None`), newest first, and the mark
    /// the next page starts from (`None` when the journal has no older alert).
    pub fn alerts_before(
        &self,
        after: Option<&PageMark>,
        limit: usize,
    ) -> Result<(Vec<AlertSummary>, Option<PageMark>), StoreError> {
        let (ms, id) = after.map_or((i64::MAX, String::new()), |m| {
            (m.timestamp_ms, m.id.clone())
        });
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {} FROM alerts \
             WHERE timestamp_ms < ?1 OR (timestamp_ms = ?1 AND id < ?2) \
             ORDER BY timestamp_ms DESC, id DESC LIMIT ?3",
            summary_columns(&self.conn)
        ))?;
        let wanted = i64::try_from(limit.saturating_add(1)).unwrap_or(i64::MAX);
        let rows = stmt.query_map(params![ms, id, wanted], summary_from_row)?;
        let mut page = rows.collect::<DbResult<Vec<_>>>()?;
        let more = page.len() > limit;
        page.truncate(limit);
        let next = page.last().filter(|_| more).map(|last| PageMark {
            timestamp_ms: last.timestamp_ms,
            id: last.id.clone(),
        });
        Ok((page, next))
    }
}
