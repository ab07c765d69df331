//! Connecting to a PostgreSQL journal: the client config with its password and timeouts, TLS with rustls.

use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::config::{PostgresTarget, TlsMode};

/// A connection attempt gives up after this long (an unreachable host is a fault, not a hang).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Sent data unacknowledged this long closes the connection (a host that vanished is noticed).
const TCP_USER_TIMEOUT: Duration = Duration::from_secs(10);
/// An idle connection is probed after this long.
const KEEPALIVE_IDLE: Duration = Duration::from_secs(5);

/// Why a connection could not be set up or made. Messages never hold the password.
#[derive(Debug, thiserror::Error)]
pub enum PgConnectError {
    #[error("cannot read journal.ca_file {path}: {problem}")]
    CaFile { path: String, problem: String },
    #[error("TLS for the journal database cannot be set up: {0}")]
    Tls(String),
    #[error("the journal database {url} is unreachable: {reason}")]
    Unreachable { url: String, reason: String },
}

/// The client config: the URL, the password, `sslmode`, timeouts that turn a lost host into an error.
pub fn client_config(target: &PostgresTarget) -> tokio_postgres::Config {
    let mut config: tokio_postgres::Config = target
        .connect_url()
        .parse()
        .unwrap_or_else(|_| tokio_postgres::Config::new());
    if let Some(password) = target.password() {
        config.password(password.expose());
    }
    config.ssl_mode(match target.tls {
        TlsMode::Off => tokio_postgres::config::SslMode::Disable,
        TlsMode::Prefer => tokio_postgres::config::SslMode::Prefer,
        TlsMode::Required => tokio_postgres::config::SslMode::Require,
    });
    config
        .connect_timeout(CONNECT_TIMEOUT)
        .tcp_user_timeout(TCP_USER_TIMEOUT)
        .keepalives(true)
        .keepalives_idle(KEEPALIVE_IDLE);
    if config.get_application_name().is_none() {
        config.application_name("remedy");
    }
    config
}

/// The TLS connector: the public (webpki) roots plus `ca_file`; the certificate and the host name are
/// always verified.
pub fn tls(target: &PostgresTarget) -> Result<MakeRustlsConnect, PgConnectError> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(path) = &target.ca_file {
        let ca_error = |problem: String| PgConnectError::CaFile {
            path: path.display().to_string(),
            problem,
        };
        let certs = CertificateDer::pem_file_iter(path)
            .map_err(|e| ca_error(e.to_string()))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| ca_error(e.to_string()))?;
        if certs.is_empty() {
            return Err(ca_error("no PEM certificate in it".into()));
        }
        for cert in certs {
            roots.add(cert).map_err(|e| ca_error(e.to_string()))?;
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| PgConnectError::Tls(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(MakeRustlsConnect::new(config))
}

/// The connection's driver: poll it (or spawn it) for the client to work; it yields notifications.
pub type PgConnection = tokio_postgres::Connection<
    tokio_postgres::Socket,
    <MakeRustlsConnect as tokio_postgres::tls::MakeTlsConnect<tokio_postgres::Socket>>::Stream,
>;

/// Connects to the journal database.
pub async fn connect(
    target: &PostgresTarget,
) -> Result<(tokio_postgres::Client, PgConnection), PgConnectError> {
    let tls = tls(target)?;
    client_config(target)
        .connect(tls)
        .await
        .map_err(|e| unreachable(target, &e))
}

/// The error of a failed call, with the URL (never the password).
pub fn unreachable(target: &PostgresTarget, e: &tokio_postgres::Error) -> PgConnectError {
    PgConnectError::Unreachable {
        url: target.url().to_string(),
        reason: describe(e),
    }
}

/// A client error in words: its own text and its cause's (the socket's error says why it failed).
pub fn describe(e: &tokio_postgres::Error) -> String {
    match std::error::Error::source(e) {
        Some(cause) => format!("{e}: {cause}"),
        None => e.to_string(),
    }
}

/// Connects and runs `SELECT 1`: `remedy check`'s "reachable".
pub async fn probe(target: &PostgresTarget) -> Result<String, PgConnectError> {
    let (client, connection) = connect(target).await?;
    let driver = tokio::spawn(connection);
    let version = client
        .query_one("SHOW server_version", &[])
        .await
        .map_err(|e| unreachable(target, &e))?;
    let version: String = version.get(0);
    drop(client);
    let _ = driver.await;
    Ok(version)
}
