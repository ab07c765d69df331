//! Analyst decisions on proposed remediations: approve, reject, or expire unanswered.

use super::db::{DbResult, params};
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::codec::{ts, ts_col};
use super::{Journal, JournalTx, StoreError};

const DECISIONS: &[&str] = &["approve", "reject", "expire"];

/// One recorded decision.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApprovalRow {
    pub seq: i64,
    pub remediation_id: String,
    pub decision: String,
    pub who: String,
    pub reason: Option<String>,
    pub at: DateTime<Utc>,
}

impl JournalTx<'_> {
    /// Records a decision (`approve`, `reject` or `expire`) on a remediation. The state change is a
    /// separate [`JournalTx::transition_if`] in the same [`Journal::atomic`] block.
    pub fn record_approval(
        &mut self,
        id: &str,
        decision: &str,
        who: &str,
        reason: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        if !DECISIONS.contains(&decision) {
            return Err(StoreError::InvalidValue {
                field: "decision",
                value: decision.to_owned(),
                allowed: "approve, reject, expire",
            });
        }
        let exists: bool = self
            .tx
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM remediations WHERE id = ?1)")?
            .query_row([id], |r| r.get(0))?;
        if !exists {
            return Err(StoreError::NotFound { id: id.to_owned() });
        }
        self.tx
            .prepare_cached(
                "INSERT INTO approvals (remediation_id, decision, who, reason, at) \
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![id, decision, who, reason, ts(at)])?;
        Ok(())
    }
}

impl Journal {
    /// See [`JournalTx::record_approval`].
    pub fn record_approval(
        &mut self,
        id: &str,
        decision: &str,
        who: &str,
        reason: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.atomic(|tx| tx.record_approval(id, decision, who, reason, at))
    }

    /// Every decision on one remediation, in order.
    pub fn approvals(&self, id: &str) -> Result<Vec<ApprovalRow>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT seq, remediation_id, decision, who, reason, at FROM approvals \
             WHERE remediation_id = ?1 ORDER BY seq",
        )?;
        let rows = stmt.query_map([id], |row| {
            Ok(ApprovalRow {
                seq: row.get("seq")?,
                remediation_id: row.get("remediation_id")?,
                decision: row.get("decision")?,
                who: row.get("who")?,
                reason: row.get("reason")?,
                at: ts_col(row, "at")?,
            })
        })?;
        Ok(rows.collect::<DbResult<_>>()?)
    }
}
