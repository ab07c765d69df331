//! The audit chain: verification catches edits, deletions and truncation; exports carry every entry.

#[path = "common/pg.rs"]
mod pg;

use chrono::{Duration, TimeZone, Utc};
use remedy::store::db::Db;
use remedy::store::{AuditEntry, AuditFault, ExportFormat, GENESIS_HASH, Journal};
use sha2::{Digest, Sha256};

fn t0() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 27, 9, 0, 0).unwrap()
}

fn entry(n: i64, why: &str) -> AuditEntry {
    AuditEntry {
        at: t0() + Duration::minutes(n),
        who: "alice".into(),
        action: "approve".into(),
        target: format!("remediation-{n}"),
        why: why.into(),
        result: "ok".into(),
    }
}

/// A journal with five chained entries, and a raw connection to tamper with it (its guards lifted as an
/// intruder with the database owner's rights could).
fn chain_of_five(backend: &pg::TestJournal) -> (Journal, Db) {
    let mut j = backend.open();
    for n in 1..=5 {
        j.append_audit(&entry(n, &format!("reason {n}"))).unwrap();
    }
    let raw = backend.raw_unguarded();
    (j, raw)
}

#[test]
fn an_intact_chain_verifies() {
    for backend in pg::journals("pgstore_audit") {
        eprintln!("on {}", backend.backend());
        let (j, _raw) = chain_of_five(&backend);
        let report = j.verify_audit().unwrap();
        assert!(report.ok(), "{:?}", report.fault);
        assert_eq!(report.entries, 5);
    }
}

#[test]
fn the_chain_links_from_the_genesis_hash() {
    for backend in pg::journals("pgstore_audit") {
        eprintln!("on {}", backend.backend());
        let mut j = backend.open();
        assert!(j.verify_audit().unwrap().ok());
        let first = j.append_audit(&entry(1, "first")).unwrap();
        let second = j.append_audit(&entry(2, "second")).unwrap();
        assert_eq!(first.seq, 1);
        assert_eq!(first.prev_hash, GENESIS_HASH);
        assert_eq!(second.prev_hash, first.hash);
        assert_eq!(first.hash.len(), 64);
    }
}

#[test]
fn the_trail_refuses_updates_and_deletes_while_its_guards_are_in_place() {
    for backend in pg::journals("pgstore_audit") {
        eprintln!("on {}", backend.backend());
        let mut j = backend.open();
        j.append_audit(&entry(1, "first")).unwrap();
        let raw = backend.raw();
        let update = raw.execute("UPDATE audit SET why = 'other' WHERE seq = 1", ());
        assert!(update.unwrap_err().to_string().contains("append-only"));
        assert!(raw.execute("DELETE FROM audit", ()).is_err());
    }
}

#[test]
fn an_edited_why_is_caught() {
    for backend in pg::journals("pgstore_audit") {
        eprintln!("on {}", backend.backend());
        let (j, raw) = chain_of_five(&backend);
        raw.execute("UPDATE audit SET why = 'nothing to see' WHERE seq = 3", ())
            .unwrap();
        let report = j.verify_audit().unwrap();
        assert_eq!(report.fault, Some(AuditFault::Edited { seq: 3 }));
        assert_eq!(report.entries, 2);
    }
}

/// The hash as docs/journal.md documents it, so outside tools can check the chain.
fn documented_hash(raw: &Db, seq: i64, why: &str) -> String {
    let (at, who, action, target, result, prev): (String, String, String, String, String, String) =
        raw.query_row(
            "SELECT at, who, action, target, result, prev_hash FROM audit WHERE seq = ?1",
            [seq],
            |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                ))
            },
        )
        .unwrap();
    let canonical =
        serde_json::json!([seq, at, who, action, target, why, result, prev]).to_string();
    hex::encode(Sha256::digest(canonical))
}

