//! The screen shown when the terminal is smaller than the console needs.

use ratatui::Frame;
use ratatui::layout::{Alignment, Rect};
use ratatui::widgets::{Paragraph, Wrap};

use super::{MIN_HEIGHT, MIN_WIDTH};
use crate::tui::theme::Theme;

/// Says the terminal is too small and how big it must be.
pub fn draw(frame: &mut Frame, area: Rect, theme: &Theme) {
    let text = format!(
        "Terminal too small: {}×{}. remedy needs at least {MIN_WIDTH}×{MIN_HEIGHT}; enlarge the window (q quits).",
        area.width, area.height
    );
    let paragraph = Paragraph::new(text)
        .style(theme.warn)
        .alignment(Alignment::Center)
        .wrap(Wrap { trim: true });
    frame.render_widget(paragraph, area);
}
