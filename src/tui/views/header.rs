//! The top line: product name, pane tabs, operator, and the DEMO and READ-ONLY badges.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::clean;
use crate::tui::app::{App, Pane};

/// Draws the header line.
pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let theme = &app.theme;
    let mut spans = Vec::new();
    if area.width >= 100 {
        spans.push(Span::styled(" remedy ", theme.title));
    }
    for (n, pane) in Pane::ALL.iter().enumerate() {
        let label = format!("{} {}", n + 1, pane.title());
        if *pane == app.focus && !app.show_detail {
            spans.push(Span::styled(format!("[{label}]"), theme.button_focus));
        } else {
            spans.push(Span::styled(format!(" {label} "), theme.dim));
        }
    }
    if app.show_detail {
        spans.push(Span::styled("[detail]", theme.button_focus));
    }
    if app.demo() {
        spans.push(Span::raw(" "));
        spans.push(Span::styled(" DEMO · simulation ", theme.badge));
    }
    if app.read_only() {
        spans.push(Span::raw(" "));
        spans.push(Span::styled(" READ-ONLY ", theme.badge));
    }
    if !app.model.operator.is_empty() {
        spans.push(Span::styled(
            format!("  {}", clean(&app.model.operator)),
            theme.dim,
        ));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
