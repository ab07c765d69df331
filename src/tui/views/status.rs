//! The bottom lines: poll health, quota headroom, current policy mode, hints, toasts and the `/` `:` prompts.

use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{ago, clean};
use crate::engine::interface::Level;
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
    let mut spans = Vec::new();
    let poll = &app.model.poll;
    match (&poll.error, poll.last_ok) {
        (Some((_, why)), last_ok) => {
            let last = last_ok
                .map(|t| format!(" (last good {})", ago(app, t)))
                .unwrap_or_default();
            spans.push(Span::styled(
                format!("✗ poll failed: {}{last}", clean(why)),
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
    let wide = area.width >= 100;
    for (n, q) in app.model.quotas.iter().enumerate() {
        let style = if q.remaining.saturating_mul(10) < q.limit {
            theme.warn
        } else {
            theme.dim
        };
        let gap = match (n, wide) {
            (0, _) => " │ ",
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
    if let Some(policy) = app.current_policy() {
        spans.push(Span::raw(" │ mode "));
        spans.push(Span::styled(symbols::mode(policy.mode), theme.active));
    }
    if app.read_only() {
        spans.push(Span::styled(" │ READ-ONLY", theme.warn));
    }
    spans.push(Span::styled(
        format!(" │ {} help", app.keymap.keys_of(Action::Help)),
        theme.dim,
    ));
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
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
        Span::styled(format!("{} ", symbols::level(toast.level)), style),
        Span::raw(clean(&toast.text)),
    ]);
    frame.render_widget(Paragraph::new(line), area);
}
