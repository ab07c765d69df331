//! PostgreSQL for tests: a fresh database per test on the server `REMEDY_TEST_PG_URL` names (never skipped in CI).
#![allow(dead_code)]

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The admin URL the PostgreSQL tests use; `.ci/run` starts a throwaway cluster and exports it.
pub const URL_VAR: &str = "REMEDY_TEST_PG_URL";
/// Databases older than this, left by runs that died or kept them for inspection, are dropped by the next run.
const STALE_AFTER: Duration = Duration::from_secs(3600);

static SEQUENCE: AtomicU32 = AtomicU32::new(0);

/// The admin URL, or `None` locally when it is unset; panics under `CI=true` without it (CI must never skip).
pub fn admin_url() -> Option<String> {
    match std::env::var(URL_VAR) {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var("CI").is_ok_and(|ci| ci == "true") => {
            panic!(
                "{URL_VAR} is unset under CI=true: the PostgreSQL tests must run in CI (.ci/run sets it)"
            )
        }
        _ => None,
    }
}

/// A fresh, uniquely named database `{prefix}_{unix}_{pid}_{n}` and its URL, or `None` (and a line saying the
/// test skips PostgreSQL) when `REMEDY_TEST_PG_URL` is unset outside CI. The database is left for inspection
/// (a [`TestJournal`] drops its own when done); the next run drops those of the same prefix older than an hour.
pub fn pg_database(prefix: &str) -> Option<String> {
    let Some(admin) = admin_url() else {
        eprintln!(
            "skipping PostgreSQL: {URL_VAR} is unset (see README, 'Running remedy on several hosts')"
        );
        return None;
    };
    // A thread of its own: the blocking client refuses to run on a thread that drives a tokio runtime.
    let prefix = prefix.to_owned();
    let url = std::thread::spawn(move || create_database(&admin, &prefix))
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
    Some(url)
}

fn create_database(admin: &str, prefix: &str) -> String {
    let mut client = postgres::Client::connect(admin, postgres::NoTls)
        .unwrap_or_else(|error| panic!("connecting to {URL_VAR}: {error}"));
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs();
    drop_stale(&mut client, prefix, now);
    let name = format!(
        "{prefix}_{now}_{}_{}",
        std::process::id(),
        SEQUENCE.fetch_add(1, Ordering::Relaxed)
    );
    client
        .batch_execute(&format!("CREATE DATABASE \"{name}\""))
        .unwrap_or_else(|error| panic!("creating database {name}: {error}"));
    database_url(admin, &name)
}

/// `admin` with its database replaced by `name`.
pub fn database_url(admin: &str, name: &str) -> String {
    let mut url = url::Url::parse(admin).expect("REMEDY_TEST_PG_URL is a URL");
    url.set_path(&format!("/{name}"));
    url.to_string()
}

/// Drops databases named `{prefix}_{unix}_…` created more than an hour ago; one still in use is left alone.
fn drop_stale(client: &mut postgres::Client, prefix: &str, now: u64) {
    let pattern = format!("{}\\_%", prefix.replace('_', "\\_"));
    let Ok(rows) = client.query(
        "SELECT datname FROM pg_database WHERE datname LIKE $1",
        &[&pattern],
    ) else {
        return;
    };
    for row in rows {
        let name: String = row.get(0);
        let created = name[prefix.len() + 1..]
            .split('_')
            .next()
            .and_then(|unix| unix.parse::<u64>().ok());
        if created.is_some_and(|created| now.saturating_sub(created) > STALE_AFTER.as_secs()) {
            let _ = client.batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\""));
        }
    }
}

/// Drops the database `url` names, closing its sessions first (`WITH (FORCE)`); a failure is only reported.
fn drop_database(url: &str) {
    let (Some(admin), Ok(parsed)) = (admin_url(), url::Url::parse(url)) else {
        return;
    };
    let name = parsed.path().trim_start_matches('/').to_owned();
    // A thread of its own, as in `pg_database`: the blocking client cannot run on a runtime's thread.
    let dropped = std::thread::spawn(move || {
        let mut client = postgres::Client::connect(&admin, postgres::NoTls)?;
        client.batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
    })
    .join();
    if let Ok(Err(error)) = dropped {
        eprintln!("dropping the test database of {url}: {error}");
    }
}

/// A journal a test runs against: a SQLite file in a temporary folder, or a fresh PostgreSQL database, dropped
/// when the `TestJournal` is.
pub struct TestJournal {
    pub location: remedy::store::JournalLocation,
    /// The temporary folder (the SQLite file, and a PostgreSQL journal's audit archives).
    pub dir: tempfile::TempDir,
    /// The PostgreSQL database's URL (no password: the test server trusts loopback).
    url: Option<String>,
}

impl TestJournal {
    pub fn sqlite() -> TestJournal {
        let dir = tempfile::tempdir().expect("temporary folder");
        let location = remedy::store::JournalLocation::Sqlite(dir.path().join("journal.sqlite"));
        TestJournal {
            location,
            dir,
            url: None,
        }
    }

    /// A fresh PostgreSQL database, or `None` when `REMEDY_TEST_PG_URL` is unset outside CI.
    pub fn postgres(prefix: &str) -> Option<TestJournal> {
        let url = pg_database(prefix)?;
        let location = remedy::store::JournalLocation::parse(&url).expect("a PostgreSQL URL");
        let dir = tempfile::tempdir().expect("temporary folder");
        Some(TestJournal {
            location,
            dir,
            url: Some(url),
        })
    }

