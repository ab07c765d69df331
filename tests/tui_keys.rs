//! Key handling of the console: each key sends exactly the expected command, or none.

mod tui_common;

use ratatui::crossterm::event::{Event as TermEvent, KeyCode, KeyEvent, KeyModifiers};
use remedy::engine::interface::{Closure, Command, Event, Mode};
use remedy::tui::{App, KeymapOverrides, UiOptions, drain_events, process_input, receive_event};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::mpsc;
use tui_common::{app, app_with};

struct Console {
    app: App,
    tx: mpsc::Sender<Command>,
    rx: mpsc::Receiver<Command>,
}

impl Console {
    fn new(app: App) -> Console {
        let (tx, rx) = mpsc::channel(16);
        Console { app, tx, rx }
    }

    fn key(&mut self, code: KeyCode) -> &mut Console {
        let modifiers = match code {
            KeyCode::Char(c) if c.is_ascii_uppercase() => KeyModifiers::SHIFT,
            _ => KeyModifiers::NONE,
        };
        let event = TermEvent::Key(KeyEvent::new(code, modifiers));
        process_input(&mut self.app, event, &self.tx, false).unwrap();
        self
    }

    fn keys(&mut self, text: &str) -> &mut Console {
        for c in text.chars() {
            self.key(KeyCode::Char(c));
        }
        self
    }

    /// Every command sent so far.
    fn sent(&mut self) -> Vec<Command> {
        let mut out = Vec::new();
        while let Ok(c) = self.rx.try_recv() {
            out.push(c);
        }
        out
    }

    fn dialog_focus(&self) -> Option<&'static str> {
        use remedy::tui::Focus;
        self.app.dialog.as_ref().map(|d| match d.focus {
            Focus::Choice => "choice",
            Focus::Input => "input",
            Focus::Cancel => "cancel",
            Focus::Confirm => "confirm",
        })
    }
}

