//! Following the journal: a follower shows what the leader journals (caught up when the change counter
//! moves) and writes its analysts' commands as command rows for the leader.

use chrono::{DateTime, Utc};

use crate::alert::stored as stored_alert;
use crate::store::{AuditEntry, CommandState, NewCommand};

use super::core::Engine;
use super::interface::{Command, Event, Level};
use super::views::alert_view;

/// Rows changed this long before the last catch-up are read again: a transaction that committed late
/// with an earlier time is never missed (unchanged rows are not shown twice).
const CATCH_UP_MARGIN: chrono::Duration = chrono::Duration::seconds(30);

/// How far this process has followed the journal.
#[derive(Debug)]
pub(super) struct FollowState {
    /// The last catch-up started here.
    synced_to: DateTime<Utc>,
    /// Command rows up to this sequence number were reported (`None` until first read).
    outcomes_seen: Option<i64>,
}

impl FollowState {
    /// Following from `start` on (what the engine loaded at start is older).
    pub fn new(start: DateTime<Utc>) -> FollowState {
        FollowState {
            synced_to: start,
            outcomes_seen: None,
        }
    }
}

/// Whether the command acts (and so is the leader's to execute), rather than reads.
pub(super) fn acts(command: &Command) -> bool {
    !matches!(
        command,
        Command::Resync | Command::History { .. } | Command::OlderAlerts { .. }
    )
}

/// The command in words, for the command row, the audit trail and notices.
fn describe(command: &Command) -> String {
    match command {
        Command::Approve {
            remediation_ids, ..
        } => format!("approve {}", remediation_ids.join(", ")),
        Command::Reject {
            remediation_ids, ..
        } => format!("reject {}", remediation_ids.join(", ")),
        Command::SetMode { policy_id, mode } => {
            format!("set policy {policy_id} to {}", mode.as_str())
        }
        Command::Cancel { remediation_id, .. } => format!("cancel {remediation_id}"),
        Command::CloseAlert { alert_id, .. } => format!("close alert {alert_id}"),
        Command::MarkRead { alert_id } => format!("mark alert {alert_id} read"),
        Command::Retry { remediation_id, .. } => format!("retry {remediation_id}"),
        Command::Release { remediation_id, .. } => format!("release {remediation_id}"),
        Command::History { alert_id } => format!("history of {alert_id}"),
        Command::OlderAlerts { .. } => "older alerts".into(),
        Command::Refresh => "poll the alert sources now".into(),
        Command::Resync => "resync".into(),
    }
}

/// The reason the analyst gave, if any.
fn reason(command: &Command) -> String {
    match command {
        Command::Approve { reason, .. }
        | Command::Reject { reason, .. }
        | Command::Retry { reason, .. }
        | Command::Release { reason, .. } => reason.clone().unwrap_or_default(),
        Command::Cancel { comment, .. } | Command::CloseAlert { comment, .. } => comment.clone(),
        _ => String::new(),
    }
}

impl Engine {
    /// A front end's command: executed here when this process leads (or only reads), else written to the
    /// journal for the leader.
    pub async fn route_command(&mut self, command: Command) {
        if self.leads() || !acts(&command) || self.settings().read_only {
            let resync = matches!(command, Command::Resync);
            self.handle_command(command).await;
            if resync {
                self.emit_leadership();
            }
            return;
        }
        self.forward(command).await;
    }

