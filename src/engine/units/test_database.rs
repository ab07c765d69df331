//! A fresh PostgreSQL database for a unit test on the server `REMEDY_TEST_PG_URL` names (always in CI),
//! dropped when the test is done.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::store::JournalLocation;

/// The admin URL of the test server; `.ci/run` starts a throwaway cluster and exports it.
const URL_VAR: &str = "REMEDY_TEST_PG_URL";
/// Every unit test database is named `pgtests_units_{unix}_{pid}_{n}`.
const PREFIX: &str = "pgtests_units";

static SEQUENCE: AtomicU32 = AtomicU32::new(0);

/// The admin URL, or `None` locally when it is unset; panics under `CI=true` without it (CI must never skip).
fn admin_url() -> Option<String> {
    match std::env::var(URL_VAR) {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var("CI").is_ok_and(|ci| ci == "true") => {
            panic!(
                "{URL_VAR} is unset under CI=true: the PostgreSQL units must run in CI (.ci/run sets it)"
            )
        }
        _ => None,
    }
}

/// Runs `sql` on the admin connection, on a thread of its own: the blocking client refuses to run on a thread
/// that drives a tokio runtime.
fn admin_execute(admin: &str, sql: String) -> Result<(), postgres::Error> {
    let admin = admin.to_owned();
    std::thread::spawn(move || {
        postgres::Client::connect(&admin, postgres::NoTls)?.batch_execute(&sql)
    })
    .join()
    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

/// A database of its own on the test server, dropped (with its sessions) when this is.
pub struct TestDatabase {
    admin: String,
    name: String,
    pub location: JournalLocation,
}

impl TestDatabase {
    /// A fresh database, or `None` (saying so) when `REMEDY_TEST_PG_URL` is unset outside CI.
    pub fn create() -> Option<TestDatabase> {
        let Some(admin) = admin_url() else {
            eprintln!("{URL_VAR} is unset: the unit runs on SQLite only");
            return None;
        };
        let unix = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("clock after 1970")
            .as_secs();
        let name = format!(
            "{PREFIX}_{unix}_{}_{}",
            std::process::id(),
            SEQUENCE.fetch_add(1, Ordering::Relaxed)
        );
        admin_execute(&admin, format!("CREATE DATABASE \"{name}\""))
            .unwrap_or_else(|error| panic!("creating database {name}: {error}"));
        let mut url = url::Url::parse(&admin).expect("REMEDY_TEST_PG_URL is a URL");
        url.set_path(&format!("/{name}"));
        let location = JournalLocation::parse(url.as_str()).expect("a PostgreSQL URL");
        Some(TestDatabase {
            admin,
            name,
            location,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let drop = format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name);
        if let Err(error) = admin_execute(&self.admin, drop) {
            eprintln!("dropping test database {}: {error}", self.name);
        }
    }
}
