//! The journal: remediations, transitions, approvals, mode changes and the audit chain, in SQLite or PostgreSQL.
//!
//! Written before the outside world is touched (write-ahead) and crash-safe: WAL with `synchronous=FULL`,
//! every write in one `BEGIN IMMEDIATE` transaction, a busy timeout so several processes can share a file.

mod alert_pages;
mod alerts;
mod approvals;
mod audit;
mod audit_archive;
mod audit_checkpoint;
mod audit_verify;
mod codec;
mod commands;
mod copy;
pub mod db;
mod error;
mod export;
mod feed;
mod lease;
mod location;
mod modes;
mod raw_json;
mod remediation_writes;
mod remediations;
mod retention;
mod schema;
mod schema_pg;
mod spend;
mod state_codec;
mod wal_checkpoint;
mod working_set;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rusqlite::Connection;

use db::{Db, Savepoint};

pub use alert_pages::PageMark;
pub use alerts::{AlertRecord, AlertRow, RawFormat};
pub use approvals::ApprovalRow;
pub use audit::{AuditEntry, AuditKey, AuditRecord, GENESIS_HASH};
pub use audit_archive::{ArchiveReader, archive_path};
pub use audit_checkpoint::PRUNE_ACTION;
pub use audit_verify::{AuditFault, AuditReport, ExpectedHead};
pub use commands::{CommandRow, CommandState, NewCommand};
pub use copy::TableCounts;
pub use error::StoreError;
pub use export::ExportFormat;
pub use lease::{Lease, LeaseHolder, LeaseOutcome};
pub use location::JournalLocation;
pub use modes::ModeChangeRow;
pub use raw_json::RawJson;
pub use remediations::{NewRemediation, RemediationRow, TransitionRow};
pub use retention::{PruneBatch, PruneCounts, PruneOutcome};
pub use schema::SCHEMA_VERSION;
pub use state_codec::{StoredAction, decode_action, decode_state};
pub use wal_checkpoint::{Checkpointed, WalCheckpointer};
pub use working_set::AlertSummary;

/// Prepared statements a SQLite journal keeps (the store has about a hundred).
const STATEMENT_CACHE: usize = 128;
/// Bytes a SQLite journal's WAL file keeps once the WAL restarts after a checkpoint (SQLite's
/// `journal_size_limit`): without it the file stays as large as the largest backlog it ever held.
pub const WAL_KEEP_BYTES: i64 = 64 * 1024 * 1024;
/// How long a write waits for another process holding the journal before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The journal. Owns its connection; keep one per process on a dedicated writer task.
#[derive(Debug)]
pub struct Journal {
    conn: Db,
    /// Inside [`Journal::group`]: writes join the group's transaction instead of starting their own.
    grouped: bool,
    /// Makes new audit entries keyed (HMAC), and verifies keyed ones.
    audit_key: Option<Arc<AuditKey>>,
    /// Where a prune archives audit entries (`<base>.audit-FIRST-LAST.jsonl`): next to a SQLite file by
    /// default; a PostgreSQL journal has none until [`Journal::set_archive_base`].
    archive_base: Option<std::path::PathBuf>,
}

/// A write transaction on the journal; everything done through it commits together or not at all.
pub struct JournalTx<'a> {
    tx: Savepoint<'a>,
    audit_key: Option<Arc<AuditKey>>,
}

