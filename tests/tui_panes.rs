//! Each pane owns its keys: a key acts on the row under the focused pane's cursor, and a key the focused
//! pane does not offer says where it works instead of acting on a row the analyst cannot see.

mod tui_common;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use remedy::engine::interface::{Command, Mode};
use remedy::tui::App;
use tui_common::app;

fn press(app: &mut App, keys: &str) -> Vec<Command> {
    keys.chars()
        .flat_map(|c| {
            let modifiers = if c.is_ascii_uppercase() {
                KeyModifiers::SHIFT
            } else {
                KeyModifiers::NONE
            };
            app.handle_key(KeyEvent::new(KeyCode::Char(c), modifiers))
        })
        .collect()
}

fn dialog_text(app: &App) -> String {
    let dialog = app.dialog.as_ref().expect("a dialog is open");
    format!("{}\n{}", dialog.title, dialog.lines.join("\n"))
}

#[test]
fn approve_in_the_activity_pane_acts_on_the_activity_row_under_the_cursor() {
    let mut app = app();
    // Activity, newest first: r-2, r-10, r-1, r-3 (VDI-0042), r-4 (isolate BOB-SURFACE).
    press(&mut app, "4jjjj");
    press(&mut app, "a");
    let text = dialog_text(&app);
    assert!(text.contains("BOB-SURFACE"), "{text}");
    assert!(
        !text.contains("VDI-0042"),
        "the machines pane's selection (the first alert's VDI-0042) is not what the analyst sees: {text}"
    );
    app.handle_key(KeyEvent::new(KeyCode::Right, KeyModifiers::NONE));
    let sent = app.handle_key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE));
    match sent.as_slice() {
        [
            Command::Approve {
                remediation_ids, ..
            },
        ] => {
            assert!(
                remediation_ids.contains(&"r-4".to_string()),
                "{remediation_ids:?}"
            );
            assert!(
                !remediation_ids.contains(&"r-3".to_string()),
                "{remediation_ids:?}"
            );
        }
        other => panic!("one approval of the activity row, got {other:?}"),
    }
}

#[test]
fn a_machine_key_in_the_alerts_pane_says_where_it_works_and_does_nothing() {
    let mut app = app();
    let sent = press(&mut app, "a");
    assert!(sent.is_empty());
    assert!(
        app.dialog.is_none(),
        "no dialog for a row the analyst cannot see"
    );
    let toast = &app.toasts.back().expect("a toast says why").text;
    assert!(
        toast.contains("Machines (3)") && toast.contains("Activity (4)"),
        "{toast}"
    );
    // What the alerts pane does offer still works there.
    press(&mut app, "A");
    assert!(
        app.dialog.is_some(),
        "approve all of the alert is offered in the alerts pane"
    );
}

#[test]
fn the_mode_key_in_the_activity_pane_acts_on_the_rows_policy() {
    let mut app = app();
    app.prepare();
    let first_alert_policy = app.selected_alert().unwrap().policy_id.clone();
    press(&mut app, "4jjjj");
    let row_policy = app
        .model
        .remediations
        .iter()
        .find(|r| r.id == "r-4")
        .unwrap()
        .policy_id
        .clone();
    assert_ne!(
        row_policy, first_alert_policy,
        "the fixture tells the two apart"
    );
    let sent = press(&mut app, "m");
    assert!(
        sent.iter().any(|c| matches!(
            c,
            Command::SetMode { policy_id, mode: Mode::Off | Mode::Approve } if *policy_id == row_policy
        )),
        "{sent:?}"
    );
}

#[test]
fn moving_in_one_pane_leaves_the_others_cursors_where_they_were() {
    let mut app = app();
    press(&mut app, "3j");
    let machine = app.machines.cursor.selected;
    press(&mut app, "4jj");
    assert_eq!(app.activity.cursor.selected, 2);
    assert_eq!(
        app.machines.cursor.selected, machine,
        "the machines cursor is its own"
    );
    press(&mut app, "1j");
    assert_eq!(
        app.machines.cursor.selected, 0,
        "another alert's machines start at the top"
    );
    assert_eq!(app.activity.cursor.selected, 2);
}
