//! One database type for both journal backends (SQLite, PostgreSQL) with the subset of rusqlite's API the
//! store uses: statements with `?N` parameters, typed rows, write transactions, savepoints and read snapshots.

pub mod meter;
mod pg;
mod row;
mod savepoint;
mod sqlite;
mod translate;
mod value;

use std::cell::RefCell;

pub use pg::PgConn;
pub(crate) use pg::WRITE_LOCK_KEY;
pub use pg::{CHANGE_CHANNEL, PgTls, describe};
pub use row::{Row, RowIndex};
pub use savepoint::Savepoint;
pub use translate::to_postgres;
pub(crate) use value::params;
pub use value::{FromValue, Params, ToValue, Value, params_from_iter};

/// What a statement can fail with.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("{0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("{}", postgres_message(.0))]
    Postgres(#[from] postgres::Error),
    /// The database cannot be reached now; the next call tries again.
    #[error("the journal database is unreachable: {reason}")]
    Unavailable { reason: String },
    #[error("the query returned no rows")]
    NoRows,
    #[error("no column {0} in the result")]
    NoSuchColumn(String),
    #[error("column {column}: {problem}")]
    Conversion { column: String, problem: String },
}

pub type DbResult<T> = Result<T, DbError>;

/// The server's own message (`ERROR: …`, with its detail) when there is one: the driver's `Display` says only
/// "db error".
fn postgres_message(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => db.to_string(),
        None => e.to_string(),
    }
}

/// `.optional()` on a single-row result: no row is `None`.
pub trait OptionalExt<T> {
    fn optional(self) -> DbResult<Option<T>>;
}

impl<T> OptionalExt<T> for DbResult<T> {
    fn optional(self) -> DbResult<Option<T>> {
        match self {
            Ok(value) => Ok(Some(value)),
            Err(DbError::NoRows) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// The journal's database connection.
pub enum Db {
    Sqlite(rusqlite::Connection),
    Postgres(Box<RefCell<PgConn>>),
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Db::Sqlite(conn) => write!(f, "Db::Sqlite({:?})", conn.path().unwrap_or(":memory:")),
            Db::Postgres(conn) => write!(f, "Db::Postgres({})", conn.borrow().describe()),
        }
    }
}

/// A prepared statement of either backend, with its SQL.
pub struct Stmt<'a> {
    sql: String,
    prepared: Prepared<'a>,
}

enum Prepared<'a> {
    Sqlite(rusqlite::CachedStatement<'a>),
    Postgres(&'a RefCell<PgConn>),
}

impl Stmt<'_> {
    /// Every row, each mapped by `f`.
    pub fn query_map<T>(
        &mut self,
        params: impl Params,
        f: impl FnMut(&Row) -> DbResult<T>,
    ) -> DbResult<std::vec::IntoIter<DbResult<T>>> {
        let rows = self.rows(params.into_values())?;
        Ok(rows.iter().map(f).collect::<Vec<_>>().into_iter())
    }

    /// The first row mapped by `f`; [`DbError::NoRows`] when there is none.
    pub fn query_row<T>(
        &mut self,
        params: impl Params,
        f: impl FnOnce(&Row) -> DbResult<T>,
    ) -> DbResult<T> {
        let rows = self.rows(params.into_values())?;
        rows.first().map_or(Err(DbError::NoRows), f)
    }

    /// Runs a statement that returns no rows; how many rows it changed.
    pub fn execute(&mut self, params: impl Params) -> DbResult<usize> {
        let values = params.into_values();
        match &mut self.prepared {
            Prepared::Sqlite(stmt) => meter::timed(&self.sql, || {
                Ok(stmt.execute(rusqlite::params_from_iter(values.iter()))?)
            }),
            Prepared::Postgres(conn) => conn.borrow_mut().execute(&self.sql, &values),
        }
    }

    fn rows(&mut self, values: Vec<Value>) -> DbResult<Vec<Row>> {
        match &mut self.prepared {
            Prepared::Sqlite(stmt) => meter::timed(&self.sql, || sqlite::rows(stmt, &values)),
            Prepared::Postgres(conn) => conn.borrow_mut().query(&self.sql, &values),
        }
    }
}

impl Db {
    /// A PostgreSQL connection (opened now).
    pub fn connect_postgres(config: postgres::Config, tls: PgTls) -> DbResult<Db> {
        Ok(Db::Postgres(Box::new(RefCell::new(PgConn::connect(
            config, tls,
        )?))))
    }

