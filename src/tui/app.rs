//! The console's own state: focus, selections, filter, sort, marks, dialogs and toasts over the model.

use std::cell::Cell;
use std::collections::VecDeque;

use chrono::{DateTime, Duration, Utc};
use ratatui::layout::Rect;
use tui_input::Input;

use crate::engine::interface::{
    AlertView, Event, Level, PolicyView, RemediationState, RemediationView,
};

use super::dialog::Dialog;
use super::keymap::Keymap;
pub use super::panes::{
    ActivityPane, AlertsPane, Cursor, Intent, ListPane, MachinesPane, Pane, PoliciesPane, Sort,
    Targets,
};
use super::state::Model;
use super::theme::Theme;

/// How long a toast stays on screen.
const TOAST_SECONDS: i64 = 4;

/// A short message at the bottom of the screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Toast {
    pub level: Level,
    pub text: String,
    pub until: DateTime<Utc>,
}

/// A one-line text field at the bottom: the `/` filter or the `:` command line.
#[derive(Debug, Clone)]
pub enum Prompt {
    Filter(Input),
    Command(Input),
}

/// All state of the console. One task owns it; views read it, keys and events change it.
#[derive(Debug)]
pub struct App {
    pub model: Model,
    pub keymap: Keymap,
    pub theme: Theme,
    /// The clock the views use (set by the run loop; fixed in tests).
    pub now: DateTime<Utc>,
    pub focus: Pane,
    pub alerts: AlertsPane,
    pub policies: PoliciesPane,
    pub machines: MachinesPane,
    pub activity: ActivityPane,
    pub detail_scroll: u16,
    pub show_detail: bool,
    pub show_help: bool,
    /// The focused pane fills the screen.
    pub zoomed: bool,
    pub prompt: Option<Prompt>,
    pub dialog: Option<Dialog>,
    pub toasts: VecDeque<Toast>,
    pub quit: bool,
    /// Where each pane was drawn last and the screen row of its first list row (for mouse clicks).
    pub hit_areas: Vec<(Pane, Rect, u16)>,
    read_only_option: bool,
    demo_option: bool,
    /// The earliest time a text drawn in the last frame changes by itself (ages, spinners, elapsed times).
    redraw_at: Cell<Option<DateTime<Utc>>>,
    stale: bool,
}

impl App {
    /// A console with no data yet.
    pub fn new(keymap: Keymap, theme: Theme, read_only: bool, demo: bool) -> App {
        App {
            model: Model::default(),
            keymap,
            theme,
            now: DateTime::<Utc>::UNIX_EPOCH,
            focus: Pane::Alerts,
            alerts: AlertsPane::default(),
            policies: PoliciesPane::default(),
            machines: MachinesPane::default(),
            activity: ActivityPane::default(),
            detail_scroll: 0,
            show_detail: false,
            show_help: false,
            zoomed: false,
            prompt: None,
            dialog: None,
            toasts: VecDeque::new(),
            quit: false,
            hit_areas: Vec::new(),
            read_only_option: read_only,
            demo_option: demo,
            redraw_at: Cell::new(None),
            stale: false,
        }
    }

    /// Read-only when started so or when the engine says so.
    pub fn read_only(&self) -> bool {
        self.read_only_option || self.model.read_only
    }

    /// Demo when started so or when the engine says so.
    pub fn demo(&self) -> bool {
        self.demo_option || self.model.demo
    }

    /// Applies one engine event.
    pub fn apply(&mut self, event: Event) {
        if let Event::Notice { level, text } = &event {
            self.toast(*level, text);
        }
        if self.model.apply(event) {
            self.stale = true;
        }
    }

    /// Shows a toast (text is sanitised when drawn).
    pub fn toast(&mut self, level: Level, text: &str) {
        self.toasts.push_back(Toast {
            level,
            text: text.to_string(),
            until: self.now + Duration::seconds(TOAST_SECONDS),
        });
        while self.toasts.len() > 3 {
            self.toasts.pop_front();
        }
    }

    /// Sets the clock and drops expired toasts.
    pub fn set_now(&mut self, now: DateTime<Utc>) {
        self.now = now;
        self.toasts.retain(|t| t.until > now);
    }

