//! What the chain alone cannot prove: an emptied trail, a tail cut with its head rewound, and a chain
//! forged without the HMAC key. An expected head kept outside the journal, the journal's own record of
//! audited events, and the key catch each.

#[path = "common/pg.rs"]
mod pg;

use chrono::{Duration, TimeZone, Utc};
use remedy::store::db::{Db, Value};
use remedy::store::{AuditEntry, AuditFault, AuditKey, ExpectedHead};
use sha2::{Digest, Sha256};

fn entry(n: i64) -> AuditEntry {
    AuditEntry {
        at: Utc.with_ymd_and_hms(2026, 11, 27, 9, 0, 0).unwrap() + Duration::minutes(n),
        who: "alice".into(),
        action: "set mode".into(),
        target: format!("policy p{n}"),
        why: "off → auto".into(),
        result: "auto".into(),
    }
}

fn key() -> AuditKey {
    AuditKey::new("a key kept outside the journal").unwrap()
}

/// A journal with five mode changes, each audited (keyed when `keyed`), and a raw connection without
/// the append-only guards, as an attacker with file access has.
fn five_changes(backend: &pg::TestJournal, keyed: bool) -> Db {
    let mut j = backend.open();
    if keyed {
        j.set_audit_key(key());
    }
    for n in 1..=5 {
        let e = entry(n);
        j.atomic(|tx| {
            tx.set_mode(&format!("p{n}"), "auto", "alice", e.at)?;
            tx.append_audit(&e)?;
            Ok(())
        })
        .unwrap();
    }
    backend.raw_unguarded()
}

fn hash_of(raw: &Db, seq: i64) -> String {
    raw.query_row("SELECT hash FROM audit WHERE seq = ?1", [seq], |r| r.get(0))
        .unwrap()
}

#[test]
fn an_emptied_trail_with_its_head_removed_is_caught() {
    for backend in pg::journals("pgstore_anchors") {
        eprintln!("on {}", backend.backend());
        let raw = five_changes(&backend, false);
        raw.execute_batch("DELETE FROM audit; DELETE FROM audit_head;")
            .unwrap();
        let report = backend.open().verify_audit().unwrap();
        assert_eq!(report.fault, Some(AuditFault::Emptied { events: 5 }));
    }
}

#[test]
fn a_cut_tail_with_the_head_rewound_fails_against_the_expected_head() {
    for backend in pg::journals("pgstore_anchors") {
        eprintln!("on {}", backend.backend());
        let raw = five_changes(&backend, false);
        let expected = ExpectedHead {
            seq: 5,
            hash: hash_of(&raw, 5),
        };
        let third = hash_of(&raw, 3);
        raw.execute("DELETE FROM audit WHERE seq > 3", ()).unwrap();
        raw.execute("UPDATE audit_head SET seq = 3, hash = ?1", [&third])
            .unwrap();
        let j = backend.open();
        assert!(
            j.verify_audit().unwrap().ok(),
            "the chain alone looks whole"
        );
        let fault = j.verify_audit_against(Some(&expected)).unwrap().fault;
        assert_eq!(
            fault,
            Some(AuditFault::ShorterThanExpected { seq: 5, last: 3 })
        );
    }
}

#[test]
fn a_rewritten_tail_fails_against_the_expected_head() {
    for backend in pg::journals("pgstore_anchors") {
        eprintln!("on {}", backend.backend());
        let raw = five_changes(&backend, false);
        let expected: ExpectedHead = format!("4:{}", hash_of(&raw, 4)).parse().unwrap();
        let third = hash_of(&raw, 3);
        raw.execute("DELETE FROM audit WHERE seq > 3", ()).unwrap();
        raw.execute("UPDATE audit_head SET seq = 3, hash = ?1", [&third])
            .unwrap();
        let mut j = backend.open();
        let mut other = entry(4);
        other.why = "a different story".into();
        j.append_audit(&other).unwrap();
        assert!(j.verify_audit().unwrap().ok());
        let fault = j.verify_audit_against(Some(&expected)).unwrap().fault;
        assert_eq!(fault, Some(AuditFault::ExpectedHeadMismatch { seq: 4 }));
        assert!(
            j.verify_audit_against(Some(&"3:x".parse().unwrap()))
                .unwrap()
                .fault
                .is_some()
        );
    }
}

#[test]
fn a_keyed_chain_verifies_only_with_its_key() {
    for backend in pg::journals("pgstore_anchors") {
        eprintln!("on {}", backend.backend());
        five_changes(&backend, true);
        let mut j = backend.open();
        let without = j.verify_audit().unwrap();
        assert_eq!(without.fault, Some(AuditFault::KeyRequired { seq: 1 }));
        j.set_audit_key(key());
        let with = j.verify_audit().unwrap();
        assert!(with.ok(), "{:?}", with.fault);
        assert_eq!((with.entries, with.keyed), (5, 5));
        j.set_audit_key(AuditKey::new("a guess").unwrap());
        assert_eq!(
            j.verify_audit().unwrap().fault,
            Some(AuditFault::Edited { seq: 1 })
        );
    }
}

#[test]
fn a_tail_forged_without_the_key_is_caught() {
    for backend in pg::journals("pgstore_anchors") {
        eprintln!("on {}", backend.backend());
        let raw = five_changes(&backend, true);
        // Rewrite entries 3–5 with plain SHA-256 hashes, correctly linked: all a forger without the key can do.
        let mut prev = hash_of(&raw, 2);
        for seq in 3..=5i64 {
            let (at, who, action, target, result): (String, String, String, String, String) = raw
                .query_row(
                    "SELECT at, who, action, target, result FROM audit WHERE seq = ?1",
                    [seq],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
                )
                .unwrap();
            let why = "nothing happened";
            let canonical = serde_json::json!([seq, at, who, action, target, why, result, prev]);
            let hash = hex::encode(Sha256::digest(canonical.to_string()));
            raw.execute(
                "UPDATE audit SET why = ?1, prev_hash = ?2, hash = ?3 WHERE seq = ?4",
                vec![
                    Value::Text(why.into()),
                    Value::Text(prev.clone()),
                    Value::Text(hash.clone()),
                    Value::Integer(seq),
                ],
            )
            .unwrap();
            prev = hash;
        }
        raw.execute("UPDATE audit_head SET hash = ?1", [&prev])
            .unwrap();
        let mut j = backend.open();
        j.set_audit_key(key());
        assert_eq!(
            j.verify_audit().unwrap().fault,
            Some(AuditFault::Downgraded { seq: 3 })
        );
    }
}

#[test]
fn the_key_never_prints() {
    assert_eq!(format!("{:?}", key()), "AuditKey(***)");
}
