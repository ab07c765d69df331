//! The machines pane: the selected alert's machines, how each was found, the action and its live state.

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Wrap};

use super::table::ListTable;
use super::{age, clean, list_block, pane_block, position, state_style, state_text};
use crate::engine::interface::RemediationView;
use crate::tui::app::{App, Pane};
use crate::tui::containment::Containment;
use crate::tui::fit;
use crate::tui::theme::Theme;
use unicode_width::UnicodeWidthStr;

/// Draws the machines pane into `area`.
pub fn draw(frame: &mut Frame, area: Rect, app: &mut App) {
    let focused = app.focus == Pane::Machines;
    let Some(alert) = app.selected_alert() else {
        let block = pane_block("Machines".into(), focused, &app.theme);
        let text = Paragraph::new("Select an alert to see its machines.").style(app.theme.dim);
        frame.render_widget(text.block(block), area);
        return;
    };
    let len = app.machine_rows().len();
    let mut title = format!(
        "Machines {} · {}",
        position(app.machines.cursor.selected, len),
        clean(&alert.title)
    );
    if !app.machines.marks.is_empty() {
        title.push_str(&format!(" · {} marked", app.machines.marks.len()));
    }
    let note = alert.note.as_deref().map(clean);
    let inner = pane_block(String::new(), focused, &app.theme).inner(area);
    let footer_rows = if inner.height >= 6 { 2 } else { 0 };
    let [table_area, footer_area] =
        Layout::vertical([Constraint::Fill(1), Constraint::Length(footer_rows)]).areas(inner);
    let range = app
        .machines
        .cursor
        .window(len, usize::from(table_area.height.saturating_sub(1)));
    let suffix = fit::common_dns_suffix(
        app.machine_rows()[range.clone()]
            .iter()
            .map(|r| r.machine.name.as_str()),
    );
    if let Some(suffix) = &suffix {
        title.push_str(&format!(" · hosts {}", clean(suffix)));
    }
    let block = list_block(app, Pane::Machines, title);
    let theme = &app.theme;
    if len == 0 {
        let text = note.unwrap_or_else(|| "No machine actions for this alert.".into());
        let body = Paragraph::new(text)
            .style(theme.dim)
            .wrap(Wrap { trim: true });
        frame.render_widget(body.block(block), area);
        return;
    }
    let wide = area.width >= 100;
    let compact = area.width < 80;
    let label = |r: &RemediationView| {
        let name = clean(fit::without_domain(&r.machine.name, suffix.as_deref()));
        if r.machine.protected {
            format!("{name} (protected)")
        } else {
            name
        }
    };
    let widest_name = app.machine_rows()[range.clone()]
        .iter()
        .map(|r| label(r).width())
        .max()
        .unwrap_or(0);
    let name_width = widest_name.clamp(13, if wide { 30 } else { 18 });
    let rows: Vec<Row> = app.machine_rows()[range.clone()]
        .iter()
        .map(|r| {
            let m = &r.machine;
            let mark = if app.machines.marks.contains(&r.id) {
                "✓"
            } else {
                " "
            };
            let seen = m
                .last_seen
                .map(|t| age(app, t))
                .unwrap_or_else(|| "—".into());
            let name = if m.protected && label(r).width() > name_width {
                // Keep the protection visible: the name gives way first.
                let room = name_width.saturating_sub(" (prot.)".len());
                let name = fit::without_domain(&m.name, suffix.as_deref());
                format!("{} (prot.)", fit::middle(&clean(name), room))
            } else {
                fit::middle(&label(r), name_width)
            };
            let mut cells = vec![
                Cell::from(Span::styled(mark, theme.title)),
                Cell::from(name),
                Cell::from(clean(&r.action_label())),
                Cell::from(Span::styled(state_text(r, app), state_style(r, theme))),
            ];
            if !compact {
                cells.push(Cell::from(seen));
            }
            cells.push(Cell::from(clean(&m.health)));
            if wide {
                let tags = m
                    .tags
                    .iter()
                    .map(|t| clean(t))
                    .collect::<Vec<_>>()
                    .join(",");
                cells.push(Cell::from(clean(m.group.as_deref().unwrap_or("—"))));
                cells.push(Cell::from(tags));
                cells.push(Cell::from(clean(&m.found_by)));
            }
            Row::new(cells)
        })
        .collect();
    let state_width = if wide {
        Constraint::Length(29)
    } else {
        Constraint::Fill(1)
    };
    frame.render_widget(block, area);
    ListTable::new(theme)
        .column("", Constraint::Length(1))
        .column("machine", Constraint::Length(name_width as u16))
        .column("action", Constraint::Length(14))
        .column("state", state_width)
        .column_if(!compact, "seen", Constraint::Length(4))
        .column("health", Constraint::Length(8))
        .column_if(wide, "group", Constraint::Length(10))
        .column_if(wide, "tags", Constraint::Length(10))
        .column_if(wide, "found by", Constraint::Fill(1))
        .rows(rows)
        .render(
            frame,
            table_area,
            None,
            Some(app.machines.cursor.selected - range.start),
        );
    if let Some(r) = app.machine_rows().get(app.machines.cursor.selected) {
        let held = Containment::of(&app.model, &r.machine.id).describe();
        frame.render_widget(footer(r, held, app.now, theme), footer_area);
    }
}

/// How the selected machine was found, its group, tags and OS, its containment, and why its action is in
/// its state or what it waits for (first, as the line is cut at the pane's width).
fn footer<'a>(
    r: &RemediationView,
    held: Option<String>,
    now: DateTime<Utc>,
    theme: &Theme,
) -> Paragraph<'a> {
    let m = &r.machine;
    let mut parts: Vec<String> = Vec::new();
    let cover = super::cover_text(r);
    parts.extend(r.waiting.as_ref().map(|w| w.describe(now)));
    parts.extend(cover.clone());
    if let Some(reason) = r.reason.as_ref().filter(|why| Some(clean(why)) != cover) {
        parts.push(clean(reason));
    }
    parts.extend(held);
    parts.push(format!(
        "group {} · tags {} · {}",
        clean(m.group.as_deref().unwrap_or("—")),
        if m.tags.is_empty() {
            "—".into()
        } else {
            clean(&m.tags.join(", "))
        },
        clean(m.os.as_deref().unwrap_or("os unknown")),
    ));
    Paragraph::new(vec![
        Line::styled(format!("found by {}", clean(&m.found_by)), theme.dim),
        Line::styled(parts.join(" · "), theme.dim),
    ])
}
