//! A console open for weeks stays as small as the engine: what left the engine's memory window leaves the
//! console too, and what remains is still indexed correctly.

mod tui_common;

use remedy::engine::interface::Event;
use remedy::filter::Filter;
use tui_common::{app, screen_text};

#[test]
fn forgotten_work_leaves_the_console_and_the_rest_stays_whole() {
    let mut app = app();
    let alerts_before = app.model.alerts.len();
    let remediations_before = app.model.remediations.len();
    app.apply(Event::Forgotten {
        alerts: vec!["a-nouser".into()],
        remediations: vec!["r-1".into(), "r-9".into()],
    });
    assert_eq!(app.model.alerts.len(), alerts_before - 1);
    assert_eq!(app.model.remediations.len(), remediations_before - 2);
    assert!(app.model.alert("a-nouser").is_none());
    assert!(
        app.model.alert("a-mass").is_some(),
        "lookups still find what is left"
    );
    let of_mass: Vec<&str> = app
        .model
        .remediations_of("a-mass")
        .map(|r| r.id.as_str())
        .collect();
    assert!(!of_mass.contains(&"r-1"), "{of_mass:?}");
    assert!(
        of_mass.contains(&"r-2") && of_mass.contains(&"r-3"),
        "{of_mass:?}"
    );
    let of_ransom: Vec<&str> = app
        .model
        .remediations_of("a-ransom")
        .map(|r| r.id.as_str())
        .collect();
    assert_eq!(
        of_ransom,
        vec!["r-10"],
        "indexes point at the right rows after removal"
    );
    let screen = screen_text(&mut app, 120, 36);
    assert!(!screen.contains("service account"), "{screen}");
    assert!(screen.contains("Mass download of 412 files"), "{screen}");
}

#[test]
fn scrolling_past_the_last_alert_pages_older_alerts_from_the_journal() {
    use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use remedy::engine::interface::{Command, PageMark};
    let mut app = app();
    let end = |app: &mut remedy::tui::App| {
        app.handle_key(KeyEvent::new(KeyCode::Char('G'), KeyModifiers::SHIFT))
    };
    let down = |app: &mut remedy::tui::App| {
        app.handle_key(KeyEvent::new(KeyCode::Char('j'), KeyModifiers::NONE))
    };
    assert_eq!(
        end(&mut app),
        vec![],
        "G from the top moves, it does not page yet"
    );
    assert_eq!(
        down(&mut app),
        vec![Command::OlderAlerts {
            after: None,
            filter: Filter::default(),
        }]
    );
    assert_eq!(down(&mut app), vec![], "one page at a time");
    let mut old = tui_common::alerts()[0].clone();
    old.id = "a-old".into();
    old.title = "Mass download from last month".into();
    old.raised_at = tui_common::now() - chrono::Duration::days(30);
    let mark = PageMark {
        timestamp_ms: old.raised_at.timestamp_millis(),
        id: "a-old".into(),
    };
    app.apply(Event::OlderAlerts {
        alerts: vec![old, tui_common::alerts()[1].clone()],
        remediations: Vec::new(),
        next: Some(mark.clone()),
    });
    assert!(app.model.alert("a-old").is_some());
    assert_eq!(app.model.alerts.len(), 6, "known alerts are not duplicated");
    end(&mut app);
    assert_eq!(
        down(&mut app),
        vec![Command::OlderAlerts {
            after: Some(mark),
            filter: Filter::default(),
        }],
        "the next page starts where the last ended"
    );
    app.apply(Event::OlderAlerts {
        alerts: Vec::new(),
        remediations: Vec::new(),
        next: None,
    });
    assert_eq!(
        down(&mut app),
        vec![],
        "no older alert: nothing more is asked"
    );
    let screen = screen_text(&mut app, 120, 36);
    assert!(screen.contains("no older alert"), "{screen}");
}

#[test]
fn a_filter_searches_older_history_and_a_new_filter_starts_again_from_the_newest() {
    use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use remedy::engine::interface::{Command, PageMark};
    let mut app = app();
    let key = |app: &mut remedy::tui::App, code: KeyCode| {
        app.handle_key(KeyEvent::new(code, KeyModifiers::NONE))
    };
    let filter = |app: &mut remedy::tui::App, text: &str| {
        key(app, KeyCode::Char('/'));
        for c in text.chars() {
            key(app, KeyCode::Char(c));
        }
        key(app, KeyCode::Enter);
    };
    // One alert matches: its row is the end of the list.
    filter(&mut app, "travel");
    assert_eq!(
        key(&mut app, KeyCode::Char('j')),
        vec![Command::OlderAlerts {
            after: None,
            filter: Filter::parse("travel"),
        }],
        "past the last match, the journal is searched with the filter"
    );
    let screen = screen_text(&mut app, 120, 36);
    assert!(screen.contains("searching older alerts…"), "{screen}");
    let mark = PageMark {
        timestamp_ms: 1,
        id: "a-older".into(),
    };
    app.apply(Event::OlderAlerts {
        alerts: Vec::new(),
        remediations: Vec::new(),
        next: Some(mark.clone()),
    });
    let screen = screen_text(&mut app, 120, 36);
    assert!(screen.contains("↓ searches older"), "{screen}");
    assert_eq!(
        key(&mut app, KeyCode::Char('j')),
        vec![Command::OlderAlerts {
            after: Some(mark),
            filter: Filter::parse("travel"),
        }],
        "a search that found nothing in its budget goes on where it stopped"
    );
    app.apply(Event::OlderAlerts {
        alerts: Vec::new(),
        remediations: Vec::new(),
        next: None,
    });
    let screen = screen_text(&mut app, 120, 36);
    assert!(screen.contains("no older match"), "{screen}");
    key(&mut app, KeyCode::Esc);
    filter(&mut app, "ransomware");
    assert_eq!(
        key(&mut app, KeyCode::Char('j')),
        vec![Command::OlderAlerts {
            after: None,
            filter: Filter::parse("ransomware"),
        }],
        "another filter searches from the newest again"
    );
}

#[test]
fn scrolling_past_the_last_activity_row_pages_older_history_too() {
    use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use remedy::engine::interface::Command;
    let mut app = app();
    let key = |app: &mut remedy::tui::App, code: KeyCode| {
        app.handle_key(KeyEvent::new(code, KeyModifiers::NONE))
    };
    while app.focus != remedy::tui::Pane::Activity {
        key(&mut app, KeyCode::Tab);
    }
    key(&mut app, KeyCode::Char('G'));
    assert_eq!(
        key(&mut app, KeyCode::Char('j')),
        vec![Command::OlderAlerts {
            after: None,
            filter: Filter::default(),
        }]
    );
}
