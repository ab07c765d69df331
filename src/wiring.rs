//! Builds the running parts from a config: API settings, engine settings, the journal path, the demo config.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::api::{ApiSettings, CasAuth, QuotaWindow};
use crate::config::{CasAuthKind, Config, ConfigError, JournalTarget, TlsMode, data_dir, load_str};
use crate::engine::EngineSettings;
use crate::store::db::PgTls;
use crate::store::{JournalLocation, StoreError};

const DEMO_CONFIG: &str = include_str!("../config/demo.toml");

/// API client settings from the config (documented quotas and retry policy).
pub fn api_settings(config: &Config) -> ApiSettings {
    let mut settings = ApiSettings::new(
        config.cas.url.clone(),
        config.cas.token.clone(),
        config.tenant.id.clone(),
        config.tenant.client_id.clone(),
        config.tenant.client_secret.clone(),
    );
    if config.cas.auth == CasAuthKind::Entra {
        settings.cas_auth = CasAuth::EntraApp {
            scope: config.cas.scope.clone(),
        };
    }
    settings.defender_url = config.defender.url.clone();
    settings.graph_url = config.graph.url.clone();
    settings.authority_url = config.auth.authority.clone();
    settings.defender_scope = config.defender.scope.clone();
    settings.graph_scope = config.graph.scope.clone();
    settings.timeout = Duration::from_secs(config.auth.timeout_secs);
    settings.quotas.defender = vec![
        QuotaWindow::window(config.defender.calls_per_minute, Duration::from_secs(60)),
        QuotaWindow::window(config.defender.calls_per_hour, Duration::from_secs(3600)),
    ];
    settings
}

/// Engine settings from the config.
pub fn engine_settings(config: &Config, read_only: bool, demo: bool) -> EngineSettings {
    EngineSettings::from_config(config, read_only, demo)
}

/// The journal file: `[journal] path`, else `journal.sqlite` in the data directory.
pub fn journal_path(config: &Config) -> PathBuf {
    config
        .journal
        .path
        .clone()
        .unwrap_or_else(|| data_dir().join("journal.sqlite"))
}

/// The journal the config points at (`[journal] path` or `url`), its password read from where the config
/// says; `file` is the config file, named in errors.
pub fn journal_target(config: &Config, file: &Path) -> Result<JournalTarget, ConfigError> {
    crate::config::journal_target(config, file, || journal_path(config), &|name| {
        std::env::var(name).ok()
    })
    .map(|(target, _)| target)
}

/// The demo config (config/demo.toml) pointed at a simulator listening at `base_url`
/// (its services under `/cas`, `/mde`, `/graph` and `/login`).
pub fn demo_config(base_url: &str) -> Result<Config, ConfigError> {
    let mut config = load_str(DEMO_CONFIG, Path::new("config/demo.toml"), &|_| None)?.config;
    point_at_sim(&mut config, base_url);
    Ok(config)
}

/// Points `config`'s services at a simulator listening at `base_url`.
pub fn point_at_sim(config: &mut Config, base_url: &str) {
    config.cas.url = format!("{base_url}/cas");
    config.defender.url = format!("{base_url}/mde");
    config.graph.url = format!("{base_url}/graph");
    config.auth.authority = format!("{base_url}/login");
}

/// The Cloud App Security policy the demo migrates to a Microsoft-maintained detection (Impossible travel).
pub const DEMO_MIGRATED_POLICY: &str = "5f01dce13de79160fbec4150";

/// Simulated minutes after start-up at which the demo plays the migration.
const DEMO_MIGRATION_AFTER_MINUTES: f64 = 20.0;

/// `remedy demo` and `run --demo` show both alert sources: Cloud App Security and Graph (Cloud Apps and
/// Endpoint alerts, one alert per key), Endpoint alerts bound by service source (scanned on the device they
/// name), and a policy migration played by the simulator, so the binding warning can be seen.
pub fn demo_both_sources(config: &mut Config, scenario: &mut crate::sim::Scenario) {
    config.alerts.sources = vec!["cas".into(), "graph".into()];
    config.alerts.graph_service_sources = vec![
        "microsoftDefenderForCloudApps".into(),
        "microsoftDefenderForEndpoint".into(),
    ];
    config.bindings.insert(
        "endpoint-alerts".into(),
        crate::config::BindingSection {
            flow: "antivirus-scan-full".into(),
            mode: "approve".into(),
            max_machines_per_alert: None,
            max_machines_per_hour: None,
            policy_id: None,
            detector_id: None,
            service_source: Some("microsoftDefenderForEndpoint".into()),
            title: None,
        },
    );
    scenario
        .graph_alerts
        .migration
        .get_or_insert(crate::sim::MigrationSeed {
            policy: DEMO_MIGRATED_POLICY.into(),
            after_minutes: DEMO_MIGRATION_AFTER_MINUTES,
            detector_id: None,
        });
}

/// Environment variable holding the audit chain's HMAC key.
pub const AUDIT_KEY_VAR: &str = "REMEDY_AUDIT_KEY";

/// Opens the journal at `path`, keyed with `REMEDY_AUDIT_KEY` when it is set.
pub fn open_journal(path: &Path) -> Result<crate::store::Journal, crate::store::StoreError> {
    open_target(&JournalTarget::Sqlite(path.to_path_buf()))
}

/// Where the store finds the journal `target` names: the file, or the database with its password and TLS.
pub fn journal_location(target: &JournalTarget) -> Result<JournalLocation, StoreError> {
    match target {
        JournalTarget::Sqlite(path) => Ok(JournalLocation::Sqlite(path.clone())),
        JournalTarget::Postgres(pg) => {
            let tls = match pg.tls {
                TlsMode::Off => PgTls::Off,
                TlsMode::Prefer | TlsMode::Required => PgTls::Rustls(
                    crate::pg_connect::tls(pg).map_err(|e| StoreError::Location {
                        problem: e.to_string(),
                    })?,
                ),
            };
            Ok(JournalLocation::Postgres {
                config: Box::new(postgres::Config::from(crate::pg_connect::client_config(pg))),
                tls,
            })
        }
    }
}

/// Where a PostgreSQL journal's prunes write their audit archives on this host: the data directory,
/// `journal-postgres.audit-FIRST-LAST.jsonl`.
pub fn postgres_archive_base() -> PathBuf {
    data_dir().join("journal-postgres")
}

/// Opens the journal `target` names, keyed with `REMEDY_AUDIT_KEY` when it is set; a PostgreSQL journal's
/// prunes archive into this host's data directory.
pub fn open_target(target: &JournalTarget) -> Result<crate::store::Journal, StoreError> {
    let mut journal = crate::store::Journal::open_location(&journal_location(target)?)?;
    if let JournalTarget::Postgres(_) = target {
        let base = postgres_archive_base();
        if let Some(dir) = base.parent() {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::Create {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        journal.set_archive_base(base);
    }
    if let Some(key) = std::env::var_os(AUDIT_KEY_VAR)
        .and_then(|v| crate::store::AuditKey::new(v.into_encoded_bytes()))
    {
        journal.set_audit_key(key);
    }
    Ok(journal)
}
