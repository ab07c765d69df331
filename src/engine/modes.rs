//! Policy modes as the journal holds them now: read fresh at the moment the gate decides, and
//! reloaded within a second when another process (a colleague's console) commits a change.

use super::core::Engine;
use super::interface::{Level, Mode};

/// The journal's change counter as last seen, to reload modes only when another process committed.
#[derive(Default)]
pub(super) struct JournalWatch {
    version: Option<i64>,
}

impl JournalWatch {
    /// Notes the journal's change counter; true when it moved since last noted (or is seen first).
    pub fn moved(&mut self, version: i64) -> bool {
        self.version.replace(version) != Some(version)
    }
}

impl Engine {
    /// The policy's mode read from the journal now (another process may have changed it since this
    /// one last looked). If the journal cannot be read, the cached mode, never more than `approve`:
    /// an unverified belief never makes the engine act alone.
    pub async fn mode_now(&mut self, policy_id: &str) -> Mode {
        let id = policy_id.to_string();
        match self.ctx.journal.call(move |j| j.mode_of(&id)).await {
            Ok(stored) => {
                if let Some(mode) = stored.as_deref().and_then(Mode::parse) {
                    self.adopt_mode(policy_id, mode);
                }
                self.mode_of(policy_id)
            }
            Err(e) => {
                self.notice(
                    Level::Warn,
                    format!(
                        "mode of {} not read from the journal ({e}): proposing only",
                        self.policy_label(policy_id)
                    ),
                );
                self.mode_of(policy_id).min(Mode::Approve)
            }
        }
    }

    /// Reloads modes when another process has committed to the journal since the last look (SQLite's
    /// `data_version`, one cheap pragma a second).
    pub async fn watch_journal(&mut self) {
        self.enter("watching the journal's change counter");
        let Ok(version) = self.ctx.journal.call(|j| j.data_version()).await else {
            return;
        };
        if !self.journal_watch.moved(version) {
            return;
        }
        self.reload_from_journal().await;
    }

    /// Reads what other processes journaled: their rows or commands, and the policies' modes.
    pub(super) async fn reload_from_journal(&mut self) {
        self.on_journal_changed().await;
        match self.ctx.journal.call(|j| j.modes()).await {
            Ok(modes) => {
                for (policy, word) in modes {
                    if let Some(mode) = Mode::parse(&word) {
                        self.adopt_mode(&policy, mode);
                    }
                }
            }
            Err(e) => tracing::warn!("modes not reloaded from the journal: {e}"),
        }
    }

    /// Takes `mode` as the policy's mode and tells front ends when it changed.
    fn adopt_mode(&mut self, policy_id: &str, mode: Mode) {
        if !self.policies.set_mode(policy_id, mode) {
            return;
        }
        tracing::info!(
            policy_id,
            mode = mode.as_str(),
            "policy mode changed in the journal"
        );
        if let Some(view) = self.policies.view_with_mode(policy_id, mode) {
            self.set_policy(view);
        }
    }
}
