//! The focused pane names what it offers on its bottom border, with the keys in use, and in read-only
//! only what does not write.

mod tui_common;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use remedy::tui::{KeymapOverrides, UiOptions};
use tui_common::{app_with, screen_text};

fn bottom_border_of_machines(options: UiOptions) -> String {
    let mut app = app_with(options);
    app.handle_key(KeyEvent::new(KeyCode::Char('3'), KeyModifiers::NONE));
    let screen = screen_text(&mut app, 120, 36);
    screen
        .lines()
        .find(|line| line.contains("mark"))
        .unwrap_or_else(|| panic!("a hint line on the machines pane:\n{screen}"))
        .to_string()
}

#[test]
fn the_focused_pane_hints_with_the_keys_in_use() {
    let line = bottom_border_of_machines(UiOptions::default());
    assert!(
        line.contains("a approve · r reject · space mark · x cancel"),
        "{line}"
    );

    let mut keymap = KeymapOverrides::default();
    keymap.0.insert("approve".into(), vec!["y".into()]);
    let line = bottom_border_of_machines(UiOptions {
        keymap,
        ..UiOptions::default()
    });
    assert!(line.contains("y approve"), "a rebound key is shown: {line}");
}

#[test]
fn read_only_hints_only_what_does_not_write() {
    let line = bottom_border_of_machines(UiOptions {
        read_only: true,
        ..UiOptions::default()
    });
    assert!(line.contains("space mark"), "{line}");
    for write in ["approve", "reject", "cancel", "retry", "release"] {
        assert!(
            !line.contains(write),
            "read-only offers no `{write}`: {line}"
        );
    }
}
