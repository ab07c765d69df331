//! Defender's quota spend, journaled before each call leaves, so a new leader counts what the processes
//! before it spent (reads as well as submissions) and never bursts into a window they filled.

use super::db::{DbResult, params};
use chrono::{DateTime, Utc};

use super::codec::{ts, ts_col};
use super::{Journal, StoreError};

impl Journal {
    /// Records one Defender call (`call`, a stable key) made at `at`, and forgets the records before
    /// `forget_before` (older than any quota window).
    pub fn record_spend(
        &mut self,
        call: &str,
        at: DateTime<Utc>,
        forget_before: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.atomic(|tx| {
            tx.tx
                .prepare_cached("DELETE FROM defender_spend WHERE at < ?1")?
                .execute([ts(forget_before)])?;
            tx.tx
                .prepare_cached("INSERT INTO defender_spend (at, call) VALUES (?1, ?2)")?
                .execute(params![ts(at), call])?;
            Ok(())
        })
    }

    /// Every Defender call recorded at or after `since`, oldest first, with its key.
    pub fn spend_since(
        &self,
        since: DateTime<Utc>,
    ) -> Result<Vec<(DateTime<Utc>, String)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT at, call FROM defender_spend WHERE at >= ?1 ORDER BY at")?;
        let rows = stmt.query_map([ts(since)], |row| {
            Ok((ts_col(row, "at")?, row.get("call")?))
        })?;
        Ok(rows.collect::<DbResult<_>>()?)
    }
}
