//! Remediation writes: idempotent insert, state changes (compare-and-set), Defender ids and cover proof.

use super::db::{Db, OptionalExt, params};
use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

use super::codec::ts;
use super::remediations::{COLUMNS, NewRemediation, RemediationRow, from_row, load, require};
use super::state_codec::{encode_action, state_word};
use super::{Journal, JournalTx, StoreError};
use crate::lifecycle::RemediationState;

fn record_transition(
    conn: &Db,
    id: &str,
    from: Option<&str>,
    to: RemediationState,
    note: Option<&str>,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO transitions (remediation_id, from_state, to_state, at, note) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![id, from, state_word(to), ts(at), note])?;
    Ok(())
}

impl JournalTx<'_> {
    /// Inserts the intent unless one with the same idempotency key exists; returns the row and whether it is new.
    pub fn insert_remediation(
        &mut self,
        r: &NewRemediation,
    ) -> Result<(RemediationRow, bool), StoreError> {
        let id = Uuid::new_v4().to_string();
        let at = ts(r.at);
        let (action, params) = encode_action(&r.action);
        let inserted = self
            .tx
            .prepare_cached(
                "INSERT INTO remediations (id, idempotency_key, alert_id, policy_id, flow_id, step, \
                 machine_id, machine_name, action, params, state, reason, requested_by, created_at, \
                 updated_at, final_at, proof) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?14, ?15, ?16) \
                 ON CONFLICT (idempotency_key) DO NOTHING",
            )?
            .execute(params![
                id,
                r.idempotency_key,
                r.alert_id,
                r.policy_id,
                r.flow_id,
                r.step,
                r.machine_id,
                r.machine_name,
                action,
                params,
                state_word(r.state),
                r.reason,
                r.requested_by,
                at,
                r.state.is_final().then(|| at.clone()),
                r.proof.to_string(),
            ])?;
        if inserted == 1 {
            record_transition(&self.tx, &id, None, r.state, r.reason.as_deref(), r.at)?;
            return Ok((require(&self.tx, &id)?, true));
        }
        let row = self
            .tx
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM remediations WHERE idempotency_key = ?1"
            ))?
            .query_row([&r.idempotency_key], from_row)?;
        Ok((row, false))
    }

    /// Moves a remediation to `to` from whatever state it is in, if the lifecycle allows it; records the transition.
    pub fn transition(
        &mut self,
        id: &str,
        to: RemediationState,
        note: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<RemediationRow, StoreError> {
        let current = require(&self.tx, id)?;
        self.apply(current, to, note, at)
    }

    /// Compare-and-set: moves to `to` only if the state is still `from`; `None` if it was not.
    /// A move the lifecycle does not allow is refused with [`StoreError::ForbiddenTransition`].
    pub fn transition_if(
        &mut self,
        id: &str,
        from: RemediationState,
        to: RemediationState,
        note: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<Option<RemediationRow>, StoreError> {
        // One statement when the row is in `from` and the move is allowed; else read it to say why not.
        if from.can_become(to)
            && let Some(row) = self.set_state(id, from, to, note, at)?
        {
            return Ok(Some(row));
        }
        let current = require(&self.tx, id)?;
        if current.state != from {
            return Ok(None);
        }
        self.apply(current, to, note, at).map(Some)
    }

    fn apply(
        &mut self,
        current: RemediationRow,
        to: RemediationState,
        note: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<RemediationRow, StoreError> {
        if current.unknown_state.is_some() || !current.state.can_become(to) {
            return Err(StoreError::ForbiddenTransition {
                id: current.id,
                from: current.state,
                to,
            });
        }
        let (id, from) = (current.id, current.state);
        self.set_state(&id, from, to, note, at)?
            .ok_or(StoreError::NotFound { id })
    }

    /// Moves the row from `from` to `to` and records the transition (the update returns the changed row);
    /// `None` when the row is not in `from` (or not there).
    fn set_state(
        &mut self,
        id: &str,
        from: RemediationState,
        to: RemediationState,
        note: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<Option<RemediationRow>, StoreError> {
        let stamp = ts(at);
        let submitted = to.is_sent().then_some(stamp.as_str());
        let fin = to.is_final().then_some(stamp.as_str());
        let from_word = state_word(from);
        let update = "UPDATE remediations SET state = ?2, reason = ?3, updated_at = ?4, \
             submitted_at = COALESCE(submitted_at, ?5), final_at = COALESCE(?6, final_at) \
             WHERE id = ?1 AND state = ?7";
        // PostgreSQL records the transition in the same statement (a round trip saved); SQLite, in-process,
        // cannot modify in a WITH and takes a second statement.
        let postgres = self.tx.is_postgres();
        let sql = if postgres {
            format!(
                "WITH changed AS ({update} RETURNING {COLUMNS}), \
                 recorded AS (INSERT INTO transitions (remediation_id, from_state, to_state, at, note) \
                 SELECT id, ?7, ?2, ?4, ?3 FROM changed) SELECT {COLUMNS} FROM changed"
            )
        } else {
            format!("{update} RETURNING {COLUMNS}")
        };
        let changed = self
            .tx
            .prepare_cached(&sql)?
            .query_row(
                params![id, state_word(to), note, stamp, submitted, fin, from_word],
                from_row,
            )
            .optional()?;
        if changed.is_some() && !postgres {
            record_transition(&self.tx, id, Some(from_word), to, note, at)?;
        }
        Ok(changed)
    }

    /// Refuses a row whose stored state is not a known one: moves it to `skipped` with `why`, recording the
    /// stored word as where it came from. `None` if its state is a known one (or changed meanwhile).
    pub fn skip_unknown_state(
        &mut self,
        id: &str,
        why: &str,
        at: DateTime<Utc>,
    ) -> Result<Option<RemediationRow>, StoreError> {
        let current = require(&self.tx, id)?;
        let Some(word) = current.unknown_state else {
            return Ok(None);
        };
        let stamp = ts(at);
        let skipped = RemediationState::Skipped;
        let changed = self
            .tx
            .prepare_cached(
                "UPDATE remediations SET state = ?3, reason = ?4, updated_at = ?5, final_at = ?5 \
                 WHERE id = ?1 AND state = ?2",
            )?
            .execute(params![id, word, state_word(skipped), why, stamp])?;
        if changed == 0 {
            return Ok(None);
        }
        record_transition(&self.tx, id, Some(&word), skipped, Some(why), at)?;
        load(&self.tx, id)
    }

    /// Records the proof that an action remedy did not send covers this remediation.
    pub fn set_cover(&mut self, id: &str, cover: &Value) -> Result<(), StoreError> {
        let changed = self
            .tx
            .prepare_cached("UPDATE remediations SET cover = ?2 WHERE id = ?1")?
            .execute(params![id, cover.to_string()])?;
        if changed == 0 {
            return Err(StoreError::NotFound { id: id.to_owned() });
        }
        Ok(())
    }

    /// Records Defender's action id the moment it arrives.
    pub fn set_provider_action_id(
        &mut self,
        id: &str,
        action_id: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let changed = self
            .tx
            .prepare_cached(
                "UPDATE remediations SET provider_action_id = ?2, updated_at = ?3 WHERE id = ?1",
            )?
            .execute(params![id, action_id, ts(at)])?;
        if changed == 0 {
            return Err(StoreError::NotFound { id: id.to_owned() });
        }
        Ok(())
    }
}

impl Journal {
    /// See [`JournalTx::insert_remediation`].
    pub fn insert_remediation(
        &mut self,
        r: &NewRemediation,
    ) -> Result<(RemediationRow, bool), StoreError> {
        self.atomic(|tx| tx.insert_remediation(r))
    }

    /// See [`JournalTx::transition`].
    pub fn transition(
        &mut self,
        id: &str,
        to: RemediationState,
        note: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<RemediationRow, StoreError> {
        self.atomic(|tx| tx.transition(id, to, note, at))
    }

    /// See [`JournalTx::transition_if`].
    pub fn transition_if(
        &mut self,
        id: &str,
        from: RemediationState,
        to: RemediationState,
        note: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<Option<RemediationRow>, StoreError> {
        self.atomic(|tx| tx.transition_if(id, from, to, note, at))
    }

    /// See [`JournalTx::skip_unknown_state`].
    pub fn skip_unknown_state(
        &mut self,
        id: &str,
        why: &str,
        at: DateTime<Utc>,
    ) -> Result<Option<RemediationRow>, StoreError> {
        self.atomic(|tx| tx.skip_unknown_state(id, why, at))
    }

    /// See [`JournalTx::set_provider_action_id`].
    pub fn set_provider_action_id(
        &mut self,
        id: &str,
        action_id: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.atomic(|tx| tx.set_provider_action_id(id, action_id, at))
    }
}