fn ids(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

#[test]
fn approve_selected_with_reason() {
    let mut c = Console::new(app());
    c.keys("3a");
    assert_eq!(
        c.dialog_focus(),
        Some("input"),
        "plain approval asks for a reason"
    );
    c.keys("looks right").key(KeyCode::Enter);
    assert_eq!(
        c.sent(),
        vec![Command::Approve {
            remediation_ids: ids(&["r-3"]),
            reason: Some("looks right".into())
        }]
    );
    assert!(c.app.dialog.is_none());
}

#[test]
fn approving_a_disruptive_action_confirms_with_focus_on_cancel() {
    let mut c = Console::new(app());
    c.keys("jA");
    assert_eq!(c.dialog_focus(), Some("cancel"));
    c.key(KeyCode::Enter);
    assert_eq!(c.sent(), vec![], "Enter on Cancel sends nothing");
    assert!(c.app.dialog.is_none());
    c.keys("A").key(KeyCode::Right).key(KeyCode::Enter);
    assert_eq!(
        c.sent(),
        vec![Command::Approve {
            remediation_ids: ids(&["r-4", "r-6", "r-5"]),
            reason: None
        }]
    );
}

#[test]
fn marked_actions_are_approved_together() {
    let mut c = Console::new(app());
    c.keys("j3").key(KeyCode::Char(' ')).key(KeyCode::Char(' '));
    c.keys("a").key(KeyCode::Right).key(KeyCode::Enter);
    assert_eq!(
        c.sent(),
        vec![Command::Approve {
            remediation_ids: ids(&["r-4", "r-6"]),
            reason: None
        }]
    );
    assert!(
        c.app.machines.marks.is_empty(),
        "marks are cleared once sent"
    );
}

#[test]
fn reject_all_with_reason() {
    let mut c = Console::new(app());
    c.keys("jR");
    assert_eq!(c.dialog_focus(), Some("input"));
    c.keys("travel booked").key(KeyCode::Enter);
    assert_eq!(
        c.sent(),
        vec![Command::Reject {
            remediation_ids: ids(&["r-4", "r-6", "r-5"]),
            reason: Some("travel booked".into()),
        }]
    );
}

#[test]
fn approve_on_a_running_action_explains_and_sends_nothing() {
    let mut c = Console::new(app());
    c.keys("3ja");
    assert!(c.app.dialog.is_none());
    assert_eq!(c.sent(), vec![]);
    let toast = &c.app.toasts.back().unwrap().text;
    assert!(toast.contains("InProgress"), "{toast}");
}

#[test]
fn cancel_running_action_with_comment() {
    let mut c = Console::new(app());
    c.keys("3jx");
    assert_eq!(c.dialog_focus(), Some("cancel"));
    c.key(KeyCode::BackTab);
    assert_eq!(c.dialog_focus(), Some("input"));
    c.keys("wrong machine").key(KeyCode::Enter);
    assert_eq!(
        c.dialog_focus(),
        Some("cancel"),
        "Enter in the field never confirms"
    );
    assert_eq!(c.sent(), vec![]);
    c.key(KeyCode::Right).key(KeyCode::Enter);
    assert_eq!(
        c.sent(),
        vec![Command::Cancel {
            remediation_id: "r-2".into(),
            comment: "wrong machine".into()
        }]
    );
}

#[test]
fn switching_to_auto_confirms_and_counts_machines() {
    let mut c = Console::new(app());
    c.keys("2M");
    assert_eq!(c.dialog_focus(), Some("cancel"));
    let text = c.app.dialog.as_ref().unwrap().lines.join(" ");
    assert!(text.contains("would have acted on 3 machine(s)"), "{text}");
    c.key(KeyCode::Left).key(KeyCode::Enter);
    assert_eq!(
        c.sent(),
        vec![Command::SetMode {
            policy_id: "pol-mass".into(),
            mode: Mode::Auto
        }]
    );
}

#[test]
fn other_mode_changes_are_one_key() {
    let mut c = Console::new(app());
    c.keys("2jjm");
    assert_eq!(
        c.sent(),
        vec![Command::SetMode {
            policy_id: "pol-country".into(),
            mode: Mode::Approve
        }]
    );
    c.keys("jm");
    assert_eq!(
        c.sent(),
        vec![Command::SetMode {
            policy_id: "pol-ransom".into(),
            mode: Mode::Off
        }]
    );
}

#[test]
fn command_line_sets_a_mode() {
    let mut c = Console::new(app());
    c.keys(":mode off").key(KeyCode::Enter);
    assert_eq!(
        c.sent(),
        vec![Command::SetMode {
            policy_id: "pol-mass".into(),
            mode: Mode::Off
        }]
    );
    c.keys(":mode auto").key(KeyCode::Enter);
    assert_eq!(c.dialog_focus(), Some("cancel"));
    c.keys(":bogus");
    assert_eq!(c.sent(), vec![]);
}

#[test]
fn close_alert_as_false_positive_with_comment() {
    let mut c = Console::new(app());
    c.keys("c");
    assert_eq!(c.dialog_focus(), Some("choice"));
    for _ in 0..5 {
        c.key(KeyCode::Down);
    }
    c.key(KeyCode::Enter)
        .keys("test tenant")
        .key(KeyCode::Enter);
    assert_eq!(
        c.sent(),
        vec![Command::CloseAlert {
            alert_id: "a-mass".into(),
            closure: Closure::FalsePositive { reason_id: 0 },
            comment: "test tenant".into(),
        }]
    );
}

#[test]
fn escape_dismisses_dialogs_without_sending() {
    let mut c = Console::new(app());
    c.keys("c").key(KeyCode::Esc);
    c.keys("3a").keys("x").key(KeyCode::Esc);
    assert!(c.app.dialog.is_none());
    assert_eq!(c.sent(), vec![]);
}

#[test]
fn opening_an_unread_alert_marks_it_read() {
    let mut c = Console::new(app());
    c.key(KeyCode::Enter);
    assert!(c.app.show_detail);
    assert_eq!(
        c.sent(),
        vec![
            Command::MarkRead {
                alert_id: "a-mass".into()
            },
            Command::History {
                alert_id: "a-mass".into()
            }
        ]
    );
    c.key(KeyCode::Esc).keys("jj").key(KeyCode::Enter);
    assert_eq!(
        c.sent(),
        vec![Command::History {
            alert_id: "a-country".into()
        }],
        "a read alert is not marked again"
    );
}

#[test]
fn refresh_and_quit() {
    let mut c = Console::new(app());
    c.key(KeyCode::F(5));
    assert_eq!(c.sent(), vec![Command::Refresh]);
    c.keys("q");
    assert!(c.app.quit);
}

#[test]
fn read_only_sends_nothing_and_says_why() {
    let mut c = Console::new(app_with(UiOptions {
        read_only: true,
        ..UiOptions::default()
    }));
    c.keys("aArRxcm").keys("3aAx").keys("2m");
    c.keys(":mode auto").key(KeyCode::Enter);
    c.key(KeyCode::Enter);
    assert_eq!(c.sent(), vec![]);
    assert!(c.app.dialog.is_none());
    let toast = &c.app.toasts.back().unwrap().text;
    assert!(toast.starts_with("read-only"), "{toast}");
}

#[test]
fn engine_read_only_flag_is_honoured_too() {
    let mut c = Console::new(app());
    if let Event::Snapshot {
        alerts,
        policies,
        remediations,
        demo,
        operator,
        ..
    } = tui_common::snapshot()
    {
        c.app.apply(Event::Snapshot {
            alerts,
            policies,
            remediations,
            read_only: true,
            demo,
            operator,
        });
    }
    c.keys("3a");
    assert_eq!(c.sent(), vec![]);
    assert!(c.app.dialog.is_none());
}

#[test]
fn filter_narrows_the_list() {
    let mut c = Console::new(app());
    c.keys("/severity:high").key(KeyCode::Enter);
    c.app.prepare();
    assert_eq!(c.app.visible_alerts().len(), 2);
    c.key(KeyCode::Esc);
    c.app.prepare();
    assert_eq!(c.app.visible_alerts().len(), 5);
    c.keys("/state:failed").key(KeyCode::Enter);
    c.app.prepare();
    assert_eq!(
        c.app.selected_alert().map(|a| a.id.as_str()),
        Some("a-ransom")
    );
}

#[test]
fn selection_follows_the_alert_when_new_ones_arrive() {
    let mut c = Console::new(app());
    c.keys("j");
    let newer = tui_common::alert(
        "a-new",
        remedy::engine::interface::Severity::High,
        &tui_common::policies()[0],
        Some("new@contoso.com"),
        "Brand new",
        1,
    );
    c.app.apply(Event::AlertSeen(newer));
    c.app.prepare();
    assert_eq!(
        c.app.selected_alert().map(|a| a.id.as_str()),
        Some("a-travel")
    );
}

#[test]
fn lagging_behind_the_engine_asks_for_a_resync() {
    let mut c = Console::new(app());
    let alive = receive_event(&mut c.app, Err(RecvError::Lagged(12)), &c.tx).unwrap();
    assert!(alive);
    assert_eq!(c.sent(), vec![Command::Resync]);
    let alive = receive_event(&mut c.app, Err(RecvError::Closed), &c.tx).unwrap();
    assert!(!alive);
}

#[test]
fn keymap_overrides_apply_and_conflicts_fail_at_start() {
    let mut keys = KeymapOverrides::default();
    keys.0.insert("approve".into(), vec!["y".into()]);
    let mut c = Console::new(app_with(UiOptions {
        keymap: keys,
        ..UiOptions::default()
    }));
    c.keys("3a");
    assert!(c.app.dialog.is_none());
    c.keys("y");
    assert!(c.app.dialog.is_some());

    let mut keys = KeymapOverrides::default();
    keys.0.insert("refresh".into(), vec!["q".into()]);
    let err = UiOptions {
        keymap: keys,
        ..UiOptions::default()
    }
    .build_app(None)
    .unwrap_err();
    assert!(err.to_string().contains("key q"), "{err}");
}

#[test]
fn enter_on_a_policy_filters_its_alerts() {
    let mut c = Console::new(app());
    c.keys("2").key(KeyCode::Enter);
    c.app.prepare();
    let ids: Vec<&str> = c
        .app
        .visible_alerts()
        .iter()
        .map(|&i| c.app.model.alerts[i].id.as_str())
        .collect();
    assert_eq!(ids, vec!["a-mass", "a-nouser"]);
    assert_eq!(c.sent(), vec![]);
}

#[test]
fn a_burst_is_drained_at_once_and_a_lag_inside_it_asks_for_a_resync() {
    let mut c = Console::new(app());
    let (tx, mut rx) = tokio::sync::broadcast::channel(2);
    for text in ["one", "two", "three"] {
        tx.send(tui_common::notice(text)).unwrap();
    }
    drain_events(&mut c.app, &mut rx, &c.tx).unwrap();
    assert_eq!(c.sent(), vec![Command::Resync]);
    let texts: Vec<&str> = c.app.toasts.iter().map(|t| t.text.as_str()).collect();
    assert_eq!(texts, vec!["two", "three"]);
}

#[test]
fn mouse_clicks_focus_panes_and_select_rows_only_when_enabled() {
    use ratatui::crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
    let mut c = Console::new(app());
    let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 36)).unwrap();
    terminal.draw(|f| remedy::tui::draw(f, &mut c.app)).unwrap();
    let click = |column, row| {
        TermEvent::Mouse(MouseEvent {
            kind: MouseEventKind::Down(MouseButton::Left),
            column,
            row,
            modifiers: KeyModifiers::NONE,
        })
    };
    // Rows 0-2 are the header line, the alerts border and the table header; row 4 is the second alert.
    process_input(&mut c.app, click(30, 4), &c.tx, false).unwrap();
    assert_eq!(
        c.app.selected_alert().map(|a| a.id.as_str()),
        Some("a-mass"),
        "mouse off"
    );
    process_input(&mut c.app, click(30, 4), &c.tx, true).unwrap();
    assert_eq!(
        c.app.selected_alert().map(|a| a.id.as_str()),
        Some("a-travel")
    );
    process_input(&mut c.app, click(30, 15), &c.tx, true).unwrap();
    assert_eq!(
        c.app.selected_alert().map(|a| a.id.as_str()),
        Some("a-travel"),
        "blank row"
    );
    terminal.draw(|f| remedy::tui::draw(f, &mut c.app)).unwrap();
    process_input(&mut c.app, click(100, 21), &c.tx, true).unwrap();
    assert_eq!(c.app.focus, remedy::tui::Pane::Policies);
    assert_eq!(c.sent(), vec![]);
}

