//! Snapshots of every console view at 80×24 and 120×36, drawn into a TestBackend with fixed data and clock.

mod tui_common;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use remedy::engine::interface::Event;
use remedy::tui::{App, ThemeName, UiOptions, draw};
use tui_common::{app, app_with, notice, now};

const SIZES: [(u16, u16); 2] = [(80, 24), (120, 36)];

fn render(app: &mut App, width: u16, height: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|frame| draw(frame, app)).unwrap();
    terminal
}

fn press(app: &mut App, keys: &[KeyCode]) {
    for &code in keys {
        app.handle_key(KeyEvent::new(code, KeyModifiers::NONE));
    }
}

fn chars(text: &str) -> Vec<KeyCode> {
    text.chars().map(KeyCode::Char).collect()
}

/// Draws `app` after `keys` at both sizes and compares with the stored snapshots.
fn check(name: &str, setup: impl Fn() -> App, keys: &[KeyCode]) {
    for (w, h) in SIZES {
        let mut app = setup();
        press(&mut app, keys);
        let terminal = render(&mut app, w, h);
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), terminal.backend());
    }
}

#[test]
fn alerts_view() {
    check("alerts", app, &[]);
}

#[test]
fn a_zoomed_pane_fills_the_screen() {
    check(
        "zoomed_machines",
        app,
        &[KeyCode::Char('3'), KeyCode::Char('z')],
    );
}

#[test]
fn alerts_sorted_by_severity_and_filtered() {
    check("alerts_severity", app, &[KeyCode::Char('s')]);
    let mut keys = vec![KeyCode::Char('/')];
    keys.extend(chars("severity:high"));
    keys.push(KeyCode::Enter);
    check("alerts_filtered", app, &keys);
}

#[test]
fn filter_prompt_while_typing() {
    let mut keys = vec![KeyCode::Char('/')];
    keys.extend(chars("user:bob"));
    check("filter_prompt", app, &keys);
}

#[test]
fn policies_view() {
    check("policies", app, &[KeyCode::Char('2')]);
}

#[test]
fn machines_view() {
    check("machines", app, &[KeyCode::Char('3')]);
}

#[test]
fn activity_view() {
    check("activity", app, &[KeyCode::Char('4')]);
}

#[test]
fn detail_view() {
    check("detail", app, &[KeyCode::Enter]);
}

#[test]
fn help_overlay() {
    check("help", app, &[KeyCode::Char('?')]);
}

#[test]
fn disruptive_approve_dialog() {
    check(
        "approve_all_dialog",
        app,
        &[KeyCode::Char('j'), KeyCode::Char('A')],
    );
}

#[test]
fn reason_prompt_dialog() {
    check(
        "reject_dialog",
        app,
        &[KeyCode::Char('3'), KeyCode::Char('r')],
    );
}

#[test]
fn close_alert_dialog() {
    check("close_dialog", app, &[KeyCode::Char('c'), KeyCode::Down]);
}

#[test]
fn auto_mode_confirmation() {
    check("auto_dialog", app, &[KeyCode::Char('M')]);
}

#[test]
fn demo_read_only_with_toast() {
    let setup = || {
        let mut app = app_with(UiOptions {
            read_only: true,
            demo: true,
            ..UiOptions::default()
        });
        app.apply(notice("3 new alerts"));
        app
    };
    check("demo_read_only", setup, &[KeyCode::Char('a')]);
}

#[test]
fn poll_error_in_status_bar() {
    let setup = || {
        let mut app = app();
        app.apply(Event::Poll {
            ok: false,
            at: now(),
            error: Some("CAS answered 503 \u{1b}[31mService Unavailable".into()),
            new_alerts: 0,
        });
        app
    };
    check("poll_error", setup, &[]);
}

#[test]
fn empty_console() {
    let setup = || UiOptions::default().build_app(None).unwrap();
    check("empty", setup, &[]);
}

#[test]
fn too_small_terminal() {
    let mut app = app();
    let terminal = render(&mut app, 50, 12);
    insta::assert_snapshot!("too_small_50x12", terminal.backend());
}

#[test]
fn mono_theme_uses_no_colour() {
    let mut app = app_with(UiOptions {
        theme: ThemeName::Mono,
        ..UiOptions::default()
    });
    let terminal = render(&mut app, 120, 36);
    let buffer = terminal.backend().buffer();
    let coloured = buffer.content().iter().any(|cell| {
        cell.fg != ratatui::style::Color::Reset || cell.bg != ratatui::style::Color::Reset
    });
    assert!(!coloured, "mono theme must not set colours");
}

