//! The PostgreSQL connection behind [`super::Db`]: statements translated and prepared once, values bound by the
//! server's types, a lost connection reported as [`DbError::Unavailable`] and reopened on the next call
//! (never inside a transaction, which the server rolled back).

use std::collections::HashMap;
use std::sync::Arc;

use bytes::BytesMut;
use postgres::error::SqlState;
use postgres::types::{FromSql, IsNull, ToSql, Type, to_sql_checked};
use postgres::{Client, Statement};

use super::meter;
use super::row::Row;
use super::translate::to_postgres;
use super::value::Value;
use super::{DbError, DbResult};

/// Whether the connection is encrypted: as the URL's `sslmode` asks (`disable`, `prefer`, `require`).
#[derive(Clone)]
pub enum PgTls {
    /// No TLS at all.
    Off,
    /// rustls with the web PKI's roots (`webpki-roots`), used as the URL's `sslmode` says.
    Rustls(tokio_postgres_rustls::MakeRustlsConnect),
}

impl PgTls {
    /// rustls (ring) trusting the web PKI's roots, as managed PostgreSQL services' certificates chain to.
    pub fn webpki() -> PgTls {
        let roots = rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("ring supports the default TLS versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
        PgTls::Rustls(tokio_postgres_rustls::MakeRustlsConnect::new(config))
    }
}

impl std::fmt::Debug for PgTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            PgTls::Off => "PgTls::Off",
            PgTls::Rustls(_) => "PgTls::Rustls",
        })
    }
}

/// The advisory lock every write transaction takes first, so writers serialise as `BEGIN IMMEDIATE` does.
pub(crate) const WRITE_LOCK_KEY: i64 = 0x7265_6d65_6479;
/// Every session's limits: a write waits for the write lock at most as long as SQLite's busy timeout, and a
/// session that stops inside a transaction (a paused or hung leader) loses it, its lock and its connection
/// after 5 s, so another host can write (and lead within the lease plus 5 s); the paused process finds its
/// connection gone, never a half write.
const SESSION_LIMITS: &str =
    "SET lock_timeout = '10s'; SET idle_in_transaction_session_timeout = '5s'";
/// The channel every committed write transaction notifies with the change counter.
pub const CHANGE_CHANNEL: &str = "remedy_journal";

/// A PostgreSQL connection that reconnects after a loss (never inside a transaction).
pub struct PgConn {
    config: postgres::Config,
    tls: PgTls,
    client: Option<Client>,
    statements: HashMap<String, Statement>,
    /// A transaction is open: a lost connection must not be replaced until it is rolled back.
    pub(crate) in_tx: bool,
    /// Transactions this journal committed, so [`super::Db::data_version`] moves only for others' commits.
    pub(crate) own_commits: i64,
    /// Statements without parameters or rows (savepoints) sent with the next call, not in a round trip each.
    deferred: Vec<&'static str>,
}

impl PgConn {
    pub(crate) fn connect(config: postgres::Config, tls: PgTls) -> DbResult<PgConn> {
        let mut conn = PgConn {
            config,
            tls,
            client: None,
            statements: HashMap::new(),
            in_tx: false,
            own_commits: 0,
            deferred: Vec::new(),
        };
        conn.client()?;
        Ok(conn)
    }

    /// `user@host:port/dbname`, never the password.
    pub(crate) fn describe(&self) -> String {
        describe(&self.config)
    }

    /// The open client, reconnecting first when the last one was lost outside a transaction.
    fn client(&mut self) -> DbResult<&mut Client> {
        if self.client.as_ref().is_some_and(Client::is_closed) {
            self.lost();
        }
        if self.client.is_none() {
            if self.in_tx {
                return Err(unavailable(
                    "the connection was lost inside a transaction (the server rolled it back)",
                ));
            }
            let (config, tls) = (&self.config, &self.tls);
            let connected = outside_runtime(|| match tls {
                PgTls::Off => config.connect(postgres::NoTls),
                PgTls::Rustls(tls) => config.connect(tls.clone()),
            });
            let mut client = connected.map_err(|e| {
                unavailable(&format!(
                    "cannot connect to {}: {e}",
                    describe(&self.config)
                ))
            })?;
            let limits = outside_runtime(|| client.batch_execute(SESSION_LIMITS));
            limits.map_err(DbError::Postgres)?;
            self.client = Some(client);
        }
        Ok(self.client.as_mut().expect("connected above"))
    }