    /// Writes the command as a command row, audited as requested; the leader executes it.
    async fn forward(&mut self, command: Command) {
        let summary = describe(&command);
        let body = match serde_json::to_value(&command) {
            Ok(body) => body,
            Err(e) => {
                self.notice(Level::Error, format!("{summary}: not written ({e})"));
                return;
            }
        };
        let now = self.now();
        let who = self.settings().operator.clone();
        let row = NewCommand {
            body,
            who: who.clone(),
            origin: self.settings().owner.clone(),
            summary: summary.clone(),
            at: now,
        };
        let why = reason(&command);
        // Opening an alert marks it read: not a decision, so not audited (as on the leader).
        let audited = !matches!(command, Command::MarkRead { .. });
        let written = self
            .ctx
            .journal
            .call(move |j| {
                j.atomic(|tx| {
                    let seq = tx.request_command(&row)?;
                    if audited {
                        tx.append_audit(&AuditEntry {
                            at: now,
                            who,
                            action: "request".into(),
                            target: row.summary.clone(),
                            why,
                            result: format!("requested: command {seq} for the leader"),
                        })?;
                    }
                    Ok(seq)
                })
            })
            .await;
        match written {
            Ok(seq) if !audited => tracing::debug!(seq, "{summary}: sent to the leader"),
            Ok(seq) => self.notice(
                Level::Info,
                format!("{summary}: sent to the leader (command {seq})"),
            ),
            Err(e) => self.notice(
                Level::Error,
                format!("{summary}: not sent to the leader, the journal refused it ({e})"),
            ),
        }
    }

    /// Another process committed to the journal: the leader executes new command rows; a follower shows
    /// what changed and what became of its commands.
    pub async fn on_journal_changed(&mut self) {
        if self.leads() {
            self.execute_command_rows().await;
            return;
        }
        self.catch_up().await;
        self.report_outcomes().await;
    }

    /// Shows alerts and remediations the journal changed since the last catch-up.
    pub(super) async fn catch_up(&mut self) {
        let now = self.now();
        let since = self.follow.synced_to - CATCH_UP_MARGIN;
        let read = self
            .ctx
            .journal
            .call(move |j| Ok((j.alerts_seen_since(since)?, j.recent_remediations(since)?)))
            .await;
        let (alerts, rows) = match read {
            Ok(read) => read,
            Err(e) => {
                tracing::warn!("journal changes not read (next change retries): {e}");
                return;
            }
        };
        self.follow.synced_to = now;
        for stored in alerts {
            let alert = match stored_alert::from_row(&stored) {
                Ok(alert) => alert,
                Err(e) => {
                    tracing::warn!(alert = %stored.id, "journaled alert not shown, it does not parse: {e}");
                    continue;
                }
            };
            let matched = self.settings().binding_for(&alert);
            let mut view = alert_view(&alert, matched.as_ref());
            if let Some(old) = self.alerts.get(&view.id) {
                view.note = old.note.clone();
                if self.alerts.shows(&view) {
                    continue;
                }
            }
            self.alerts.show(view.id.clone(), view.clone());
            self.emit(Event::AlertSeen(view));
        }
        for row in &rows {
            self.planned.mark(&row.alert_id);
        }
        self.apply_rows(rows).await;
    }

    /// Tells this process's analysts what the leader did with their commands.
    async fn report_outcomes(&mut self) {
        let after = self.follow.outcomes_seen;
        let read = self
            .ctx
            .journal
            .call(move |j| match after {
                Some(after) => Ok((after, j.finished_commands_after(after)?)),
                None => Ok((j.last_command_seq()?, Vec::new())),
            })
            .await;
        let (mut seen, finished) = match read {
            Ok(read) => read,
            Err(e) => {
                tracing::warn!("command outcomes not read (next change retries): {e}");
                return;
            }
        };
        let own = self.settings().owner.clone();
        for row in finished {
            seen = seen.max(row.seq);
            let quiet = row.body["type"] == "mark_read" && row.state == CommandState::Done;
            if row.origin != own || quiet {
                continue;
            }
            let by = row.done_by.as_deref().unwrap_or("the leader");
            let outcome = row.outcome.as_deref().unwrap_or("");
            let level = match row.state {
                CommandState::Refused => Level::Warn,
                _ => Level::Info,
            };
            let word = row.state.as_str();
            self.notice(level, format!("{}: {word} by {by}: {outcome}", row.summary));
        }
        self.follow.outcomes_seen = Some(seen);
    }
}
