//! The console shows what is true and what waits: wait reasons, Defender's reason for a failed action,
//! retry, containment and its release, the alert's history, and what switching a policy to auto does.

mod tui_common;

use chrono::Duration;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use remedy::engine::interface::{
    ActionKind, Command, Event, HistoryEntry, Mode, RemediationState, WaitReason,
};
use remedy::tui::{App, Pane, draw};
use tui_common::{alerts, app, machine, now, remediation};

fn press(app: &mut App, text: &str) -> Vec<Command> {
    let mut sent = Vec::new();
    for c in text.chars() {
        let modifiers = if c.is_ascii_uppercase() {
            KeyModifiers::SHIFT
        } else {
            KeyModifiers::NONE
        };
        sent.extend(app.handle_key(KeyEvent::new(KeyCode::Char(c), modifiers)));
    }
    sent
}

fn key(app: &mut App, code: KeyCode) -> Vec<Command> {
    app.handle_key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn screen(app: &mut App, width: u16, height: u16) -> (String, Terminal<TestBackend>) {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|frame| draw(frame, app)).unwrap();
    let text = terminal
        .backend()
        .buffer()
        .content()
        .iter()
        .map(|c| c.symbol())
        .collect();
    (text, terminal)
}

/// Selects the alert `alert_id` and, in the machines pane, the action `remediation_id`.
fn select(app: &mut App, alert_id: &str, remediation_id: &str) {
    app.prepare();
    while app.selected_alert().is_some_and(|a| a.id != alert_id) {
        press(app, "j");
        app.prepare();
    }
    press(app, "3");
    let at = app
        .machine_rows()
        .iter()
        .position(|r| r.id == remediation_id)
        .expect("the action is among the machines");
    for _ in 0..at {
        press(app, "j");
    }
    assert_eq!(app.focus, Pane::Machines);
}

/// Confirms a dialog whose focus starts on Cancel: Right to the confirm button, Enter.
fn confirm(app: &mut App) -> Vec<Command> {
    key(app, KeyCode::Right);
    key(app, KeyCode::Enter)
}

#[test]
fn an_approved_scan_under_throttling_says_why_in_its_row_and_footer() {
    let mut app = app();
    let mut view = app
        .model
        .remediations
        .iter()
        .find(|r| r.id == "r-3")
        .cloned()
        .unwrap();
    view.state = RemediationState::Approved;
    view.waiting = Some(WaitReason::Throttled {
        until: now() + Duration::milliseconds(3_500),
    });
    app.apply(Event::RemediationChanged(Box::new(view)));
    select(&mut app, "a-mass", "r-3");
    let (text, terminal) = screen(&mut app, 120, 36);
    assert!(text.contains("Defender throttling, retry in 4 s"), "{text}");
    insta::assert_snapshot!("throttled_machines_120x36", terminal.backend());
}

#[test]
fn a_failed_action_shows_defenders_reason_and_t_retries_it_after_confirming() {
    let mut app = app();
    select(&mut app, "a-ransom", "r-9");
    let (text, _) = screen(&mut app, 120, 36);
    assert!(text.contains("Defender: machine offline"), "{text}");
    assert!(press(&mut app, "t").is_empty(), "t only asks");
    let dialog = app.dialog.as_ref().expect("retry asks first");
    assert_eq!(dialog.title, "Retry disruptive action");
    assert!(
        dialog
            .lines
            .iter()
            .any(|l| l.contains("It ended: Defender: machine offline")),
        "{:?}",
        dialog.lines
    );
    press(&mut app, "back online");
    key(&mut app, KeyCode::Enter);
    assert_eq!(
        confirm(&mut app),
        vec![Command::Retry {
            remediation_id: "r-9".into(),
            reason: Some("back online".into()),
        }]
    );
}

#[test]
fn retry_refuses_an_action_that_did_not_end_badly() {
    let mut app = app();
    select(&mut app, "a-ransom", "r-10");
    assert!(press(&mut app, "t").is_empty());
    assert!(app.dialog.is_none(), "a pending action cannot be retried");
}

