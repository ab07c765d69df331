//! Command rows: what a follower's analysts asked for, written for the leader, which executes them in order
//! and marks each done or refused with the reason.

use super::db::{DbResult, Row, params};
use chrono::{DateTime, Utc};
use serde_json::Value;

use super::codec::{conversion, json_col, opt_ts_col, ts, ts_col};
use super::{Journal, JournalTx, StoreError};

/// Where a command row stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommandState {
    /// Written, not executed yet.
    Pending,
    /// The leader executed it.
    Done,
    /// The leader did not execute it (the outcome says why).
    Refused,
}

impl CommandState {
    pub fn as_str(self) -> &'static str {
        match self {
            CommandState::Pending => "pending",
            CommandState::Done => "done",
            CommandState::Refused => "refused",
        }
    }

    fn parse(word: &str) -> Option<CommandState> {
        [
            CommandState::Pending,
            CommandState::Done,
            CommandState::Refused,
        ]
        .into_iter()
        .find(|state| state.as_str() == word)
    }
}

/// A command as a follower writes it.
#[derive(Debug, Clone, PartialEq)]
pub struct NewCommand {
    /// The command itself (the engine's serialized form).
    pub body: Value,
    /// The analyst who asked.
    pub who: String,
    /// The process that wrote it (`host:pid`).
    pub origin: String,
    /// A one-line description for the history and the audit trail.
    pub summary: String,
    pub at: DateTime<Utc>,
}

/// A command row as the journal holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct CommandRow {
    pub seq: i64,
    pub body: Value,
    pub who: String,
    pub origin: String,
    pub summary: String,
    pub requested_at: DateTime<Utc>,
    pub state: CommandState,
    pub outcome: Option<String>,
    pub done_by: Option<String>,
    pub done_at: Option<DateTime<Utc>>,
}

const COLUMNS: &str =
    "seq, body, who, origin, summary, requested_at, state, outcome, done_by, done_at";

fn from_row(row: &Row) -> DbResult<CommandRow> {
    let word: String = row.get("state")?;
    let state = CommandState::parse(&word)
        .ok_or_else(|| conversion("state", format!("unknown command state {word:?}")))?;
    Ok(CommandRow {
        seq: row.get("seq")?,
        body: json_col(row, "body")?,
        who: row.get("who")?,
        origin: row.get("origin")?,
        summary: row.get("summary")?,
        requested_at: ts_col(row, "requested_at")?,
        state,
        outcome: row.get("outcome")?,
        done_by: row.get("done_by")?,
        done_at: opt_ts_col(row, "done_at")?,
    })
}

impl JournalTx<'_> {
    /// Writes a pending command; returns its sequence number (the leader executes in this order).
    pub fn request_command(&mut self, command: &NewCommand) -> Result<i64, StoreError> {
        let seq = self
            .tx
            .prepare_cached(
                "INSERT INTO commands (body, who, origin, summary, requested_at, state) \
                 VALUES (?1, ?2, ?3, ?4, ?5, 'pending') RETURNING seq",
            )?
            .query_row(
                params![
                    command.body.to_string(),
                    command.who,
                    command.origin,
                    command.summary,
                    ts(command.at)
                ],
                |r| r.get(0),
            )?;
        Ok(seq)
    }

    /// Marks a pending command `state` with its outcome; `false` if it was no longer pending.
    pub fn finish_command(
        &mut self,
        seq: i64,
        state: CommandState,
        outcome: &str,
        by: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let changed = self
            .tx
            .prepare_cached(
                "UPDATE commands SET state = ?2, outcome = ?3, done_by = ?4, done_at = ?5 \
                 WHERE seq = ?1 AND state = 'pending'",
            )?
            .execute(params![seq, state.as_str(), outcome, by, ts(at)])?;
        Ok(changed == 1)
    }
}

impl Journal {
    /// See [`JournalTx::request_command`].
    pub fn request_command(&mut self, command: &NewCommand) -> Result<i64, StoreError> {
        self.atomic(|tx| tx.request_command(command))
    }

    /// Pending commands, oldest first.
    pub fn pending_commands(&self) -> Result<Vec<CommandRow>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM commands WHERE state = 'pending' ORDER BY seq");
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map((), from_row)?;
        Ok(rows.collect::<DbResult<_>>()?)
    }

    /// Commands executed or refused after sequence `after`, oldest first (to tell followers the outcome).
    pub fn finished_commands_after(&self, after: i64) -> Result<Vec<CommandRow>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM commands WHERE seq > ?1 AND state != 'pending' ORDER BY seq"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map([after], from_row)?;
        Ok(rows.collect::<DbResult<_>>()?)
    }

    /// The highest command sequence number written so far (0 when none).
    pub fn last_command_seq(&self) -> Result<i64, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT COALESCE(MAX(seq), 0) FROM commands")?
            .query_row((), |r| r.get(0))?)
    }
}
