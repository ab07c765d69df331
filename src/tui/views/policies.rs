//! The policies pane: name, type (or the rule a binding matches by), bound flow and mode of each policy and
//! binding, with a warning mark on a binding that may have stopped firing (the warning itself is a notice).

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::Span;
use ratatui::widgets::{Cell, Paragraph, Row};

use super::table::ListTable;
use super::{clean, list_block, position};
use crate::engine::interface::Mode;
use crate::tui::app::{App, Pane};
use crate::tui::symbols;

/// Draws the policies pane into `area`.
pub fn draw(frame: &mut Frame, area: Rect, app: &mut App) {
    let len = app.model.policies.len();
    let block = list_block(
        app,
        Pane::Policies,
        format!("Policies {}", position(app.policies.cursor.selected, len)),
    );
    let range = app
        .policies
        .cursor
        .window(len, usize::from(area.height.saturating_sub(3)));
    let theme = &app.theme;
    if len == 0 {
        let text = Paragraph::new("No policies yet.")
            .style(theme.dim)
            .block(block);
        frame.render_widget(text, area);
        return;
    }
    let rows = app.model.policies[range.clone()].iter().map(|p| {
        let mode_style = match p.mode {
            Mode::Auto => theme.warn,
            Mode::Approve => theme.active,
            Mode::Off => theme.dim,
        };
        let flow = p
            .flow_name
            .as_deref()
            .or(p.flow_id.as_deref())
            .map(clean)
            .unwrap_or_else(|| "— no flow".into());
        let mut name = if p.enabled {
            clean(&p.name)
        } else {
            format!("{} (disabled)", clean(&p.name))
        };
        let name_style = if p.warning.is_some() {
            name = format!("⚠ {name}");
            theme.warn
        } else {
            theme.base
        };
        // A binding by anything but its policy id says what it matches on.
        let kind = match p.rules.first() {
            Some(rule) if !rule.starts_with("policy id") => clean(rule),
            _ => clean(&p.policy_type),
        };
        Row::new([
            Cell::from(Span::styled(name, name_style)),
            Cell::from(kind),
            Cell::from(flow),
            Cell::from(Span::styled(symbols::mode(p.mode), mode_style)),
        ])
    });
    ListTable::new(theme)
        .column("policy", Constraint::Fill(2))
        .column("type", Constraint::Length(12))
        .column("flow", Constraint::Fill(1))
        .column("mode", Constraint::Length(9))
        .rows(rows)
        .render(
            frame,
            area,
            Some(block),
            Some(app.policies.cursor.selected - range.start),
        );
}
