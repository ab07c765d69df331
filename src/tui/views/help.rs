//! The `?` overlay, generated from the keymap that handles the keys.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::pane_block;
use crate::tui::app::App;

/// Draws the help overlay over `area`.
pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let theme = &app.theme;
    let bindings: Vec<_> = app.keymap.bindings().collect();
    let key_width = bindings
        .iter()
        .map(|(_, keys)| keys.chars().count())
        .max()
        .unwrap_or(0);
    let entries: Vec<Line> = bindings
        .into_iter()
        .map(|(action, keys)| {
            Line::from(vec![
                Span::styled(format!("{keys:>key_width$} "), theme.title),
                Span::raw(action.description()),
            ])
        })
        .collect();
    let footer = vec![
        Line::styled(
            "/ filter: words, severity:high, policy:\"mass download\", user:zoe, state:open|closed|failed|running|done|<state>",
            theme.dim,
        ),
        Line::styled(
            "  (failed = Failed, TimeOut or Cancelled; all terms must match) · :mode off|approve|auto · ? closes",
            theme.dim,
        ),
    ];
    let outer = area.inner(ratatui::layout::Margin::new(1, 1));
    let columns = if entries.len() + 4 <= usize::from(outer.height) {
        1
    } else {
        2
    };
    let per_column = entries.len().div_ceil(columns);
    let height = (per_column as u16 + 4).min(outer.height);
    let box_area = outer.centered_vertically(Constraint::Length(height));
    frame.render_widget(Clear, box_area);
    let block = pane_block("Help · keys".into(), true, theme);
    let inner = block.inner(box_area);
    frame.render_widget(block, box_area);
    let [list, foot] = Layout::vertical([Constraint::Fill(1), Constraint::Length(2)]).areas(inner);
    let parts = Layout::horizontal(vec![Constraint::Fill(1); columns]).split(list);
    for (chunk, part) in entries.chunks(per_column).zip(parts.iter()) {
        frame.render_widget(Paragraph::new(chunk.to_vec()).style(theme.base), *part);
    }
    frame.render_widget(Paragraph::new(footer), foot);
}