    /// Forgets when the previous frame would have changed; called as a frame starts.
    pub fn start_frame(&mut self) {
        self.redraw_at.set(None);
    }

    /// Notes that something just drawn reads differently from `at` on.
    pub fn changes_at(&self, at: DateTime<Utc>) {
        let earliest = self.redraw_at.get().map_or(at, |was| was.min(at));
        self.redraw_at.set(Some(earliest));
    }

    /// When the screen drawn last changes by itself (a time moves on, a toast expires); `None` if never.
    pub fn next_redraw(&self) -> Option<DateTime<Utc>> {
        let toast = self.toasts.iter().map(|t| t.until).min();
        match (self.redraw_at.get(), toast) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Marks the derived lists for rebuilding (after a filter, sort or data change).
    pub fn invalidate(&mut self) {
        self.stale = true;
    }

    /// Rebuilds the panes' derived rows if anything changed.
    pub fn prepare(&mut self) {
        if !self.stale {
            return;
        }
        self.stale = false;
        self.alerts.rebuild(&self.model);
        self.activity.rebuild(&self.model, self.now);
        self.policies.cursor.clamp(self.model.policies.len());
    }

    /// Alerts passing the filter, in order (indices into `model.alerts`).
    pub fn visible_alerts(&self) -> &[usize] {
        self.alerts.visible()
    }

    /// Remediations of the activity pane (indices into `model.remediations`).
    pub fn activity_rows(&self) -> &[usize] {
        self.activity.rows()
    }

    /// Activity rows counted by state (only states present).
    pub fn activity_counts(&self) -> &[(RemediationState, usize)] {
        self.activity.counts()
    }

    /// The alert under the cursor.
    pub fn selected_alert(&self) -> Option<&AlertView> {
        self.alerts.selected(&self.model)
    }

    /// The selected alert's remediations, in the machines pane's order.
    pub fn machine_rows(&self) -> Vec<&RemediationView> {
        MachinesPane::rows(&self.model, self.selected_alert())
    }

    /// What `action` means in the focused pane; `None` when that pane does not offer it.
    pub fn focused_intent(&self, action: crate::tui::keymap::Action) -> Option<Intent> {
        match self.focus {
            Pane::Alerts => self.alerts.intent(action),
            Pane::Policies => self.policies.intent(action),
            Pane::Machines => self.machines.intent(action),
            Pane::Activity => self.activity.intent(action),
        }
    }

    /// The focused pane's cursor.
    pub fn focused_cursor(&mut self) -> &mut Cursor {
        match self.focus {
            Pane::Alerts => self.alerts.cursor_mut(),
            Pane::Policies => self.policies.cursor_mut(),
            Pane::Machines => self.machines.cursor_mut(),
            Pane::Activity => self.activity.cursor_mut(),
        }
    }

    /// The remediations `targets` names: the alert's, the marked or selected machine rows, or the activity row.
    pub fn targets(&self, targets: &Targets) -> Vec<&RemediationView> {
        match targets {
            Targets::AlertAll => self.machine_rows(),
            Targets::MachineSelection => {
                let rows = self.machine_rows();
                let marks = &self.machines.marks;
                if rows.iter().any(|r| marks.contains(&r.id)) {
                    rows.into_iter().filter(|r| marks.contains(&r.id)).collect()
                } else {
                    rows.get(self.machines.cursor.selected)
                        .map(|r| vec![*r])
                        .unwrap_or_default()
                }
            }
            Targets::ActivityRow => self.activity.selected(&self.model).into_iter().collect(),
        }
    }

    /// The policy the mode keys act on: the selected policy, the activity row's, or the selected alert's.
    pub fn current_policy(&self) -> Option<&PolicyView> {
        match self.focus {
            Pane::Policies => self.policies.selected(&self.model),
            Pane::Activity => self
                .activity
                .selected(&self.model)
                .and_then(|r| self.model.policy(&r.policy_id)),
            _ => self
                .selected_alert()
                .and_then(|a| self.model.policy(&a.policy_id)),
        }
    }
}
