//! The fixed scenes: which view, at which size, after which keys, on the snapshot tests' data and clock.

use std::convert::Infallible;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use remedy::tui::{ThemeName, UiOptions, draw};

use crate::palette::{self, Backdrop};
use crate::tui_common;

/// One screenshot: its file name (without extension), terminal size, theme and the keys pressed first.
pub struct Scene {
    pub name: &'static str,
    pub width: u16,
    pub height: u16,
    pub theme: ThemeName,
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
        theme: ThemeName::Dark,
        keys,
        shows,
    }
}

/// The same scene in another theme.
const fn themed(scene: Scene, theme: ThemeName) -> Scene {
    Scene { theme, ..scene }
}

/// Every scene, in the order the docs list them.
pub const ALL: [Scene; 10] = [
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
        &[KeyCode::Char('2'), KeyCode::Char('M')],
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
    themed(
        scene(
            "alerts-light-120x36",
            WIDE,
            &[],
            "The light theme on a light terminal",
        ),
        ThemeName::Light,
    ),
    themed(
        scene(
            "machines-mono-120x36",
            WIDE,
            &[KeyCode::Char('3')],
            "The mono theme (`NO_COLOR`): every state still a symbol and a word",
        ),
        ThemeName::Mono,
    ),
];

impl Scene {
    /// The terminal the scene is shown on: light for the light theme, dark otherwise.
    pub fn backdrop(&self) -> &'static Backdrop {
        match self.theme {
            ThemeName::Light => &palette::LIGHT,
            ThemeName::Dark | ThemeName::Mono => &palette::DARK,
        }
    }

    /// The screen after the scene's keys, drawn into a test backend at the fixed clock.
    pub fn draw(&self) -> Result<Buffer, Infallible> {
        let mut app = tui_common::app_with(UiOptions {
            theme: self.theme,
            ..UiOptions::default()
        });
        for &code in self.keys {
            app.handle_key(KeyEvent::new(code, KeyModifiers::NONE));
        }
        let mut terminal = Terminal::new(TestBackend::new(self.width, self.height))?;
        terminal.draw(|frame| draw(frame, &mut app))?;
        Ok(terminal.backend().buffer().clone())
    }
}
