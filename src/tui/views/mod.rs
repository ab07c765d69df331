//! Draws the whole screen from the app state: tabs at 80×24, side-by-side panes when there is room.

mod activity;
mod alerts;
mod detail;
mod dialog;
mod header;
mod help;
mod machines;
mod policies;
mod status;
mod table;
mod too_small;

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, BorderType};

use crate::engine::interface::{RemediationView, WaitReason};

use super::app::{App, Pane};
use super::format;
use super::symbols;
use super::theme::Theme;

/// Below this the screen says it is too small.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 16;
/// From this size on, the four panes are shown side by side.
const WIDE_WIDTH: u16 = 110;
const WIDE_HEIGHT: u16 = 30;

/// Draws one frame. `app.now` is the clock; nothing here reads the system clock.
pub fn draw(frame: &mut Frame, app: &mut App) {
    app.start_frame();
    app.prepare();
    app.hit_areas.clear();
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        too_small::draw(frame, area, &app.theme);
        return;
    }
    let [top, body, bottom] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(1),
    ])
    .areas(area);
    // A toast overlays the body's last line, so it never moves the panes.
    let toast = Rect {
        y: body.bottom().saturating_sub(1),
        height: u16::from(!app.toasts.is_empty()).min(body.height),
        ..body
    };
    header::draw(frame, top, app);
    if app.show_detail {
        detail::draw(frame, body, app);
    } else if area.width >= WIDE_WIDTH && area.height >= WIDE_HEIGHT && !app.zoomed {
        let [upper, lower] =
            Layout::vertical([Constraint::Percentage(50), Constraint::Fill(1)]).areas(body);
        let [machines_area, side] =
            Layout::horizontal([Constraint::Fill(3), Constraint::Fill(2)]).areas(lower);
        let policy_rows = (app.model.policies.len() as u16 + 3).clamp(4, 8);
        let [policies_area, activity_area] =
            Layout::vertical([Constraint::Length(policy_rows), Constraint::Fill(1)]).areas(side);
        draw_pane(frame, upper, app, Pane::Alerts);
        draw_pane(frame, machines_area, app, Pane::Machines);
        draw_pane(frame, policies_area, app, Pane::Policies);
        draw_pane(frame, activity_area, app, Pane::Activity);
    } else {
        draw_pane(frame, body, app, app.focus);
    }
    status::draw_toast(frame, toast, app);
    status::draw(frame, bottom, app);
    if app.show_help {
        help::draw(frame, area, app);
    }
    if let Some(d) = &app.dialog {
        dialog::draw(frame, area, app, d);
    }
}

fn draw_pane(frame: &mut Frame, area: Rect, app: &mut App, pane: Pane) {
    let header_rows = if pane == Pane::Activity { 3 } else { 2 };
    app.hit_areas.push((pane, area, area.y + header_rows));
    match pane {
        Pane::Alerts => alerts::draw(frame, area, app),
        Pane::Policies => policies::draw(frame, area, app),
        Pane::Machines => machines::draw(frame, area, app),
        Pane::Activity => activity::draw(frame, area, app),
    }
}

/// "cas+graph" or "graph": which sources read the alert, once Graph is among them.
pub(crate) fn sources_text(alert: &crate::engine::interface::AlertView) -> Option<String> {
    alert
        .seen_by
        .contains(&crate::alert::SourceKind::Graph)
        .then(|| {
            alert
                .seen_by
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join("+")
        })
}

/// What moving down past the end of a list does with the journal's older alerts: read (or, under a `/` filter,
/// search) the next page, wait for it, or nothing, when the journal holds no older one.
pub(crate) fn older_hint(app: &App, at_end: bool) -> Option<&'static str> {
    let older = &app.model.older;
    let searching = !app.alerts.filter.is_empty();
    match (
        older.asked,
        at_end,
        older.exhausted_for(&app.alerts.filter),
        searching,
    ) {
        (true, _, _, false) => Some("reading older alerts…"),
        (true, _, _, true) => Some("searching older alerts…"),
        (false, true, false, false) => Some("↓ reads older"),
        (false, true, false, true) => Some("↓ searches older"),
        (false, true, true, false) => Some("no older alert"),
        (false, true, true, true) => Some("no older match"),
        (false, false, _, _) => None,
    }
}

/// Untrusted text made harmless for the terminal (the engine already did it; this is the second line).
pub(crate) fn clean(text: &str) -> String {
    crate::text::sanitize(text)
}

