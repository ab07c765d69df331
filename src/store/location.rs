//! Where the journal lives: a SQLite file, or a PostgreSQL database named by a URL (whose password never
//! reaches a log or an error: `Debug` and `Display` show `postgres://user@host:port/dbname` only).

use std::path::PathBuf;
use std::str::FromStr;

use super::StoreError;
use super::db::{PgTls, describe};

/// The journal's location.
#[derive(Clone)]
pub enum JournalLocation {
    Sqlite(PathBuf),
    Postgres {
        config: Box<postgres::Config>,
        tls: PgTls,
    },
}

impl JournalLocation {
    /// `postgres://…` or `postgresql://…` (libpq's URL and options; TLS as its `sslmode` says: `disable`
    /// turns it off, `prefer` (the default) and `require` use rustls with the web PKI's roots), else a path.
    pub fn parse(url_or_path: &str) -> Result<JournalLocation, StoreError> {
        if !(url_or_path.starts_with("postgres://") || url_or_path.starts_with("postgresql://")) {
            return Ok(JournalLocation::Sqlite(PathBuf::from(url_or_path)));
        }
        let config = postgres::Config::from_str(url_or_path).map_err(|e| StoreError::Location {
            problem: format!("not a PostgreSQL URL remedy can use: {e}"),
        })?;
        let tls = match config.get_ssl_mode() {
            postgres::config::SslMode::Disable => PgTls::Off,
            _ => PgTls::webpki(),
        };
        Ok(JournalLocation::Postgres {
            config: Box::new(config),
            tls,
        })
    }

    /// Sets the PostgreSQL password when the URL has none (from the environment or a file); a SQLite path
    /// is left alone.
    pub fn with_password(mut self, password: &str) -> JournalLocation {
        if let JournalLocation::Postgres { config, .. } = &mut self
            && config.get_password().is_none()
        {
            config.password(password);
        }
        self
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self, JournalLocation::Postgres { .. })
    }
}

impl std::fmt::Display for JournalLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            JournalLocation::Sqlite(path) => write!(f, "{}", path.display()),
            JournalLocation::Postgres { config, .. } => f.write_str(&describe(config)),
        }
    }
}

impl std::fmt::Debug for JournalLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            JournalLocation::Sqlite(path) => write!(f, "Sqlite({path:?})"),
            JournalLocation::Postgres { config, tls } => {
                write!(f, "Postgres({}, {tls:?})", describe(config))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_never_shows_in_debug_or_display() {
        let location =
            JournalLocation::parse("postgres://remedy:s3cr3t-pw@db.example:5433/journal").unwrap();
        for shown in [format!("{location:?}"), location.to_string()] {
            assert!(!shown.contains("s3cr3t-pw"), "{shown}");
            assert!(
                shown.contains("postgres://remedy@db.example:5433/journal"),
                "{shown}"
            );
        }
        let added = JournalLocation::parse("postgres://remedy@db/journal")
            .unwrap()
            .with_password("from-env-pw");
        assert!(!format!("{added:?}").contains("from-env-pw"));
    }

    #[test]
    fn urls_are_postgres_and_anything_else_a_path() {
        assert!(
            JournalLocation::parse("postgresql://h/db")
                .unwrap()
                .is_postgres()
        );
        assert!(
            !JournalLocation::parse("/var/lib/remedy/journal.db")
                .unwrap()
                .is_postgres()
        );
        assert!(matches!(
            JournalLocation::parse("postgres://h/db?sslmode=disable").unwrap(),
            JournalLocation::Postgres {
                tls: PgTls::Off,
                ..
            }
        ));
        assert!(matches!(
            JournalLocation::parse("postgres://h/db?sslmode=require").unwrap(),
            JournalLocation::Postgres {
                tls: PgTls::Rustls(_),
                ..
            }
        ));
        assert!(JournalLocation::parse("postgres://h:notaport/db").is_err());
    }
}
