//! Policy modes (`off`, `approve`, `auto`): the current one per policy and the history of every change.

use std::collections::HashMap;

use super::db::{DbResult, OptionalExt, params};
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::codec::{ts, ts_col};
use super::{Journal, JournalTx, StoreError};

/// One change of a policy's mode.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModeChangeRow {
    pub seq: i64,
    pub policy_id: String,
    pub from_mode: Option<String>,
    pub to_mode: String,
    pub changed_by: String,
    pub changed_at: DateTime<Utc>,
}

impl JournalTx<'_> {
    /// Sets the mode of a policy and appends the change to its history.
    pub fn set_mode(
        &mut self,
        policy_id: &str,
        mode: &str,
        who: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let from: Option<String> = self
            .tx
            .prepare_cached("SELECT mode FROM policy_modes WHERE policy_id = ?1")?
            .query_row([policy_id], |r| r.get(0))
            .optional()?;
        let at = ts(at);
        self.tx
            .prepare_cached(
                "INSERT INTO policy_modes (policy_id, mode, changed_by, changed_at) \
                 VALUES (?1, ?2, ?3, ?4) ON CONFLICT (policy_id) DO UPDATE SET \
                 mode = excluded.mode, changed_by = excluded.changed_by, changed_at = excluded.changed_at",
            )?
            .execute(params![policy_id, mode, who, at])?;
        self.tx
            .prepare_cached(
                "INSERT INTO mode_history (policy_id, from_mode, to_mode, changed_by, changed_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![policy_id, from, mode, who, at])?;
        Ok(())
    }
}

impl Journal {
    /// See [`JournalTx::set_mode`].
    pub fn set_mode(
        &mut self,
        policy_id: &str,
        mode: &str,
        who: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.atomic(|tx| tx.set_mode(policy_id, mode, who, at))
    }

    /// The current mode of every policy that ever had one set, by policy id.
    pub fn modes(&self) -> Result<HashMap<String, String>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT policy_id, mode FROM policy_modes")?;
        let rows = stmt.query_map((), |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<DbResult<_>>()?)
    }

    /// The mode of one policy as the journal holds it now (set by any process), if ever set.
    pub fn mode_of(&self, policy_id: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT mode FROM policy_modes WHERE policy_id = ?1")?
            .query_row([policy_id], |r| r.get(0))
            .optional()?)
    }

    /// A number that changes whenever another connection (another remedy process) commits to the
    /// journal: a cheap way to notice others' changes without reading any table.
    pub fn data_version(&self) -> Result<i64, StoreError> {
        Ok(self.conn.data_version()?)
    }

    /// Every mode change of one policy, oldest first.
    pub fn mode_history(&self, policy_id: &str) -> Result<Vec<ModeChangeRow>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT seq, policy_id, from_mode, to_mode, changed_by, changed_at FROM mode_history \
             WHERE policy_id = ?1 ORDER BY seq",
        )?;
        let rows = stmt.query_map([policy_id], |row| {
            Ok(ModeChangeRow {
                seq: row.get("seq")?,
                policy_id: row.get("policy_id")?,
                from_mode: row.get("from_mode")?,
                to_mode: row.get("to_mode")?,
                changed_by: row.get("changed_by")?,
                changed_at: ts_col(row, "changed_at")?,
            })
        })?;
        Ok(rows.collect::<DbResult<_>>()?)
    }
}
