//! The console says which sources read an alert and which binding rule matched, and marks a binding that may
//! have stopped firing.

mod tui_common;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use remedy::alert::SourceKind;
use remedy::engine::interface::{Event, PolicyView};
use tui_common::{alerts, app, policies, screen_text};

#[test]
fn the_alert_list_and_detail_name_the_sources_and_the_rule() {
    let mut app = app();
    let only_cas = screen_text(&mut app, 160, 36);
    assert!(
        !only_cas.contains(" src "),
        "alerts Cloud App Security alone read get no sources column:\n{only_cas}"
    );
    let mut alert = alerts().remove(0);
    alert.seen_by = vec![SourceKind::Cas, SourceKind::Graph];
    alert.graph_id = Some("ca123_1".into());
    alert.matched_by = Some("detector 7d7b5a3c".into());
    let title = alert.title.clone();
    app.apply(Event::AlertSeen(alert));
    let list = screen_text(&mut app, 160, 36);
    assert!(list.contains(" src "), "a sources column:\n{list}");
    let row = list
        .lines()
        .find(|l| l.contains(&title))
        .unwrap_or_else(|| panic!("the alert is listed:\n{list}"));
    assert!(row.contains('●') && row.contains(" C+G "), "{row}");
    let others: Vec<&str> = list
        .lines()
        .filter(|l| l.starts_with("│ ●") && !l.contains(&title))
        .collect();
    assert!(
        !others.is_empty()
            && others
                .iter()
                .all(|l| l.contains(" C ") && !l.contains("C+G")),
        "alerts Cloud App Security alone read say C: {others:#?}"
    );
    app.handle_key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE));
    let detail = screen_text(&mut app, 160, 36);
    assert!(
        detail.contains("seen by cas+graph · bound by detector 7d7b5a3c"),
        "{detail}"
    );
}

#[test]
fn a_binding_that_may_have_stopped_firing_is_marked() {
    let mut app = app();
    let mut policy: PolicyView = policies().remove(0);
    policy.warning = Some("bound policy … is disabled".into());
    let name: String = policy.name.chars().take(12).collect();
    app.apply(Event::PolicyChanged(policy));
    let screen = screen_text(&mut app, 160, 36);
    assert!(screen.contains(&format!("⚠ {name}")), "{screen}");
}