#[test]
fn each_hash_follows_the_documented_canonical_form() {
    for backend in pg::journals("pgstore_audit") {
        eprintln!("on {}", backend.backend());
        let (_j, raw) = chain_of_five(&backend);
        for seq in 1..=5 {
            let stored: String = raw
                .query_row("SELECT hash FROM audit WHERE seq = ?1", [seq], |r| r.get(0))
                .unwrap();
            assert_eq!(documented_hash(&raw, seq, &format!("reason {seq}")), stored);
        }
    }
}

#[test]
fn an_edit_with_a_recomputed_hash_breaks_the_next_link() {
    for backend in pg::journals("pgstore_audit") {
        eprintln!("on {}", backend.backend());
        let (j, raw) = chain_of_five(&backend);
        let forged = documented_hash(&raw, 3, "nothing to see");
        raw.execute(
            "UPDATE audit SET why = 'nothing to see', hash = ?1 WHERE seq = 3",
            [&forged],
        )
        .unwrap();
        let fault = j.verify_audit().unwrap().fault.unwrap();
        assert_eq!(fault, AuditFault::BrokenLink { seq: 4 });
    }
}

#[test]
fn deleting_the_last_entry_is_caught_as_truncation() {
    for backend in pg::journals("pgstore_audit") {
        eprintln!("on {}", backend.backend());
        let (j, raw) = chain_of_five(&backend);
        raw.execute("DELETE FROM audit WHERE seq = 5", ()).unwrap();
        let report = j.verify_audit().unwrap();
        let fault = report.fault.clone().unwrap();
        assert_eq!(
            fault,
            AuditFault::Truncated {
                seq: 5,
                last: 4,
                head: 5
            }
        );
        assert_eq!(fault.seq(), 5);
        assert!(fault.to_string().contains("deleted"));
    }
}

#[test]
fn deleting_every_entry_is_caught() {
    for backend in pg::journals("pgstore_audit") {
        eprintln!("on {}", backend.backend());
        let (j, raw) = chain_of_five(&backend);
        raw.execute("DELETE FROM audit", ()).unwrap();
        assert_eq!(j.verify_audit().unwrap().fault.unwrap().seq(), 1);
    }
}

#[test]
fn deleting_a_middle_entry_is_caught() {
    for backend in pg::journals("pgstore_audit") {
        eprintln!("on {}", backend.backend());
        let (j, raw) = chain_of_five(&backend);
        raw.execute("DELETE FROM audit WHERE seq = 2", ()).unwrap();
        let fault = j.verify_audit().unwrap().fault.unwrap();
        assert_eq!(fault, AuditFault::Missing { seq: 2, found: 3 });
    }
}

#[test]
fn truncation_then_append_still_shows_the_gap() {
    for backend in pg::journals("pgstore_audit") {
        eprintln!("on {}", backend.backend());
        let (mut j, raw) = chain_of_five(&backend);
        raw.execute("DELETE FROM audit WHERE seq = 5", ()).unwrap();
        j.append_audit(&entry(6, "after")).unwrap();
        let fault = j.verify_audit().unwrap().fault.unwrap();
        assert_eq!(fault, AuditFault::Missing { seq: 5, found: 6 });
    }
}

#[test]
fn entries_added_behind_the_head_are_caught() {
    for backend in pg::journals("pgstore_audit") {
        eprintln!("on {}", backend.backend());
        let (j, raw) = chain_of_five(&backend);
        raw.execute(
            "INSERT INTO audit (seq, at, who, action, target, why, result, prev_hash, hash) \
         SELECT 6, at, who, action, target, why, result, hash, hash FROM audit WHERE seq = 5",
            (),
        )
        .unwrap();
        assert_eq!(j.verify_audit().unwrap().fault.unwrap().seq(), 6);
    }
}

fn export(
    j: &Journal,
    format: ExportFormat,
    since: Option<chrono::DateTime<Utc>>,
) -> (usize, String) {
    let mut out = Vec::new();
    let n = j.export_audit(format, since, &mut out).unwrap();
    (n, String::from_utf8(out).unwrap())
}

