//! Remediations as the journal holds them, and the queries that read them.

use super::db::{Db, DbResult, OptionalExt, Params, Row, params, params_from_iter};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use super::codec::{json_col, opt_raw_json_col, opt_ts_col, raw_json_col, ts, ts_col};
use super::state_codec::{StoredAction, decode_action, decode_state, encode_action, state_word};
use super::{Journal, RawJson, StoreError};
use crate::lifecycle::{ActionKind, RemediationState};

/// An intent to remediate one machine for one alert, before anything is sent.
#[derive(Debug, Clone, PartialEq)]
pub struct NewRemediation {
    /// Same key, same remediation: inserting it again returns the existing row.
    pub idempotency_key: String,
    pub alert_id: String,
    pub policy_id: String,
    pub flow_id: String,
    pub step: i64,
    pub machine_id: String,
    pub machine_name: String,
    pub action: ActionKind,
    /// The first state, e.g. `proposed`, `approved` (auto mode) or `skipped`.
    pub state: RemediationState,
    pub reason: Option<String>,
    pub requested_by: String,
    /// How the machine was found (Graph device id → Defender `aadDeviceId`, or user lookup).
    pub proof: Value,
    pub at: DateTime<Utc>,
}

/// A remediation as the journal holds it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RemediationRow {
    pub id: String,
    pub idempotency_key: String,
    pub alert_id: String,
    pub policy_id: String,
    pub flow_id: String,
    pub step: i64,
    pub machine_id: String,
    pub machine_name: String,
    pub action: StoredAction,
    /// A stored state word remedy does not know reads as `skipped`, with the refusal as `reason`.
    pub state: RemediationState,
    /// The stored word when it is not a known state (the row is then refused, never acted on).
    pub unknown_state: Option<String>,
    /// Why it is in its current state: the note of the last transition (or the reason given at insert).
    pub reason: Option<String>,
    pub provider_action_id: Option<String>,
    pub requested_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub final_at: Option<DateTime<Utc>>,
    pub proof: RawJson,
    /// Proof that an action remedy did not send for it covers this remediation (attached, cool-down).
    pub cover: Option<RawJson>,
}

/// One state change of a remediation (the first one has no `from_state`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TransitionRow {
    pub seq: i64,
    pub remediation_id: String,
    pub from_state: Option<String>,
    pub to_state: String,
    pub at: DateTime<Utc>,
    pub note: Option<String>,
}

pub(super) const COLUMNS: &str = "id, idempotency_key, alert_id, policy_id, flow_id, step, machine_id, machine_name, \
     action, params, state, reason, provider_action_id, requested_by, created_at, updated_at, \
     submitted_at, final_at, proof, cover";

pub(super) fn from_row(row: &Row) -> DbResult<RemediationRow> {
    let word: String = row.get("state")?;
    let (state, unknown_state, refused) = match decode_state(&word) {
        Ok(state) => (state, None, None),
        Err(why) => (RemediationState::Skipped, Some(word), Some(why)),
    };
    let action: String = row.get("action")?;
    let reason: Option<String> = row.get("reason")?;
    Ok(RemediationRow {
        id: row.get("id")?,
        idempotency_key: row.get("idempotency_key")?,
        alert_id: row.get("alert_id")?,
        policy_id: row.get("policy_id")?,
        flow_id: row.get("flow_id")?,
        step: row.get("step")?,
        machine_id: row.get("machine_id")?,
        machine_name: row.get("machine_name")?,
        action: decode_action(&action, &json_col(row, "params")?),
        state,
        unknown_state,
        reason: refused.or(reason),
        provider_action_id: row.get("provider_action_id")?,
        requested_by: row.get("requested_by")?,
        created_at: ts_col(row, "created_at")?,
        updated_at: ts_col(row, "updated_at")?,
        submitted_at: opt_ts_col(row, "submitted_at")?,
        final_at: opt_ts_col(row, "final_at")?,
        proof: raw_json_col(row, "proof")?,
        cover: opt_raw_json_col(row, "cover")?,
    })
}

