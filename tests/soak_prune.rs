//! The daily prune of `remedy run` (issue 12's soak): small batches, the engine's writes go between them, and
//! no `VACUUM` holds the file.

use chrono::{DateTime, Duration, Utc};
use remedy::daily_prune::prune_in_light_batches;
use remedy::lifecycle::{ActionKind, RemediationState};
use remedy::store::{AuditEntry, Journal, NewRemediation, PruneBatch};

const OLD_REMEDIATIONS: usize = 2_500;
const BATCH: PruneBatch = PruneBatch {
    remediations: 500,
    audit_entries: 1_000,
};

fn remediation(key: &str, state: RemediationState, at: DateTime<Utc>) -> NewRemediation {
    NewRemediation {
        idempotency_key: key.into(),
        alert_id: format!("alert-{key}"),
        policy_id: "p1".into(),
        flow_id: "antivirus-scan-full".into(),
        step: 1,
        machine_id: format!("m-{key}"),
        machine_name: format!("m-{key}.contoso.com"),
        action: ActionKind::AntivirusScan {
            scan_type: "Full".into(),
        },
        state,
        reason: None,
        requested_by: "remedy".into(),
        proof: serde_json::json!({ "padding": "x".repeat(400) }),
        at,
    }
}

#[tokio::test]
async fn the_daily_prune_goes_in_batches_lets_writes_in_between_and_never_vacuums() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.sqlite");
    let old = Utc::now() - Duration::days(10);
    let cutoff = Utc::now() - Duration::days(2);
    let mut journal = Journal::open(&path).unwrap();
    for n in 0..OLD_REMEDIATIONS {
        let row = remediation(&format!("old-{n}"), RemediationState::Skipped, old);
        journal.insert_remediation(&row).unwrap();
        journal
            .append_audit(&AuditEntry {
                at: old,
                who: "remedy".into(),
                action: "skip".into(),
                target: format!("old-{n}"),
                why: String::new(),
                result: "ok".into(),
            })
            .unwrap();
    }
    let before = std::fs::metadata(&path).unwrap().len();
    // The engine's writer: its own connection, writing whenever the prune lets go.
    let mut engine = Journal::open(&path).unwrap();
    let mut between = 0usize;
    let outcome = prune_in_light_batches(journal, cutoff, "retention", BATCH, || {
        between += 1;
        let row = remediation(
            &format!("new-{between}"),
            RemediationState::Approved,
            Utc::now(),
        );
        engine
            .insert_remediation(&row)
            .expect("the engine writes between two batches");
        std::future::ready(())
    })
    .await
    .unwrap();
    assert_eq!(outcome.counts.remediations, OLD_REMEDIATIONS as u64);
    assert_eq!(outcome.counts.audit_entries, OLD_REMEDIATIONS as u64);
    assert!(
        between >= OLD_REMEDIATIONS / 500,
        "a pause after each batch of 500: {between}"
    );
    assert!(!outcome.vacuumed);
    assert!(
        std::fs::metadata(&path).unwrap().len() >= before,
        "no VACUUM: the freed pages stay for the next writes"
    );
    assert_eq!(
        outcome.archives.len(),
        OLD_REMEDIATIONS.div_ceil(1_000),
        "one archive per batch that removed audit entries"
    );
    let fresh = Journal::open(&path).unwrap();
    assert!(
        fresh.remediation("rmd-new-1").is_ok(),
        "the journal still reads"
    );
    assert!(fresh.verify_audit().unwrap().ok());
}
