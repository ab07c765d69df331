//! The alert detail: description as plain text, entities, machines and how they were found, remediation history.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use crate::engine::interface::HistoryEntry;
use crate::tui::containment::Containment;
use crate::tui::theme::Theme;

use super::{ago, clean, pane_block, state_style, state_text};
use crate::tui::app::App;
use crate::tui::symbols;

/// Draws the selected alert's detail into `area`.
pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let theme = &app.theme;
    let Some(alert) = app.selected_alert() else {
        let block = pane_block("Detail".into(), true, theme);
        frame.render_widget(Paragraph::new("No alert selected.").block(block), area);
        return;
    };
    let heading = |text: &str| Line::styled(text.to_string(), theme.header);
    let mut lines = vec![
        Line::styled(clean(&alert.title), theme.title),
        Line::from(format!(
            "{} · raised {} ({}) · policy {} · user {} · {}",
            symbols::severity(alert.severity),
            ago(app, alert.raised_at),
            alert.raised_at.format("%Y-%m-%d %H:%M UTC"),
            clean(&alert.policy_name),
            clean(alert.user.as_deref().unwrap_or("—")),
            symbols::resolution(alert.resolution),
        )),
    ];
    let mut origin = Vec::new();
    if let Some(sources) = super::sources_text(alert) {
        origin.push(format!("seen by {sources}"));
    }
    if let Some(matched) = &alert.matched_by {
        origin.push(format!("bound by {}", clean(matched)));
    }
    if !origin.is_empty() {
        lines.push(Line::styled(origin.join(" · "), theme.dim));
    }
    if let Some(url) = &alert.url {
        lines.push(Line::styled(clean(url), theme.dim));
    }
    lines.push(Line::default());
    lines.push(heading("Description"));
    lines.push(Line::from(clean(&alert.description)));
    lines.push(Line::default());
    lines.push(heading("Entities"));
    for e in &alert.entities {
        lines.push(Line::from(format!(
            "  {}: {}",
            clean(&e.kind),
            clean(&e.label)
        )));
    }
    lines.push(Line::default());
    lines.push(heading("Machines"));
    let rows = app.machine_rows();
    if rows.is_empty() {
        let note = alert.note.as_deref().map(clean);
        lines.push(Line::from(format!(
            "  {}",
            note.unwrap_or_else(|| "none".into())
        )));
    }
    let mut seen = Vec::new();
    for r in &rows {
        let m = &r.machine;
        if seen.contains(&&m.id) {
            continue;
        }
        seen.push(&m.id);
        let last_seen = m
            .last_seen
            .map(|t| ago(app, t))
            .unwrap_or_else(|| "never".into());
        lines.push(Line::from(format!(
            "  {}{} · {} · health {} · last seen {} · group {} · tags {}",
            clean(&m.name),
            if m.protected { " (protected)" } else { "" },
            clean(m.os.as_deref().unwrap_or("os unknown")),
            clean(&m.health),
            last_seen,
            clean(m.group.as_deref().unwrap_or("—")),
            clean(&m.tags.join(", ")),
        )));
        lines.push(Line::styled(
            format!("    found by {}", clean(&m.found_by)),
            theme.dim,
        ));
        if let Some(held) = Containment::of(&app.model, &m.id).describe() {
            lines.push(Line::from(format!("    {held} (u releases)")));
        }
    }
    lines.push(Line::default());
    lines.push(heading("Remediation history"));
    let mut history = rows;
    history.sort_by_key(|r| r.updated_at);
    for r in history {
        let mut spans = vec![
            Span::raw(format!("  {} ", r.updated_at.format("%H:%M:%S"))),
            Span::styled(state_text(r, app), state_style(r, theme)),
            Span::raw(format!(
                " · {} on {}",
                clean(&r.action_label()),
                clean(&r.machine.name)
            )),
        ];
        let cover = super::cover_text(r);
        if let Some(cover) = &cover {
            spans.push(Span::styled(format!(" · {cover}"), theme.dim));
        }
        if let Some(reason) = r.reason.as_ref().filter(|why| Some(clean(why)) != cover) {
            spans.push(Span::styled(format!(" · {}", clean(reason)), theme.dim));
        }
        if let Some(id) = &r.provider_action_id {
            spans.push(Span::styled(format!(" · action {}", clean(id)), theme.dim));
        }
        lines.push(Line::from(spans));
    }
    lines.push(Line::default());
    lines.push(heading("Who did what, when and why"));
    match &app.model.history {
        Some((id, entries)) if *id == alert.id => {
            if entries.is_empty() {
                lines.push(Line::from("  nothing recorded yet"));
            }
            for e in entries {
                lines.push(history_line(e, theme));
            }
        }
        _ => lines.push(Line::styled("  reading the journal…", theme.dim)),
    }
    let block = pane_block("Alert detail (Esc to go back)".into(), true, theme);
    let paragraph = Paragraph::new(lines)
        .block(block)
        .style(theme.base)
        .wrap(Wrap { trim: false })
        .scroll((app.detail_scroll, 0));
    frame.render_widget(paragraph, area);
}

/// "  10:42:07 approve by alice · Full scan on zoe-laptop · why: confirmed with the user".
fn history_line<'a>(e: &HistoryEntry, theme: &Theme) -> Line<'a> {
    let who = e
        .who
        .as_deref()
        .map(|w| format!(" by {}", clean(w)))
        .unwrap_or_default();
    let mut spans = vec![
        Span::raw(format!("  {} ", e.at.format("%m-%d %H:%M:%S"))),
        Span::styled(format!("{}{who}", clean(&e.what)), theme.header),
        Span::raw(format!(" · {}", clean(&e.about))),
    ];
    if let Some(why) = &e.why {
        spans.push(Span::styled(format!(" · {}", clean(why)), theme.dim));
    }
    Line::from(spans)
}