#[test]
fn hostile_title_is_drawn_harmlessly() {
    for (w, h) in SIZES {
        let mut app = app();
        press(&mut app, &[KeyCode::Char('j'), KeyCode::Enter]);
        let terminal = render(&mut app, w, h);
        let buffer = terminal.backend().buffer();
        let text: String = buffer.content().iter().map(|c| c.symbol()).collect();
        assert!(text.contains("Impossible travel"), "title still shown");
        assert!(!text.contains("pwned"), "OSC payload must not be drawn");
        assert!(
            !text.chars().any(|c| c.is_control()),
            "no control character may reach a cell"
        );
    }
}

#[test]
fn resizing_between_layouts_keeps_working() {
    let mut app = app();
    let mut terminal = Terminal::new(TestBackend::new(120, 36)).unwrap();
    for (w, h) in [(120, 36), (80, 24), (40, 10), (200, 60), (80, 24)] {
        terminal.backend_mut().resize(w, h);
        terminal.draw(|frame| draw(frame, &mut app)).unwrap();
    }
    insta::assert_snapshot!("after_resizes_80x24", terminal.backend());
}

#[test]
fn long_lists_scroll_to_the_selection() {
    let mut app = UiOptions::default().build_app(None).unwrap();
    app.set_now(now());
    app.apply(tui_common::many(1_000));
    press(&mut app, &[KeyCode::Char('G')]);
    let terminal = render(&mut app, 80, 24);
    let text: String = terminal
        .backend()
        .buffer()
        .content()
        .iter()
        .map(|c| c.symbol())
        .collect();
    assert!(
        text.contains("Alert number 999 "),
        "last (oldest) alert is shown"
    );
    assert!(
        !text.contains("Alert number 0 "),
        "newest alert scrolled away"
    );
    assert!(
        text.contains("DEMO · simulation"),
        "demo snapshot shows the badge"
    );
}

#[test]
fn help_is_generated_from_the_keymap_in_use() {
    let mut keys = remedy::tui::KeymapOverrides::default();
    keys.0.insert("approve".into(), vec!["y".into()]);
    let mut app = app_with(UiOptions {
        keymap: keys,
        ..UiOptions::default()
    });
    press(&mut app, &[KeyCode::Char('?')]);
    let terminal = render(&mut app, 120, 36);
    let rows: Vec<String> = (0..36)
        .map(|y| {
            (0..120)
                .map(|x| terminal.backend().buffer()[(x, y)].symbol().to_string())
                .collect()
        })
        .collect();
    assert!(
        rows.iter()
            .any(|r| r.contains(" y approve selected/marked")),
        "{rows:#?}"
    );
    assert!(
        !rows
            .iter()
            .any(|r| r.contains(" a approve selected/marked"))
    );
}

#[test]
fn every_event_text_is_sanitised_before_drawing() {
    const EVIL: &str = "\u{1b}]0;pwned\u{7}\u{1b}[2J\u{9b}31mX\u{202e}";
    let mut app = app();
    let mut alert = tui_common::alerts()[0].clone();
    alert.title = format!("T{EVIL}");
    alert.description = format!("D{EVIL}");
    alert.policy_name = format!("P{EVIL}");
    alert.user = Some(format!("U{EVIL}"));
    alert.entities[0].label = format!("E{EVIL}");
    let mut r = tui_common::remediations()[0].clone();
    r.machine.name = format!("M{EVIL}");
    r.machine.found_by = format!("F{EVIL}");
    r.machine.tags = vec![format!("G{EVIL}")];
    r.reason = Some(format!("R{EVIL}"));
    app.apply(Event::AlertSeen(alert));
    app.apply(Event::RemediationChanged(Box::new(r)));
    app.apply(notice(&format!("N{EVIL}")));
    let screens: [&[KeyCode]; 5] = [
        &[],
        &[KeyCode::Enter],
        &[KeyCode::Char('4')],
        &[KeyCode::Char('3')],
        &[KeyCode::Char('c')],
    ];
    for keys in screens {
        for (w, h) in SIZES {
            press(&mut app, keys);
            let terminal = render(&mut app, w, h);
            let text: String = terminal
                .backend()
                .buffer()
                .content()
                .iter()
                .map(|c| c.symbol())
                .collect();
            assert!(!text.contains("pwned"), "{keys:?}");
            assert!(
                !text.chars().any(|c| c.is_control() || c == '\u{202e}'),
                "{keys:?}: control character drawn"
            );
            press(&mut app, &[KeyCode::Esc, KeyCode::Char('1')]);
        }
    }
}
