//! The leader executes followers' command rows in order, as the analyst who wrote each, and marks every
//! row done or refused with the reason.

use std::sync::Arc;

use crate::store::{CommandRow, CommandState};

use super::core::Engine;
use super::follower::acts;
use super::interface::{Command, Event, Level};

impl Engine {
    /// Executes every pending command row, oldest first (as the leader only).
    pub(super) async fn execute_command_rows(&mut self) {
        if !self.leads() {
            return;
        }
        let pending = match self.ctx.journal.call(|j| j.pending_commands()).await {
            Ok(pending) => pending,
            Err(e) => {
                self.notice(
                    Level::Warn,
                    format!("commands from other processes not read (next change retries): {e}"),
                );
                return;
            }
        };
        for row in pending {
            if !self.leads() {
                return;
            }
            let seq = row.seq;
            let (state, outcome) = self.execute_row(row).await;
            let lease = self.ctx.lease.clone();
            let clock = self.ctx.clock.clone();
            let by = self.settings().owner.clone();
            let marked = self
                .ctx
                .journal
                .call(move |j| {
                    j.atomic(|tx| {
                        let now = clock.now_utc();
                        lease.guard(tx, now)?;
                        tx.finish_command(seq, state, &outcome, &by, now)
                    })
                })
                .await;
            if let Err(e) = marked {
                tracing::warn!(seq, "command executed but not marked done: {e}");
            }
        }
    }

    /// Executes one row; a row that does not parse or does not act is refused, never guessed at.
    async fn execute_row(&mut self, row: CommandRow) -> (CommandState, String) {
        let command = match serde_json::from_value::<Command>(row.body) {
            Ok(command) => command,
            Err(e) => {
                tracing::warn!(seq = row.seq, "command row refused, it does not parse: {e}");
                return (CommandState::Refused, format!("not understood: {e}"));
            }
        };
        if !acts(&command) {
            return (
                CommandState::Refused,
                "only reads; each process reads the journal itself".into(),
            );
        }
        tracing::info!(seq = row.seq, who = %row.who, origin = %row.origin, summary = %row.summary, "executing a command row");
        self.execute_as(&row.who, command).await
    }

    /// Runs `command` with `who` as the acting analyst (approvals and the audit trail name them); the
    /// outcome is what the command told front ends: a warning or an error refuses it.
    async fn execute_as(&mut self, who: &str, command: Command) -> (CommandState, String) {
        let mut told = self.events.subscribe();
        let own = self.ctx.settings.clone();
        let mut acting = (*own).clone();
        acting.operator = who.to_string();
        self.ctx.settings = Arc::new(acting);
        self.handle_command(command).await;
        self.ctx.settings = own;
        let mut refused = None;
        let mut said = None;
        while let Ok(event) = told.try_recv() {
            if let Event::Notice { level, text } = event {
                match level {
                    Level::Info => said = Some(text),
                    Level::Warn | Level::Error => {
                        refused.get_or_insert(text);
                    }
                }
            }
        }
        match refused {
            Some(why) => (CommandState::Refused, why),
            None => (
                CommandState::Done,
                said.unwrap_or_else(|| "executed".into()),
            ),
        }
    }
}
