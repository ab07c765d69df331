//! The four list panes as components: each owns its cursor and derived rows, and turns a key into an intent.

mod activity;
mod alerts;
mod cursor;
mod machines;
mod policies;

pub use activity::ActivityPane;
pub use alerts::{AlertsPane, Sort};
pub use cursor::Cursor;
pub use machines::MachinesPane;
pub use policies::PoliciesPane;

use super::keymap::Action;

/// The panes, in `Tab` order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Alerts,
    Policies,
    Machines,
    Activity,
}

impl Pane {
    pub const ALL: [Pane; 4] = [Pane::Alerts, Pane::Policies, Pane::Machines, Pane::Activity];

    /// The pane's title.
    pub fn title(self) -> &'static str {
        match self {
            Pane::Alerts => "Alerts",
            Pane::Policies => "Policies",
            Pane::Machines => "Machines",
            Pane::Activity => "Activity",
        }
    }

    /// What the pane offers beyond moving, in the order its hint line names them.
    pub fn hints(self) -> &'static [Action] {
        match self {
            Pane::Alerts => AlertsPane::HINTS,
            Pane::Policies => PoliciesPane::HINTS,
            Pane::Machines => MachinesPane::HINTS,
            Pane::Activity => ActivityPane::HINTS,
        }
    }
}

/// Which remediations an approve, reject, cancel, retry or release acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Targets {
    /// Every remediation of the selected alert.
    AlertAll,
    /// The marked rows of the machines pane, or its selected row when none is marked.
    MachineSelection,
    /// The activity row under the cursor.
    ActivityRow,
}

/// What a key means in the focused pane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Intent {
    /// Open the selected alert's detail (from the activity pane: the row's alert).
    OpenAlert,
    /// Show the alerts of the selected policy.
    ShowPolicyAlerts,
    ToggleMark,
    ToggleSort,
    Approve(Targets),
    Reject(Targets),
    Cancel(Targets),
    Retry(Targets),
    Release(Targets),
    CloseAlert,
    ModeCycle,
    ModeAuto,
}

/// A list pane: it owns its cursor and says what each pane key means there (`None`: not offered here).
pub trait ListPane {
    /// The actions its hint line names, in order.
    const HINTS: &'static [Action];

    fn cursor_mut(&mut self) -> &mut Cursor;
    /// What `action` means in this pane; `None` when this pane does not offer it.
    fn intent(&self, action: Action) -> Option<Intent>;
}
