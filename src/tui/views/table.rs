//! The one table every list is drawn with: named columns, the visible rows, the selection mark and style.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::widgets::{Block, HighlightSpacing, Row, Table, TableState};

use super::SELECTED;
use crate::tui::theme::Theme;

/// A list's columns and the rows of its visible window.
pub(super) struct ListTable<'a> {
    theme: &'a Theme,
    headers: Vec<&'a str>,
    widths: Vec<Constraint>,
    rows: Vec<Row<'a>>,
}

impl<'a> ListTable<'a> {
    pub fn new(theme: &'a Theme) -> Self {
        ListTable {
            theme,
            headers: Vec::new(),
            widths: Vec::new(),
            rows: Vec::new(),
        }
    }

    /// Adds a column: its header and width.
    pub fn column(mut self, header: &'a str, width: Constraint) -> Self {
        self.headers.push(header);
        self.widths.push(width);
        self
    }

    /// Adds a column only when `shown` (a wide screen has room for it).
    pub fn column_if(self, shown: bool, header: &'a str, width: Constraint) -> Self {
        if shown {
            self.column(header, width)
        } else {
            self
        }
    }

    /// The rows of the visible window, one cell per column.
    pub fn rows(mut self, rows: impl IntoIterator<Item = Row<'a>>) -> Self {
        self.rows = rows.into_iter().collect();
        self
    }

    /// Draws the table in `area` (inside `block` when given), `selected` being the row within the window.
    pub fn render(
        self,
        frame: &mut Frame,
        area: Rect,
        block: Option<Block<'a>>,
        at: Option<usize>,
    ) {
        let theme = self.theme;
        let mut table = Table::new(self.rows, self.widths)
            .header(Row::new(self.headers).style(theme.header))
            .style(theme.base)
            .row_highlight_style(theme.selected)
            .highlight_symbol(SELECTED)
            .highlight_spacing(HighlightSpacing::Always);
        if let Some(block) = block {
            table = table.block(block);
        }
        let mut state = TableState::default().with_selected(at);
        frame.render_stateful_widget(table, area, &mut state);
    }
}
