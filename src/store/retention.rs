//! Retention: finished remediations (with their transitions and approvals), alerts without remaining work and
//! audit entries older than a cut-off leave the journal; the audit entries are archived first and the chain
//! continues from a checkpoint carrying their head. `VACUUM` follows when a quarter of the file is free.

use std::path::PathBuf;

use super::db::{Db, params};
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::audit::{AUDIT_COLUMNS, from_row};
use super::audit_archive::{archive_path, write_archive};
use super::audit_checkpoint::{PruneNote, prune_entry};
use super::audit_verify::ExpectedHead;
use super::codec::ts;
use super::state_codec::state_word;
use super::{Journal, StoreError};
use crate::lifecycle::RemediationState;

/// What a prune removes (or, in a dry run, would remove).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PruneCounts {
    pub remediations: u64,
    pub transitions: u64,
    pub approvals: u64,
    pub alerts: u64,
    /// Analysts' command rows executed or refused before the cut-off (the newest row always stays, so sequence
    /// numbers are never reused).
    pub commands: u64,
    pub audit_entries: u64,
    /// The first and last audit entry archived and removed.
    pub audit_range: Option<(i64, i64)>,
}

impl PruneCounts {
    pub fn is_empty(&self) -> bool {
        self.remediations == 0 && self.alerts == 0 && self.commands == 0 && self.audit_entries == 0
    }
}

/// What a prune did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PruneOutcome {
    pub counts: PruneCounts,
    /// The archives holding the removed audit entries (one per batch), oldest first.
    pub archives: Vec<PathBuf>,
    /// Whether `VACUUM` ran afterwards.
    pub vacuumed: bool,
}

/// At most this much goes in one prune transaction, so other processes sharing the journal wait for it only
/// briefly (their writes wait up to the busy timeout); a prune runs batches until nothing is left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PruneBatch {
    pub remediations: i64,
    pub audit_entries: i64,
}

impl Default for PruneBatch {
    fn default() -> PruneBatch {
        PruneBatch {
            remediations: 20_000,
            audit_entries: 50_000,
        }
    }
}

impl PruneCounts {
    fn add(&mut self, batch: &PruneCounts) {
        self.remediations += batch.remediations;
        self.transitions += batch.transitions;
        self.approvals += batch.approvals;
        self.alerts += batch.alerts;
        self.commands += batch.commands;
        self.audit_entries += batch.audit_entries;
        self.audit_range = match (self.audit_range, batch.audit_range) {
            (Some((first, _)), Some((_, last))) => Some((first, last)),
            (range, None) | (None, range) => range,
        };
    }
}

