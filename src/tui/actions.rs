//! Keys to intentions: moves, panes, overlays, the `/` and `:` prompts; write actions are refused in read-only.

use ratatui::crossterm::event::{
    Event as TermEvent, KeyCode, KeyEvent, KeyEventKind, MouseButton, MouseEvent, MouseEventKind,
};
use ratatui::layout::Position;
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

use crate::engine::interface::{Command, Level, Mode};

use super::app::{App, Intent, Pane, Prompt, Sort};
use super::dialog::Outcome;
use super::keymap::Action;
use crate::filter::Filter;

const PAGE: isize = 10;

impl App {
    /// Handles one key press and returns the commands it asks the engine for.
    pub fn handle_key(&mut self, key: KeyEvent) -> Vec<Command> {
        if key.kind == KeyEventKind::Release {
            return Vec::new();
        }
        self.prepare();
        if let Some(dialog) = &mut self.dialog {
            return match dialog.handle_key(key) {
                Outcome::Stay => Vec::new(),
                Outcome::Dismiss => {
                    self.dialog = None;
                    Vec::new()
                }
                Outcome::Submit => self
                    .dialog
                    .take()
                    .map(|d| self.submit(d))
                    .into_iter()
                    .collect(),
            };
        }
        if self.prompt.is_some() {
            return self.prompt_key(key);
        }
        let Some(action) = self.keymap.action(&key) else {
            return Vec::new();
        };
        if self.show_help {
            if matches!(action, Action::Help | Action::Back | Action::Quit) {
                self.show_help = false;
            }
            return Vec::new();
        }
        self.on_action(action)
    }