    /// The SQLite file's path or the PostgreSQL URL, as `remedy journal copy` and `[journal]` take it.
    pub fn url_or_path(&self) -> String {
        match (&self.url, &self.location) {
            (Some(url), _) => url.clone(),
            (None, remedy::store::JournalLocation::Sqlite(path)) => path.display().to_string(),
            (None, remedy::store::JournalLocation::Postgres { .. }) => {
                unreachable!("a PostgreSQL test journal keeps its URL")
            }
        }
    }

    /// The `[journal]` line of a config that points `remedy` at this journal: `path = …` or `url = …`.
    pub fn config_line(&self) -> String {
        let key = if self.is_postgres() { "url" } else { "path" };
        format!("{key} = {:?}", self.url_or_path())
    }

    pub fn is_postgres(&self) -> bool {
        self.location.is_postgres()
    }

    /// `sqlite` or `postgres`, for messages.
    pub fn backend(&self) -> &'static str {
        if self.is_postgres() {
            "postgres"
        } else {
            "sqlite"
        }
    }

    /// Opens (another connection to) the journal; a PostgreSQL journal archives audit entries in `dir`.
    pub fn open(&self) -> remedy::store::Journal {
        let mut journal = remedy::store::Journal::open_location(&self.location)
            .unwrap_or_else(|e| panic!("opening the {} journal: {e}", self.backend()));
        if self.is_postgres() {
            journal.set_archive_base(self.dir.path().join("journal"));
        }
        journal
    }

    /// A raw connection (see [`TestJournal::raw`]) with the audit table's append-only guards lifted, as an
    /// intruder with the owner's rights (or the SQLite file) could.
    pub fn raw_unguarded(&self) -> remedy::store::db::Db {
        let raw = self.raw();
        raw.execute_batch(if self.is_postgres() {
            "ALTER TABLE audit DISABLE TRIGGER USER"
        } else {
            "DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;"
        })
        .expect("the audit guards lifted");
        raw
    }

    /// A connection of its own that bypasses the journal, for tampering as an intruder would.
    pub fn raw(&self) -> remedy::store::db::Db {
        match &self.location {
            remedy::store::JournalLocation::Sqlite(path) => remedy::store::db::Db::Sqlite(
                rusqlite::Connection::open(path).expect("raw SQLite connection"),
            ),
            remedy::store::JournalLocation::Postgres { config, tls } => {
                remedy::store::db::Db::connect_postgres((**config).clone(), tls.clone())
                    .expect("raw PostgreSQL connection")
            }
        }
    }
}

impl Drop for TestJournal {
    fn drop(&mut self) {
        if let Some(url) = &self.url {
            drop_database(url);
        }
    }
}

/// The journals a backend-independent test runs against: SQLite always, PostgreSQL when a server is given
/// (always in CI). Each test's PostgreSQL database is named `{prefix}_…`.
pub fn journals(prefix: &str) -> Vec<TestJournal> {
    let mut all = vec![TestJournal::sqlite()];
    all.extend(TestJournal::postgres(prefix));
    all
}

/// The key of the advisory lock every PostgreSQL write transaction takes (`WRITE_LOCK_KEY` in
/// `src/store/db/pg.rs`, crate-private there).
const WRITE_LOCK_KEY: i64 = 0x7265_6d65_6479;

/// Another connection holding the journal's write lock, as a second writer would: the journal's writes wait
/// (SQLite's busy timeout, PostgreSQL's `lock_timeout`) and then fail, while reads still work. Released on drop.
pub struct WriteLock {
    held: Option<HeldLock>,
}

enum HeldLock {
    Sqlite(rusqlite::Connection),
    /// A thread holding a session-level advisory lock until told to let go.
    Postgres(std::sync::mpsc::Sender<()>, std::thread::JoinHandle<()>),
}

impl TestJournal {
    /// Takes the journal's write lock on a connection of its own.
    pub fn hold_write_lock(&self) -> WriteLock {
        let held = match &self.location {
            remedy::store::JournalLocation::Sqlite(path) => {
                let conn = rusqlite::Connection::open(path).expect("second connection");
                conn.execute_batch("BEGIN EXCLUSIVE")
                    .expect("write lock taken");
                HeldLock::Sqlite(conn)
            }
            remedy::store::JournalLocation::Postgres { config, .. } => {
                let config = (**config).clone();
                let (taken_tx, taken) = std::sync::mpsc::channel();
                let (release, released) = std::sync::mpsc::channel::<()>();
                let holder = std::thread::spawn(move || {
                    let mut client = config.connect(postgres::NoTls).expect("second connection");
                    client
                        .execute("SELECT pg_advisory_lock($1)", &[&WRITE_LOCK_KEY])
                        .expect("write lock taken");
                    taken_tx.send(()).expect("the test waits for the lock");
                    let _ = released.recv();
                });
                taken.recv().expect("the write lock is taken");
                HeldLock::Postgres(release, holder)
            }
        };
        WriteLock { held: Some(held) }
    }
}

impl WriteLock {
    /// Lets the journal write again.
    pub fn release(mut self) {
        self.let_go();
    }

    fn let_go(&mut self) {
        match self.held.take() {
            Some(HeldLock::Sqlite(conn)) => {
                conn.execute_batch("ROLLBACK").expect("write lock released")
            }
            Some(HeldLock::Postgres(release, holder)) => {
                let _ = release.send(());
                holder.join().expect("the lock's thread ends");
            }
            None => {}
        }
    }
}

impl Drop for WriteLock {
    fn drop(&mut self) {
        self.let_go();
    }
}