/// Marks what goes (at most `batch`, everything when `None`) in temporary tables and counts it; the caller's
/// transaction decides whether it goes.
fn select(conn: &Db, cutoff: &str, batch: Option<PruneBatch>) -> Result<PruneCounts, StoreError> {
    let finals: Vec<String> = RemediationState::ALL
        .into_iter()
        .filter(|s| s.is_final())
        .map(|s| format!("'{}'", state_word(s)))
        .collect();
    // Created empty from the tables they mark (so their ids have the same type and collation), then filled:
    // PostgreSQL takes no parameters in `CREATE TABLE … AS`.
    conn.execute_batch(
        "DROP TABLE IF EXISTS prune_remediations; DROP TABLE IF EXISTS prune_alerts; \
         CREATE TEMP TABLE prune_remediations AS SELECT id FROM remediations WHERE 1 = 0; \
         CREATE TEMP TABLE prune_alerts AS SELECT id FROM alerts WHERE 1 = 0;",
    )?;
    conn.execute(
        &format!(
            "INSERT INTO prune_remediations SELECT id FROM remediations \
             WHERE final_at IS NOT NULL AND final_at < ?1 AND state IN ({}) ORDER BY final_at LIMIT ?2",
            finals.join(", ")
        ),
        params![cutoff, batch.map_or(i64::MAX, |b| b.remediations)],
    )?;
    conn.execute(
        "INSERT INTO prune_alerts SELECT id FROM alerts a WHERE last_seen < ?1 \
         AND NOT EXISTS (SELECT 1 FROM remediations r WHERE r.alert_id = a.id \
                         AND r.id NOT IN (SELECT id FROM prune_remediations))",
        [cutoff],
    )?;
    let count = |sql: &str| -> Result<u64, StoreError> {
        Ok(conn.query_row(sql, (), |r| r.get::<_, i64>(0))? as u64)
    };
    let (first, last): (Option<i64>, Option<i64>) = conn.query_row(
        "SELECT (SELECT min(seq) FROM audit), (SELECT max(seq) FROM audit WHERE at < ?1)",
        [cutoff],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let audit_range = first
        .zip(last)
        .map(|(first, last)| {
            (
                first,
                batch.map_or(last, |b| last.min(first + b.audit_entries - 1)),
            )
        })
        .filter(|(first, last)| first <= last);
    Ok(PruneCounts {
        remediations: count("SELECT count(*) FROM prune_remediations")?,
        transitions: count(
            "SELECT count(*) FROM transitions WHERE remediation_id IN (SELECT id FROM prune_remediations)",
        )?,
        approvals: count(
            "SELECT count(*) FROM approvals WHERE remediation_id IN (SELECT id FROM prune_remediations)",
        )?,
        alerts: count("SELECT count(*) FROM prune_alerts")?,
        commands: conn.query_row(OLD_COMMANDS_COUNT, [cutoff], |r| r.get::<_, i64>(0))? as u64,
        audit_entries: audit_range.map_or(0, |(first, last)| (last - first + 1) as u64),
        audit_range,
    })
}

/// Command rows finished before the cut-off, except the newest row (whose sequence number must not be reused).
const OLD_COMMANDS_COUNT: &str = "SELECT count(*) FROM commands WHERE state <> 'pending' \
     AND done_at < ?1 AND seq < (SELECT max(seq) FROM commands)";
const OLD_COMMANDS_DELETE: &str = "DELETE FROM commands WHERE state <> 'pending' \
     AND done_at < ?1 AND seq < (SELECT max(seq) FROM commands)";

/// The SQLite trigger that keeps the audit trail append-only (as the first migration created it).
const AUDIT_NO_DELETE: &str = "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit \
     BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;";

/// Removes what [`select`] marked; audit entries up to `last` only with the append-only trigger lifted for
/// this transaction.
fn delete_marked(conn: &Db, cutoff: &str, audit_up_to: Option<i64>) -> Result<(), StoreError> {
    conn.execute(OLD_COMMANDS_DELETE, [cutoff])?;
    conn.execute_batch(
        "DELETE FROM transitions WHERE remediation_id IN (SELECT id FROM prune_remediations);
         DELETE FROM approvals WHERE remediation_id IN (SELECT id FROM prune_remediations);
         DELETE FROM remediations WHERE id IN (SELECT id FROM prune_remediations);
         DELETE FROM alerts WHERE id IN (SELECT id FROM prune_alerts);",
    )?;
    if let Some(last) = audit_up_to {
        if conn.is_postgres() {
            // The trigger lets a delete through only while this transaction says it prunes.
            conn.execute_batch("SET LOCAL remedy.audit_prune = 'on'")?;
            conn.execute("DELETE FROM audit WHERE seq <= ?1", [last])?;
            conn.execute_batch("SET LOCAL remedy.audit_prune = 'off'")?;
        } else {
            conn.execute_batch("DROP TRIGGER audit_no_delete;")?;
            conn.execute("DELETE FROM audit WHERE seq <= ?1", [last])?;
            conn.execute_batch(AUDIT_NO_DELETE)?;
        }
    }
    conn.execute_batch("DROP TABLE prune_remediations; DROP TABLE prune_alerts;")?;
    Ok(())
}

impl Journal {
    /// What [`Journal::prune`] would remove for `cutoff`, changing nothing.
    pub fn prune_dry_run(&self, cutoff: DateTime<Utc>) -> Result<PruneCounts, StoreError> {
        self.conn.begin_read()?;
        let counts = select(&self.conn, &ts(cutoff), None);
        let rolled_back = self.conn.rollback();
        let counts = counts?;
        rolled_back?;
        Ok(counts)
    }

    /// Removes finished remediations (with transitions and approvals) finished before `cutoff`, alerts last
    /// seen before it with no other work, and audit entries before it: those are written to an archive next
    /// to the journal first, and a checkpoint entry by `who` carries their head. Never touches a remediation
    /// that is not final. Runs in batches ([`PruneBatch`]); `VACUUM` runs when more than a quarter of the
    /// file's pages are free afterwards.
    pub fn prune(&mut self, cutoff: DateTime<Utc>, who: &str) -> Result<PruneOutcome, StoreError> {
        self.prune_in_batches(cutoff, who, PruneBatch::default())
    }

    /// [`Journal::prune`] with batches of the given size (one archive and one checkpoint per batch).
    pub fn prune_in_batches(
        &mut self,
        cutoff: DateTime<Utc>,
        who: &str,
        batch: PruneBatch,
    ) -> Result<PruneOutcome, StoreError> {
        let mut counts = PruneCounts::default();
        let mut archives = Vec::new();
        loop {
            let (done, archive) = self.prune_batch(cutoff, who, batch)?;
            if done.is_empty() {
                break;
            }
            counts.add(&done);
            archives.extend(archive);
        }
        let vacuumed = !counts.is_empty() && self.vacuum_if_worth_it()?;
        Ok(PruneOutcome {
            counts,
            archives,
            vacuumed,
        })
    }

    /// One prune transaction; the archive it wrote is removed again if it fails.
    fn prune_batch(
        &mut self,
        cutoff: DateTime<Utc>,
        who: &str,
        batch: PruneBatch,
    ) -> Result<(PruneCounts, Option<PathBuf>), StoreError> {
        let journal_file = self.archive_base.clone();
        let mut archive = None;
        let result = self.atomic(|tx| {
            let counts = select(&tx.tx, &ts(cutoff), Some(batch))?;
            if counts.is_empty() {
                return Ok(counts);
            }
            let archived = match counts.audit_range {
                Some((first, last)) => {
                    let (path, head) =
                        archive_entries(&tx.tx, journal_file.as_deref(), first, last)?;
                    let name = path
                        .file_name()
                        .unwrap_or_default()
                        .to_string_lossy()
                        .into_owned();
                    archive = Some(path);
                    Some((head, name))
                }
                None => None,
            };
            // Never stamped before its own cut-off (a clock running ahead of the wall's, as a simulator's
            // does): the next batch would archive it and write another, one entry per batch, forever.
            tx.append_audit(&prune_entry(&PruneNote {
                who,
                at: Utc::now().max(cutoff),
                cutoff,
                archived,
                remediations: counts.remediations,
                transitions: counts.transitions,
                alerts: counts.alerts,
            }))?;
            delete_marked(
                &tx.tx,
                &ts(cutoff),
                counts.audit_range.map(|(_, last)| last),
            )?;
            Ok(counts)
        });
        match result {
            Ok(counts) => Ok((counts, archive)),
            Err(e) => {
                if let Some(path) = &archive {
                    let _ = std::fs::remove_file(path);
                }
                Err(e)
            }
        }
    }

    /// Runs `VACUUM` when more than a quarter of the file's pages are free; true when it ran.
    /// PostgreSQL's autovacuum does this itself: always false there.
    pub fn vacuum_if_worth_it(&self) -> Result<bool, StoreError> {
        let Some(conn) = self.conn.sqlite() else {
            return Ok(false);
        };
        let pages: i64 = conn.pragma_query_value(None, "page_count", |r| r.get(0))?;
        let free: i64 = conn.pragma_query_value(None, "freelist_count", |r| r.get(0))?;
        if pages == 0 || free * 4 <= pages {
            return Ok(false);
        }
        conn.execute_batch("VACUUM")?;
        // In WAL mode the compacted pages reach the main file, and it shrinks, at a checkpoint.
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", (), |_| Ok(()))?;
        tracing::info!(pages, free, "journal vacuumed");
        Ok(true)
    }
}

/// Writes audit entries `first..=last` to their archive next to `journal_file`; returns it and the last entry's
/// head, which the checkpoint carries.
fn archive_entries(
    conn: &Db,
    journal_file: Option<&std::path::Path>,
    first: i64,
    last: i64,
) -> Result<(PathBuf, ExpectedHead), StoreError> {
    let Some(file) = journal_file else {
        return Err(StoreError::Archive {
            path: PathBuf::from("(no folder)"),
            problem: "this journal (in memory, or in PostgreSQL without an archive folder) has no folder \
                      to archive audit entries in"
                .into(),
        });
    };
    let hash: String = conn.query_row("SELECT hash FROM audit WHERE seq = ?1", [last], |r| {
        r.get(0)
    })?;
    let path = archive_path(file, first, last);
    let mut stmt = conn.prepare(&format!(
        "SELECT {AUDIT_COLUMNS} FROM audit WHERE seq BETWEEN ?1 AND ?2 ORDER BY seq"
    ))?;
    let rows = stmt.query_map(params![first, last], from_row)?;
    write_archive(&path, rows.map(|r| r.map_err(StoreError::from)))?;
    Ok((path, ExpectedHead { seq: last, hash }))
}
