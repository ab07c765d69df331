//! Verifying the audit chain: every entry against its hash and its predecessor, the head, an
//! expected head kept outside the journal, the key, and the journal's own record of audited events.

use std::collections::HashSet;
use std::path::PathBuf;

use serde::Serialize;

use super::audit::{
    AUDIT_COLUMNS, AuditKey, AuditRecord, GENESIS_HASH, KEYED_PREFIX, from_row, head, record_hash,
};
use super::audit_archive::ArchiveReader;
use super::audit_checkpoint::{PRUNE_ACTION, carried_head};
use super::db::Db;
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
        "the expected head is entry {seq}, which was pruned into an archive: verify with --archive FILE"
    )]
    ExpectedHeadArchived { seq: i64 },
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
            | AuditFault::ExpectedHeadMismatch { seq }
            | AuditFault::ExpectedHeadArchived { seq } => *seq,
            AuditFault::Emptied { .. } => 1,
        }
    }
}

/// The outcome of [`Journal::verify_audit`].
#[derive(Debug, Clone, PartialEq)]
pub struct AuditReport {
    /// Entries checked.
    pub entries: u64,
    /// The first and last entry checked (the first is after 1 when older entries were pruned).
    pub first_seq: i64,
    pub last_seq: i64,
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
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
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
        self.verify_audit_with_archives(expected, &[])
    }

    /// [`Journal::verify_audit_against`] over the archives a prune wrote (in any order) followed by the
    /// journal, as one chain: an archive edited, missing in the middle or not joining the journal fails.
    pub fn verify_audit_with_archives(
        &self,
        expected: Option<&ExpectedHead>,
        archives: &[PathBuf],
    ) -> Result<AuditReport, StoreError> {
        let archives = in_chain_order(archives)?;
        // One read transaction: the head and the walk see the same snapshot while others append.
        self.conn.begin_read()?;
        let report = self.verify_in_snapshot(expected, &archives);
        let rolled_back = self.conn.rollback();
        let report = report?;
        rolled_back?;
        Ok(report)
    }

    fn verify_in_snapshot(
        &self,
        expected: Option<&ExpectedHead>,
        archives: &[PathBuf],
    ) -> Result<AuditReport, StoreError> {
        let snapshot = &self.conn;
        let head = head(snapshot)?;
        let key = self.audit_key.as_deref();
        let mut anchors = live_anchors(snapshot)?;
        for archive in archives {
            for record in ArchiveReader::open(archive)? {
                let record = record?;
                anchors.extend(carried_head(&record.action, &record.result));
            }
        }
        let mut walk = Walk {
            watch: expected.map(|e| e.seq),
            anchors,
            ..Walk::default()
        };
        for archive in archives {
            if walk.fault.is_some() {
                break;
            }
            walk.run(ArchiveReader::open(archive)?, key)?;
        }
        if walk.fault.is_none() {
            let mut stmt =
                snapshot.prepare(&format!("SELECT {AUDIT_COLUMNS} FROM audit ORDER BY seq"))?;
            let rows = stmt.query_map((), from_row)?;
            walk.run(rows.map(|r| r.map_err(StoreError::from)), key)?;
        }
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
                (),
                |r| r.get(0),
            )?;
            if events > 0 {
                fault = Some(AuditFault::Emptied { events });
            }
        }
        Ok(AuditReport {
            entries: walk.entries,
            first_seq: walk.first_seq,
            last_seq: walk.last_seq,
            last_hash: walk.last_hash,
            keyed: walk.keyed,
            fault,
        })
    }
}

/// The archives sorted by their first entry.
fn in_chain_order(archives: &[PathBuf]) -> Result<Vec<PathBuf>, StoreError> {
    let mut keyed = Vec::new();
    for path in archives {
        keyed.push((
            ArchiveReader::first_seq(path)?.unwrap_or(i64::MAX),
            path.clone(),
        ));
    }
    keyed.sort();
    Ok(keyed.into_iter().map(|(_, path)| path).collect())
}

/// The heads carried by the journal's checkpoints: where a pruned chain may start.
fn live_anchors(conn: &Db) -> Result<HashSet<ExpectedHead>, StoreError> {
    let mut stmt = conn.prepare("SELECT action, result FROM audit WHERE action = ?1")?;
    let rows = stmt.query_map([PRUNE_ACTION], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
    })?;
    let mut anchors = HashSet::new();
    for row in rows {
        let (action, result) = row?;
        anchors.extend(carried_head(&action, &result));
    }
    Ok(anchors)
}

/// The state of one walk along the chain.
struct Walk {
    entries: u64,
    first_seq: i64,
    /// Heads carried by checkpoints: the chain may start right after one of them instead of at entry 1.
    anchors: HashSet<ExpectedHead>,
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
            first_seq: 0,
            anchors: HashSet::new(),
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
    /// Steps through `records` until the first fault (kept in `self.fault`).
    fn run(
        &mut self,
        records: impl Iterator<Item = Result<AuditRecord, StoreError>>,
        key: Option<&AuditKey>,
    ) -> Result<(), StoreError> {
        for record in records {
            if let Some(fault) = self.step(record?, key) {
                self.fault = Some(fault);
                break;
            }
        }
        Ok(())
    }

    fn step(&mut self, r: AuditRecord, key: Option<&AuditKey>) -> Option<AuditFault> {
        if self.entries == 0 {
            self.first_seq = r.seq;
            let pruned_before = ExpectedHead {
                seq: r.seq - 1,
                hash: r.prev_hash.clone(),
            };
            if r.seq > 1 && self.anchors.contains(&pruned_before) {
                self.last_seq = pruned_before.seq;
                self.last_hash = pruned_before.hash;
            }
        }
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
            None if expected.seq < self.first_seq => {
                Some(AuditFault::ExpectedHeadArchived { seq: expected.seq })
            }
            None if expected.seq > self.last_seq => Some(AuditFault::ShorterThanExpected {
                seq: expected.seq,
                last: self.last_seq,
            }),
            Some(hash) if *hash == expected.hash => None,
            _ => Some(AuditFault::ExpectedHeadMismatch { seq: expected.seq }),
        }
    }
}
