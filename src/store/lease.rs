//! The leader lease: one row naming the process that acts on this journal, taken atomically, renewed by a
//! heartbeat, and fenced by a counter that grows on every take.

use super::db::{DbResult, OptionalExt, Row, params};
use chrono::{DateTime, Utc};

use super::codec::{ts, ts_col};
use super::{Journal, JournalTx, StoreError};

/// Who asks for the lease: `host:pid` and a token drawn at start, so a reused pid is another holder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseHolder {
    pub name: String,
    pub token: String,
}

/// The lease as the journal holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    /// `host:pid` of the holder.
    pub holder: String,
    pub token: String,
    /// Grows by one on every take: a write fenced with an older value is refused.
    pub fence: i64,
    /// When the holder took it.
    pub since: DateTime<Utc>,
    /// When it lapses unless renewed.
    pub expires_at: DateTime<Utc>,
}

impl Lease {
    /// Whether `who` holds it at `now`.
    pub fn held_by(&self, who: &LeaseHolder, now: DateTime<Utc>) -> bool {
        self.holder == who.name && self.token == who.token && self.expires_at > now
    }
}

/// What asking for the lease came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LeaseOutcome {
    /// Free or lapsed: now ours, with a new fence.
    Taken(Lease),
    /// Ours already: renewed.
    Renewed(Lease),
    /// Another process holds it until `expires_at`.
    HeldBy(Lease),
}

fn from_row(row: &Row) -> DbResult<Lease> {
    Ok(Lease {
        holder: row.get("holder")?,
        token: row.get("token")?,
        fence: row.get("fence")?,
        since: ts_col(row, "taken_at")?,
        expires_at: ts_col(row, "expires_at")?,
    })
}

const SELECT: &str = "SELECT holder, token, fence, taken_at, expires_at FROM lease WHERE id = 1";

impl JournalTx<'_> {
    fn read_lease(&self) -> Result<Option<Lease>, StoreError> {
        Ok(self
            .tx
            .prepare_cached(SELECT)?
            .query_row((), from_row)
            .optional()?)
    }

    /// Refuses (with [`StoreError::LeaseLost`]) unless `who` still holds the lease with `fence` at `now`:
    /// guard every write only the leader may make with it, inside the same transaction.
    pub fn require_lease(
        &self,
        who: &LeaseHolder,
        fence: i64,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        match self.read_lease()? {
            Some(lease) if lease.fence == fence && lease.held_by(who, now) => Ok(()),
            Some(lease) => Err(StoreError::LeaseLost {
                holder: lease.holder,
                fence: lease.fence,
            }),
            None => Err(StoreError::LeaseLost {
                holder: "nobody".into(),
                fence: 0,
            }),
        }
    }
}

impl Journal {
    /// Takes the lease if it is free or lapsed at `now`, renews it if `who` holds it, else says who does.
    /// A take or a renewal holds it until `now + ttl`.
    pub fn acquire_lease(
        &mut self,
        who: &LeaseHolder,
        now: DateTime<Utc>,
        ttl: chrono::Duration,
    ) -> Result<LeaseOutcome, StoreError> {
        let expires = now + ttl;
        self.atomic(|tx| {
            let current = tx.read_lease()?;
            if let Some(lease) = &current {
                if lease.held_by(who, now) {
                    tx.tx
                        .prepare_cached(
                            "UPDATE lease SET renewed_at = ?1, expires_at = ?2 WHERE id = 1",
                        )?
                        .execute(params![ts(now), ts(expires)])?;
                    return Ok(LeaseOutcome::Renewed(Lease {
                        expires_at: expires,
                        ..lease.clone()
                    }));
                }
                if lease.expires_at > now {
                    return Ok(LeaseOutcome::HeldBy(lease.clone()));
                }
            }
            let fence = current.map_or(1, |lease| lease.fence + 1);
            tx.tx
                .prepare_cached(
                    "INSERT INTO lease (id, holder, token, fence, taken_at, renewed_at, expires_at) \
                     VALUES (1, ?1, ?2, ?3, ?4, ?4, ?5) ON CONFLICT (id) DO UPDATE SET \
                     holder = excluded.holder, token = excluded.token, fence = excluded.fence, \
                     taken_at = excluded.taken_at, renewed_at = excluded.renewed_at, \
                     expires_at = excluded.expires_at",
                )?
                .execute(params![who.name, who.token, fence, ts(now), ts(expires)])?;
            Ok(LeaseOutcome::Taken(Lease {
                holder: who.name.clone(),
                token: who.token.clone(),
                fence,
                since: now,
                expires_at: expires,
            }))
        })
    }

    /// Gives the lease up at `now` (a clean shutdown), so a follower takes it at once; `false` if `who`
    /// did not hold it.
    pub fn release_lease(
        &mut self,
        who: &LeaseHolder,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.atomic(|tx| {
            let changed = tx
                .tx
                .prepare_cached(
                    "UPDATE lease SET expires_at = ?3 WHERE id = 1 AND holder = ?1 AND token = ?2 \
                     AND expires_at > ?3",
                )?
                .execute(params![who.name, who.token, ts(now)])?;
            Ok(changed == 1)
        })
    }

    /// The lease as it stands (held or lapsed), `None` if no process ever took it.
    pub fn lease(&self) -> Result<Option<Lease>, StoreError> {
        Ok(self
            .conn
            .prepare_cached(SELECT)?
            .query_row((), from_row)
            .optional()?)
    }
}
