//! The engine task's start: modes and the working set from the journal, the policies shown, the first heartbeat.

use super::core::Engine;
use super::interface::{Level, Mode};
use super::views::configured_policy_view;

impl Engine {
    /// Loads modes and the working set (see `window.rs`) from the journal, shows policies, reconciles.
    pub(super) async fn startup(&mut self) {
        match self.ctx.journal.call(|j| j.modes()).await {
            Ok(modes) => {
                for (policy, mode) in modes {
                    if let Some(mode) = Mode::parse(&mode) {
                        self.policies.set_mode(&policy, mode);
                    }
                }
            }
            Err(e) => self.notice(
                Level::Error,
                format!("modes not loaded from the journal: {e}"),
            ),
        }
        let settings = self.ctx.settings.clone();
        for policy_id in settings.bindings.keys() {
            let view = configured_policy_view(policy_id, &settings, self.mode_of(policy_id));
            self.policies.show(view);
        }
        self.load_working_set().await;
        self.emit(self.snapshot());
        self.heartbeat().await;
    }
}
