//! A console open for weeks stays as small as the engine: what left the engine's memory window leaves the
//! console too, and what remains is still indexed correctly.

mod tui_common;

use remedy::engine::interface::Event;
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
