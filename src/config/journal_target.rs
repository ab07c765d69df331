//! Which journal a process uses, `[journal] path` (a SQLite file) or `url` (PostgreSQL), checked at load.

use std::fmt;
use std::path::{Path, PathBuf};

use super::password_file::read_password_file;
use super::{Config, ConfigError, Secret};

/// The journal a config points at.
#[derive(Debug, Clone)]
pub enum JournalTarget {
    /// A SQLite file on this host (`[journal] path`, or the data directory's `journal.sqlite`).
    Sqlite(PathBuf),
    /// A PostgreSQL database several hosts share (`[journal] url`).
    Postgres(PostgresTarget),
}

/// How the database's connection is protected, from the URL's `sslmode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    /// `disable` (or no `sslmode`): plain TCP.
    Off,
    /// `prefer`: TLS when the server offers it (the certificate is verified when it is used).
    Prefer,
    /// `require`, `verify-ca` or `verify-full`: TLS or no connection; remedy always verifies the certificate
    /// and the host name (against the public roots and `ca_file`).
    Required,
}

/// A PostgreSQL journal: the URL as given (it never holds a password), the password from its own source.
/// `Debug` and `Display` show the URL only.
#[derive(Clone)]
pub struct PostgresTarget {
    url: String,
    /// The URL without `sslmode`, which [`PostgresTarget::tls`] carries instead.
    connect_url: String,
    password: Option<Secret>,
    pub tls: TlsMode,
    pub ca_file: Option<PathBuf>,
}

impl PostgresTarget {
    /// The URL as configured (no password in it).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The URL to connect with (`sslmode` removed: [`PostgresTarget::tls`] says what it asked).
    pub fn connect_url(&self) -> &str {
        &self.connect_url
    }

    /// The password, for the one place that connects.
    pub fn password(&self) -> Option<&Secret> {
        self.password.as_ref()
    }
}

impl fmt::Debug for PostgresTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresTarget")
            .field("url", &self.url)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("tls", &self.tls)
            .field("ca_file", &self.ca_file)
            .finish()
    }
}

impl fmt::Display for PostgresTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.url)
    }
}

impl fmt::Display for JournalTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JournalTarget::Sqlite(path) => write!(f, "SQLite file {}", path.display()),
            JournalTarget::Postgres(target) => write!(f, "PostgreSQL {target}"),
        }
    }
}

