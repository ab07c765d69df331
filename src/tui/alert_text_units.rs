//! The console keeps an alert's detail text when a later view comes without it (the engine keeps none).

use chrono::{DateTime, Utc};

use super::state::Model;
use crate::engine::interface::{AlertView, EntityView, Event, Resolution, Severity};

fn view(description: &str, read: bool) -> AlertView {
    AlertView {
        id: "a1".into(),
        title: "Mass download".into(),
        description: description.into(),
        severity: Severity::High,
        raised_at: DateTime::<Utc>::UNIX_EPOCH,
        policy_id: "p".into(),
        policy_name: "P".into(),
        user: None,
        note: None,
        resolution: Resolution::Open,
        read,
        url: (!description.is_empty()).then(|| "https://portal/alerts/a1".into()),
        entities: if description.is_empty() {
            Vec::new()
        } else {
            vec![EntityView {
                kind: "file".into(),
                label: "invoice.pdf".into(),
            }]
        },
        seen_by: Vec::new(),
        graph_id: None,
        matched_by: None,
    }
}

#[test]
fn a_view_without_text_keeps_the_text_already_read() {
    let mut model = Model::default();
    model.apply(Event::AlertSeen(view("copied 900 files", false)));
    model.apply(Event::AlertSeen(view("", true)));
    let alert = model.alert("a1").expect("shown");
    assert!(alert.read, "the new view's fields win");
    assert_eq!(alert.description, "copied 900 files");
    assert_eq!(alert.entities.len(), 1);
    assert!(alert.url.is_some());
}
