//! Verifying the audit chain: every entry against its hash and its predecessor, the head, an
//! expected head kept outside the journal, the key, and the journal's own record of audited events.

use serde::Serialize;

use super::audit::{
    AUDIT_COLUMNS, AuditKey, GENESIS_HASH, KEYED_PREFIX, from_row, head, record_hash,
};
use super::{Journal, StoreError};

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
    #[error(
        "entry {seq} is keyed (HMAC): set REMEDY_AUDIT_KEY to the key it was written with to verify it"
    )]
    KeyRequired { seq: i64 },
    #[error(
        "entry {seq} is not keyed although the entries before it are: it was forged without the key"
    )]
    Downgraded { seq: i64 },
    #[error(
        "the chain ends at entry {last} but the expected head is entry {seq}: entries were deleted and the head rewound"
    )]
    ShorterThanExpected { seq: i64, last: i64 },
    #[error("entry {seq} does not match the expected head: the chain was rewritten")]
    ExpectedHeadMismatch { seq: i64 },
    #[error(
        "the audit trail is empty but the journal records {events} audited events (approvals, mode changes): entries were deleted"
    )]
    Emptied { events: i64 },
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
            | AuditFault::HeadMismatch { seq }
            | AuditFault::KeyRequired { seq }
            | AuditFault::Downgraded { seq }
            | AuditFault::ShorterThanExpected { seq, .. }
            | AuditFault::ExpectedHeadMismatch { seq } => *seq,
            AuditFault::Emptied { .. } => 1,
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
    /// Entries among them made with the audit key.
    pub keyed: u64,
    pub fault: Option<AuditFault>,
}

impl AuditReport {
    /// True when the chain is intact.
    pub fn ok(&self) -> bool {
        self.fault.is_none()
    }
}

/// A head recorded outside the journal (the log, the JSON stream): `SEQ:HASH`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExpectedHead {
    pub seq: i64,
    pub hash: String,
}

impl std::str::FromStr for ExpectedHead {
    type Err = String;

    fn from_str(text: &str) -> Result<ExpectedHead, String> {
        let (seq, hash) = text
            .split_once(':')
            .ok_or_else(|| format!("{text:?} is not SEQ:HASH (e.g. 42:9f86d0…)"))?;
        let seq = seq
            .parse()
            .map_err(|_| format!("{seq:?} is not a sequence number"))?;
        Ok(ExpectedHead {
            seq,
            hash: hash.to_string(),
        })
    }
}

impl Journal {
    /// Walks the whole chain and reports the first entry edited, removed or added behind remedy's back.
    pub fn verify_audit(&self) -> Result<AuditReport, StoreError> {
        self.verify_audit_against(None)
    }

    /// [`Journal::verify_audit`], also checking the chain still holds `expected` (a head seen earlier).
    pub fn verify_audit_against(
        &self,
        expected: Option<&ExpectedHead>,
    ) -> Result<AuditReport, StoreError> {
        // One read transaction: the head and the walk see the same snapshot while others append.
        let snapshot = self.conn.unchecked_transaction()?;
        let head = head(&snapshot)?;
        let key = self.audit_key.as_deref();
        let mut stmt =
            snapshot.prepare(&format!("SELECT {AUDIT_COLUMNS} FROM audit ORDER BY seq"))?;
        let mut rows = stmt.query_map([], from_row)?;
        let mut walk = Walk {
            watch: expected.map(|e| e.seq),
            ..Walk::default()
        };
        for row in &mut rows {
            if let Some(fault) = walk.step(row?, key) {
                walk.fault = Some(fault);
                break;
            }
        }
        drop(rows);
        drop(stmt);
        let mut fault = walk.fault.take();
        if fault.is_none() {
            fault = walk.against_head(head);
        }
        if fault.is_none()
            && let Some(expected) = expected
        {
            fault = walk.against_expected(expected);
        }
        if fault.is_none() && walk.entries == 0 {
            let events: i64 = snapshot.query_row(
                "SELECT (SELECT count(*) FROM approvals) + (SELECT count(*) FROM mode_history)",
                [],
                |r| r.get(0),
            )?;
            if events > 0 {
                fault = Some(AuditFault::Emptied { events });
            }
        }
        Ok(AuditReport {
            entries: walk.entries,
            last_hash: walk.last_hash,
            keyed: walk.keyed,
            fault,
        })
    }
}

/// The state of one walk along the chain.
struct Walk {
    entries: u64,
    keyed: u64,
    last_seq: i64,
    last_hash: String,
    /// The sequence number of an expected head, and the hash found there once passed.
    watch: Option<i64>,
    watched_hash: Option<String>,
    fault: Option<AuditFault>,
}

impl Default for Walk {
    fn default() -> Walk {
        Walk {
            entries: 0,
            keyed: 0,
            last_seq: 0,
            last_hash: GENESIS_HASH.to_owned(),
            watch: None,
            watched_hash: None,
            fault: None,
        }
    }
}

impl Walk {
    fn step(&mut self, r: super::AuditRecord, key: Option<&AuditKey>) -> Option<AuditFault> {
        let expected = self.last_seq + 1;
        let is_keyed = r.hash.starts_with(KEYED_PREFIX);
        if r.seq != expected {
            return Some(AuditFault::Missing {
                seq: expected,
                found: r.seq,
            });
        }
        if r.prev_hash != self.last_hash {
            return Some(AuditFault::BrokenLink { seq: r.seq });
        }
        if is_keyed && key.is_none() {
            return Some(AuditFault::KeyRequired { seq: r.seq });
        }
        if !is_keyed && self.keyed > 0 {
            return Some(AuditFault::Downgraded { seq: r.seq });
        }
        let key = if is_keyed { key } else { None };
        if record_hash(&r, key) != r.hash {
            return Some(AuditFault::Edited { seq: r.seq });
        }
        self.entries += 1;
        self.keyed += u64::from(is_keyed);
        self.last_seq = r.seq;
        if self.watch == Some(r.seq) {
            self.watched_hash = Some(r.hash.clone());
        }
        self.last_hash = r.hash;
        None
    }

    fn against_head(&self, head: Option<(i64, String)>) -> Option<AuditFault> {
        let (head_seq, head_hash) = head.unwrap_or((0, GENESIS_HASH.to_owned()));
        if head_seq > self.last_seq {
            Some(AuditFault::Truncated {
                seq: self.last_seq + 1,
                last: self.last_seq,
                head: head_seq,
            })
        } else if head_seq < self.last_seq {
            Some(AuditFault::PastHead { seq: head_seq + 1 })
        } else if head_hash != self.last_hash {
            Some(AuditFault::HeadMismatch { seq: head_seq })
        } else {
            None
        }
    }

    fn against_expected(&self, expected: &ExpectedHead) -> Option<AuditFault> {
        if expected.seq == 0 {
            return (expected.hash != GENESIS_HASH)
                .then_some(AuditFault::ExpectedHeadMismatch { seq: 0 });
        }
        match &self.watched_hash {
            None if expected.seq > self.last_seq => Some(AuditFault::ShorterThanExpected {
                seq: expected.seq,
                last: self.last_seq,
            }),
            Some(hash) if *hash == expected.hash => None,
            _ => Some(AuditFault::ExpectedHeadMismatch { seq: expected.seq }),
        }
    }
}
