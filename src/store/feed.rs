//! What another process reads to catch up with the journal: alerts seen since a time.

use chrono::{DateTime, Utc};

use super::alerts::{ALERT_COLUMNS, alert_from_row};
use super::codec::ts;
use super::db::DbResult;
use super::{AlertRow, Journal, StoreError};

impl Journal {
    /// Alerts last seen at or after `since`, oldest sighting first.
    pub fn alerts_seen_since(&self, since: DateTime<Utc>) -> Result<Vec<AlertRow>, StoreError> {
        let sql =
            format!("SELECT {ALERT_COLUMNS} FROM alerts WHERE last_seen >= ?1 ORDER BY last_seen");
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map([ts(since)], alert_from_row)?;
        Ok(rows.collect::<DbResult<_>>()?)
    }
}
