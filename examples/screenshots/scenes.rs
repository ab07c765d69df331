//! The scenes: which view, at which size, after which keys, on the snapshot tests' fixed data and clock or on
//! a real demo session.

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use remedy::tui::{ThemeName, UiOptions, draw};

use crate::live::{Recording, Session};
use crate::palette::{self, Backdrop};
use crate::tui_common;

/// What a scene's console was fed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The snapshot tests' fixed data and clock: byte-identical between runs.
    Fixed,
    /// A demo session run for real: what a user of `remedy demo` sees (times differ between runs).
    Demo(Session),
}

/// A key press, or text typed key by key.
pub enum Press {
    Key(KeyCode),
    Type(&'static str),
}

/// One screenshot: its file name (without extension), terminal size, theme, source and the keys pressed first.
pub struct Scene {
    pub name: &'static str,
    pub width: u16,
    pub height: u16,
    pub theme: ThemeName,
    pub source: Source,
    pub keys: &'static [Press],
    pub shows: &'static str,
}

const WIDE: (u16, u16) = (120, 36);
const SMALL: (u16, u16) = (80, 24);

const fn scene(
    name: &'static str,
    (width, height): (u16, u16),
    keys: &'static [Press],
    shows: &'static str,
) -> Scene {
    Scene {
        name,
        width,
        height,
        theme: ThemeName::Dark,
        source: Source::Fixed,
        keys,
        shows,
    }
}

/// The same scene drawn from a real demo session.
const fn demo(scene: Scene, session: Session) -> Scene {
    Scene {
        source: Source::Demo(session),
        ..scene
    }
}

/// The same scene in another theme.
const fn themed(scene: Scene, theme: ThemeName) -> Scene {
    Scene { theme, ..scene }
}

/// Every scene, in the order the docs list them.
pub const ALL: [Scene; 15] = [
    demo(
        scene(
            "demo-alerts-120x36",
            WIDE,
            &[],
            "The demo as it runs: alerts, the selected alert's machines, policies, activity, status bar",
        ),
        Session::Normal,
    ),
    demo(
        scene(
            "demo-approve-steps-120x36",
            WIDE,
            &[
                Press::Key(KeyCode::Char('/')),
                Press::Type("Ransomware"),
                Press::Key(KeyCode::Enter),
                Press::Key(KeyCode::Char('3')),
                Press::Key(KeyCode::Char('a')),
            ],
            "Approving a step of a two-step flow lists every action the approval covers",
        ),
        Session::Normal,
    ),
    demo(
        scene(
            "demo-failed-detail-120x36",
            WIDE,
            &[
                Press::Key(KeyCode::Char('/')),
                Press::Type("state:failed"),
                Press::Key(KeyCode::Enter),
                Press::Key(KeyCode::Enter),
            ],
            "Detail of an alert with a failed action: Defender's reason, history, what each row waits for",
        ),
        Session::Normal,
    ),
    demo(
        scene(
            "demo-read-only-120x36",
            WIDE,
            &[Press::Key(KeyCode::Char('3'))],
            "Read-only: nothing decided or sent, each row says so",
        ),
        Session::ReadOnly,
    ),
    demo(
        scene(
            "demo-80x24",
            SMALL,
            &[],
            "The demo at 80×24: one pane at a time",
        ),
        Session::Normal,
    ),
    scene(
        "alerts-120x36",
        WIDE,
        &[],
        "Wide layout: alerts list, machines of the selected alert, policies, activity, status bar",
    ),
    scene(
        "machines-120x36",
        WIDE,
        &[Press::Key(KeyCode::Char('3'))],
        "Machines pane focused: the selected alert's machines with live states (spinner, elapsed, overdue)",
    ),
    scene(
        "policies-auto-confirm-120x36",
        WIDE,
        &[
            Press::Key(KeyCode::Char('2')),
            Press::Key(KeyCode::Char('M')),
        ],
        "Policies pane focused, switching a policy to auto asks for confirmation (focus on Cancel)",
    ),
    scene(
        "activity-120x36",
        WIDE,
        &[Press::Key(KeyCode::Char('4'))],
        "Activity pane focused: everything in flight and recently final, with state counts",
    ),
    scene(
        "alert-detail-120x36",
        WIDE,
        &[Press::Key(KeyCode::Enter)],
        "Detail of the selected alert",
    ),
    scene(
        "close-alert-120x36",
        WIDE,
        &[Press::Key(KeyCode::Char('c')), Press::Key(KeyCode::Down)],
        "Closing an alert: resolution choice and comment",
    ),
    scene(
        "help-120x36",
        WIDE,
        &[Press::Key(KeyCode::Char('?'))],
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
            &[Press::Key(KeyCode::Char('3'))],
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

    /// The screen after the scene's keys, drawn into a test backend: on the fixed data at the fixed clock,
    /// or on the demo session's events at the moment the session was recorded.
    pub fn draw(&self, recording: Option<&Recording>) -> Result<Buffer, String> {
        let mut app = match (self.source, recording) {
            (Source::Fixed, _) => tui_common::app_with(UiOptions {
                theme: self.theme,
                ..UiOptions::default()
            }),
            (Source::Demo(session), Some(recording)) => {
                let mut app = UiOptions {
                    theme: self.theme,
                    read_only: session == Session::ReadOnly,
                    demo: true,
                    ..UiOptions::default()
                }
                .build_app(None)
                .map_err(|e| e.to_string())?;
                app.set_now(recording.at);
                for event in &recording.events {
                    app.apply(event.clone());
                }
                app
            }
            (Source::Demo(session), None) => {
                return Err(format!("{}: no {session:?} demo recording", self.name));
            }
        };
        for press in self.keys {
            match press {
                Press::Key(code) => {
                    app.handle_key(KeyEvent::new(*code, KeyModifiers::NONE));
                }
                Press::Type(text) => {
                    for c in text.chars() {
                        app.handle_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
                    }
                }
            }
        }
        let mut terminal =
            Terminal::new(TestBackend::new(self.width, self.height)).map_err(|e| e.to_string())?;
        terminal
            .draw(|frame| draw(frame, &mut app))
            .map_err(|e| e.to_string())?;
        Ok(terminal.backend().buffer().clone())
    }
}
