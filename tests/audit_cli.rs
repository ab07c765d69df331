//! `remedy audit verify|export` on a journal the engine wrote: intact verifies, an edited row is named. Both
//! journal backends (PostgreSQL when `REMEDY_TEST_PG_URL` is set, always in CI).

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::*;
use remedy::engine::{Command as EngineCommand, Mode, RemediationState};

fn remedy_audit(home: &Path, config: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_remedy"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .args(["--config", config.to_str().unwrap(), "audit"])
        .args(args)
        .output()
        .unwrap()
}

/// Runs the engine on the approve policy and approves one proposal through to its end.
async fn journal_with_an_approval(journal: remedy::store::Journal) {
    let sim = start_sim(quiet_scenario(600.0)).await;
    let config = config_for(
        &sim,
        &[(APPROVE_POLICY, "antivirus-scan-full", Mode::Approve)],
    );
    let mut run = EngineRun::start_on(&config, fast_settings(&config), journal);
    run.until(30, "a proposal", |r| {
        r.of_policy(APPROVE_POLICY)
            .iter()
            .any(|x| x.state == RemediationState::Proposed)
    })
    .await;
    let id = run
        .of_policy(APPROVE_POLICY)
        .iter()
        .find(|x| x.state == RemediationState::Proposed)
        .unwrap()
        .id
        .clone();
    run.handle
        .commands()
        .send(EngineCommand::Approve {
            remediation_ids: vec![id.clone()],
            reason: Some("confirmed with the user, scan it".into()),
        })
        .await
        .unwrap();
    run.until(60, "the approved scan final", |r| {
        r.remediations[&id].state.is_final()
    })
    .await;
    run.handle.shutdown().await;
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_passes_on_the_engines_journal_and_names_an_edited_entry() {
    for backend in pg::journals("pgtests_audit_cli") {
        verify_passes_and_names_an_edited_entry(&backend).await;
    }
}

async fn verify_passes_and_names_an_edited_entry(backend: &pg::TestJournal) {
    let home = backend.dir.path();
    journal_with_an_approval(backend.open()).await;
    let config = home.join("config.toml");
    std::fs::write(
        &config,
        format!(
            r#"
[tenant]
id = "contoso"
client_id = "remedy-demo"
client_secret = "remedy-demo-secret"
[cas]
url = "https://contoso.us2.portal.cloudappsecurity.com"
token = "remedy-demo-token"
[journal]
{}
"#,
            backend.config_line()
        ),
    )
    .unwrap();

    let intact = remedy_audit(home, &config, &["verify"]);
    let said = String::from_utf8_lossy(&intact.stdout);
    assert_eq!(intact.status.code(), Some(0), "{said}");
    assert!(said.contains("intact"), "{said}");
    let head = said
        .trim_end()
        .rsplit(", head ")
        .next()
        .expect("verify prints the head as SEQ:HASH")
        .to_string();
    let held = remedy_audit(home, &config, &["verify", "--expect-head", &head]);
    assert_eq!(
        held.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&held.stderr)
    );
    let seq: i64 = head.split(':').next().unwrap().parse().unwrap();
    let ahead = format!("{}:{}", seq + 1, "0".repeat(64));
    let missing = remedy_audit(home, &config, &["verify", "--expect-head", &ahead]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("head rewound"));

    let export = remedy_audit(home, &config, &["export", "--format", "csv"]);
    assert_eq!(export.status.code(), Some(0));
    let csv = String::from_utf8_lossy(&export.stdout);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "seq,at,who,action,target,why,result,prev_hash,hash"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains(",tester,approve,") && l.contains("confirmed with the user")),
        "{csv}"
    );
    assert!(lines.iter().any(|l| l.contains(",submit,")), "{csv}");

    // An intruder with the owner's rights lifts the guards and edits the approval's reason.
    let raw = backend.raw_unguarded();
    let edited = raw
        .execute(
            "UPDATE audit SET why = 'nothing happened' WHERE action = 'approve'",
            (),
        )
        .unwrap();
    assert_eq!(edited, 1);
    let seq: i64 = raw
        .query_row("SELECT seq FROM audit WHERE action = 'approve'", (), |r| {
            r.get(0)
        })
        .unwrap();
    drop(raw);

    let broken = remedy_audit(home, &config, &["verify"]);
    let err = String::from_utf8_lossy(&broken.stderr);
    assert_eq!(broken.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!("entry {seq} does not match its hash")),
        "{err}"
    );
}
