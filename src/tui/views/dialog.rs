//! Draws a modal dialog: its lines, the close-alert choices, the text field, the buttons and a key hint;
//! the title follows the live state of what the dialog is about.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};
use unicode_width::UnicodeWidthStr;

use super::{clean, pane_block};
use crate::engine::interface::{RemediationState, Resolution};
use crate::tui::app::App;
use crate::tui::dialog::{Dialog, Focus, Pending};

/// Draws `dialog` centred over `area`.
pub fn draw(frame: &mut Frame, area: Rect, app: &App, dialog: &Dialog) {
    let theme = &app.theme;
    let lines: Vec<Line> = dialog.lines.iter().map(|l| Line::from(clean(l))).collect();
    let width = area.width.saturating_sub(4).min(72);
    let text_rows = wrapped_rows(&dialog.lines, width.saturating_sub(2)).min(10);
    let choice_rows = if dialog.choice.is_some() {
        dialog.choices.len() as u16
    } else {
        0
    };
    let input_rows = if dialog.input.is_some() { 1 } else { 0 };
    let height = (text_rows + choice_rows + input_rows + 5).min(area.height);
    let box_area = area.centered(Constraint::Length(width), Constraint::Length(height));
    frame.render_widget(Clear, box_area);
    let title = match live_state(app, &dialog.pending) {
        Some(now) => format!("{} · {now}", dialog.title),
        None => dialog.title.clone(),
    };
    let block = pane_block(title, true, theme);
    let inner = block.inner(box_area);
    frame.render_widget(block, box_area);
    let [
        text_area,
        choice_area,
        input_area,
        _,
        buttons_area,
        hint_area,
    ] = Layout::vertical([
        Constraint::Length(text_rows),
        Constraint::Length(choice_rows),
        Constraint::Length(input_rows),
        Constraint::Fill(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(inner);
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), text_area);
    if let Some(selected) = dialog.choice {
        let focused = dialog.focus == Focus::Choice;
        let choices: Vec<Line> = dialog
            .choices
            .iter()
            .enumerate()
            .map(|(i, (label, _))| {
                let (mark, style) = match (i == selected, focused) {
                    (true, true) => ("(•) ", theme.button_focus),
                    (true, false) => ("(•) ", theme.title),
                    _ => ("( ) ", theme.base),
                };
                Line::styled(format!("{mark}{label}"), style)
            })
            .collect();
        frame.render_widget(Paragraph::new(choices), choice_area);
    }
    if let Some((label, input)) = &dialog.input {
        let prefix = format!("{label}: ");
        let width = usize::from(input_area.width).saturating_sub(prefix.chars().count() + 1);
        let scroll = input.visual_scroll(width);
        let value: String = input.value().chars().skip(scroll).collect();
        let style = if dialog.focus == Focus::Input {
            theme.title
        } else {
            theme.dim
        };
        let line = Line::from(vec![
            Span::styled(prefix.clone(), style),
            Span::raw(clean(&value)),
        ]);
        frame.render_widget(Paragraph::new(line), input_area);
        if dialog.focus == Focus::Input {
            let x = (prefix.chars().count() + input.visual_cursor() - scroll) as u16;
            let x = input_area.x + x.min(input_area.width.saturating_sub(1));
            frame.set_cursor_position(Position::new(x, input_area.y));
        }
    }
    let button = |label: &str, focus: Focus| {
        if dialog.focus == focus {
            Span::styled(format!("▶ {label} ◀"), theme.button_focus)
        } else {
            Span::styled(format!("[ {label} ]"), theme.base)
        }
    };
    let buttons = Line::from(vec![
        button("Cancel", Focus::Cancel),
        Span::raw("   "),
        button(&dialog.confirm_label, Focus::Confirm),
    ])
    .centered();
    frame.render_widget(Paragraph::new(buttons), buttons_area);
    let hint = match (&dialog.input, dialog.choice) {
        (Some((label, _)), Some(_)) => {
            format!(
                "↑↓ choose · typing fills the {label} · tab moves · enter on a button · esc cancels"
            )
        }
        (Some((label, _)), None) => {
            format!("typing fills the {label} · tab moves · enter on a button · esc cancels")
        }
        (None, _) => "tab or ←→ moves · enter on a button · esc cancels".to_string(),
    };
    frame.render_widget(
        Paragraph::new(Line::styled(hint, theme.dim)).centered(),
        hint_area,
    );
}

/// Rows `lines` take when wrapped at `width` columns (a word longer than the width counted as cut).
fn wrapped_rows(lines: &[String], width: u16) -> u16 {
    let width = usize::from(width.max(1));
    let rows: usize = lines
        .iter()
        .map(|l| clean(l).width().div_ceil(width).max(1))
        .sum();
    u16::try_from(rows).unwrap_or(u16::MAX)
}

/// What changed since the dialog opened, for its title: the action ended, the proposals were
/// decided elsewhere, the alert was closed.
fn live_state(app: &App, pending: &Pending) -> Option<String> {
    let state_of = |id: &str| {
        app.model
            .remediations
            .iter()
            .find(|r| r.id == id)
            .map(|r| r.state)
    };
    match pending {
        Pending::Cancel(id) => state_of(id)
            .filter(|s| s.is_final())
            .map(|s| format!("now {}: nothing left to cancel", s.as_str())),
        Pending::Approve(ids) | Pending::Reject(ids) => {
            let waiting = ids
                .iter()
                .filter(|id| state_of(id) == Some(RemediationState::Proposed))
                .count();
            (waiting < ids.len()).then(|| format!("{waiting} of {} still waiting", ids.len()))
        }
        Pending::CloseAlert(id) => app
            .model
            .alerts
            .iter()
            .find(|a| &a.id == id)
            .filter(|a| a.resolution != Resolution::Open)
            .map(|_| "already closed".to_string()),
        Pending::Retry(_) | Pending::Release(_) | Pending::SetMode { .. } => None,
    }
}