pub(super) fn select(
    conn: &Db,
    filter: &str,
    args: impl Params,
) -> Result<Vec<RemediationRow>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM remediations {filter}");
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(args, from_row)?;
    Ok(rows.collect::<DbResult<_>>()?)
}

pub(super) fn load(conn: &Db, id: &str) -> Result<Option<RemediationRow>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM remediations WHERE id = ?1");
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([id], from_row)
        .optional()?)
}

pub(super) fn require(conn: &Db, id: &str) -> Result<RemediationRow, StoreError> {
    load(conn, id)?.ok_or_else(|| StoreError::NotFound { id: id.to_owned() })
}

impl Journal {
    /// One remediation by id.
    pub fn remediation(&self, id: &str) -> Result<Option<RemediationRow>, StoreError> {
        load(&self.conn, id)
    }

    /// All remediations of one alert, oldest first.
    pub fn remediations_for_alert(
        &self,
        alert_id: &str,
    ) -> Result<Vec<RemediationRow>, StoreError> {
        select(
            &self.conn,
            "WHERE alert_id = ?1 ORDER BY created_at, step, machine_id",
            [alert_id],
        )
    }

    /// All remediations currently in one of `states`, oldest first (e.g. everything in flight after a restart).
    pub fn remediations_in_states(
        &self,
        states: &[RemediationState],
    ) -> Result<Vec<RemediationRow>, StoreError> {
        if states.is_empty() {
            return Ok(Vec::new());
        }
        let marks = vec!["?"; states.len()].join(", ");
        select(
            &self.conn,
            &format!("WHERE state IN ({marks}) ORDER BY created_at, id"),
            params_from_iter(states.iter().map(|s| state_word(*s))),
        )
    }

    /// Remediations changed at or after `since`, most recently changed first.
    pub fn recent_remediations(
        &self,
        since: DateTime<Utc>,
    ) -> Result<Vec<RemediationRow>, StoreError> {
        select(
            &self.conn,
            "WHERE updated_at >= ?1 ORDER BY updated_at DESC, id",
            [ts(since)],
        )
    }

    /// How many actions of `policy_id` were sent to Defender (submitted or attached) at or after `since`.
    pub fn count_actions_since(
        &self,
        policy_id: &str,
        since: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let n: u64 = self
            .conn
            .prepare_cached(
                "SELECT COUNT(*) FROM remediations WHERE policy_id = ?1 AND submitted_at >= ?2",
            )?
            .query_row(params![policy_id, ts(since)], |r| r.get(0))?;
        Ok(n)
    }

    /// The latest remediation of `action`'s type on `machine_id` that succeeded at or after `since`.
    pub fn last_success(
        &self,
        machine_id: &str,
        action: &ActionKind,
        since: DateTime<Utc>,
    ) -> Result<Option<RemediationRow>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM remediations WHERE machine_id = ?1 AND action = ?2 \
             AND state = ?4 AND final_at >= ?3 ORDER BY final_at DESC LIMIT 1"
        );
        Ok(self
            .conn
            .prepare_cached(&sql)?
            .query_row(
                params![
                    machine_id,
                    encode_action(action).0,
                    ts(since),
                    state_word(RemediationState::Succeeded)
                ],
                from_row,
            )
            .optional()?)
    }

    /// Every state change of one remediation, in order.
    pub fn transitions(&self, id: &str) -> Result<Vec<TransitionRow>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT seq, remediation_id, from_state, to_state, at, note FROM transitions \
             WHERE remediation_id = ?1 ORDER BY seq",
        )?;
        let rows = stmt.query_map([id], |row| {
            Ok(TransitionRow {
                seq: row.get("seq")?,
                remediation_id: row.get("remediation_id")?,
                from_state: row.get("from_state")?,
                to_state: row.get("to_state")?,
                at: ts_col(row, "at")?,
                note: row.get("note")?,
            })
        })?;
        Ok(rows.collect::<DbResult<_>>()?)
    }
}
