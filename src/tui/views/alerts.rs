//! The alerts pane: severity, age, policy, user, title and remediation summary, building only visible rows.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::Span;
use ratatui::widgets::{Cell, Paragraph, Row};

use super::table::ListTable;
use super::{age, clean, list_block, position};
use crate::alert::SourceKind;
use crate::engine::interface::{AlertView, Resolution, Severity};
use crate::tui::app::{App, Pane, Sort};
use crate::tui::{fit, format, symbols};
use unicode_width::UnicodeWidthStr;

/// Draws the alerts pane into `area`.
pub fn draw(frame: &mut Frame, area: Rect, app: &mut App) {
    let total = app.model.alerts.len();
    let shown = app.visible_alerts().len();
    let sort = match app.alerts.sort {
        Sort::Time => "newest",
        Sort::Severity => "severity",
    };
    let inner_height = usize::from(area.height.saturating_sub(3));
    let range = app.alerts.cursor.window(shown, inner_height);
    let visible: Vec<usize> = app.visible_alerts()[range.clone()].to_vec();
    let domain = fit::common_domain(
        visible
            .iter()
            .filter_map(|&i| app.model.alerts[i].user.as_deref()),
    );
    let mut title = format!("Alerts {}", position(app.alerts.cursor.selected, shown));
    if shown != total {
        title.push_str(&format!(" (of {total})"));
    }
    title.push_str(&format!(" · sort: {sort}"));
    if let Some(domain) = &domain {
        title.push_str(&format!(" · users {}", clean(domain)));
    }
    if !app.alerts.filter.is_empty() {
        title.push_str(&format!(" · filter: {}", clean(app.alerts.filter.text())));
    }
    if let Some(error) = app.alerts.filter.error() {
        title.push_str(&format!(" · {error}"));
    }
    let at_end = shown == 0 || app.alerts.cursor.selected + 1 >= shown;
    if let Some(hint) = super::older_hint(app, at_end) {
        title.push_str(&format!(" · {hint}"));
    }
    let block = list_block(app, Pane::Alerts, title);
    let theme = &app.theme;
    if shown == 0 {
        let text = if total == 0 {
            "No alerts yet: waiting for the alert sources."
        } else {
            "No alert matches the filter (Esc clears it)."
        };
        frame.render_widget(Paragraph::new(text).style(theme.dim).block(block), area);
        return;
    }
    let texts: Vec<RowText> = visible
        .iter()
        .map(|&i| row_text(app, &app.model.alerts[i], domain.as_deref()))
        .collect();
    let widest = |get: fn(&RowText) -> usize| texts.iter().map(get).max().unwrap_or(0);
    // Which sources read each alert gets a narrow column once Graph read one of the rows shown; Cloud App
    // Security alone says nothing.
    let with_sources = visible
        .iter()
        .any(|&i| app.model.alerts[i].seen_by.contains(&SourceKind::Graph));
    let sources_room = if with_sources { SOURCES_WIDTH + 1 } else { 0 };
    // Inside the borders: the selection mark, seven columns and the six gaps between them.
    let room = usize::from(area.width).saturating_sub(2 + 1 + 6 + 1 + 9 + 4 + sources_room);
    let wide = area.width >= 100;
    // A user name past this is cut in the middle (its start and domain stay); the title needs the room more.
    let user_cap = if wide { 24 } else { 16 };
    let wanted_user = widest(|t| t.user.width()).clamp(4, user_cap);
    let summary_cap = if wide { 32 } else { 24 };
    // The title keeps enough to be read: it is what tells alerts apart.
    let title_min = if wide { 24 } else { 16 };
    let wanted_summary = widest(|t| t.summary.width()).clamp(11, summary_cap);
    let wanted_policy = widest(|t| t.policy.width()).clamp(8, 24);
    let fitted = fit::share(
        room,
        &[
            (6, wanted_user),
            (11, wanted_summary),
            (8, wanted_policy),
            (title_min, usize::MAX),
        ],
    );
    let [user_width, summary_width, policy_width, _] = [fitted[0], fitted[1], fitted[2], fitted[3]];
    let rows = visible.iter().zip(&texts).map(|(&i, text)| {
        let alert = &app.model.alerts[i];
        let severity_style = match alert.severity {
            Severity::High => theme.high,
            Severity::Medium => theme.medium,
            Severity::Low => theme.low,
            _ => theme.dim,
        };
        let unread = if alert.read { " " } else { "●" };
        let summary_style = if text.note { theme.dim } else { theme.base };
        let mut cells = vec![
            Cell::from(Span::styled(unread, theme.title)),
            Cell::from(Span::styled(
                symbols::severity(alert.severity),
                severity_style,
            )),
            Cell::from(age(app, alert.raised_at)),
            Cell::from(fit::end(&text.policy, policy_width)),
            Cell::from(fit::middle(&text.user, user_width)),
            Cell::from(clean(&alert.title)),
            Cell::from(Span::styled(text.summary.clone(), summary_style)),
        ];
        if with_sources {
            cells.insert(3, Cell::from(sources_code(alert)));
        }
        Row::new(cells).style(if text.closed { theme.dim } else { theme.base })
    });
    let mut table = ListTable::new(theme)
        .column("", Constraint::Length(1))
        .column("severity", Constraint::Length(9))
        .column("age", Constraint::Length(4));
    if with_sources {
        table = table.column("src", Constraint::Length(SOURCES_WIDTH as u16));
    }
    table
        .column("policy", Constraint::Length(policy_width as u16))
        .column("user", Constraint::Length(user_width as u16))
        .column("title", Constraint::Fill(1))
        .column("remediation", Constraint::Length(summary_width as u16))
        .rows(rows)
        .render(
            frame,
            area,
            Some(block),
            Some(app.alerts.cursor.selected - range.start),
        );
}

/// Width of the sources column: "C", "G" or "C+G".
const SOURCES_WIDTH: usize = 3;

/// Which sources read the alert: `C` Cloud App Security, `G` Graph, `C+G` both.
fn sources_code(alert: &AlertView) -> String {
    alert
        .seen_by
        .iter()
        .map(|source| match source {
            SourceKind::Cas => "C",
            SourceKind::Graph => "G",
        })
        .collect::<Vec<_>>()
        .join("+")
}

/// The cleaned texts of one alert row.
struct RowText {
    policy: String,
    user: String,
    summary: String,
    /// The summary is the engine's note (why nothing is proposed), drawn dimmed.
    note: bool,
    closed: bool,
}

fn row_text(app: &App, alert: &AlertView, domain: Option<&str>) -> RowText {
    let closed = alert.resolution != Resolution::Open;
    let remediations = format::summary(app.model.remediations_of(&alert.id));
    let note = remediations.is_none() && !closed;
    let summary = match remediations {
        Some(text) if closed => format!(
            "closed ({}) · {text}",
            symbols::resolution(alert.resolution)
        ),
        None if closed => format!("closed ({})", symbols::resolution(alert.resolution)),
        Some(text) => text,
        None => alert
            .note
            .as_deref()
            .map(clean)
            .unwrap_or_else(|| "—".into()),
    };
    let user = alert
        .user
        .as_deref()
        .map(|u| clean(fit::without_domain(u, domain)))
        .unwrap_or_else(|| "—".into());
    RowText {
        policy: clean(&alert.policy_name),
        user,
        summary,
        note,
        closed,
    }
}
