//! A journal written before the source-neutral alert (schema 5: Cloud App Security's REST JSON in `alerts.raw`)
//! migrates to the current schema and its alerts read as neutral alerts, keyed and named exactly as before
//! (SQLite only: PostgreSQL journals began after schema 5); the working set's sources on both backends.

mod common;

use common::pg;
use remedy::alert::{AlertKey, SourceKind, stored};
use remedy::api::models::cas::AlertPage;
use remedy::store::{Journal, RawFormat, SCHEMA_VERSION};

#[test]
fn an_alert_written_before_the_neutral_alert_reads_as_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.sqlite");
    drop(Journal::open(&path).unwrap());
    let page: AlertPage =
        serde_json::from_str(include_str!("fixtures/api/cas-alerts-list.json")).unwrap();
    let cas = &page.data[0];
    {
        // The journal as the schema before the neutral alert left it, holding one alert as remedy then
        // stored it.
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            "DROP TABLE defender_spend; ALTER TABLE alerts DROP COLUMN raw_format; \
             PRAGMA user_version = 5;",
        )
        .unwrap();
        conn.execute(
            "INSERT INTO alerts (id, policy_id, title, user, severity, resolution, timestamp_ms, raw, \
             first_seen, last_seen) VALUES (?1, 'p1', ?2, 'u', 2, 0, ?3, ?4, \
             '2026-11-29T08:00:00.000Z', '2026-11-29T08:00:00.000Z')",
            rusqlite::params![
                cas.id,
                cas.title,
                cas.timestamp,
                serde_json::to_string(cas).unwrap()
            ],
        )
        .unwrap();
    }
    let journal = Journal::open(&path).unwrap();
    assert_eq!(journal.schema_version().unwrap(), SCHEMA_VERSION);
    let row = journal.alert(&cas.id).unwrap().expect("the alert is kept");
    assert_eq!(row.format, RawFormat::CasRest);
    let alert = stored::from_row(&row).unwrap();
    assert_eq!(alert.key, AlertKey::Cas(cas.id.clone()));
    assert_eq!(
        alert.key.to_string(),
        cas.id,
        "the same engine id as before"
    );
    assert_eq!(alert.seen_by, vec![SourceKind::Cas]);
    assert_eq!(alert.user_principal.as_deref(), cas.user_principal());
    assert_eq!(
        alert.detection.policy_id.as_deref(),
        cas.policy.as_ref().map(|p| p.id.as_str())
    );
}

#[test]
fn the_working_set_knows_which_sources_read_an_alert_and_its_graph_id() {
    use remedy::alert::SourceAlert;
    use remedy::api::models::ODataPage;
    use remedy::api::models::security::SecurityAlert;
    let page: ODataPage<SecurityAlert> =
        serde_json::from_str(include_str!("fixtures/api/graph-alerts-v2-list.json")).unwrap();
    let alert = SourceAlert::from(&page.value[1]);
    for backend in pg::journals("pgtests_graph_journal") {
        let mut journal = backend.open();
        journal
            .record_alert(&stored::record(&alert, "endpoint", chrono::Utc::now()))
            .unwrap();
        let id = alert.key.to_string();
        let summary = journal.alert_summaries(&[id]).unwrap().remove(0);
        let on = backend.backend();
        assert_eq!(summary.seen_by.as_deref(), Some(r#"["graph"]"#), "{on}");
        assert_eq!(summary.graph_id, alert.graph_id, "{on}");
        assert_eq!(summary.policy_id, "endpoint", "{on}");
    }
}