/// A pane's border, highlighted and marked when focused.
fn pane_block<'a>(title: String, focused: bool, theme: &Theme) -> Block<'a> {
    let (style, marker) = if focused {
        (theme.border_focus, "▶ ")
    } else {
        (theme.border, "")
    };
    Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(style)
        .title(Line::styled(format!(" {marker}{title} "), theme.title))
}

/// A list pane's border: its title, highlighted when focused, with the hint line when focused.
fn list_block<'a>(app: &App, pane: Pane, title: String) -> Block<'a> {
    with_hints(pane_block(title, app.focus == pane, &app.theme), app, pane)
}

/// The focused pane's hint line on its bottom border: "a approve · r reject · …", with the keys in use;
/// in read-only only what does not write.
fn with_hints<'a>(block: Block<'a>, app: &App, pane: Pane) -> Block<'a> {
    if app.focus != pane || app.show_detail {
        return block;
    }
    let hints = pane
        .hints()
        .iter()
        .filter(|action| !(action.writes() && app.read_only()))
        .filter_map(|&action| {
            let key = app.keymap.first_key_of(action)?;
            Some(format!("{key} {}", action.name().replace('_', " ")))
        })
        .collect::<Vec<_>>()
        .join(" · ");
    if hints.is_empty() {
        return block;
    }
    block.title_bottom(Line::styled(format!(" {hints} "), app.theme.dim))
}

/// Where the selection is in a list: "14 of 52" ("0" when empty), so what is off-screen is known.
fn position(selected: usize, len: usize) -> String {
    if len == 0 {
        "0".to_string()
    } else {
        format!("{} of {len}", selected.min(len - 1) + 1)
    }
}

/// A compact age ("3m") against the age clock, noting when it changes so the run loop redraws then and only then.
fn age(app: &App, since: DateTime<Utc>) -> String {
    let shown = format::age_clock(app.now);
    app.changes_at(format::next_beat(format::age_changes(since, shown)));
    format::age(since, shown)
}

/// A spelled-out age ("just now", "20 s ago") against the age clock, noting when it changes.
/// In the demo the simulator's clock runs ahead of this one, and its alerts carry its time: said so, not
/// mistaken for clock skew.
fn ago(app: &App, since: DateTime<Utc>) -> String {
    let shown = format::age_clock(app.now);
    app.changes_at(format::next_beat(format::ago_changes(since, shown)));
    if app.demo() && format::is_future(since, shown) {
        return "on the simulator's clock, which runs ahead of this one".to_string();
    }
    format::ago(since, shown)
}

/// "◐ InProgress 2m05s ! overdue": symbol, word, elapsed time while running, overdue mark.
fn state_text(r: &RemediationView, app: &App) -> String {
    let (tick, next_tick) = format::spinner_tick(app.now);
    let mut text = format!(
        "{} {}",
        symbols::state_symbol(r.state, tick),
        r.state.as_str()
    );
    if r.state.is_in_flight() {
        app.changes_at(next_tick);
        let since = r.submitted_at.unwrap_or(r.updated_at);
        text.push(' ');
        text.push_str(&format::elapsed(since, app.now));
    }
    if r.overdue {
        text.push_str(" ! overdue");
    }
    if let Some(waiting) = &r.waiting {
        if matches!(
            waiting,
            WaitReason::Throttled { .. } | WaitReason::Retrying { .. }
        ) {
            app.changes_at(app.now + chrono::Duration::seconds(1));
        }
        text.push_str(&format!(" · {}", waiting.describe(app.now)));
    }
    text
}

/// "covered by the scan started 10:42 by …" when an action remedy did not send covers `r`.
fn cover_text(r: &RemediationView) -> Option<String> {
    let cover = r.covered_by.as_ref()?;
    Some(clean(&cover.summary(r.action.as_ref())))
}

/// The marker column of the selected row (reverse video alone would vanish in some terminals).
const SELECTED: &str = "▶";

/// The style of a state: good, bad, active or plain.
fn state_style(r: &RemediationView, theme: &Theme) -> ratatui::style::Style {
    use crate::engine::interface::RemediationState as S;
    match r.state {
        _ if r.overdue => theme.warn,
        S::Succeeded | S::Approved => theme.good,
        S::Failed | S::TimeOut | S::Rejected => theme.bad,
        s if s.is_in_flight() => theme.active,
        S::Proposed => theme.warn,
        _ => theme.dim,
    }
}
