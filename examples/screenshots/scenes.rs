//! The fixed scenes: which view, at which size, after which keys, on the snapshot tests' data and clock.

use std::convert::Infallible;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use remedy::tui::draw;

use crate::tui_common;

/// One screenshot: its file name (without extension), terminal size and the keys pressed first.
pub struct Scene {
    pub name: &'static str,
    pub width: u16,
    pub height: u16,
    pub keys: &'static [KeyCode],
    pub shows: &'static str,
}

const WIDE: (u16, u16) = (120, 36);
const SMALL: (u16, u16) = (80, 24);

const fn scene(
    name: &'static str,
    (width, height): (u16, u16),
    keys: &'static [KeyCode],
    shows: &'static str,
) -> Scene {
    Scene {
        name,
        width,
        height,
        keys,
        shows,
    }
}

/// Every scene, in the order the docs list them.
pub const ALL: [Scene; 8] = [
    scene(
        "alerts-120x36",
        WIDE,
        &[],
        "Wide layout: alerts list, machines of the selected alert, policies, activity, status bar",
    ),
    scene(
        "machines-120x36",
        WIDE,
        &[KeyCode::Char('3')],
        "Machines pane focused: the selected alert's machines with live states (spinner, elapsed, overdue)",
    ),
    scene(
        "policies-auto-confirm-120x36",
        WIDE,
        &[KeyCode::Char('2'), KeyCode::Char('m')],
        "Policies pane focused, switching a policy to auto asks for confirmation (focus on Cancel)",
    ),
    scene(
        "activity-120x36",
        WIDE,
        &[KeyCode::Char('4')],
        "Activity pane focused: everything in flight and recently final, with state counts",
    ),
    scene(
        "alert-detail-120x36",
        WIDE,
        &[KeyCode::Enter],
        "Detail of the selected alert",
    ),
    scene(
        "close-alert-120x36",
        WIDE,
        &[KeyCode::Char('c'), KeyCode::Down],
        "Closing an alert: resolution choice and comment",
    ),
    scene(
        "help-120x36",
        WIDE,
        &[KeyCode::Char('?')],
        "Help overlay generated from the keymap in use",
    ),
    scene(
        "alerts-80x24",
        SMALL,
        &[],
        "The 80×24 layout: one pane at a time",
    ),
];

impl Scene {
    /// The screen after the scene's keys, drawn into a test backend at the fixed clock.
    pub fn draw(&self) -> Result<Buffer, Infallible> {
        let mut app = tui_common::app();
        for &code in self.keys {
            app.handle_key(KeyEvent::new(code, KeyModifiers::NONE));
        }
        let mut terminal = Terminal::new(TestBackend::new(self.width, self.height))?;
        terminal.draw(|frame| draw(frame, &mut app))?;
        Ok(terminal.backend().buffer().clone())
    }
}