    fn lost(&mut self) {
        self.statements.clear();
        self.deferred.clear();
        if let Some(client) = self.client.take() {
            outside_runtime(move || drop(client));
        }
    }

    /// Maps a driver error, dropping the client when the connection is gone.
    fn fail(&mut self, e: postgres::Error) -> DbError {
        let gone = e.is_closed()
            || self.client.as_ref().is_none_or(Client::is_closed)
            || e.code().is_some_and(connection_lost)
            || std::error::Error::source(&e).is_some_and(|source| source.is::<std::io::Error>());
        if gone {
            self.lost();
            return unavailable(&format!("lost the connection to {}: {e}", self.describe()));
        }
        DbError::Postgres(e)
    }

    fn statement(&mut self, sql: &str) -> DbResult<Statement> {
        if let Some(statement) = self.statements.get(sql) {
            return Ok(statement.clone());
        }
        let client = self.client()?;
        let translated = to_postgres(sql);
        let prepared = meter::timed("PREPARE", || {
            outside_runtime(|| client.prepare(&translated))
        });
        let statement = prepared.map_err(|e| self.fail(e))?;
        self.statements.insert(sql.to_owned(), statement.clone());
        Ok(statement)
    }

    /// Sends `sql` (no parameters, no rows) with the next call.
    pub(crate) fn defer(&mut self, sql: &'static str) {
        self.deferred.push(sql);
    }

    /// Takes `sql` back when it is the last statement deferred (so it was never sent); whether it was.
    pub(crate) fn take_back(&mut self, sql: &'static str) -> bool {
        let last = self.deferred.last() == Some(&sql);
        if last {
            self.deferred.pop();
        }
        last
    }

    /// Forgets the deferred statements (the transaction they belonged to is rolled back).
    pub(crate) fn discard_deferred(&mut self) {
        self.deferred.clear();
    }

    /// Sends the deferred statements now, before a statement with parameters (one round trip for all).
    fn flush(&mut self) -> DbResult<()> {
        if self.deferred.is_empty() {
            return Ok(());
        }
        self.batch("")
    }

    pub(crate) fn query(&mut self, sql: &str, params: &[Value]) -> DbResult<Vec<Row>> {
        self.flush()?;
        let statement = self.statement(sql)?;
        let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(|v| v as _).collect();
        let names: Arc<[String]> = statement
            .columns()
            .iter()
            .map(|c| c.name().to_owned())
            .collect();
        let client = self.client()?;
        let rows = meter::timed(sql, || outside_runtime(|| client.query(&statement, &refs)));
        let rows = rows.map_err(|e| self.fail(e))?;
        rows.iter()
            .map(|row| {
                let values = (0..row.len())
                    .map(|i| row.try_get::<_, Value>(i))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(DbError::Postgres)?;
                Ok(Row::new(names.clone(), values))
            })
            .collect()
    }

    pub(crate) fn execute(&mut self, sql: &str, params: &[Value]) -> DbResult<usize> {
        self.flush()?;
        let statement = self.statement(sql)?;
        let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(|v| v as _).collect();
        let client = self.client()?;
        let changed = meter::timed(sql, || {
            outside_runtime(|| client.execute(&statement, &refs))
        });
        Ok(changed.map_err(|e| self.fail(e))? as usize)
    }

    /// Runs `sql` (statements without parameters, `;`-separated), after the deferred ones, in one round trip.
    pub(crate) fn batch(&mut self, sql: &str) -> DbResult<()> {
        let sql: std::borrow::Cow<'_, str> = if self.deferred.is_empty() {
            sql.into()
        } else {
            let mut all: Vec<&str> = std::mem::take(&mut self.deferred);
            all.extend(Some(sql).filter(|s| !s.is_empty()));
            all.join("; ").into()
        };
        let client = self.client()?;
        let done = meter::timed(&sql, || outside_runtime(|| client.batch_execute(&sql)));
        done.map_err(|e| self.fail(e))
    }
}

