//! The journal's error type: what went wrong with the database and what to do about it.

use std::path::PathBuf;

use super::db::DbError;

/// Everything the journal can fail with.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "could not create {path} for the journal: {source}; check its permissions or set another journal path"
    )]
    Create {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "could not open the journal {path}: {source}; check that the file is a remedy journal and is writable"
    )]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error(
        "the journal has schema version {found} but this remedy knows only up to {supported}; upgrade remedy or use another journal file"
    )]
    SchemaTooNew { found: i64, supported: i64 },
    #[error(
        "could not upgrade the journal to schema version {version}: {source}; the journal was left at the previous version"
    )]
    Migration {
        version: i64,
        source: rusqlite::Error,
    },
    #[error(
        "could not upgrade the PostgreSQL journal to schema version {version}: {problem}; the journal was left at the previous version"
    )]
    MigrationPostgres { version: i64, problem: String },
    #[error("no remediation with id {id} in the journal")]
    NotFound { id: String },
    #[error(
        "remediation {id} cannot go from {} to {}: the lifecycle does not allow it",
        from.as_str(),
        to.as_str()
    )]
    ForbiddenTransition {
        id: String,
        from: crate::lifecycle::RemediationState,
        to: crate::lifecycle::RemediationState,
    },
    #[error(
        "this process no longer leads the journal ({holder} holds the lease, fence {fence}); it leaves the work to the leader"
    )]
    LeaseLost { holder: String, fence: i64 },
    #[error("{field} must be one of {allowed}, not {value:?}")]
    InvalidValue {
        field: &'static str,
        value: String,
        allowed: &'static str,
    },
    #[error("could not write the audit export: {0}; check the output path and free space")]
    Export(#[source] std::io::Error),
    #[error("audit archive {path}: {problem}")]
    Archive { path: PathBuf, problem: String },
    #[error(
        "the journal could not commit writes made together with this one: {0}; nothing of them was kept"
    )]
    GroupCommit(String),
    #[error(
        "journal database error: {0}; if it says 'database is locked', another remedy holds the journal for too long"
    )]
    Sqlite(#[from] rusqlite::Error),
    #[error("journal database error: {0}")]
    Db(DbError),
    /// The journal's database cannot be reached (PostgreSQL down or the network gone); nothing of the
    /// failed call was written, and the next call tries to reconnect.
    #[error("the journal database is unreachable: {reason}; remedy retries")]
    Unavailable { reason: String },
    #[error(
        "the target journal is not empty ({table} has {rows} rows); copy only into a new, empty journal"
    )]
    CopyTargetNotEmpty { table: &'static str, rows: u64 },
    #[error("journal location: {problem}")]
    Location { problem: String },
}

impl From<DbError> for StoreError {
    fn from(e: DbError) -> StoreError {
        match e {
            DbError::Sqlite(e) => StoreError::Sqlite(e),
            DbError::Unavailable { reason } => StoreError::Unavailable { reason },
            other => StoreError::Db(other),
        }
    }
}

impl StoreError {
    /// Whether the database was unreachable (worth retrying later), not a refusal or a fault in the data.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, StoreError::Unavailable { .. })
    }
}
