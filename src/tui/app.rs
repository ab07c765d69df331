//! The console's own state: focus, selections, filter, sort, marks, dialogs and toasts over the model.

use std::cell::Cell;
use std::collections::{HashSet, VecDeque};

use chrono::{DateTime, Duration, Utc};
use ratatui::layout::Rect;
use tui_input::Input;

use crate::engine::interface::{
    AlertView, Event, Level, PolicyView, RemediationState, RemediationView,
};

use super::dialog::Dialog;
use super::filter::Filter;
use super::keymap::{Action, Keymap};
use super::state::Model;
use super::theme::Theme;

/// How long a toast stays on screen.
const TOAST_SECONDS: i64 = 4;
/// How long a final remediation stays in the activity pane.
const RECENT_HOURS: i64 = 24;

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

    /// What the pane offers beyond moving, in the order its hint line names them.
    pub fn hints(self) -> &'static [Action] {
        match self {
            Pane::Alerts => &[
                Action::Open,
                Action::Filter,
                Action::Sort,
                Action::ApproveAll,
                Action::RejectAll,
                Action::CloseAlert,
            ],
            Pane::Policies => &[Action::Open, Action::ModeCycle, Action::ModeAuto],
            Pane::Machines => &[
                Action::Approve,
                Action::Reject,
                Action::Mark,
                Action::CancelAction,
                Action::Retry,
                Action::Release,
            ],
            Pane::Activity => &[
                Action::Open,
                Action::Approve,
                Action::Reject,
                Action::CancelAction,
            ],
        }
    }

    /// The pane's title.
    pub fn title(self) -> &'static str {
        match self {
            Pane::Alerts => "Alerts",
            Pane::Policies => "Policies",
            Pane::Machines => "Machines",
            Pane::Activity => "Activity",
        }
    }
}

/// Alert order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    Time,
    Severity,
}

/// Selection and scroll position of one list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cursor {
    pub selected: usize,
    pub offset: usize,
}

impl Cursor {
    /// Keeps the selection inside `len` rows.
    pub fn clamp(&mut self, len: usize) {
        self.selected = self.selected.min(len.saturating_sub(1));
    }

    /// Moves by `delta` rows within `len`.
    pub fn step(&mut self, delta: isize, len: usize) {
        let target = self.selected.saturating_add_signed(delta);
        self.selected = target.min(len.saturating_sub(1));
    }