impl Drop for PgConn {
    fn drop(&mut self) {
        self.lost();
    }
}

/// Runs `f` here, or on a short-lived thread of its own when this thread drives a tokio runtime: the
/// blocking client runs a runtime of its own and refuses to start inside another. The journal's writer thread
/// runs no runtime, so its calls stay on it; commands and tests that open a journal in async code pay a thread.
fn outside_runtime<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    if tokio::runtime::Handle::try_current().is_err() {
        return f();
    }
    std::thread::scope(|scope| {
        scope
            .spawn(f)
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

/// Server errors that mean the session is over (shutdown, crash, connection failures).
fn connection_lost(code: &SqlState) -> bool {
    [
        SqlState::ADMIN_SHUTDOWN,
        SqlState::CRASH_SHUTDOWN,
        SqlState::CANNOT_CONNECT_NOW,
        SqlState::CONNECTION_EXCEPTION,
        SqlState::CONNECTION_FAILURE,
        SqlState::CONNECTION_DOES_NOT_EXIST,
    ]
    .contains(code)
        || code.code().starts_with("08")
}

fn unavailable(reason: &str) -> DbError {
    DbError::Unavailable {
        reason: reason.to_owned(),
    }
}

/// `user@host:port/dbname` of a connection configuration: what logs and errors may show (never the password).
pub fn describe(config: &postgres::Config) -> String {
    let host = config
        .get_hosts()
        .first()
        .map(|host| match host {
            postgres::config::Host::Tcp(name) => name.clone(),
            #[cfg(unix)]
            postgres::config::Host::Unix(path) => path.display().to_string(),
        })
        .unwrap_or_else(|| "localhost".into());
    let port = config.get_ports().first().copied().unwrap_or(5432);
    format!(
        "postgres://{}@{host}:{port}/{}",
        config.get_user().unwrap_or(""),
        config.get_dbname().unwrap_or("")
    )
}

impl ToSql for Value {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self {
            Value::Null => Ok(IsNull::Yes),
            Value::Integer(i) => match *ty {
                Type::INT2 => i16::try_from(*i)?.to_sql(ty, out),
                Type::INT4 => i32::try_from(*i)?.to_sql(ty, out),
                Type::BOOL => (*i != 0).to_sql(ty, out),
                Type::FLOAT8 => (*i as f64).to_sql(ty, out),
                Type::TEXT | Type::VARCHAR => i.to_string().to_sql(ty, out),
                _ => i.to_sql(ty, out),
            },
            Value::Real(r) => match *ty {
                Type::FLOAT4 => (*r as f32).to_sql(ty, out),
                _ => r.to_sql(ty, out),
            },
            Value::Text(s) => s.as_str().to_sql(ty, out),
            Value::Blob(b) => b.as_slice().to_sql(ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

impl<'a> FromSql<'a> for Value {
    fn from_sql(
        ty: &Type,
        raw: &'a [u8],
    ) -> Result<Value, Box<dyn std::error::Error + Sync + Send>> {
        Ok(match *ty {
            Type::INT8 => Value::Integer(i64::from_sql(ty, raw)?),
            Type::INT4 => Value::Integer(i32::from_sql(ty, raw)?.into()),
            Type::INT2 => Value::Integer(i16::from_sql(ty, raw)?.into()),
            Type::OID => Value::Integer(u32::from_sql(ty, raw)?.into()),
            Type::BOOL => Value::Integer(bool::from_sql(ty, raw)?.into()),
            Type::FLOAT8 => Value::Real(f64::from_sql(ty, raw)?),
            Type::FLOAT4 => Value::Real(f32::from_sql(ty, raw)?.into()),
            Type::BYTEA => Value::Blob(Vec::<u8>::from_sql(ty, raw)?),
            Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN => {
                Value::Text(String::from_sql(ty, raw)?)
            }
            _ => {
                return Err(format!("column type {ty} is not read by the journal; cast it").into());
            }
        })
    }

    fn from_sql_null(_: &Type) -> Result<Value, Box<dyn std::error::Error + Sync + Send>> {
        Ok(Value::Null)
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}
