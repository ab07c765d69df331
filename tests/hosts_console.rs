//! The console while the journal's database cannot be reached: the status bar says so, with the reason,
//! until it answers again (a toast alone would vanish while the outage lasts).

mod tui_common;

use chrono::{TimeZone, Utc};
use remedy::engine::interface::{Event, Role};

#[test]
fn the_status_bar_says_the_journal_is_unreachable_until_it_answers() {
    let mut app = tui_common::app();
    app.apply(tui_common::snapshot());
    let since = Utc.with_ymd_and_hms(2026, 11, 30, 10, 42, 0).unwrap();
    app.apply(Event::Leadership {
        role: Role::Leader,
        holder: "this-box:1".into(),
        since,
    });
    app.apply(Event::JournalUnreachable {
        reason: "connection refused".into(),
        since,
    });
    let down = tui_common::screen_text(&mut app, 140, 36);
    assert!(
        down.contains("journal unreachable since") && down.contains("connection refused"),
        "{down}"
    );
    // A snapshot (after a resync) keeps it.
    app.apply(tui_common::snapshot());
    assert!(tui_common::screen_text(&mut app, 140, 36).contains("journal unreachable since"));
    app.apply(Event::JournalReachable);
    let back = tui_common::screen_text(&mut app, 140, 36);
    assert!(!back.contains("journal unreachable"), "{back}");
    assert!(back.contains("leader since"), "{back}");
}