    /// Scrolls so the selection is inside a window of `height` rows; returns the visible range.
    pub fn window(&mut self, len: usize, height: usize) -> std::ops::Range<usize> {
        self.clamp(len);
        if height == 0 {
            return 0..0;
        }
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if self.selected >= self.offset + height {
            self.offset = self.selected + 1 - height;
        }
        self.offset = self.offset.min(len.saturating_sub(height));
        self.offset..(self.offset + height).min(len)
    }
}

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
    pub alerts: Cursor,
    pub policies: Cursor,
    pub machines: Cursor,
    pub activity: Cursor,
    pub detail_scroll: u16,
    pub show_detail: bool,
    pub show_help: bool,
    /// The focused pane fills the screen.
    pub zoomed: bool,
    pub sort: Sort,
    pub filter: Filter,
    pub prompt: Option<Prompt>,
    pub dialog: Option<Dialog>,
    /// Marked remediation ids.
    pub marks: HashSet<String>,
    pub toasts: VecDeque<Toast>,
    pub quit: bool,
    /// Where each pane was drawn last and the screen row of its first list row (for mouse clicks).
    pub hit_areas: Vec<(Pane, Rect, u16)>,
    read_only_option: bool,
    demo_option: bool,
    /// Alert indices passing the filter, in sort order.
    visible: Vec<usize>,
    /// Remediation indices shown in the activity pane, newest first.
    activity_rows: Vec<usize>,
    /// How many activity rows are in each state, in lifecycle order.
    activity_counts: Vec<(RemediationState, usize)>,
    /// The earliest time a text drawn in the last frame changes by itself (ages, spinners, elapsed times).
    redraw_at: Cell<Option<DateTime<Utc>>>,
    stale: bool,
    selected_alert_id: Option<String>,
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
            alerts: Cursor::default(),
            policies: Cursor::default(),
            machines: Cursor::default(),
            activity: Cursor::default(),
            detail_scroll: 0,
            show_detail: false,
            show_help: false,
            zoomed: false,
            sort: Sort::Time,
            filter: Filter::default(),
            prompt: None,
            dialog: None,
            marks: HashSet::new(),
            toasts: VecDeque::new(),
            quit: false,
            hit_areas: Vec::new(),
            read_only_option: read_only,
            demo_option: demo,
            visible: Vec::new(),
            activity_rows: Vec::new(),
            activity_counts: Vec::new(),
            redraw_at: Cell::new(None),
            stale: false,
            selected_alert_id: None,
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

    /// Rebuilds the filtered, sorted alert list and the activity list if anything changed.
    pub fn prepare(&mut self) {
        if !self.stale {
            return;
        }
        self.stale = false;
        let model = &self.model;
        let mut visible: Vec<usize> = (0..model.alerts.len())
            .filter(|&i| self.filter.is_empty() || self.filter.matches(&model.alerts[i], model))
            .collect();
        let alerts = &model.alerts;
        match self.sort {
            Sort::Time => visible.sort_by(|&a, &b| alerts[b].raised_at.cmp(&alerts[a].raised_at)),
            Sort::Severity => visible.sort_by(|&a, &b| {
                severity_rank(&alerts[b])
                    .cmp(&severity_rank(&alerts[a]))
                    .then(alerts[b].raised_at.cmp(&alerts[a].raised_at))
            }),
        }
        self.visible = visible;
        if let Some(id) = self.selected_alert_id.take()
            && let Some(pos) = self.visible.iter().position(|&i| alerts[i].id == id)
        {
            self.alerts.selected = pos;
        }
        self.alerts.clamp(self.visible.len());
        self.selected_alert_id = self.selected_alert().map(|a| a.id.clone());

        let cutoff = self.now - Duration::hours(RECENT_HOURS);
        let rems = &self.model.remediations;
        let mut rows: Vec<usize> = (0..rems.len())
            .filter(|&i| !rems[i].state.is_final() || rems[i].updated_at >= cutoff)
            .collect();
        rows.sort_by(|&a, &b| rems[b].updated_at.cmp(&rems[a].updated_at));
        let mut counts = [0usize; RemediationState::ALL.len()];
        for &i in &rows {
            let state = rems[i].state;
            if let Some(slot) = RemediationState::ALL.iter().position(|s| *s == state) {
                counts[slot] += 1;
            }
        }
        self.activity_counts = RemediationState::ALL
            .into_iter()
            .zip(counts)
            .filter(|(_, n)| *n > 0)
            .collect();
        self.activity_rows = rows;
        self.activity.clamp(self.activity_rows.len());
        self.policies.clamp(self.model.policies.len());
    }

    /// Alerts passing the filter, in order (indices into `model.alerts`).
    pub fn visible_alerts(&self) -> &[usize] {
        &self.visible
    }

    /// Remediations of the activity pane (indices into `model.remediations`).
    pub fn activity_rows(&self) -> &[usize] {
        &self.activity_rows
    }

    /// Activity rows counted by state (only states present).
    pub fn activity_counts(&self) -> &[(RemediationState, usize)] {
        &self.activity_counts
    }

    /// The alert under the cursor.
    pub fn selected_alert(&self) -> Option<&AlertView> {
        self.visible
            .get(self.alerts.selected)
            .and_then(|&i| self.model.alerts.get(i))
    }

    /// Remembers which alert is selected so re-sorting keeps it.
    pub fn remember_selection(&mut self) {
        self.selected_alert_id = self.selected_alert().map(|a| a.id.clone());
    }

    /// The selected alert's remediations, in the machines pane's order.
    pub fn machine_rows(&self) -> Vec<&RemediationView> {
        let Some(alert) = self.selected_alert() else {
            return Vec::new();
        };
        let mut rows: Vec<&RemediationView> = self.model.remediations_of(&alert.id).collect();
        rows.sort_by(|a, b| {
            a.machine
                .name
                .cmp(&b.machine.name)
                .then(a.step.cmp(&b.step))
        });
        rows
    }

    /// The policy the mode keys act on: the selected policy in the policies pane, else the alert's.
    pub fn current_policy(&self) -> Option<&PolicyView> {
        match self.focus {
            Pane::Policies => self.model.policies.get(self.policies.selected),
            _ => self
                .selected_alert()
                .and_then(|a| self.model.policy(&a.policy_id)),
        }
    }
}

fn severity_rank(alert: &AlertView) -> u8 {
    use crate::engine::interface::Severity;
    match alert.severity {
        Severity::High => 4,
        Severity::Medium => 3,
        Severity::Low => 2,
        Severity::Informational => 1,
        Severity::Unknown => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::Cursor;

    #[test]
    fn window_follows_the_selection() {
        let mut c = Cursor::default();
        assert_eq!(c.window(100, 10), 0..10);
        c.selected = 15;
        assert_eq!(c.window(100, 10), 6..16);
        c.selected = 3;
        assert_eq!(c.window(100, 10), 3..13);
        c.selected = 500;
        assert_eq!(c.window(100, 10), 90..100);
        assert_eq!(c.window(0, 10), 0..0);
    }
}
