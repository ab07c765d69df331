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
/// test skips PostgreSQL) when `REMEDY_TEST_PG_URL` is unset outside CI. The database is left for inspection;
/// the next run drops those of the same prefix older than an hour.
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

/// A journal a test runs against: a SQLite file in a temporary folder, or a fresh PostgreSQL database.
pub struct TestJournal {
    pub location: remedy::store::JournalLocation,
    /// The temporary folder (the SQLite file, and a PostgreSQL journal's audit archives).
    pub dir: tempfile::TempDir,
}

impl TestJournal {
    pub fn sqlite() -> TestJournal {
        let dir = tempfile::tempdir().expect("temporary folder");
        let location = remedy::store::JournalLocation::Sqlite(dir.path().join("journal.sqlite"));
        TestJournal { location, dir }
    }

    /// A fresh PostgreSQL database, or `None` when `REMEDY_TEST_PG_URL` is unset outside CI.
    pub fn postgres(prefix: &str) -> Option<TestJournal> {
        let url = pg_database(prefix)?;
        let location = remedy::store::JournalLocation::parse(&url).expect("a PostgreSQL URL");
        let dir = tempfile::tempdir().expect("temporary folder");
        Some(TestJournal { location, dir })
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

/// The journals a backend-independent test runs against: SQLite always, PostgreSQL when a server is given
/// (always in CI). Each test's PostgreSQL database is named `{prefix}_…`.
pub fn journals(prefix: &str) -> Vec<TestJournal> {
    let mut all = vec![TestJournal::sqlite()];
    all.extend(TestJournal::postgres(prefix));
    all
}
