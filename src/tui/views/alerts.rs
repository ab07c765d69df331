//! The alerts pane: severity, age, policy, user, title and remediation summary, building only visible rows.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, HighlightSpacing, Paragraph, Row, Table, TableState};

use super::{SELECTED, age, clean, pane_block, position};
use crate::engine::interface::{Resolution, Severity};
use crate::tui::app::{App, Pane, Sort};
use crate::tui::{format, symbols};

/// Draws the alerts pane into `area`.
pub fn draw(frame: &mut Frame, area: Rect, app: &mut App) {
    let focused = app.focus == Pane::Alerts;
    let total = app.model.alerts.len();
    let shown = app.visible_alerts().len();
    let sort = match app.sort {
        Sort::Time => "newest",
        Sort::Severity => "severity",
    };
    let mut title = format!("Alerts {}", position(app.alerts.selected, shown));
    if shown != total {
        title.push_str(&format!(" (of {total})"));
    }
    title.push_str(&format!(" · sort: {sort}"));
    if !app.filter.is_empty() {
        title.push_str(&format!(" · filter: {}", clean(app.filter.text())));
    }
    if let Some(error) = app.filter.error() {
        title.push_str(&format!(" · {error}"));
    }
    let block = pane_block(title, focused, &app.theme);
    let inner_height = usize::from(area.height.saturating_sub(3));
    let range = app.alerts.window(shown, inner_height);
    let theme = &app.theme;
    if shown == 0 {
        let text = if total == 0 {
            "No alerts yet: waiting for Cloud App Security."
        } else {
            "No alert matches the filter (Esc clears it)."
        };
        frame.render_widget(Paragraph::new(text).style(theme.dim).block(block), area);
        return;
    }
    let wide = area.width >= 100;
    let rows = app.visible_alerts()[range.clone()].iter().map(|&i| {
        let alert = &app.model.alerts[i];
        let severity_style = match alert.severity {
            Severity::High => theme.high,
            Severity::Medium => theme.medium,
            Severity::Low => theme.low,
            _ => theme.dim,
        };
        let unread = if alert.read { " " } else { "●" };
        let closed = alert.resolution != Resolution::Open;
        let summary = match format::summary(app.model.remediations_of(&alert.id)) {
            Some(text) if closed => Span::raw(format!(
                "closed ({}) · {text}",
                symbols::resolution(alert.resolution)
            )),
            None if closed => Span::raw(format!(
                "closed ({})",
                symbols::resolution(alert.resolution)
            )),
            Some(text) => Span::raw(text),
            None => Span::styled(
                alert
                    .note
                    .as_deref()
                    .map(clean)
                    .unwrap_or_else(|| "—".into()),
                theme.dim,
            ),
        };
        Row::new([
            Cell::from(Span::styled(unread, theme.title)),
            Cell::from(Span::styled(
                symbols::severity(alert.severity),
                severity_style,
            )),
            Cell::from(age(app, alert.raised_at)),
            Cell::from(clean(&alert.policy_name)),
            Cell::from(clean(alert.user.as_deref().unwrap_or("—"))),
            Cell::from(clean(&alert.title)),
            Cell::from(Line::from(summary)),
        ])
        .style(if closed { theme.dim } else { theme.base })
    });
    let (policy, user, text) = if wide { (20, 18, 28) } else { (9, 9, 19) };
    let widths = [
        Constraint::Length(1),
        Constraint::Length(9),
        Constraint::Length(4),
        Constraint::Length(policy),
        Constraint::Length(user),
        Constraint::Fill(1),
        Constraint::Length(text),
    ];
    let header = Row::new([
        "",
        "severity",
        "age",
        "policy",
        "user",
        "title",
        "remediation",
    ])
    .style(theme.header);
    let table = Table::new(rows, widths)
        .header(header)
        .block(block)
        .style(theme.base)
        .row_highlight_style(theme.selected)
        .highlight_symbol(SELECTED)
        .highlight_spacing(HighlightSpacing::Always);
    let mut state = TableState::default().with_selected(app.alerts.selected - range.start);
    frame.render_stateful_widget(table, area, &mut state);
}
