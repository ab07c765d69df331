//! The policies component: each policy as shown (binding, mode, warning) and the modes set live.

use std::collections::{BTreeMap, HashMap};

use super::interface::{Mode, PolicyView};

/// Policies as front ends see them, and the modes the journal set over the config's.
#[derive(Default)]
pub(super) struct Policies {
    /// Each policy as shown, by id.
    views: BTreeMap<String, PolicyView>,
    /// Policy modes set live (journal), over the config's.
    modes: HashMap<String, Mode>,
}

impl Policies {
    /// The policy as shown.
    pub fn view(&self, policy_id: &str) -> Option<&PolicyView> {
        self.views.get(policy_id)
    }

    /// Every policy as shown, in id order.
    pub fn views(&self) -> impl Iterator<Item = &PolicyView> {
        self.views.values()
    }

    /// Shows `view`; true when it differs from what was shown (front ends are to be told).
    pub fn show(&mut self, view: PolicyView) -> bool {
        if self.views.get(&view.id) == Some(&view) {
            return false;
        }
        self.views.insert(view.id.clone(), view);
        true
    }

    /// The mode set live for the policy (the journal's), if one was.
    pub fn live_mode(&self, policy_id: &str) -> Option<Mode> {
        self.modes.get(policy_id).copied()
    }

    /// Takes `mode` as the policy's live mode; true when that changed it.
    pub fn set_mode(&mut self, policy_id: &str, mode: Mode) -> bool {
        self.modes.insert(policy_id.to_string(), mode) != Some(mode)
    }

    /// The policy as shown with `mode`, when it is shown.
    pub fn view_with_mode(&self, policy_id: &str, mode: Mode) -> Option<PolicyView> {
        let mut view = self.views.get(policy_id)?.clone();
        view.mode = mode;
        Some(view)
    }
}
