//! The activity pane: every remediation in flight or recently final, newest first, with counts by state.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Cell, HighlightSpacing, Paragraph, Row, Table, TableState};

use super::{SELECTED, age, clean, pane_block, position, state_style, state_text};
use crate::tui::app::{App, Pane};

/// Draws the activity pane into `area`.
pub fn draw(frame: &mut Frame, area: Rect, app: &mut App) {
    let focused = app.focus == Pane::Activity;
    let len = app.activity_rows().len();
    let block = pane_block(
        format!("Activity {}", position(app.activity.selected, len)),
        focused,
        &app.theme,
    );
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [counts_area, table_area] =
        Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(inner);
    let range = app
        .activity
        .window(len, usize::from(table_area.height.saturating_sub(1)));
    let theme = &app.theme;
    let counts = app
        .activity_counts()
        .iter()
        .map(|(state, n)| format!("{n} {}", state.as_str()))
        .collect::<Vec<_>>()
        .join(" · ");
    let counts = if counts.is_empty() {
        "nothing in flight".into()
    } else {
        counts
    };
    frame.render_widget(Paragraph::new(Line::styled(counts, theme.dim)), counts_area);
    let wide = table_area.width >= 70;
    let rows = app.activity_rows()[range.clone()].iter().map(|&i| {
        let r = &app.model.remediations[i];
        let mut cells = vec![
            Cell::from(age(app, r.updated_at)),
            Cell::from(Line::styled(state_text(r, app), state_style(r, theme))),
            Cell::from(clean(&r.machine.name)),
        ];
        if wide {
            let alert = app
                .model
                .alert(&r.alert_id)
                .map(|a| clean(&a.title))
                .unwrap_or_else(|| clean(&r.alert_id));
            cells.push(Cell::from(clean(&r.action_label())));
            cells.push(Cell::from(alert));
        }
        Row::new(cells)
    });
    let (widths, names) = if wide {
        let widths = vec![
            Constraint::Length(4),
            Constraint::Length(29),
            Constraint::Length(14),
            Constraint::Length(15),
            Constraint::Fill(1),
        ];
        (widths, vec!["age", "state", "machine", "action", "alert"])
    } else {
        let widths = vec![
            Constraint::Length(4),
            Constraint::Fill(1),
            Constraint::Length(12),
        ];
        (widths, vec!["age", "state", "machine"])
    };
    let header = Row::new(names).style(theme.header);
    let table = Table::new(rows, widths)
        .header(header)
        .style(theme.base)
        .row_highlight_style(theme.selected)
        .highlight_symbol(SELECTED)
        .highlight_spacing(HighlightSpacing::Always);
    let selected = app.activity.selected.saturating_sub(range.start);
    let mut state = TableState::default().with_selected((len > 0).then_some(selected));
    frame.render_stateful_widget(table, table_area, &mut state);
}