    /// Handles a mouse event: the wheel scrolls the focused list, a left click focuses a pane and selects a row.
    pub fn handle_mouse(&mut self, mouse: MouseEvent) -> Vec<Command> {
        match mouse.kind {
            MouseEventKind::ScrollUp => self.on_action(Action::Up),
            MouseEventKind::ScrollDown => self.on_action(Action::Down),
            MouseEventKind::Down(MouseButton::Left) if self.dialog.is_none() && !self.show_help => {
                self.click(mouse.column, mouse.row);
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    fn click(&mut self, column: u16, row: u16) {
        let at = Position::new(column, row);
        let Some(&(pane, _, first_row)) = self.hit_areas.iter().find(|(_, r, _)| r.contains(at))
        else {
            return;
        };
        self.focus = pane;
        if row < first_row {
            return;
        }
        let cursor = *self.focused_cursor();
        let target = cursor.offset + usize::from(row - first_row);
        if target >= self.list_len(pane) {
            return;
        }
        let delta = target as isize - cursor.selected as isize;
        self.move_by(delta);
    }

    /// Runs one action.
    pub fn on_action(&mut self, action: Action) -> Vec<Command> {
        self.prepare();
        if action.writes() && self.read_only() {
            self.toast(
                Level::Warn,
                &format!(
                    "read-only: `{}` is disabled in this session, nothing was sent",
                    action.name()
                ),
            );
            return Vec::new();
        }
        match action {
            Action::Quit => self.quit = true,
            Action::Back => self.back(),
            Action::Help => self.show_help = true,
            Action::Zoom => self.zoomed = !self.zoomed,
            Action::Filter => {
                self.prompt = Some(Prompt::Filter(Input::new(self.alerts.filter.text().into())));
            }
            Action::Command => self.prompt = Some(Prompt::Command(Input::default())),
            Action::Up => self.move_by(-1),
            Action::Down => return self.move_down(1),
            Action::PageUp => self.move_by(-PAGE),
            Action::PageDown => return self.move_down(PAGE),
            Action::Top => self.move_by(isize::MIN / 2),
            Action::Bottom => return self.move_down(isize::MAX / 2),
            Action::NextPane | Action::PrevPane => {
                let at = Pane::ALL.iter().position(|p| *p == self.focus).unwrap_or(0);
                let step = if action == Action::NextPane { 1 } else { 3 };
                self.show_pane(Pane::ALL[(at + step) % 4]);
            }
            Action::ShowAlerts => self.show_pane(Pane::Alerts),
            Action::ShowPolicies => self.show_pane(Pane::Policies),
            Action::ShowMachines => self.show_pane(Pane::Machines),
            Action::ShowActivity => self.show_pane(Pane::Activity),
            Action::Refresh => return vec![Command::Refresh],
            _ => return self.pane_action(action),
        }
        Vec::new()
    }

    /// A key that means something in a pane: what the focused pane says it means, or, when that pane does
    /// not offer it, a toast naming the panes that do (nothing acts on a row the analyst cannot see).
    fn pane_action(&mut self, action: Action) -> Vec<Command> {
        let Some(intent) = self.focused_intent(action) else {
            let panes: Vec<String> = Pane::ALL
                .iter()
                .filter(|p| p.hints().contains(&action))
                .map(|p| format!("{} ({})", p.title(), self.pane_key(*p)))
                .collect();
            let key = self.keymap.first_key_of(action).unwrap_or_default();
            let text = if panes.is_empty() {
                format!("`{key}` does nothing in the {} pane", self.focus.title())
            } else {
                format!(
                    "`{key}` ({}) works in the {} pane, not here",
                    action.name().replace('_', " "),
                    panes.join(" or ")
                )
            };
            self.toast(Level::Info, &text);
            return Vec::new();
        };
        match intent {
            Intent::OpenAlert => return self.open(),
            Intent::ShowPolicyAlerts => self.show_policy_alerts(),
            Intent::ToggleMark => self.toggle_mark(),
            Intent::ToggleSort => self.set_sort(self.alerts.toggled_sort()),
            Intent::Approve(targets) => self.ask_approve(&targets),
            Intent::Reject(targets) => self.ask_reject(&targets),
            Intent::Cancel(targets) => self.ask_cancel(&targets),
            Intent::Retry(targets) => self.ask_retry(&targets),
            Intent::Release(targets) => self.ask_release(&targets),
            Intent::CloseAlert => self.ask_close(),
            Intent::ModeCycle => {
                let next = self.current_policy().map(|p| match p.mode {
                    Mode::Off => Mode::Approve,
                    Mode::Approve | Mode::Auto => Mode::Off,
                });
                return next.map(|m| self.ask_mode(m)).unwrap_or_default();
            }
            Intent::ModeAuto => return self.ask_mode(Mode::Auto),
        }
        Vec::new()
    }

    /// The key that shows `pane` ("3").
    fn pane_key(&self, pane: Pane) -> String {
        let action = match pane {
            Pane::Alerts => Action::ShowAlerts,
            Pane::Policies => Action::ShowPolicies,
            Pane::Machines => Action::ShowMachines,
            Pane::Activity => Action::ShowActivity,
        };
        self.keymap.first_key_of(action).unwrap_or_default()
    }

    fn back(&mut self) {
        if self.show_detail {
            self.show_detail = false;
        } else if !self.alerts.filter.is_empty() {
            self.alerts.filter = Filter::default();
            self.invalidate();
        } else {
            self.machines.marks.clear();
        }
    }

    fn show_pane(&mut self, pane: Pane) {
        self.focus = pane;
        self.show_detail = false;
    }

    fn set_sort(&mut self, sort: Sort) {
        self.alerts.sort = sort;
        self.invalidate();
        self.prepare();
    }

    fn move_by(&mut self, delta: isize) {
        if self.show_detail {
            self.detail_scroll = self
                .detail_scroll
                .saturating_add_signed(delta.clamp(-999, 999) as i16);
            return;
        }
        let len = self.list_len(self.focus);
        let before = self.alerts.cursor.selected;
        self.focused_cursor().step(delta, len);
        if self.focus == Pane::Alerts && before != self.alerts.cursor.selected {
            self.machines.reset();
            self.alerts.remember(&self.model);
        }
    }

    /// Moves down; at the end of the alerts or activity list, asks the engine for the next page of older
    /// alerts (and their remediations) from the journal, only those passing the `/` filter (once at a time,
    /// until there is none).
    fn move_down(&mut self, delta: isize) -> Vec<Command> {
        let was_at_end = match self.focus {
            Pane::Alerts | Pane::Activity => {
                self.focused_cursor().selected + 1 >= self.list_len(self.focus)
            }
            Pane::Policies | Pane::Machines => false,
        };
        self.move_by(delta);
        if self.show_detail || !was_at_end {
            return Vec::new();
        }
        self.model
            .older
            .ask(&self.alerts.filter)
            .into_iter()
            .collect()
    }

    fn list_len(&self, pane: Pane) -> usize {
        match pane {
            Pane::Alerts => self.visible_alerts().len(),
            Pane::Policies => self.model.policies.len(),
            Pane::Machines => self.machine_rows().len(),
            Pane::Activity => self.activity_rows().len(),
        }
    }

    fn open(&mut self) -> Vec<Command> {
        if self.focus == Pane::Activity {
            let alert_id = self
                .activity
                .selected(&self.model)
                .map(|r| r.alert_id.clone());
            let shown = alert_id.is_some_and(|id| self.alerts.select(&self.model, &id));
            if !shown {
                self.toast(Level::Info, "that alert is hidden by the filter");
                return Vec::new();
            }
        }
        let Some(alert) = self.selected_alert() else {
            return Vec::new();
        };
        let mark = (!alert.read && !self.read_only()).then(|| Command::MarkRead {
            alert_id: alert.id.clone(),
        });
        let history = Command::History {
            alert_id: alert.id.clone(),
        };
        self.show_detail = true;
        self.detail_scroll = 0;
        mark.into_iter().chain([history]).collect()
    }

    fn show_policy_alerts(&mut self) {
        if let Some(policy) = self.policies.selected(&self.model) {
            self.alerts.filter = Filter::parse(&format!("policy:{}", policy.id));
            self.invalidate();
            self.show_pane(Pane::Alerts);
        }
    }

    fn toggle_mark(&mut self) {
        let id = self
            .machine_rows()
            .get(self.machines.cursor.selected)
            .map(|r| r.id.clone());
        if let Some(id) = id {
            self.machines.toggle(&id);
        }
        self.move_by(1);
    }

    fn prompt_key(&mut self, key: KeyEvent) -> Vec<Command> {
        let Some(prompt) = &mut self.prompt else {
            return Vec::new();
        };
        match (key.code, prompt) {
            (KeyCode::Esc, Prompt::Filter(_)) => {
                self.prompt = None;
                self.alerts.filter = Filter::default();
                self.invalidate();
            }
            (KeyCode::Esc, Prompt::Command(_)) => self.prompt = None,
            (KeyCode::Enter, Prompt::Filter(_)) => self.prompt = None,
            (KeyCode::Enter, Prompt::Command(input)) => {
                let line = input.value().trim().to_string();
                self.prompt = None;
                return self.run_command(&line);
            }
            (_, Prompt::Filter(input)) => {
                input.handle_event(&TermEvent::Key(key));
                self.alerts.filter = Filter::parse(input.value());
                self.invalidate();
            }
            (_, Prompt::Command(input)) => {
                input.handle_event(&TermEvent::Key(key));
            }
        }
        Vec::new()
    }

    /// Runs a `:` command line.
    pub fn run_command(&mut self, line: &str) -> Vec<Command> {
        let mut words = line.split_whitespace();
        let action = match (words.next(), words.next()) {
            (Some("q" | "quit"), None) => Action::Quit,
            (Some("help"), None) => Action::Help,
            (Some("refresh"), None) => Action::Refresh,
            (Some("alerts"), None) => Action::ShowAlerts,
            (Some("policies"), None) => Action::ShowPolicies,
            (Some("machines"), None) => Action::ShowMachines,
            (Some("activity"), None) => Action::ShowActivity,
            (Some("sort"), Some(by @ ("time" | "severity"))) => {
                self.set_sort(if by == "time" {
                    Sort::Time
                } else {
                    Sort::Severity
                });
                return Vec::new();
            }
            (Some("mode"), Some(word)) if Mode::parse(word).is_some() => {
                if self.read_only() {
                    return self.on_action(Action::ModeCycle);
                }
                return Mode::parse(word)
                    .map(|m| self.ask_mode(m))
                    .unwrap_or_default();
            }
            (None, _) => return Vec::new(),
            _ => {
                let text = format!(
                    "unknown command `{line}`; try :mode off|approve|auto, :sort time|severity, :refresh, :q"
                );
                self.toast(Level::Error, &text);
                return Vec::new();
            }
        };
        self.on_action(action)
    }
}
