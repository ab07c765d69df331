//! WAL checkpoints off the writer's path: a checkpoint copies the WAL's pages into the journal file and
//! syncs it, which a busy disk can stall for many seconds; the engine's writer connection leaves that to a
//! connection of its own ([`WalCheckpointer`]), so its commits (and the lease heartbeat) never wait for it.

use std::path::{Path, PathBuf};

use rusqlite::Connection;

use super::{BUSY_TIMEOUT, Journal, StoreError, WAL_KEEP_BYTES};

impl Journal {
    /// The file this journal lives in (`None` in memory).
    pub fn file(&self) -> Option<PathBuf> {
        self.conn
            .sqlite()
            .and_then(|c| c.path())
            .filter(|p| !p.is_empty())
            .map(PathBuf::from)
    }

    /// From now on this connection never checkpoints the WAL after its commits: run a
    /// [`WalCheckpointer`] beside it, or the WAL only grows.
    /// A no-op on PostgreSQL.
    pub fn leave_checkpoints(&self) -> Result<(), StoreError> {
        if let Some(conn) = self.conn.sqlite() {
            conn.pragma_update(None, "wal_autocheckpoint", 0)?;
        }
        Ok(())
    }

    /// This connection checkpoints after its commits again, as SQLite does by default (1000 WAL pages).
    pub fn restore_checkpoints(&self) -> Result<(), StoreError> {
        if let Some(conn) = self.conn.sqlite() {
            conn.pragma_update(None, "wal_autocheckpoint", 1000)?;
        }
        Ok(())
    }

    /// WAL pages after which this connection checkpoints on commit (0: never).
    /// `0` on PostgreSQL (no WAL file of the journal's own).
    pub fn autocheckpoint_pages(&self) -> Result<i64, StoreError> {
        match self.conn.sqlite() {
            Some(conn) => Ok(conn.pragma_query_value(None, "wal_autocheckpoint", |r| r.get(0))?),
            None => Ok(0),
        }
    }
}

/// What a checkpoint found and did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checkpointed {
    /// Pages in the WAL.
    pub wal_pages: i64,
    /// Of those, pages now in the journal file.
    pub copied: i64,
}

/// A connection of its own that copies the WAL into the journal file.
pub struct WalCheckpointer {
    conn: Connection,
}

impl WalCheckpointer {
    pub fn open(path: &Path) -> Result<WalCheckpointer, StoreError> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        conn.pragma_update(None, "journal_size_limit", WAL_KEEP_BYTES)?;
        Ok(WalCheckpointer { conn })
    }

    /// Copies what it can without waiting for readers or writers (`PASSIVE`).
    pub fn run(&self) -> Result<Checkpointed, StoreError> {
        let (wal_pages, copied) =
            self.conn
                .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
                    Ok((r.get::<_, i64>(1)?, r.get::<_, i64>(2)?))
                })?;
        Ok(Checkpointed { wal_pages, copied })
    }
}
