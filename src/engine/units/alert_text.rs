//! Alerts in memory keep no detail text (description, entities, link): a live alert's text is sent once and
//! read again from the journal when its detail opens; a later read with the same text is not news.

use super::super::alert_book::AlertBook;
use super::super::interface::{AlertView, EntityView};
use super::harness::alert;

fn with_text() -> AlertView {
    AlertView {
        description: "x".repeat(2_000),
        entities: vec![EntityView {
            kind: "file".into(),
            label: "invoice.pdf".into(),
        }],
        url: Some("https://portal.cloudappsecurity.com/#/alerts/a1".into()),
        ..alert()
    }
}

#[test]
fn memory_keeps_an_alert_without_its_detail_text_and_knows_it_unchanged() {
    let mut book = AlertBook::default();
    book.show("a1".into(), with_text());
    let kept = book.get("a1").expect("shown");
    assert!(kept.description.is_empty() && kept.entities.is_empty() && kept.url.is_none());
    assert_eq!(kept.title, "Mass download", "what lists show stays");
    assert!(
        book.shows(&with_text()),
        "the same alert read again is no news"
    );
    let mut retitled = with_text();
    retitled.title = "Mass download (updated)".into();
    assert!(!book.shows(&retitled), "a change that lists show is news");
}
