//! What the console says about itself: the focused pane names what it offers (with the keys in use, and in
//! read-only only what does not write), and a demo alert ahead of the console clock is not called skew.

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

#[test]
fn a_demo_alert_ahead_of_the_console_clock_is_on_the_simulators_clock_not_skew() {
    use remedy::engine::interface::Event;
    for (demo, expected, refused) in [
        (true, "simulator's clock", "clock skew"),
        (false, "clock skew", "simulator's clock"),
    ] {
        let mut app = app_with(UiOptions {
            demo,
            ..UiOptions::default()
        });
        let policy = &tui_common::policies()[0];
        let mut ahead = tui_common::alert(
            "a-future",
            remedy::engine::interface::Severity::High,
            policy,
            Some("zoe@contoso.com"),
            "Impossible travel activity",
            0,
        );
        ahead.raised_at = tui_common::now() + chrono::Duration::minutes(20);
        app.apply(Event::AlertSeen(ahead));
        app.handle_key(KeyEvent::new(KeyCode::Char('/'), KeyModifiers::NONE));
        for c in "zoe".chars() {
            app.handle_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
        }
        app.handle_key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE));
        app.handle_key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE));
        let screen = screen_text(&mut app, 120, 36);
        assert!(screen.contains(expected), "demo {demo}:\n{screen}");
        assert!(!screen.contains(refused), "demo {demo}:\n{screen}");
    }
}
