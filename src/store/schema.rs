//! Versioned schema migrations, tracked in `PRAGMA user_version`, each applied in its own transaction.

use rusqlite::{Connection, TransactionBehavior};

use super::error::StoreError;

/// Migration `i` takes the journal from version `i` to version `i + 1`. Append only; never edit one that shipped.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE alerts (
    id           TEXT PRIMARY KEY,
    policy_id    TEXT NOT NULL,
    title        TEXT NOT NULL,
    user         TEXT NOT NULL,
    severity     INTEGER NOT NULL,
    resolution   INTEGER NOT NULL,
    timestamp_ms INTEGER NOT NULL,
    raw          TEXT NOT NULL,
    first_seen   TEXT NOT NULL,
    last_seen    TEXT NOT NULL
);

CREATE TABLE remediations (
    id                 TEXT PRIMARY KEY,
    idempotency_key    TEXT NOT NULL UNIQUE,
    alert_id           TEXT NOT NULL,
    policy_id          TEXT NOT NULL,
    flow_id            TEXT NOT NULL,
    step               INTEGER NOT NULL,
    machine_id         TEXT NOT NULL,
    machine_name       TEXT NOT NULL,
    action             TEXT NOT NULL,
    params             TEXT NOT NULL,
    state              TEXT NOT NULL,
    reason             TEXT,
    provider_action_id TEXT,
    requested_by       TEXT NOT NULL,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    submitted_at       TEXT,
    final_at           TEXT,
    claimed_by         TEXT,
    claimed_at         TEXT,
    proof              TEXT NOT NULL
);
CREATE INDEX remediations_alert ON remediations (alert_id);
CREATE INDEX remediations_state ON remediations (state);
CREATE INDEX remediations_updated ON remediations (updated_at);
CREATE INDEX remediations_policy_submitted ON remediations (policy_id, submitted_at);

CREATE TABLE transitions (
    seq            INTEGER PRIMARY KEY,
    remediation_id TEXT NOT NULL REFERENCES remediations (id),
    from_state     TEXT,
    to_state       TEXT NOT NULL,
    at             TEXT NOT NULL,
    note           TEXT
);
CREATE INDEX transitions_remediation ON transitions (remediation_id, seq);

CREATE TABLE approvals (
    seq            INTEGER PRIMARY KEY,
    remediation_id TEXT NOT NULL REFERENCES remediations (id),
    decision       TEXT NOT NULL CHECK (decision IN ('approve', 'reject', 'expire')),
    who            TEXT NOT NULL,
    reason         TEXT,
    at             TEXT NOT NULL
);
CREATE INDEX approvals_remediation ON approvals (remediation_id, seq);

CREATE TABLE policy_modes (
    policy_id  TEXT PRIMARY KEY,
    mode       TEXT NOT NULL,
    changed_by TEXT NOT NULL,
    changed_at TEXT NOT NULL
);

CREATE TABLE mode_history (
    seq        INTEGER PRIMARY KEY,
    policy_id  TEXT NOT NULL,
    from_mode  TEXT,
    to_mode    TEXT NOT NULL,
    changed_by TEXT NOT NULL,
    changed_at TEXT NOT NULL
);
CREATE INDEX mode_history_policy ON mode_history (policy_id, seq);

CREATE TABLE audit (
    seq       INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    who       TEXT NOT NULL,
    action    TEXT NOT NULL,
    target    TEXT NOT NULL,
    why       TEXT NOT NULL,
    result    TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
);
CREATE INDEX audit_at ON audit (at);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;

CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  INTEGER NOT NULL,
    hash TEXT NOT NULL
);
"#,
    r#"
ALTER TABLE remediations ADD COLUMN cover TEXT;
CREATE INDEX remediations_machine_action ON remediations (machine_id, action, state, final_at);
"#,
    r#"
CREATE TABLE lease (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    holder     TEXT NOT NULL,
    token      TEXT NOT NULL,
    fence      INTEGER NOT NULL,
    taken_at   TEXT NOT NULL,
    renewed_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);

CREATE TABLE commands (
    seq          INTEGER PRIMARY KEY,
    body         TEXT NOT NULL,
    who          TEXT NOT NULL,
    origin       TEXT NOT NULL,
    summary      TEXT NOT NULL,
    requested_at TEXT NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('pending', 'done', 'refused')),
    outcome      TEXT,
    done_by      TEXT,
    done_at      TEXT
);
CREATE INDEX commands_state ON commands (state, seq);

ALTER TABLE remediations DROP COLUMN claimed_by;
ALTER TABLE remediations DROP COLUMN claimed_at;
"#,
    r#"
CREATE INDEX remediations_final ON remediations (final_at);
CREATE INDEX alerts_last_seen ON alerts (last_seen);
"#,
    r#"
CREATE INDEX alerts_timestamp ON alerts (timestamp_ms, id);
CREATE INDEX remediations_action_state ON remediations (action, state);
"#,
    r#"
ALTER TABLE alerts ADD COLUMN raw_format TEXT NOT NULL DEFAULT 'cas_rest';
"#,
    r#"
CREATE TABLE defender_spend (
    at   TEXT NOT NULL,
    call TEXT NOT NULL
);
CREATE INDEX defender_spend_at ON defender_spend (at);
"#,
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

fn version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.pragma_query_value(None, "user_version", |r| r.get(0))
}

/// Brings the journal up to [`SCHEMA_VERSION`]. Safe when several processes open the same file at once:
/// each step re-reads the version under the write lock before applying anything.
pub(crate) fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    loop {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let current = version(&tx)?;
        if current > SCHEMA_VERSION {
            return Err(StoreError::SchemaTooNew {
                found: current,
                supported: SCHEMA_VERSION,
            });
        }
        let Some(sql) = MIGRATIONS.get(current as usize) else {
            return Ok(());
        };
        let next = current + 1;
        let step = |e| StoreError::Migration {
            version: next,
            source: e,
        };
        tx.execute_batch(sql).map_err(step)?;
        tx.pragma_update(None, "user_version", next).map_err(step)?;
        tx.commit().map_err(step)?;
        tracing::info!(version = next, "journal schema migrated");
    }
}

/// Reads the schema version of an open journal.
pub(crate) fn current_version(conn: &Connection) -> Result<i64, StoreError> {
    Ok(version(conn)?)
}