/// The VDI scan of the first alert (`r-3`) with a second, proposed step of its flow on the same machine.
fn app_with_two_step_flow() -> App {
    use remedy::engine::interface::{ActionKind, RemediationState};
    let mut app = app();
    let alert = tui_common::alerts()[0].clone();
    let vdi = tui_common::machine("m-zoe-3", "VDI-0042", "Shared", &["vdi", "pool"], true);
    let mut collect = tui_common::remediation(
        "r-3b",
        &alert,
        vdi,
        ActionKind::CollectInvestigationPackage,
        RemediationState::Proposed,
        170,
    );
    collect.step = 2;
    app.apply(Event::RemediationChanged(Box::new(collect)));
    app
}

#[test]
fn approving_a_step_lists_and_sends_every_later_step_it_covers() {
    let mut c = Console::new(app_with_two_step_flow());
    c.keys("3a");
    let lines = c
        .app
        .dialog
        .as_ref()
        .expect("the approve dialog")
        .lines
        .clone();
    assert!(
        lines
            .iter()
            .any(|l| l == "Full scan, then collect investigation package on VDI-0042"),
        "{lines:?}"
    );
    assert!(lines.iter().any(|l| l == "2 actions in all"), "{lines:?}");
    c.keys("ok").key(KeyCode::Enter);
    assert_eq!(
        c.sent(),
        vec![Command::Approve {
            remediation_ids: ids(&["r-3", "r-3b"]),
            reason: Some("ok".into())
        }]
    );
}

