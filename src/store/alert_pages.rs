//! Older alerts a page at a time, newest first by the time they were raised (index on `timestamp_ms, id`),
//! for a console scrolling past what the engine keeps in memory.

use rusqlite::params;
use serde::{Deserialize, Serialize};

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
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, policy_id, title, user, severity, resolution, timestamp_ms FROM alerts \
             WHERE timestamp_ms < ?1 OR (timestamp_ms = ?1 AND id < ?2) \
             ORDER BY timestamp_ms DESC, id DESC LIMIT ?3",
        )?;
        let wanted = i64::try_from(limit.saturating_add(1)).unwrap_or(i64::MAX);
        let rows = stmt.query_map(params![ms, id, wanted], |r| {
            Ok(AlertSummary {
                id: r.get(0)?,
                policy_id: r.get(1)?,
                title: r.get(2)?,
                user: r.get(3)?,
                severity: r.get(4)?,
                resolution: r.get(5)?,
                timestamp_ms: r.get(6)?,
            })
        })?;
        let mut page = rows.collect::<rusqlite::Result<Vec<_>>>()?;
        let more = page.len() > limit;
        page.truncate(limit);
        let next = page.last().filter(|_| more).map(|last| PageMark {
            timestamp_ms: last.timestamp_ms,
            id: last.id.clone(),
        });
        Ok((page, next))
    }
}
