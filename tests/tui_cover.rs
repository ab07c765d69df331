//! The console shows why a remediation follows an action remedy did not send: "covered by the scan started …".

mod tui_common;

use chrono::TimeZone;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use remedy::engine::interface::{Cover, CoverKind, Event, RemediationState};
use remedy::tui::draw;
use tui_common::{app, remediations};

fn screen_after(keys: &[KeyCode], event: Event) -> String {
    let mut app = app();
    app.apply(event);
    for &code in keys {
        app.handle_key(KeyEvent::new(code, KeyModifiers::NONE));
    }
    let mut terminal = Terminal::new(TestBackend::new(120, 36)).unwrap();
    terminal.draw(|frame| draw(frame, &mut app)).unwrap();
    let buffer = terminal.backend().buffer().clone();
    buffer
        .content()
        .chunks(buffer.area.width as usize)
        .map(|row| row.iter().map(|c| c.symbol()).collect::<String>())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_machines_pane_and_the_detail_show_the_attach_proof() {
    let mut attached = remediations()
        .into_iter()
        .find(|r| r.id == "r-1")
        .expect("the first alert's first machine");
    attached.state = RemediationState::Attached;
    attached.covered_by = Some(Box::new(Cover {
        kind: CoverKind::Running,
        action_id: "act-42".into(),
        created_at: Some(chrono::Utc.with_ymd_and_hms(2026, 3, 1, 10, 42, 0).unwrap()),
        status: RemediationState::InProgress,
        requestor: Some("soc-oncall@contoso.com".into()),
        succeeded_at: None,
        checked_at: chrono::Utc.with_ymd_and_hms(2026, 3, 1, 10, 50, 0).unwrap(),
        read: None,
    }));
    let event = Event::RemediationChanged(Box::new(attached));
    let proof = "covered by the scan started 10:42 by soc-oncall@contoso.com";
    let machines = screen_after(&[KeyCode::Char('3'), KeyCode::Char('G')], event.clone());
    assert!(machines.contains(proof), "{machines}");
    let detail = screen_after(&[KeyCode::Enter], event);
    assert!(detail.contains(proof), "{detail}");
}
