//! What one dispatch write costs the journal, on SQLite or on PostgreSQL (a fresh database on the server whose
//! admin URL `REMEDY_BENCH_PG_URL` gives): writes dispatch intents and Defender links the way the engine's
//! writer thread does, in groups of up to 64 callers sharing one transaction and one caller alone, and prints
//! µs and database calls per write, by statement kind (a PostgreSQL call is one round trip).

use std::time::{Duration, Instant};

use chrono::Utc;
use remedy::lifecycle::{ActionKind, RemediationState as S};
use remedy::store::db::meter::{self, Meter};
use remedy::store::{
    AuditEntry, Journal, JournalLocation, JournalTx, LeaseHolder, LeaseOutcome, NewRemediation,
    StoreError,
};

/// The engine's writer thread commits at most this many callers together (`MAX_GROUP`).
const GROUP: usize = 64;
/// The admin URL of the PostgreSQL server to journal in, if the bench is asked to.
const PG_URL_VAR: &str = "REMEDY_BENCH_PG_URL";
/// The database the bench creates (and drops) there.
const PG_DB_VAR: &str = "REMEDY_BENCH_PG_DB";

/// Grouped writes per phase (`REMEDY_BENCH_WRITES`, default 1280: 20 full groups).
fn writes() -> usize {
    std::env::var("REMEDY_BENCH_WRITES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1280)
}

/// A PostgreSQL database for the run, dropped when it ends.
struct PgDatabase {
    admin: String,
    name: String,
}

impl PgDatabase {
    fn create(admin: &str) -> PgDatabase {
        let name = std::env::var(PG_DB_VAR).unwrap_or_else(|_| "remedy_bench_journal_group".into());
        let db = PgDatabase {
            admin: admin.to_owned(),
            name,
        };
        db.drop_database();
        db.admin_statement(&format!("CREATE DATABASE \"{}\"", db.name));
        db
    }

    fn url(&self) -> String {
        let mut url = url::Url::parse(&self.admin).expect("admin URL");
        url.set_path(&format!("/{}", self.name));
        url.to_string()
    }

    fn drop_database(&self) {
        let name = &self.name;
        self.admin_statement(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"));
    }

    fn admin_statement(&self, sql: &str) {
        let mut client =
            postgres::Client::connect(&self.admin, postgres::NoTls).expect("PostgreSQL admin");
        client.batch_execute(sql).expect("an admin statement");
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        self.drop_database();
    }
}

fn remediation(n: usize) -> NewRemediation {
    NewRemediation {
        idempotency_key: format!("bench-{n}"),
        alert_id: "66a1f0c2e4b0a1b2c3d4eb00".into(),
        policy_id: "5f01dce13de79160fbec4151".into(),
        flow_id: "av-scan".into(),
        step: 0,
        machine_id: format!("{n:040x}"),
        machine_name: format!("laptop-{n}.contoso.com"),
        action: ActionKind::AntivirusScan {
            scan_type: "Full".into(),
        },
        state: S::Approved,
        reason: None,
        requested_by: "remedy".into(),
        proof: serde_json::json!({"graphDeviceId": format!("g-{n}"), "aadDeviceId": format!("g-{n}")}),
        at: Utc::now(),
    }
}

/// The lease holder the writes are fenced with, and its fence.
struct Leader {
    holder: LeaseHolder,
    fence: i64,
}

/// The dispatch intent, as the engine writes it: under the lease, `approved → queued → submitted`.
fn intent(tx: &mut JournalTx<'_>, leader: &Leader, id: &str) -> Result<(), StoreError> {
    let now = Utc::now();
    tx.require_lease(&leader.holder, leader.fence, now)?;
    tx.transition_if(id, S::Approved, S::Queued, None, now)?;
    let note = format!("intent: runAntivirusScan [remedy:{id}] on a fresh read at {now}");
    tx.transition_if(id, S::Queued, S::Submitted, Some(&note), now)?;
    Ok(())
}

/// Defender's answer, as the engine links it: the action id, its audit entry and `submitted → Pending`.
fn link(tx: &mut JournalTx<'_>, id: &str) -> Result<(), StoreError> {
    let now = Utc::now();
    let action_id = format!("action-{id}");
    tx.set_provider_action_id(id, &action_id, now)?;
    tx.append_audit(&AuditEntry {
        at: now,
        who: "remedy".into(),
        action: "submit".into(),
        target: format!("machine {id}"),
        why: "alert 66a1f0c2e4b0a1b2c3d4eb00, policy 5f01dce13de79160fbec4151, flow av-scan".into(),
        result: format!("accepted by Defender as {action_id}"),
    })?;
    tx.transition_if(id, S::Submitted, S::Pending, Some("Defender action"), now)?;
    Ok(())
}

type Write = fn(&mut JournalTx<'_>, &Leader, &str) -> Result<(), StoreError>;

/// Runs `write` for every id, `per_group` callers to a transaction as the writer thread groups them.
fn phase(
    journal: &mut Journal,
    leader: &Leader,
    ids: &[String],
    per_group: usize,
    write: Write,
) -> (Duration, Meter) {
    meter::start();
    let started = Instant::now();
    for chunk in ids.chunks(per_group) {
        if per_group == 1 {
            journal
                .atomic(|tx| write(tx, leader, &chunk[0]))
                .expect("a write alone");
            continue;
        }
        let (written, committed) = journal.group(|j| {
            chunk
                .iter()
                .map(|id| j.atomic(|tx| write(tx, leader, id)))
                .collect::<Result<Vec<_>, _>>()
        });
        written.expect("every write of the group");
        committed.expect("the group commits");
    }
    let spent = started.elapsed();
    (spent, meter::take().expect("the meter was started"))
}

fn report(name: &str, writes: usize, spent: Duration, meter: &Meter) {
    let per_write = |d: Duration| d.as_secs_f64() * 1e6 / writes as f64;
    println!(
        "{name}: {writes} writes, {:.0} µs per write ({:.0} µs of it in {:.1} database calls)",
        per_write(spent),
        per_write(meter.time()),
        meter.calls() as f64 / writes as f64
    );
    for (kind, cost) in &meter.by_kind {
        println!(
            "    {:>6.2} calls/write {:>7.1} µs/call  {kind}",
            cost.calls as f64 / writes as f64,
            cost.time.as_secs_f64() * 1e6 / cost.calls as f64
        );
    }
}

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let pg = std::env::var(PG_URL_VAR)
        .ok()
        .map(|admin| PgDatabase::create(&admin));
    let mut journal = match &pg {
        Some(db) => {
            let location = JournalLocation::parse(&db.url()).expect("PostgreSQL URL");
            Journal::open_location(&location).expect("PostgreSQL journal")
        }
        None => Journal::open(&dir.path().join("j.sqlite")).expect("SQLite journal"),
    };
    println!(
        "journal: {}",
        if pg.is_some() { "PostgreSQL" } else { "SQLite" }
    );
    let holder = LeaseHolder {
        name: "bench:1".into(),
        token: "t".into(),
    };
    let fence = match journal
        .acquire_lease(&holder, Utc::now(), chrono::Duration::hours(1))
        .expect("the lease")
    {
        LeaseOutcome::Taken(lease) | LeaseOutcome::Renewed(lease) => lease.fence,
        LeaseOutcome::HeldBy(lease) => panic!("lease held by {}", lease.holder),
    };
    let leader = Leader { holder, fence };
    let grouped = writes();
    let alone = (grouped / 10).max(1);
    let ids: Vec<String> = (0..grouped + alone)
        .collect::<Vec<_>>()
        .chunks(GROUP)
        .flat_map(|chunk| {
            let (rows, committed) = journal.group(|j| {
                chunk
                    .iter()
                    .map(|&n| j.insert_remediation(&remediation(n)).expect("insert").0.id)
                    .collect::<Vec<_>>()
            });
            committed.expect("inserts commit");
            rows
        })
        .collect();
    let (in_groups, by_itself) = ids.split_at(grouped);
    let intent: Write = |tx, leader, id| intent(tx, leader, id);
    let link: Write = |tx, _, id| link(tx, id);
    for (name, ids, per_group, write) in [
        ("intent, groups of 64", in_groups, GROUP, intent),
        ("link, groups of 64", in_groups, GROUP, link),
        ("intent, alone", by_itself, 1, intent),
        ("link, alone", by_itself, 1, link),
    ] {
        let (spent, meter) = phase(&mut journal, &leader, ids, per_group, write);
        report(name, ids.len(), spent, &meter);
    }
    drop(journal);
}