#[test]
fn an_approved_later_step_says_which_earlier_step_it_waits_for() {
    use remedy::engine::interface::RemediationState;
    let mut app = app_with_two_step_flow();
    let mut approved = app
        .model
        .remediations
        .iter()
        .find(|r| r.id == "r-3b")
        .cloned()
        .unwrap();
    approved.state = RemediationState::Approved;
    approved.waiting = Some(remedy::engine::interface::WaitReason::EarlierStep {
        step: 1,
        state: RemediationState::Proposed,
    });
    app.apply(Event::RemediationChanged(Box::new(approved)));
    app.focus = remedy::tui::Pane::Machines;
    let screen = tui_common::screen_text(&mut app, 160, 36);
    assert!(screen.contains("waits for step 1 (proposed)"), "{screen}");
}

#[test]
fn a_cancel_dialog_title_follows_the_live_state() {
    use remedy::engine::interface::RemediationState;
    let mut c = Console::new(app());
    c.keys("3");
    let running = c
        .app
        .machine_rows()
        .iter()
        .position(|r| r.state == RemediationState::InProgress)
        .expect("a running action on the first alert");
    for _ in 0..running {
        c.key(KeyCode::Down);
    }
    c.keys("x");
    assert!(c.app.dialog.is_some(), "the cancel dialog opens");
    let mut ended = c.app.machine_rows()[running].clone();
    ended.state = RemediationState::Succeeded;
    c.app.apply(Event::RemediationChanged(Box::new(ended)));
    let screen = tui_common::screen_text(&mut c.app, 120, 36);
    assert!(
        screen.contains("now Succeeded: nothing left to cancel"),
        "{screen}"
    );
}