/// Creates the file readable by its owner only (it names users and machines); leaves an existing one alone.
fn create_private(path: &Path) -> std::io::Result<()> {
    // Only a journal that does not exist yet is opened here: closing any descriptor of a file releases every
    // POSIX lock this process holds on it, SQLite's too, and a journal this process already has open would
    // lose them. Another process closing its connection would then take itself for the last one, checkpoint
    // and remove the write-ahead log under the open connection ("disk I/O error" from then on).
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

impl Journal {
    /// Opens (creating folders and file if needed) the journal at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Journal, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::Create {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        create_private(path).map_err(|source| StoreError::Create {
            path: path.to_path_buf(),
            source,
        })?;
        let open_err = |source| StoreError::Open {
            path: path.to_path_buf(),
            source,
        };
        let conn = Connection::open(path).map_err(open_err)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(open_err)?;
        let mode: String = conn
            .pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))
            .map_err(open_err)?;
        if !mode.eq_ignore_ascii_case("wal") {
            tracing::warn!(%mode, "journal could not switch to WAL mode");
        }
        Self::setup(Db::Sqlite(conn)).map_err(|e| match e {
            StoreError::Sqlite(source) => open_err(source),
            other => other,
        })
    }

    /// An empty journal that lives in memory only (tests, demos).
    pub fn open_in_memory() -> Result<Journal, StoreError> {
        Self::setup(Db::Sqlite(Connection::open_in_memory()?))
    }

    /// Opens the journal in a PostgreSQL database and brings its schema up to date (see `schema_pg`).
    pub fn open_postgres(config: postgres::Config, tls: db::PgTls) -> Result<Journal, StoreError> {
        Self::setup(Db::connect_postgres(config, tls)?)
    }

    /// Opens the journal wherever `location` says.
    pub fn open_location(location: &JournalLocation) -> Result<Journal, StoreError> {
        match location {
            JournalLocation::Sqlite(path) => Self::open(path),
            JournalLocation::Postgres { config, tls } => {
                Self::open_postgres((**config).clone(), tls.clone())
            }
        }
    }

    fn setup(mut conn: Db) -> Result<Journal, StoreError> {
        match &mut conn {
            Db::Sqlite(sqlite) => {
                // Room for every statement the engine runs in turn (the default 16 re-prepares some each turn).
                sqlite.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
                sqlite.pragma_update(None, "synchronous", "FULL")?;
                sqlite.pragma_update(None, "foreign_keys", "ON")?;
                sqlite.pragma_update(None, "journal_size_limit", WAL_KEEP_BYTES)?;
                schema::migrate(sqlite)?;
            }
            Db::Postgres(_) => schema_pg::migrate(&conn)?,
        }
        let archive_base = conn
            .sqlite()
            .and_then(|c| c.path())
            .filter(|p| !p.is_empty())
            .map(std::path::PathBuf::from);
        Ok(Journal {
            conn,
            grouped: false,
            audit_key: None,
            archive_base,
        })
    }

    /// Whether this journal lives in PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        self.conn.is_postgres()
    }

    /// Where a prune writes its audit archives: `base` plus `.audit-FIRST-LAST.jsonl`.
    pub fn set_archive_base(&mut self, base: std::path::PathBuf) {
        self.archive_base = Some(base);
    }

    /// The schema version of the open journal.
    /// From now on audit entries are keyed with `key` (HMAC-SHA256), and keyed entries verify with it.
    pub fn set_audit_key(&mut self, key: AuditKey) {
        self.audit_key = Some(Arc::new(key));
    }

    pub fn schema_version(&self) -> Result<i64, StoreError> {
        match self.conn.sqlite() {
            Some(sqlite) => schema::current_version(sqlite),
            None => schema_pg::current_version(&self.conn),
        }
    }

    /// Runs `f` in one write transaction: commits if it returns `Ok`, rolls back otherwise.
    /// Use it to make several writes atomic, e.g. an approval, its transition and its audit entry.
    /// Inside a [`Journal::group`] it is a savepoint of the group's transaction.
    pub fn atomic<T>(
        &mut self,
        f: impl FnOnce(&mut JournalTx<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        if self.grouped {
            let part = self.conn.savepoint()?;
            return Self::run(part, self.audit_key.clone(), f);
        }
        self.conn.begin_write()?;
        let result = Self::run(self.conn.whole_transaction(), self.audit_key.clone(), f);
        self.finish(result)
    }

    /// Runs `f` (several callers' work) in one `BEGIN IMMEDIATE` transaction, so their writes share one
    /// commit and one disk sync (group commit). A caller's failed `atomic` rolls back only its own part.
    /// Returns what `f` returned and whether the group committed; nothing of it is durable before that.
    pub fn group<T>(&mut self, f: impl FnOnce(&mut Journal) -> T) -> (T, Result<(), StoreError>) {
        if let Err(e) = self.conn.begin_write() {
            tracing::debug!(
                "journal group not started ({e}); each write takes its own transaction"
            );
            return (f(self), Ok(()));
        }
        self.grouped = true;
        let value = f(self);
        self.grouped = false;
        let committed = self.finish(Ok(()));
        (value, committed)
    }

    /// Runs one caller's `f` in `part` of the transaction, which stays only if `f` returns `Ok`.
    fn run<T>(
        part: Savepoint<'_>,
        audit_key: Option<Arc<AuditKey>>,
        f: impl FnOnce(&mut JournalTx<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut jtx = JournalTx {
            tx: part,
            audit_key,
        };
        let value = f(&mut jtx)?;
        jtx.tx.commit()?;
        Ok(value)
    }

    /// Commits the open transaction when `result` is `Ok` (rolling back if the commit fails), else rolls back.
    fn finish<T>(&mut self, result: Result<T, StoreError>) -> Result<T, StoreError> {
        match result {
            Ok(value) => match self.conn.commit() {
                Ok(()) => Ok(value),
                Err(e) => {
                    let _ = self.conn.rollback();
                    Err(e.into())
                }
            },
            Err(e) => {
                let _ = self.conn.rollback();
                Err(e)
            }
        }
    }
}
