//! The audit trail: append-only entries chained by SHA-256, with a separate head so truncation shows.

use chrono::{DateTime, SubsecRound, Utc};
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::codec::{ts, ts_col};
use super::{Journal, JournalTx, StoreError};

/// The `prev_hash` of the first entry.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Something that happened and who made it happen, before it is chained.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    pub at: DateTime<Utc>,
    pub who: String,
    pub action: String,
    pub target: String,
    pub why: String,
    pub result: String,
}

/// An entry as chained in the journal.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditRecord {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub who: String,
    pub action: String,
    pub target: String,
    pub why: String,
    pub result: String,
    pub prev_hash: String,
    pub hash: String,
}

/// The first thing found wrong with the chain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuditFault {
    #[error("entry {seq} is missing (the next one present is {found}): entries were deleted")]
    Missing { seq: i64, found: i64 },
    #[error(
        "entry {seq} does not link to the entry before it: an entry before it was altered or removed"
    )]
    BrokenLink { seq: i64 },
    #[error("entry {seq} does not match its hash: it was edited after it was written")]
    Edited { seq: i64 },
    #[error(
        "the chain ends at entry {last} but its head says {head}: entries {seq} and later were deleted"
    )]
    Truncated { seq: i64, last: i64, head: i64 },
    #[error("entry {seq} and later are past the chain's head: they were added outside remedy")]
    PastHead { seq: i64 },
    #[error("the chain's head does not match entry {seq}: the head or the entry was altered")]
    HeadMismatch { seq: i64 },
}

impl AuditFault {
    /// The first entry that is wrong (or missing).
    pub fn seq(&self) -> i64 {
        match self {
            AuditFault::Missing { seq, .. }
            | AuditFault::BrokenLink { seq }
            | AuditFault::Edited { seq }
            | AuditFault::Truncated { seq, .. }
            | AuditFault::PastHead { seq }
            | AuditFault::HeadMismatch { seq } => *seq,
        }
    }
}

/// The outcome of [`Journal::verify_audit`].
#[derive(Debug, Clone, PartialEq)]
pub struct AuditReport {
    /// Entries checked.
    pub entries: u64,
    /// Hash of the last entry that checked out (the genesis hash when there is none).
    pub last_hash: String,
    pub fault: Option<AuditFault>,
}

impl AuditReport {
    /// True when the chain is intact.
    pub fn ok(&self) -> bool {
        self.fault.is_none()
    }
}

/// SHA-256 (hex) of the JSON array `[seq, at, who, action, target, why, result, prev_hash]`, `at` as stored.
fn chain_hash(seq: i64, at: &str, e: (&str, &str, &str, &str, &str), prev_hash: &str) -> String {
    let (who, action, target, why, result) = e;
    let canonical = serde_json::json!([seq, at, who, action, target, why, result, prev_hash]);
    hex::encode(Sha256::digest(canonical.to_string()))
}

fn record_hash(r: &AuditRecord) -> String {
    chain_hash(
        r.seq,
        &ts(r.at),
        (&r.who, &r.action, &r.target, &r.why, &r.result),
        &r.prev_hash,
    )
}

pub(crate) const AUDIT_COLUMNS: &str = "seq, at, who, action, target, why, result, prev_hash, hash";

pub(crate) fn from_row(row: &Row<'_>) -> rusqlite::Result<AuditRecord> {
    Ok(AuditRecord {
        seq: row.get("seq")?,
        at: ts_col(row, "at")?,
        who: row.get("who")?,
        action: row.get("action")?,
        target: row.get("target")?,
        why: row.get("why")?,
        result: row.get("result")?,
        prev_hash: row.get("prev_hash")?,
        hash: row.get("hash")?,
    })
}

fn head(conn: &Connection) -> Result<Option<(i64, String)>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT seq, hash FROM audit_head WHERE id = 1")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?)
}

impl JournalTx<'_> {
    /// Chains `e` after the head and moves the head to it.
    pub fn append_audit(&mut self, e: &AuditEntry) -> Result<AuditRecord, StoreError> {
        let (last, prev_hash) = head(&self.tx)?.unwrap_or((0, GENESIS_HASH.to_owned()));
        let seq = last + 1;
        let at = ts(e.at);
        let fields = (
            e.who.as_str(),
            e.action.as_str(),
            e.target.as_str(),
            e.why.as_str(),
            e.result.as_str(),
        );
        let hash = chain_hash(seq, &at, fields, &prev_hash);
        self.tx
            .prepare_cached(
                "INSERT INTO audit (seq, at, who, action, target, why, result, prev_hash, hash) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?
            .execute(params![
                seq, at, e.who, e.action, e.target, e.why, e.result, prev_hash, hash
            ])?;
        self.tx
            .prepare_cached(
                "INSERT INTO audit_head (id, seq, hash) VALUES (1, ?1, ?2) \
                 ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
            )?
            .execute(params![seq, hash])?;
        Ok(AuditRecord {
            seq,
            at: e.at.trunc_subsecs(6),
            who: e.who.clone(),
            action: e.action.clone(),
            target: e.target.clone(),
            why: e.why.clone(),
            result: e.result.clone(),
            prev_hash,
            hash,
        })
    }
}

impl Journal {
    /// See [`JournalTx::append_audit`].
    pub fn append_audit(&mut self, e: &AuditEntry) -> Result<AuditRecord, StoreError> {
        self.atomic(|tx| tx.append_audit(e))
    }

    /// Walks the whole chain and reports the first entry edited, removed or added behind remedy's back.
    pub fn verify_audit(&self) -> Result<AuditReport, StoreError> {
        // One read transaction: the head and the walk see the same snapshot while others append.
        let snapshot = self.conn.unchecked_transaction()?;
        let head = head(&snapshot)?;
        let mut stmt =
            snapshot.prepare(&format!("SELECT {AUDIT_COLUMNS} FROM audit ORDER BY seq"))?;
        let mut rows = stmt.query_map([], from_row)?;
        let mut entries = 0u64;
        let mut last_seq = 0i64;
        let mut last_hash = GENESIS_HASH.to_owned();
        let mut fault = None;
        for row in &mut rows {
            let r = row?;
            let expected = last_seq + 1;
            fault = if r.seq != expected {
                Some(AuditFault::Missing {
                    seq: expected,
                    found: r.seq,
                })
            } else if r.prev_hash != last_hash {
                Some(AuditFault::BrokenLink { seq: r.seq })
            } else if record_hash(&r) != r.hash {
                Some(AuditFault::Edited { seq: r.seq })
            } else {
                None
            };
            if fault.is_some() {
                break;
            }
            entries += 1;
            last_seq = r.seq;
            last_hash = r.hash;
        }
        if fault.is_none() {
            let (head_seq, head_hash) = head.unwrap_or((0, GENESIS_HASH.to_owned()));
            fault = if head_seq > last_seq {
                Some(AuditFault::Truncated {
                    seq: last_seq + 1,
                    last: last_seq,
                    head: head_seq,
                })
            } else if head_seq < last_seq {
                Some(AuditFault::PastHead { seq: head_seq + 1 })
            } else if head_hash != last_hash {
                Some(AuditFault::HeadMismatch { seq: head_seq })
            } else {
                None
            };
        }
        Ok(AuditReport {
            entries,
            last_hash,
            fault,
        })
    }
}