/// The journal `config` points at, with warnings to show; `default_path` is the SQLite file used when
/// neither `path` nor `url` is set, `env` looks up variables. Every error names the file, the key and the fix.
pub fn journal_target(
    config: &Config,
    file: &Path,
    default_path: impl FnOnce() -> PathBuf,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(JournalTarget, Vec<String>), ConfigError> {
    let journal = &config.journal;
    let invalid = |key: &str, problem: String, fix: &str| ConfigError::Invalid {
        path: file.to_path_buf(),
        key: key.into(),
        problem,
        fix: fix.into(),
    };
    let Some(url) = &journal.url else {
        for (key, set) in [
            ("journal.password_env", journal.password_env.is_some()),
            ("journal.password_file", journal.password_file.is_some()),
            ("journal.ca_file", journal.ca_file.is_some()),
        ] {
            if set {
                return Err(invalid(
                    key,
                    "it applies only to a PostgreSQL journal and `journal.url` is not set".into(),
                    "remove it, or set journal.url = \"postgres://USER@HOST:PORT/DB\"",
                ));
            }
        }
        let path = journal.path.clone().unwrap_or_else(default_path);
        return Ok((JournalTarget::Sqlite(path), Vec::new()));
    };
    if journal.path.is_some() {
        return Err(invalid(
            "journal.url",
            "both journal.path and journal.url are set".into(),
            "keep one: path for a SQLite file on this host, url for a PostgreSQL database several hosts share",
        ));
    }
    let parsed = parse_url(url).map_err(|problem| {
        invalid(
            "journal.url",
            problem,
            "write it as postgres://USER@HOST:PORT/DATABASE, with ?sslmode=verify-full for TLS; the password \
             goes in journal.password_env or journal.password_file",
        )
    })?;
    let mut warnings = Vec::new();
    let password = match (&journal.password_env, &journal.password_file) {
        (Some(_), Some(_)) => {
            return Err(invalid(
                "journal.password_file",
                "both journal.password_env and journal.password_file are set".into(),
                "keep one of them",
            ));
        }
        (Some(name), None) => Some(
            env(name)
                .filter(|v| !v.is_empty())
                .map(Secret::new)
                .ok_or_else(|| {
                    invalid(
                        "journal.password_env",
                        format!("the environment variable {name:?} is not set"),
                        &format!(
                            "export {name}=… before starting remedy, or use journal.password_file"
                        ),
                    )
                })?,
        ),
        (None, Some(path)) => {
            let read = read_password_file(path, "journal.password_file").map_err(|e| {
                invalid(
                    "journal.password_file",
                    format!("cannot read {}: {e}", path.display()),
                    "point it at a file holding only the password, readable by the user remedy runs as",
                )
            })?;
            warnings.extend(read.warning);
            Some(read.password)
        }
        (None, None) => None,
    };
    if let Some(ca_file) = &journal.ca_file
        && let Err(e) = std::fs::metadata(ca_file)
    {
        return Err(invalid(
            "journal.ca_file",
            format!("cannot read {}: {e}", ca_file.display()),
            "point it at a PEM file with the certificate(s) of the CA that signed the database's certificate",
        ));
    }
    if parsed.tls == TlsMode::Off && !parsed.loopback {
        warnings.push(format!(
            "journal.url in {} reaches a database on another host without TLS: the password and the journal \
             travel unencrypted; add ?sslmode=verify-full",
            file.display()
        ));
    }
    Ok((
        JournalTarget::Postgres(PostgresTarget {
            url: url.clone(),
            connect_url: parsed.connect_url,
            password,
            tls: parsed.tls,
            ca_file: journal.ca_file.clone(),
        }),
        warnings,
    ))
}

/// What the URL says, once checked.
struct ParsedUrl {
    connect_url: String,
    tls: TlsMode,
    loopback: bool,
}

/// Checks a `postgres://` URL: a user and a host, no password, a known `sslmode`.
fn parse_url(raw: &str) -> Result<ParsedUrl, String> {
    let mut url = url::Url::parse(raw).map_err(|e| format!("{raw:?} is not a URL ({e})"))?;
    if !matches!(url.scheme(), "postgres" | "postgresql") {
        return Err(format!(
            "the scheme is {:?}, not postgres (a SQLite file goes in journal.path)",
            url.scheme()
        ));
    }
    if url.password().is_some() || url.query_pairs().any(|(k, _)| k == "password") {
        return Err("the URL holds a password, and it would show wherever the URL is shown".into());
    }
    let Some(host) = url.host_str().filter(|h| !h.is_empty()).map(str::to_string) else {
        return Err("the URL names no host".into());
    };
    if url.username().is_empty() {
        return Err("the URL names no user".into());
    }
    let mut tls = TlsMode::Off;
    let mut kept: Vec<(String, String)> = Vec::new();
    for (key, value) in url.query_pairs() {
        if key == "sslmode" {
            tls = match &*value {
                "disable" => TlsMode::Off,
                "prefer" | "allow" => TlsMode::Prefer,
                "require" | "verify-ca" | "verify-full" => TlsMode::Required,
                other => {
                    return Err(format!(
                        "sslmode {other:?} is unknown (disable, prefer, require, verify-ca or verify-full)"
                    ));
                }
            };
        } else {
            kept.push((key.into_owned(), value.into_owned()));
        }
    }
    url.set_query(None);
    if !kept.is_empty() {
        url.query_pairs_mut().extend_pairs(kept);
    }
    let connect_url = url.to_string();
    connect_url
        .parse::<tokio_postgres::Config>()
        .map_err(|e| format!("the PostgreSQL client does not accept it ({e})"))?;
    let loopback =
        matches!(host.as_str(), "localhost" | "127.0.0.1" | "[::1]") || host.starts_with('/');
    Ok(ParsedUrl {
        connect_url,
        tls,
        loopback,
    })
}
