//! The audit trail: append-only entries chained by SHA-256 (or HMAC-SHA256 with a key from the
//! environment), with a separate head so truncation shows.

use super::db::{Db, DbResult, OptionalExt, Row, params};
use chrono::{DateTime, SubsecRound, Utc};
use hmac::{Hmac, Mac};
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

/// Marks a hash made with the audit key: `hmac:` and the hex HMAC-SHA256.
pub(crate) const KEYED_PREFIX: &str = "hmac:";

/// A secret that makes the chain unforgeable without it (`REMEDY_AUDIT_KEY`); never printed.
#[derive(Clone)]
pub struct AuditKey(Vec<u8>);

impl AuditKey {
    pub fn new(secret: impl Into<Vec<u8>>) -> Option<AuditKey> {
        let secret = secret.into();
        (!secret.is_empty()).then_some(AuditKey(secret))
    }
}

impl std::fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuditKey(***)")
    }
}

/// The hash of the JSON array `[seq, at, who, action, target, why, result, prev_hash]` (`at` as stored):
/// hex SHA-256, or `hmac:` and the hex HMAC-SHA256 under `key`.
fn chain_hash(
    seq: i64,
    at: &str,
    e: (&str, &str, &str, &str, &str),
    prev_hash: &str,
    key: Option<&AuditKey>,
) -> String {
    let (who, action, target, why, result) = e;
    let canonical = serde_json::json!([seq, at, who, action, target, why, result, prev_hash]);
    match key {
        None => hex::encode(Sha256::digest(canonical.to_string())),
        Some(AuditKey(secret)) => {
            let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret)
                .expect("HMAC takes a key of any length");
            mac.update(canonical.to_string().as_bytes());
            format!("{KEYED_PREFIX}{}", hex::encode(mac.finalize().into_bytes()))
        }
    }
}

/// The hash `r` should carry, made the way its stored hash says (keyed or not).
pub(crate) fn record_hash(r: &AuditRecord, key: Option<&AuditKey>) -> String {
    chain_hash(
        r.seq,
        &ts(r.at),
        (&r.who, &r.action, &r.target, &r.why, &r.result),
        &r.prev_hash,
        key,
    )
}

pub(crate) const AUDIT_COLUMNS: &str = "seq, at, who, action, target, why, result, prev_hash, hash";

pub(crate) fn from_row(row: &Row) -> DbResult<AuditRecord> {
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

pub(crate) fn head(conn: &Db) -> Result<Option<(i64, String)>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT seq, hash FROM audit_head WHERE id = 1")?
        .query_row((), |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?)
}

/// Appends one entry (`?1`…`?9`: seq, at, who, action, target, why, result, prev_hash, hash).
const APPEND: &str = "INSERT INTO audit (seq, at, who, action, target, why, result, prev_hash, hash) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";

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
        let hash = chain_hash(seq, &at, fields, &prev_hash, self.audit_key.as_deref());
        let values = params![
            seq, at, e.who, e.action, e.target, e.why, e.result, prev_hash, hash
        ];
        if self.tx.is_postgres() {
            // One round trip: the entry and the head that points at it.
            self.tx
                .prepare_cached(&format!(
                    "WITH appended AS ({APPEND} RETURNING seq, hash) \
                     INSERT INTO audit_head (id, seq, hash) SELECT 1, seq, hash FROM appended \
                     ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash"
                ))?
                .execute(values)?;
        } else {
            self.tx.prepare_cached(APPEND)?.execute(values)?;
            self.tx
                .prepare_cached(
                    "INSERT INTO audit_head (id, seq, hash) VALUES (1, ?1, ?2) \
                     ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
                )?
                .execute(params![seq, hash])?;
        }
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

    /// The chain's head: its last sequence number and hash (`0` and the genesis hash when empty).
    pub fn audit_head(&self) -> Result<(i64, String), StoreError> {
        Ok(head(&self.conn)?.unwrap_or((0, GENESIS_HASH.to_owned())))
    }
}
