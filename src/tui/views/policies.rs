//! The policies pane: name, type, bound flow and mode of each Cloud App Security policy.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::Span;
use ratatui::widgets::{Cell, HighlightSpacing, Paragraph, Row, Table, TableState};

use super::{SELECTED, clean, pane_block, position};
use crate::engine::interface::Mode;
use crate::tui::app::{App, Pane};
use crate::tui::symbols;

/// Draws the policies pane into `area`.
pub fn draw(frame: &mut Frame, area: Rect, app: &mut App) {
    let focused = app.focus == Pane::Policies;
    let len = app.model.policies.len();
    let block = pane_block(
        format!("Policies {}", position(app.policies.selected, len)),
        focused,
        &app.theme,
    );
    let range = app
        .policies
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
        let name = if p.enabled {
            clean(&p.name)
        } else {
            format!("{} (disabled)", clean(&p.name))
        };
        Row::new([
            Cell::from(name),
            Cell::from(clean(&p.policy_type)),
            Cell::from(flow),
            Cell::from(Span::styled(symbols::mode(p.mode), mode_style)),
        ])
    });
    let widths = [
        Constraint::Fill(2),
        Constraint::Length(12),
        Constraint::Fill(1),
        Constraint::Length(9),
    ];
    let header = Row::new(["policy", "type", "flow", "mode"]).style(theme.header);
    let table = Table::new(rows, widths)
        .header(header)
        .block(block)
        .style(theme.base)
        .row_highlight_style(theme.selected)
        .highlight_symbol(SELECTED)
        .highlight_spacing(HighlightSpacing::Always);
    let mut state = TableState::default().with_selected(app.policies.selected - range.start);
    frame.render_stateful_widget(table, area, &mut state);
}