    /// The SQLite connection, for what only SQLite has (pragmas, WAL checkpoints, `VACUUM`).
    pub fn sqlite(&self) -> Option<&rusqlite::Connection> {
        match self {
            Db::Sqlite(conn) => Some(conn),
            Db::Postgres(_) => None,
        }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self, Db::Postgres(_))
    }

    /// A statement, prepared once per connection (SQLite's statement cache; PostgreSQL's translated and
    /// prepared statements are cached by the connection).
    pub fn prepare_cached(&self, sql: &str) -> DbResult<Stmt<'_>> {
        let prepared = match self {
            Db::Sqlite(conn) => Prepared::Sqlite(conn.prepare_cached(sql)?),
            Db::Postgres(conn) => Prepared::Postgres(conn),
        };
        Ok(Stmt {
            sql: sql.to_owned(),
            prepared,
        })
    }

    /// Same as [`Db::prepare_cached`].
    pub fn prepare(&self, sql: &str) -> DbResult<Stmt<'_>> {
        self.prepare_cached(sql)
    }

    pub fn query_row<T>(
        &self,
        sql: &str,
        params: impl Params,
        f: impl FnOnce(&Row) -> DbResult<T>,
    ) -> DbResult<T> {
        self.prepare_cached(sql)?.query_row(params, f)
    }

    pub fn execute(&self, sql: &str, params: impl Params) -> DbResult<usize> {
        self.prepare_cached(sql)?.execute(params)
    }

    /// Runs statements without parameters, separated by `;`.
    pub fn execute_batch(&self, sql: &str) -> DbResult<()> {
        match self {
            Db::Sqlite(conn) => meter::timed(sql, || Ok(conn.execute_batch(sql)?)),
            Db::Postgres(conn) => conn.borrow_mut().batch(sql),
        }
    }

    /// Starts a write transaction that holds the journal's write lock until it ends: SQLite's
    /// `BEGIN IMMEDIATE`; on PostgreSQL `BEGIN` and the journal's advisory transaction lock, so writers on
    /// every host serialise the same way (and the lease checked inside is a real fence).
    pub fn begin_write(&self) -> DbResult<()> {
        match self {
            Db::Sqlite(_) => self.execute_batch("BEGIN IMMEDIATE"),
            Db::Postgres(conn) => {
                let mut conn = conn.borrow_mut();
                let begun = conn.batch(&format!(
                    "BEGIN; SELECT pg_advisory_xact_lock({WRITE_LOCK_KEY})"
                ));
                if begun.is_err() {
                    // Never leave a transaction open behind a failed start (a lock wait cancelled).
                    let _ = conn.batch("ROLLBACK");
                }
                begun?;
                conn.in_tx = true;
                Ok(())
            }
        }
    }

    /// Starts a read transaction: one snapshot for every read until [`Db::rollback`].
    pub fn begin_read(&self) -> DbResult<()> {
        match self {
            Db::Sqlite(_) => self.execute_batch("BEGIN DEFERRED"),
            Db::Postgres(conn) => {
                let mut conn = conn.borrow_mut();
                conn.batch("BEGIN ISOLATION LEVEL REPEATABLE READ")?;
                conn.in_tx = true;
                Ok(())
            }
        }
    }

    /// Commits the open write transaction. On PostgreSQL it first bumps the change counter and notifies
    /// [`CHANGE_CHANNEL`] with it, in the same transaction (a failed transaction cannot get that far).
    pub fn commit(&self) -> DbResult<()> {
        match self {
            Db::Sqlite(_) => self.execute_batch("COMMIT"),
            Db::Postgres(conn) => {
                let mut conn = conn.borrow_mut();
                // One round trip: with the savepoint release still deferred, the bump and the commit.
                conn.batch(&format!(
                    "WITH bumped AS (UPDATE change_counter SET value = value + 1 WHERE id = 1 \
                     RETURNING value) SELECT pg_notify('{CHANGE_CHANNEL}', CAST(value AS TEXT)) \
                     FROM bumped; COMMIT"
                ))?;
                conn.in_tx = false;
                conn.own_commits += 1;
                Ok(())
            }
        }
    }

    /// Commits a schema migration (no change counter: it may not exist yet).
    pub fn commit_schema(&self) -> DbResult<()> {
        match self {
            Db::Sqlite(_) => self.execute_batch("COMMIT"),
            Db::Postgres(conn) => {
                let mut conn = conn.borrow_mut();
                conn.batch("COMMIT")?;
                conn.in_tx = false;
                Ok(())
            }
        }
    }

    /// Rolls the open transaction back (on a lost PostgreSQL connection the server already did).
    pub fn rollback(&self) -> DbResult<()> {
        match self {
            Db::Sqlite(_) => self.execute_batch("ROLLBACK"),
            Db::Postgres(conn) => {
                let mut conn = conn.borrow_mut();
                conn.in_tx = false;
                conn.discard_deferred();
                match conn.batch("ROLLBACK") {
                    Err(DbError::Unavailable { .. }) => Ok(()),
                    other => other,
                }
            }
        }
    }

    /// A number that changes whenever another connection commits to the journal. SQLite's
    /// `PRAGMA data_version`; on PostgreSQL the change counter less this connection's own commits.
    pub fn data_version(&self) -> DbResult<i64> {
        match self {
            Db::Sqlite(conn) => Ok(conn.pragma_query_value(None, "data_version", |r| r.get(0))?),
            Db::Postgres(cell) => {
                let counter: i64 =
                    self.query_row("SELECT value FROM change_counter WHERE id = 1", (), |r| {
                        r.get(0)
                    })?;
                Ok(counter - cell.borrow().own_commits)
            }
        }
    }
}
