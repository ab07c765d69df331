//! The bottom lines: who leads the journal, poll health, quota headroom, current policy mode, hints, toasts and the `/` `:` prompts.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::{ago, clean};
use crate::engine::interface::{Level, Role};
use crate::tui::app::{App, Prompt};
use crate::tui::keymap::Action;
use crate::tui::symbols;

/// Draws the status bar, or the open prompt in its place.
pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    if let Some(prompt) = &app.prompt {
        let (label, input) = match prompt {
            Prompt::Filter(input) => ("/", input),
            Prompt::Command(input) => (":", input),
        };
        let width = usize::from(area.width.saturating_sub(2));
        let scroll = input.visual_scroll(width);
        let value: String = input.value().chars().skip(scroll).collect();
        let line = Line::from(vec![
            Span::styled(label, app.theme.title),
            Span::raw(clean(&value)),
        ]);
        frame.render_widget(Paragraph::new(line), area);
        let x = input.visual_cursor().saturating_sub(scroll) as u16 + 1;
        frame.set_cursor_position(Position::new(area.x + x.min(area.width - 1), area.y));
        return;
    }
    let theme = &app.theme;
    let mut badges = Vec::new();
    if let Some(policy) = app.current_policy() {
        badges.push(Span::raw(" │ mode "));
        badges.push(Span::styled(symbols::mode(policy.mode), theme.active));
    }
    if app.read_only() {
        badges.push(Span::styled(" │ READ-ONLY", theme.warn));
    }
    badges.push(Span::styled(
        format!(" │ {} help", app.keymap.keys_of(Action::Help)),
        theme.dim,
    ));
    let badges = Line::from(badges);
    // The badges and the help hint always show; poll health and headroom get what is left, the
    // error text being cut before the age of the last good poll.
    let badge_width = (badges.width() as u16).min(area.width);
    let [health, right] =
        Layout::horizontal([Constraint::Fill(1), Constraint::Length(badge_width)]).areas(area);
    frame.render_widget(Paragraph::new(health_line(app, area.width >= 100)), health);
    frame.render_widget(Paragraph::new(badges), right);
}

/// Poll health, then each service's client-side quota headroom.
fn health_line(app: &App, wide: bool) -> Line<'static> {
    let theme = &app.theme;
    let mut spans = Vec::new();
    if let Some((reason, since)) = &app.model.journal_unreachable {
        let since = since.with_timezone(&chrono::Local).format("%H:%M:%S");
        spans.push(Span::styled(
            format!(
                "✗ journal unreachable since {since}, nothing is sent: {}",
                clean(reason)
            ),
            theme.bad,
        ));
        return Line::from(spans);
    }
    if let Some((role, holder, since)) = &app.model.leadership {
        let since = since.with_timezone(&chrono::Local).format("%H:%M");
        match role {
            Role::Leader => spans.push(Span::styled(format!("leader since {since} │ "), theme.dim)),
            Role::Follower => {
                spans.push(Span::styled(
                    format!("follower of {} since {since}", clean(holder)),
                    theme.warn,
                ));
                return Line::from(spans);
            }
        }
    }
    let poll = &app.model.poll;
    match (&poll.error, poll.last_ok) {
        (Some((_, why)), last_ok) => {
            let last = last_ok
                .map(|t| format!(" (last good {})", ago(app, t)))
                .unwrap_or_default();
            spans.push(Span::styled(
                format!("✗ poll failed{last}: {}", clean(why)),
                theme.bad,
            ));
        }
        (None, Some(at)) => {
            spans.push(Span::styled(
                format!("✓ updated {}", ago(app, at)),
                theme.good,
            ));
        }
        (None, None) => spans.push(Span::styled("… waiting for first poll", theme.dim)),
    }
    for (n, q) in app.model.quotas.iter().enumerate() {
        let style = if q.remaining.saturating_mul(10) < q.limit {
            theme.warn
        } else {
            theme.dim
        };
        let gap = match (n, wide) {
            (0, true) => " │ headroom ",
            (0, false) => " │ ",
            (_, true) => " · ",
            (_, false) => " ",
        };
        let per = if wide {
            format!("/{}", clean(&q.per))
        } else {
            String::new()
        };
        let text = format!(
            "{gap}{} {}/{}{per}",
            q.service.label(),
            q.remaining,
            q.limit
        );
        spans.push(Span::styled(text, style));
    }
    Line::from(spans)
}

/// Draws the newest toast, if any.
pub fn draw_toast(frame: &mut Frame, area: Rect, app: &App) {
    let Some(toast) = app.toasts.back() else {
        return;
    };
    let style = match toast.level {
        Level::Info => app.theme.active,
        Level::Warn => app.theme.warn,
        Level::Error => app.theme.bad,
    };
    let line = Line::from(vec![
        Span::raw(" "),
        Span::styled(format!("{} ", symbols::level(toast.level)), style),
        Span::raw(clean(&toast.text)),
        Span::raw(" "),
    ]);
    // Over the pane's bottom border, inset by one column, as wide as its text.
    let width = (line.width() as u16).min(area.width.saturating_sub(2));
    let area = Rect {
        x: area.x + 1,
        width,
        ..area
    };
    frame.render_widget(Clear, area);
    frame.render_widget(Paragraph::new(line).style(app.theme.base), area);
}