#[test]
fn json_export_carries_every_entry_exactly() {
    for backend in pg::journals("pgstore_audit") {
        eprintln!("on {}", backend.backend());
        let mut j = backend.open();
        let tricky = "said \"no\", then\nleft\u{1b}[2J";
        let first = j.append_audit(&entry(1, tricky)).unwrap();
        j.append_audit(&entry(2, "plain")).unwrap();
        let (n, text) = export(&j, ExportFormat::Json, None);
        assert_eq!(n, 2);
        assert!(!text.contains('\u{1b}'));
        let parsed: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
        assert_eq!(parsed.len(), 2);
        assert_eq!(parsed[0]["why"], tricky);
        assert_eq!(parsed[0]["hash"], first.hash.as_str());
        assert_eq!(parsed[0]["at"], "2026-11-27T09:01:00.000000Z");
        assert_eq!(parsed[1]["prev_hash"], first.hash.as_str());

        let (n, text) = export(&j, ExportFormat::Json, Some(t0() + Duration::minutes(2)));
        assert_eq!(n, 1);
        let parsed: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
        assert_eq!(parsed[0]["seq"], 2);

        let (n, text) = export(&j, ExportFormat::Json, Some(t0() + Duration::days(1)));
        assert_eq!(n, 0);
        let parsed: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
        assert!(parsed.is_empty());
    }
}

#[test]
fn csv_export_quotes_commas_quotes_and_newlines() {
    for backend in pg::journals("pgstore_audit") {
        eprintln!("on {}", backend.backend());
        let mut j = backend.open();
        let record = j
            .append_audit(&entry(1, "said \"no\", then\nleft\u{1b}[2J"))
            .unwrap();
        j.append_audit(&entry(2, "plain")).unwrap();
        let (n, text) = export(&j, ExportFormat::Csv, None);
        assert_eq!(n, 2);
        let expected = format!(
            "seq,at,who,action,target,why,result,prev_hash,hash\r\n\
         1,2026-11-27T09:01:00.000000Z,alice,approve,remediation-1,\
         \"said \"\"no\"\", then\nleft\u{fffd}[2J\",ok,{GENESIS_HASH},{hash}\r\n",
            hash = record.hash
        );
        assert!(text.starts_with(&expected), "{text}");
        let second = text.strip_prefix(&expected).unwrap();
        assert!(
            second
                .starts_with("2,2026-11-27T09:02:00.000000Z,alice,approve,remediation-2,plain,ok,")
        );
        assert!(second.ends_with("\r\n"));
        assert_eq!(second.matches("\r\n").count(), 1);

        let (n, text) = export(&j, ExportFormat::Csv, Some(t0() + Duration::minutes(2)));
        assert_eq!(n, 1);
        assert!(text.contains("remediation-2,plain,ok"));
        assert!(!text.contains("remediation-1"));
    }
}

#[test]
fn export_formats_parse_from_their_names() {
    assert_eq!("json".parse::<ExportFormat>().unwrap(), ExportFormat::Json);
    assert_eq!("CSV".parse::<ExportFormat>().unwrap(), ExportFormat::Csv);
    assert!("xml".parse::<ExportFormat>().is_err());
}

#[test]
fn appends_from_two_processes_keep_one_intact_chain() {
    for backend in pg::journals("pgstore_audit") {
        eprintln!("on {}", backend.backend());
        drop(backend.open());
        std::thread::scope(|s| {
            for who in ["a", "b"] {
                let backend = &backend;
                s.spawn(move || {
                    let mut j = backend.open();
                    for n in 0..25 {
                        j.append_audit(&entry(n, who)).unwrap();
                    }
                });
            }
        });
        let report = backend.open().verify_audit().unwrap();
        assert!(report.ok(), "{:?}", report.fault);
        assert_eq!(report.entries, 50);
    }
}