#[test]
fn an_isolated_machine_says_so_and_u_releases_it_until_a_release_succeeded() {
    let mut app = app();
    let a = alerts();
    let bob = machine("m-bob-1", "BOB-SURFACE", "Sales", &[], false);
    let isolation = ActionKind::Isolate {
        isolation_type: "Full".into(),
    };
    let isolated = remediation(
        "r-iso",
        &a[1],
        bob.clone(),
        isolation,
        RemediationState::Succeeded,
        300,
    );
    app.apply(Event::RemediationChanged(Box::new(isolated)));
    select(&mut app, "a-travel", "r-iso");
    let (text, _) = screen(&mut app, 160, 36);
    assert!(text.contains("Isolate (Full) in force"), "{text}");
    press(&mut app, "u");
    let dialog = app.dialog.as_ref().expect("release asks first");
    assert_eq!(dialog.title, "Release isolation");
    assert_eq!(
        confirm(&mut app),
        vec![Command::Release {
            remediation_id: "r-iso".into(),
            reason: None,
        }]
    );
    let released = remediation(
        "r-rel",
        &a[1],
        bob,
        ActionKind::Unisolate,
        RemediationState::Succeeded,
        100,
    );
    app.apply(Event::RemediationChanged(Box::new(released)));
    let (text, _) = screen(&mut app, 160, 36);
    assert!(!text.contains("in force"), "{text}");
    assert!(press(&mut app, "u").is_empty());
    assert!(app.dialog.is_none(), "nothing left to release");
}

#[test]
fn opening_the_detail_asks_for_the_history_and_shows_who_did_what_when_and_why() {
    let mut app = app();
    app.prepare();
    let sent = key(&mut app, KeyCode::Enter);
    assert!(
        sent.contains(&Command::History {
            alert_id: "a-mass".into()
        }),
        "{sent:?}"
    );
    let (text, _) = screen(&mut app, 120, 36);
    assert!(text.contains("reading the journal"), "{text}");
    app.apply(Event::History {
        alert_id: "a-mass".into(),
        entries: vec![
            HistoryEntry {
                at: now() - Duration::minutes(3),
                who: Some("alice".into()),
                what: "approve".into(),
                about: "alert a-mass machine ZOE-LAPTOP".into(),
                why: Some("user confirmed".into()),
            },
            HistoryEntry {
                at: now() - Duration::minutes(1),
                who: None,
                what: "→ Succeeded".into(),
                about: "Full scan on ZOE-LAPTOP".into(),
                why: None,
            },
        ],
    });
    let (text, terminal) = screen(&mut app, 120, 36);
    assert!(text.contains("approve by alice"), "{text}");
    assert!(text.contains("user confirmed"), "{text}");
    insta::assert_snapshot!("detail_history_120x36", terminal.backend());
}

#[test]
fn m_turns_approve_off_without_asking_and_shift_m_names_what_auto_will_do() {
    let mut app = app();
    press(&mut app, "2j");
    app.prepare();
    assert_eq!(
        app.current_policy().map(|p| p.id.as_str()),
        Some("pol-travel")
    );
    assert_eq!(
        press(&mut app, "m"),
        vec![Command::SetMode {
            policy_id: "pol-travel".into(),
            mode: Mode::Off,
        }]
    );
    assert!(app.dialog.is_none());
    assert!(press(&mut app, "M").is_empty(), "auto asks first");
    let lines = app.dialog.as_ref().expect("auto asks").lines.join("\n");
    assert!(
        lines.contains("ISOLATE (SELECTIVE) on up to 5 machine(s) per alert and 20 per hour"),
        "{lines}"
    );
    assert!(
        lines.contains("The 3 waiting proposal(s) stay proposed"),
        "{lines}"
    );
    assert_eq!(
        confirm(&mut app),
        vec![Command::SetMode {
            policy_id: "pol-travel".into(),
            mode: Mode::Auto,
        }]
    );
}
