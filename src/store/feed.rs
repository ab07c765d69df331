//! What another process reads to catch up with the journal: alerts seen and Defender submissions since a time.

use chrono::{DateTime, Utc};

use super::alerts::{ALERT_COLUMNS, alert_from_row};
use super::codec::{ts, ts_col};
use super::state_codec::decode_action;
use super::{AlertRow, Journal, StoreError, StoredAction};

impl Journal {
    /// Alerts last seen at or after `since`, oldest sighting first.
    pub fn alerts_seen_since(&self, since: DateTime<Utc>) -> Result<Vec<AlertRow>, StoreError> {
        let sql =
            format!("SELECT {ALERT_COLUMNS} FROM alerts WHERE last_seen >= ?1 ORDER BY last_seen");
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map([ts(since)], alert_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// When each action was sent to Defender at or after `since`, with its kind, oldest first: the spend a
    /// new leader counts against Defender's quota.
    pub fn submissions_since(
        &self,
        since: DateTime<Utc>,
    ) -> Result<Vec<(DateTime<Utc>, StoredAction)>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT submitted_at, action, params FROM remediations WHERE submitted_at >= ?1 \
             ORDER BY submitted_at",
        )?;
        let rows = stmt.query_map([ts(since)], |row| {
            let action: String = row.get("action")?;
            let params = super::codec::json_col(row, "params")?;
            Ok((
                ts_col(row, "submitted_at")?,
                decode_action(&action, &params),
            ))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
