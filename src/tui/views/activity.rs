//! The activity pane: every remediation in flight or recently final, newest first, with counts by state.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Cell, Paragraph, Row};

use super::table::ListTable;
use super::{age, clean, list_block, position, state_style, state_text};
use crate::tui::app::{App, Pane};

/// Draws the activity pane into `area`.
pub fn draw(frame: &mut Frame, area: Rect, app: &mut App) {
    let len = app.activity_rows().len();
    let mut title = format!("Activity {}", position(app.activity.cursor.selected, len));
    // Only where `j` would read it: the focused activity pane at its last row.
    let at_end = len == 0 || app.activity.cursor.selected + 1 >= len;
    if let Some(hint) = super::older_hint(app, at_end).filter(|_| app.focus == Pane::Activity) {
        title.push_str(&format!(" · {hint}"));
    }
    let block = list_block(app, Pane::Activity, title);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [counts_area, table_area] =
        Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(inner);
    let range = app
        .activity
        .cursor
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
    let selected = app.activity.cursor.selected.saturating_sub(range.start);
    ListTable::new(theme)
        .column("age", Constraint::Length(4))
        .column(
            "state",
            if wide {
                Constraint::Length(29)
            } else {
                Constraint::Fill(1)
            },
        )
        .column("machine", Constraint::Length(if wide { 14 } else { 12 }))
        .column_if(wide, "action", Constraint::Length(15))
        .column_if(wide, "alert", Constraint::Fill(1))
        .rows(rows)
        .render(frame, table_area, None, (len > 0).then_some(selected));
}
