//! Copying a whole journal into an empty one (SQLite ↔ PostgreSQL): every row of every table, ids and the
//! audit chain as they are, in one transaction on the target.

use super::db::{Db, Value};
use super::{Journal, StoreError};

/// The journal's tables in an order that satisfies their references, with the columns copied.
const TABLES: &[(&str, &str)] = &[
    (
        "alerts",
        "id, policy_id, title, \"user\", severity, resolution, timestamp_ms, raw, raw_format, \
         first_seen, last_seen",
    ),
    (
        "remediations",
        "id, idempotency_key, alert_id, policy_id, flow_id, step, machine_id, machine_name, action, \
         params, state, reason, provider_action_id, requested_by, created_at, updated_at, submitted_at, \
         final_at, proof, cover",
    ),
    (
        "transitions",
        "seq, remediation_id, from_state, to_state, at, note",
    ),
    (
        "approvals",
        "seq, remediation_id, decision, who, reason, at",
    ),
    ("policy_modes", "policy_id, mode, changed_by, changed_at"),
    (
        "mode_history",
        "seq, policy_id, from_mode, to_mode, changed_by, changed_at",
    ),
    (
        "audit",
        "seq, at, who, action, target, why, result, prev_hash, hash",
    ),
    ("audit_head", "id, seq, hash"),
    (
        "lease",
        "id, holder, token, fence, taken_at, renewed_at, expires_at",
    ),
    (
        "commands",
        "seq, body, who, origin, summary, requested_at, state, outcome, done_by, done_at",
    ),
    ("defender_spend", "at, call"),
];

/// Tables whose `seq` PostgreSQL numbers itself: after explicit ids its sequence must move past them.
const NUMBERED: &[&str] = &["transitions", "approvals", "mode_history", "commands"];

/// Rows per table, in copy order.
pub type TableCounts = Vec<(&'static str, u64)>;

impl Journal {
    /// Rows per table of this journal.
    pub fn table_counts(&self) -> Result<TableCounts, StoreError> {
        TABLES
            .iter()
            .map(|(table, _)| {
                let sql = format!("SELECT COUNT(*) FROM {table}");
                Ok((*table, self.conn.query_row(&sql, (), |r| r.get(0))?))
            })
            .collect()
    }

    /// Copies every row of this journal into `target`, which must be empty (refused otherwise), in one
    /// transaction on the target; returns the rows copied per table.
    pub fn copy_into(&self, target: &mut Journal) -> Result<TableCounts, StoreError> {
        if let Some((table, rows)) = target.table_counts()?.into_iter().find(|(_, n)| *n > 0) {
            return Err(StoreError::CopyTargetNotEmpty { table, rows });
        }
        self.conn.begin_read()?;
        target.conn.begin_write()?;
        let copied = copy_tables(&self.conn, &target.conn);
        let _ = self.conn.rollback();
        match copied {
            Ok(counts) => {
                target.conn.commit()?;
                Ok(counts)
            }
            Err(e) => {
                let _ = target.conn.rollback();
                Err(e)
            }
        }
    }
}

fn copy_tables(from: &Db, to: &Db) -> Result<TableCounts, StoreError> {
    let mut counts = Vec::with_capacity(TABLES.len());
    for (table, columns) in TABLES {
        let width = columns.split(',').count();
        let marks: Vec<String> = (1..=width).map(|i| format!("?{i}")).collect();
        let insert = format!(
            "INSERT INTO {table} ({columns}) VALUES ({})",
            marks.join(", ")
        );
        let rows = from
            .prepare(&format!("SELECT {columns} FROM {table}"))?
            .query_map((), |row| Ok(row.values().to_vec()))?;
        let mut copied = 0u64;
        let mut statement = to.prepare_cached(&insert)?;
        for row in rows {
            let values: Vec<Value> = row?;
            statement.execute(values)?;
            copied += 1;
        }
        counts.push((*table, copied));
    }
    if to.is_postgres() {
        for table in NUMBERED {
            to.query_row(
                &format!(
                    "SELECT setval(pg_get_serial_sequence('{table}', 'seq'), \
                     COALESCE((SELECT MAX(seq) FROM {table}), 0) + 1, false)"
                ),
                (),
                |_| Ok(()),
            )?;
        }
    }
    Ok(counts)
}
